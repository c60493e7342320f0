// BPE: a pre-token starts as one symbol per character (or <0xNN> bytes, or the unknown token) and the ranked merges
// are applied lowest rank first, leftmost first on ties — exactly HF `tokenizers`' order. The hot path works on
// integer symbol ids with merges keyed by the packed pair (left, right): no string is built while merging.

import type { Json, JsonObject, Model, Token } from "../types.js";
import { TokenizerError } from "../types.js";
import { VocabularyModel, keepKeys, optionalBoolean, optionalString, readVocabObject, type Vocabulary } from "./vocab.js";
import { mulberry32 } from "../../util/random.js";
import { byteLevelAlphabet, byteLevelBytesInto } from "../byte-vocabulary.js";
import { ByteStringTable } from "../../util/byte-string-table.js";
import { SpanIdCache, spanHash } from "./span-cache.js";
import { MERGE_ID_LIMIT, MergeTable, NO_MERGE, NO_RANK, mergedIdOf } from "./merge-table.js";
import { PASS_CHUNK, appendRange, chunkEnd, grow } from "../../util/grow.js";
import { WasmRankMerge } from "./rank-merge.js";
import { byteValues, spellPiece, utf8Encode, utf8OfCodePoint, type Spelling } from "./spell.js";
import { cpLen, utf8Length } from "../normalized.js";

/** Pieces longer than this (in symbols) merge by rank lists or a heap (mergeLong); shorter ones with a linear scan,
 * which is faster there. */
const SCAN_LIMIT = 256;
/** From this many symbols the scan keeps a lowest rank per block of positions (mergeBlocks) instead of reading every
 * pair at every merge: the scan's cost is quadratic in the symbol count, and pieces of 32–256 bytes (scripts written
 * without spaces: Thai, Burmese, CJK; long words) carried most of it on FLORES. */
const BLOCK_FROM = 32;
const CACHE_CAPACITY = 100_000;
/** SentencePiece's word marker: a piece is cut before it where no token spans the cut (BpeModel.cutBefore). */
const CUT_MARKER = "\u2581";

/** Merges given as (left, right, merged) id triples, spelled as token pairs. */
export function spellMerges(ids: Int32Array, tokens: readonly (string | undefined)[]): [string, string][] {
  const list: [string, string][] = new Array(ids.length / 3);
  for (let r = 0; r < list.length; r++) list[r] = [tokens[ids[3 * r]!]!, tokens[ids[3 * r + 1]!]!];
  return list;
}

/**
 * Merges given as a rule instead of a list (tiktoken ranks: formats/tiktoken.ts): `pair` answers one (left, right)
 * with the id of the token the two make, which is also the pair's priority (lower first; the leftmost on ties), or
 * −1, and is asked only for pairs the text produces; `list` spells the whole list as (left, right, merged) id
 * triples (toJSON needs it). `byteTokens`: the whole-token table by bytes, when the rule has one already.
 */
export interface MergeRule {
  pair(left: number, right: number): number;
  list(): Int32Array;
  readonly byteTokens?: ByteStringTable;
}

/**
 * Tokens by the bytes they stand for (GPT-2 byte alphabet decoded; tokens with other characters are left out): the
 * whole-piece lookup of `ignore_merges` straight from a piece's UTF-8 bytes, with no byte-level string built.
 * `into`: a table to add them to (a rank file's rank table takes its specials) instead of a new one.
 */
export function byteLevelTokenTable(tokens: Iterable<[string, number]>, into?: ByteStringTable): ByteStringTable {
  const table = into ?? new ByteStringTable(tokens instanceof Map ? tokens.size : 16, tokens instanceof Map ? tokens.size * 8 : 64);
  let buffer = new Uint8Array(64);
  for (const [token, id] of tokens) {
    if (token.length === 0) continue;
    if (token.length > buffer.length) buffer = new Uint8Array(token.length * 2);
    if (byteLevelBytesInto(token, buffer)) table.add(buffer, 0, token.length, id);
  }
  return table;
}

// Scratch buffers of the linear-scan merge, reused across calls (the hot path allocates only its result). The byte-level
// path also puts a long piece's bytes, ids and lengths here; the pair ranks serve the scan alone (SCAN_LIMIT symbols).
let scratchIds = new Int32Array(256);
let scratchLens = new Int32Array(256);
const scratchRanks = new Float64Array(SCAN_LIMIT);
let scratchBytes = new Uint8Array(256);
// mergeBlocks' links and block minima (SCAN_LIMIT bounds the symbol count it sees).
const blockNext = new Int32Array(SCAN_LIMIT + 1);
const blockPrev = new Int32Array(SCAN_LIMIT + 1);
const blockLowest = new Float64Array(SCAN_LIMIT + 1);

/** The lowest of ranks[b·width, (b+1)·width) within the first n (mergeBlocks' block minimum). */
function blockLow(ranks: Float64Array, b: number, width: number, n: number): number {
  let low = Infinity;
  for (let i = b * width, end = Math.min(n, i + width); i < end; i++) if (ranks[i]! < low) low = ranks[i]!;
  return low;
}

/** Room for n symbols (their lengths too unless `lens` is false) and `bytes` bytes in the scratch buffers: doubled up
 * to SCRATCH_KEPT, exactly what is asked past it (a long piece, after which shrinkScratch lets it go: grown by
 * doubling and kept, one 8 MB piece left ~800 MB behind, ranks included). */
function growScratch(n: number, bytes = n, lens = true): void {
  if (scratchBytes.length < bytes) scratchBytes = new Uint8Array(roomFor(bytes, scratchBytes.length));
  if (scratchIds.length < n) scratchIds = new Int32Array(roomFor(n, scratchIds.length));
  if (lens && scratchLens.length < n) scratchLens = new Int32Array(roomFor(n, scratchLens.length));
}
/** What a scratch buffer of `now` grows to for n: see growScratch. */
function roomFor(n: number, now: number): number {
  return Math.max(n, Math.min(2 * now, SCRATCH_KEPT));
}

/** Lets go of scratch buffers grown past SCRATCH_KEPT for a long piece. */
function shrinkScratch(): void {
  if (scratchBytes.length > SCRATCH_KEPT) scratchBytes = new Uint8Array(SCRATCH_KEPT);
  if (scratchIds.length > SCRATCH_KEPT) scratchIds = new Int32Array(SCRATCH_KEPT);
  if (scratchLens.length > SCRATCH_KEPT) scratchLens = new Int32Array(SCRATCH_KEPT);
}
const SCRATCH_KEPT = 1 << 16;

/** A binary min-heap of (rank, position) pairs in typed arrays, ordered by rank then position;
 * grows by doubling. No allocation per push or pop (the long-piece merge pushes about 3 entries per symbol). */
class MergeHeap {
  private values: Float64Array;
  private positions: Int32Array;
  size = 0;
  constructor(capacity: number) {
    this.values = new Float64Array(Math.max(16, capacity));
    this.positions = new Int32Array(this.values.length);
  }
  topValue(): number {
    return this.values[0]!;
  }
  topPosition(): number {
    return this.positions[0]!;
  }
  push(value: number, position: number): void {
    if (this.size === this.values.length) {
      const values = new Float64Array(this.size * 2);
      values.set(this.values);
      const positions = new Int32Array(this.size * 2);
      positions.set(this.positions);
      this.values = values;
      this.positions = positions;
    }
    const vs = this.values;
    const ps = this.positions;
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pv = vs[parent]!;
      if (pv < value || (pv === value && ps[parent]! < position)) break;
      vs[i] = pv;
      ps[i] = ps[parent]!;
      i = parent;
    }
    vs[i] = value;
    ps[i] = position;
  }
  pop(): void {
    const n = --this.size;
    if (n === 0) return;
    const vs = this.values;
    const ps = this.positions;
    const value = vs[n]!;
    const position = ps[n]!;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && (vs[c + 1]! < vs[c]! || (vs[c + 1] === vs[c] && ps[c + 1]! < ps[c]!))) c++;
      if (value < vs[c]! || (value === vs[c] && position < ps[c]!)) break;
      vs[i] = vs[c]!;
      ps[i] = ps[c]!;
      i = c;
    }
    vs[i] = value;
    ps[i] = position;
  }
}

/** Whether models made from now on merge long pieces in wasm where they can (tests turn it off to check the heap,
 * which runtimes without WebAssembly use, against it). */
let rankMergeInWasm = true;
export function mergeLongPiecesInWasm(on: boolean): void {
  rankMergeInWasm = on;
}

/** The symbols not merged away (next = −2: mergeHeap's mark) moved to the front of sym and len, a chunk a call;
 * returns their count. */
function compactAll(sym: Int32Array, len: Int32Array | null, next: Int32Array, n: number): number {
  let m = 0;
  for (let at = 0; at < n; at += PASS_CHUNK) m = compactMarked(sym, len, next, at, Math.min(n, at + PASS_CHUNK), m);
  return m;
}

/** compactAll's work for symbols [from, to), written from `m`; returns the new count. */
function compactMarked(sym: Int32Array, len: Int32Array | null, next: Int32Array, from: number, to: number, m: number): number {
  for (let i = from; i < to; i++) {
    if (next[i] === -2) continue;
    if (len) len[m] = len[i]!;
    sym[m++] = sym[i]!;
  }
  return m;
}

/** The UTF-8 bytes of text[from, to) into `bytes`, and their byte-level symbols (table[byte]) into `ids` (a lone
 * surrogate as U+FFFD, as byteLevelText spells it); returns their count. */
function byteSymbols(text: string, from: number, to: number, table: Int32Array, bytes: Uint8Array, ids: Int32Array): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) {
      bytes[n] = c;
      ids[n++] = table[c]!;
    } else if (c < 0x800) {
      n = putByte(0xc0 | (c >> 6), table, bytes, ids, n);
      n = putByte(0x80 | (c & 63), table, bytes, ids, n);
    } else if (c >= 0xd800 && c <= 0xdfff) {
      const d = i + 1 < to ? text.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
        const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        n = putByte(0xf0 | (cp >> 18), table, bytes, ids, n);
        n = putByte(0x80 | ((cp >> 12) & 63), table, bytes, ids, n);
        n = putByte(0x80 | ((cp >> 6) & 63), table, bytes, ids, n);
        n = putByte(0x80 | (cp & 63), table, bytes, ids, n);
        i++;
      } else {
        n = putByte(0xef, table, bytes, ids, n);
        n = putByte(0xbf, table, bytes, ids, n);
        n = putByte(0xbd, table, bytes, ids, n);
      }
    } else {
      n = putByte(0xe0 | (c >> 12), table, bytes, ids, n);
      n = putByte(0x80 | ((c >> 6) & 63), table, bytes, ids, n);
      n = putByte(0x80 | (c & 63), table, bytes, ids, n);
    }
  }
  return n;
}

const utf8 = new TextEncoder();

/** byteSymbols for a long piece (over SCAN_LIMIT units, so over SCAN_LIMIT bytes), into the scratch buffers: the
 * platform's UTF-8 encoder (which also writes a lone surrogate as U+FFFD; the Tokenizer makes text well-formed before
 * it reaches a model), then the symbols a chunk a call. byteSymbols' loop ran a fresh process's first long piece
 * mostly unoptimised (GPT-2, 1 MB of emoji: 24 ms against 15 warm); for short pieces, the encoder's call costs more
 * than the loop. The symbols get room for the bytes written, not for 3 a unit: ASCII's 1 MB would take 24 MB of
 * ids and lengths it does not use, which V8 counts as external memory, and past 64 MB of that it collects at once,
 * then again soon (its limits set from a heap still small). */
function longByteSymbols(text: string, start: number, end: number, table: Int32Array): number {
  growScratch(0, 3 * (end - start));
  const bytes = scratchBytes;
  const n = utf8.encodeInto(start === 0 && end === text.length ? text : text.slice(start, end), bytes).written;
  growScratch(n, 0, false);
  const ids = scratchIds;
  for (let at = 0; at < n; at += PASS_CHUNK) byteIds(table, bytes, ids, at, Math.min(n, at + PASS_CHUNK));
  return n;
}

/** ids[i] = table[bytes[i]] for i in [from, to). */
function byteIds(table: Int32Array, bytes: Uint8Array, ids: Int32Array, from: number, to: number): void {
  for (let i = from; i < to; i++) ids[i] = table[bytes[i]!]!;
}

function putByte(b: number, table: Int32Array, bytes: Uint8Array, ids: Int32Array, n: number): number {
  bytes[n] = b;
  ids[n] = table[b]!;
  return n + 1;
}

export interface BpeOptions {
  dropout?: number | null;
  unkToken?: string | null;
  continuingSubwordPrefix?: string | null;
  endOfWordSuffix?: string | null;
  fuseUnk?: boolean;
  byteFallback?: boolean;
  ignoreMerges?: boolean;
  /** Seed of the dropout RNG, for reproducible dropout. */
  seed?: number;
}

/** A merged piece: symbol ids and their lengths (UTF-16 units) in the piece. */
interface Word {
  ids: Int32Array;
  /** Each token's length in UTF-16 units (0: a byte token after its character's first, sharing its span), or, where
   * `byteLengths`, in UTF-8 bytes as HF counts them. */
  lens: Int32Array;
  byteLengths?: boolean;
}

/**
 * tokenizer.json merges ("left right" strings or [left, right] pairs) as (left, right, merged) id triples, checked
 * against the vocabulary. The strings are not kept (toJSON spells them back from the ids) unless two tokens of the
 * vocabulary share an id, when only the strings say which was meant.
 */
function readMerges(json: Json | undefined, vocab: Vocabulary, prefix: string | null, path: string): { ids: Int32Array; strings: [string, string][] | null; shape: "strings" | "pairs" } {
  if (!Array.isArray(json)) throw new TokenizerError("expected a list of merges", `${path}.merges`);
  let defined = 0;
  for (const t of vocab.tokens) if (t !== undefined) defined++;
  const strings: [string, string][] | null = defined === vocab.ids.size ? null : [];
  const ids = new Int32Array(json.length * 3);
  let shape: "strings" | "pairs" = "pairs";
  for (let i = 0; i < json.length; i++) {
    const m = json[i];
    let a: string;
    let b: string;
    if (typeof m === "string") {
      shape = "strings";
      const sp = m.indexOf(" ");
      if (sp < 0 || m.indexOf(" ", sp + 1) >= 0) throw new TokenizerError(`expected "left right", got ${JSON.stringify(m)}`, `${path}.merges[${i}]`);
      a = m.slice(0, sp);
      b = m.slice(sp + 1);
    } else if (Array.isArray(m) && m.length === 2 && typeof m[0] === "string" && typeof m[1] === "string") {
      a = m[0];
      b = m[1];
    } else throw new TokenizerError(`expected "left right" or ["left", "right"], got ${JSON.stringify(m)}`, `${path}.merges[${i}]`);
    const ia = vocab.ids.get(a);
    const ib = vocab.ids.get(b);
    if (ia === undefined || ib === undefined) throw new TokenizerError(`merge ${JSON.stringify(a + " " + b)}: ${JSON.stringify(ia === undefined ? a : b)} is not in the vocabulary`, `${path}.merges[${i}]`);
    // HF names the merged token left + right without its first prefix-length characters (the "##" of a
    // continuation piece), whether or not the right part starts with the prefix.
    const mergedName = a + (prefix ? b.slice(prefix.length) : b);
    const merged = vocab.ids.get(mergedName);
    if (merged === undefined) throw new TokenizerError(`merge ${JSON.stringify(a + " " + b)}: the merged token ${JSON.stringify(mergedName)} is not in the vocabulary`, `${path}.merges[${i}]`);
    ids[3 * i] = ia;
    ids[3 * i + 1] = ib;
    ids[3 * i + 2] = merged;
    strings?.push([a, b]);
  }
  return { ids, strings, shape };
}

/**
 * A BPE model's vocabulary and merge ids as a reader built them (tiktoken ranks: formats/tiktoken.ts; a tokenizer.json
 * read in place: tokenize/tokenizer-json.ts), attached to the tokenizer.json model object they describe under this
 * symbol: fromJSON takes them instead of reading 200k vocab entries and 450k merges back from the JSON. The reader
 * drops it once anyone reads `vocab` or `merges` (they may then be edited), so the JSON stays the source of truth.
 */
export const PREBUILT_BPE = Symbol("retoken.prebuiltBpe");

export interface PrebuiltBpe {
  vocab: Vocabulary;
  /** A rule asked pair by pair, or (left, right, merged) id triples in rank order. */
  merges: MergeRule | Int32Array;
  /** How the file spelled its merges, for toJSON (default: pairs). */
  shape?: "strings" | "pairs";
}

export class BpeModel extends VocabularyModel implements Model {
  readonly type = "BPE";
  /** (left, right) → packMerge(rank, merged id) */
  private readonly merges: MergeTable;
  /** Single-code-unit characters → id (−1 not in vocabulary, −2 not looked up yet), for the no-prefix/suffix case. */
  private readonly charIds = new Int32Array(65536).fill(-2);
  private readonly random: () => number;
  readonly dropout: number | null;
  readonly unkToken: string | null;
  readonly continuingSubwordPrefix: string | null;
  readonly endOfWordSuffix: string | null;
  readonly fuseUnk: boolean;
  readonly byteFallback: boolean;
  readonly ignoreMerges: boolean;
  private readonly byteIds: Int32Array | null;
  /** A character that may start a word but never follows another character inside a token ("▁"): pieces can be
   * cut before it without changing the result, which keeps huge unsplit pieces (Llama has no pre-tokenizer) cached. */
  private readonly cutBefore: number;
  /** Byte → id of its GPT-2 byte-alphabet character; null when some byte has no token or a prefix, suffix or dropout
   * changes the initial symbols (undefined: not built yet). */
  private byteLevelTable: Int32Array | null | undefined = undefined;
  /** Packed merge of each byte pair (bytes b, c at b·256 + c), NO_MERGE for none, NaN not looked up yet: a piece's first
   * ranks without hashing. */
  private bytePairMerges: Float64Array | null = null;
  /** Whole-token lookup by bytes, for ignore_merges (built with the table above). */
  private byteTokens: ByteStringTable | null = null;

  /** The merges as tokenizer.json spells them: given, or spelled from mergeIds when first asked for. */
  private mergeStrings: [string, string][] | null;
  private mergeIds: Int32Array | null;
  private readonly mergeRule: MergeRule | null = null;

  /**
   * `merges`: the ranked (left, right) token pairs, or — from a converter that already has ids (tiktoken ranks) —
   * their ids as (left, right, merged) triples in rank order, which skips every string lookup.
   */
  constructor(
    vocab: Vocabulary,
    merges: [string, string][] | Int32Array | MergeRule,
    options: BpeOptions = {},
    private readonly mergeShape: "strings" | "pairs" = "pairs",
    private readonly source: JsonObject = {},
  ) {
    super(vocab);
    this.dropout = options.dropout ?? null;
    if (this.dropout !== null && !(this.dropout >= 0 && this.dropout <= 1)) throw new TokenizerError(`dropout must be between 0 and 1, got ${this.dropout}`, "model.dropout");
    this.unkToken = options.unkToken ?? null;
    this.continuingSubwordPrefix = options.continuingSubwordPrefix ?? null;
    this.endOfWordSuffix = options.endOfWordSuffix ?? null;
    this.fuseUnk = options.fuseUnk ?? false;
    this.byteFallback = options.byteFallback ?? false;
    this.ignoreMerges = options.ignoreMerges ?? false;
    this.random = mulberry32(options.seed ?? 0x5eed);
    if (vocab.idLimit > MERGE_ID_LIMIT) throw new TokenizerError(`token id ${vocab.idLimit - 1} is too large (at most ${MERGE_ID_LIMIT - 1})`, "model.vocab");
    if (!Array.isArray(merges) && !(merges instanceof Int32Array)) {
      this.mergeStrings = null;
      this.mergeIds = null;
      this.mergeRule = merges;
      this.merges = new MergeTable(1 << 16, null, (a, b) => merges.pair(a, b));
    } else {
      // Token pairs are read into ids by the one reader tokenizer.json uses (and keep their spelling).
      const ids = merges instanceof Int32Array ? merges : readMerges(merges, vocab, this.continuingSubwordPrefix, "model").ids;
      this.mergeStrings = merges instanceof Int32Array ? null : merges;
      this.mergeIds = ids;
      this.merges = MergeTable.ofMergeList(ids, (id) => vocab.has(id));
    }
    if (this.byteFallback) {
      this.byteIds = new Int32Array(256);
      for (let b = 0; b < 256; b++) this.byteIds[b] = vocab.id(`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`) ?? -1;
    } else this.byteIds = null;
    this.cutBefore = this.findCutCharacter();
  }

  static fromJSON(json: JsonObject, path: string): BpeModel {
    const prebuilt = (json as { [PREBUILT_BPE]?: PrebuiltBpe })[PREBUILT_BPE];
    const vocab = prebuilt ? prebuilt.vocab : readVocabObject(json.vocab, path);
    const continuingSubwordPrefix = optionalString(json, "continuing_subword_prefix", path);
    const read = prebuilt ? null : readMerges(json.merges, vocab, continuingSubwordPrefix, path);
    const merges = prebuilt ? prebuilt.merges : (read!.strings ?? read!.ids);
    const shape = read?.shape ?? prebuilt?.shape ?? "pairs";
    const dropout = json.dropout;
    if (dropout !== undefined && dropout !== null && typeof dropout !== "number") throw new TokenizerError(`expected a number or null`, `${path}.dropout`);
    try {
      return new BpeModel(
        vocab,
        merges,
        {
          dropout: (dropout as number | null | undefined) ?? null,
          unkToken: optionalString(json, "unk_token", path),
          continuingSubwordPrefix,
          endOfWordSuffix: optionalString(json, "end_of_word_suffix", path),
          fuseUnk: optionalBoolean(json, "fuse_unk", path, false),
          byteFallback: optionalBoolean(json, "byte_fallback", path, false),
          ignoreMerges: optionalBoolean(json, "ignore_merges", path, false),
        },
        shape,
        json,
      );
    } catch (err) {
      if (err instanceof TokenizerError && err.path?.startsWith("model.")) throw new TokenizerError(err.message.replace(/^model\.[^:]*: /, ""), path + err.path.slice(5));
      throw err;
    }
  }

  private findCutCharacter(): number {
    if (this.continuingSubwordPrefix || this.endOfWordSuffix) return -1;
    const marker = CUT_MARKER;
    if (this.vocab.id(marker) === undefined || this.vocab.hasInnerMarker(marker)) return -1;
    return marker.charCodeAt(0);
  }

  // ---- the initial symbols of a piece ----

  /** The id of the character piece[start, end) (one unit, or a surrogate pair), as HF spells it with a prefix or
   * suffix; undefined when it is not in the vocabulary. */
  private charId(piece: string, start: number, end: number, first: boolean, last: boolean): number | undefined {
    if ((first || !this.continuingSubwordPrefix) && (!last || !this.endOfWordSuffix)) {
      let id: number | undefined;
      if (end - start === 1) {
        const c = piece.charCodeAt(start);
        id = this.charIds[c]!;
        if (id === -2) id = this.unitId(c);
      } else {
        // A surrogate pair: by its code point, in a map of those met (not a substring and a lookup each time).
        id = this.astralId(piece.codePointAt(start)!, piece, start);
      }
      return id < 0 ? undefined : id;
    }
    let s = piece.slice(start, end);
    if (!first && this.continuingSubwordPrefix) s = this.continuingSubwordPrefix + s;
    if (last && this.endOfWordSuffix) s = s + this.endOfWordSuffix;
    return this.vocab.id(s);
  }
  /** charId's ids of the characters past the BMP met so far (−1: not in the vocabulary), at most ASTRAL_KEPT. */
  private readonly astralIds = new Map<number, number>();

  /** One symbol per character, as HF's merge_word builds them (byte fallback, unknown-token fusing included), into
   * symbolIds and symbolLens from 0 (typed and grown by doubling: a 1 MB piece pushed into plain arrays had them
   * copied as they grew, ~60 MB of garbage); returns the symbol count. */
  private initialSymbols(piece: string): number {
    ensureSymbols(piece.length + 1);
    this.pendingUnk = -1;
    this.pendingUnkLen = 0;
    this.bytesBeforeUnk = false;
    let n = 0;
    for (let a = 0; a < piece.length; ) {
      const b = chunkEnd(piece, a, piece.length);
      n = this.symbolsOf(piece, a, b, n);
      a = b;
    }
    if (this.pendingUnk >= 0) {
      symbolIds[n] = this.pendingUnk;
      symbolLens[n++] = this.pendingUnkLen;
    }
    return n;
  }
  /** An unknown token whose run is still open between initialSymbols' chunks, and its length (−1: none). */
  private pendingUnk = -1;
  private pendingUnkLen = 0;
  /** Whether initialSymbols' last piece had byte tokens written while an unknown token was pending (see
   * byteLengthSymbols). */
  private bytesBeforeUnk = false;

  /** The initial symbols as HF's merge_word writes them, with its lengths: UTF-8 bytes (a byte token 1, an unknown
   * token its characters' bytes), for a model without prefix or suffix. A piece's offsets come from these where HF
   * writes byte tokens before a pending unknown token: they then sit at the unknown characters' bytes, and the unknown
   * token at the byte-fallback character's (HF's spans, which unit lengths cannot express). Returns the count. */
  private byteLengthSymbols(piece: string): number {
    this.lengthsInBytes = true;
    try {
      return this.initialSymbols(piece);
    } finally {
      this.lengthsInBytes = false;
    }
  }
  /** Whether symbolsOf writes lengths in UTF-8 bytes rather than UTF-16 units (byteLengthSymbols' run). */
  private lengthsInBytes = false;

  /** initialSymbols' work for piece[from, to), written from `n`; returns the new count. */
  private symbolsOf(piece: string, from: number, to: number, n: number): number {
    if (this.pendingUnk < 0 && !this.continuingSubwordPrefix && !this.endOfWordSuffix && !this.lengthsInBytes) {
      n = this.plainSymbolsOf(piece, from, to, n);
      while (plainOutOfRoom) {
        plainOutOfRoom = false;
        ensureSymbols(n + 5 + piece.length - plainStop);
        n = this.plainSymbolsOf(piece, plainStop, to, n);
      }
      from = plainStop;
      if (from === to) return n;
    }
    let unkId = this.pendingUnk;
    let unkLen = this.pendingUnkLen;
    const unk = this.unkToken === null ? undefined : this.vocab.id(this.unkToken);
    for (let i = from; i < to; ) {
      // A symbol's length: its units, or in the byte-length mode its UTF-8 size (4 bytes exactly for a surrogate
      // pair, so the width follows from it without a second look at the pair).
      const len = this.lengthsInBytes ? utf8Length(piece, i) : cpLen(piece, i);
      const w = this.lengthsInBytes ? (len === 4 ? 2 : 1) : len;
      const end = i + w;
      const id = this.charId(piece, i, end, i === 0, end === piece.length);
      if (id !== undefined) {
        if (unkId >= 0) {
          symbolIds[n] = unkId;
          symbolLens[n++] = unkLen;
          unkId = -1;
        }
        symbolIds[n] = id;
        symbolLens[n++] = len;
      } else {
        // (A pending unknown stays pending across the bytes, as in HF's merge_word.)
        if (this.byteIds) {
          const m = this.writeBytes(piece, i, end, n);
          if (m >= 0) {
            // HF places bytes met while an unknown token is pending before it, at its bytes' positions.
            if (unkId >= 0) this.bytesBeforeUnk = true;
            n = m;
            i = end;
            continue;
          }
        }
        if (unk !== undefined) {
          if (unkId >= 0 && this.fuseUnk) unkLen += len;
          else {
            if (unkId >= 0) {
              symbolIds[n] = unkId;
              symbolLens[n++] = unkLen;
            }
            unkId = unk;
            unkLen = len;
          }
        } else if (this.unkToken !== null) {
          throw new TokenizerError(`BPE: the unknown token ${JSON.stringify(this.unkToken)} is not in the vocabulary`);
        }
        // With no unknown token at all, HF drops the character.
      }
      i = end;
    }
    this.pendingUnk = unkId;
    this.pendingUnkLen = unkLen;
    return n;
  }

  /** symbolsOf's loop for a model without prefix or suffix while no unknown token is pending: a character's id, or
   * its bytes' ids, and nothing else, so that V8 compiles it in a few milliseconds (symbolsOf with charId and
   * writeBytes took 15–25 ms, a fresh process's first long piece running unoptimised meanwhile). Stops at the first
   * character neither covers (in plainStop; `to` when none), for symbolsOf to go on from, or at one whose bytes the
   * symbol buffers have no room for (plainOutOfRoom set). */
  private plainSymbolsOf(piece: string, from: number, to: number, n: number): number {
    const charIds = this.charIds;
    const byteIds = this.byteIds;
    let i = from;
    while (i < to) {
      const c = piece.charCodeAt(i);
      let w = 1;
      let cp = c;
      let id: number;
      if ((c & 0xfc00) === 0xd800 && i + 1 < piece.length && (piece.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
        w = 2;
        cp = piece.codePointAt(i)!;
        id = this.astralId(cp, piece, i);
      } else {
        id = charIds[c]!;
        if (id === -2) id = this.unitId(c);
        // A lone surrogate's bytes are U+FFFD's (as utf8Encode writes it).
        if ((c & 0xf800) === 0xd800) cp = 0xfffd;
      }
      if (id >= 0) {
        symbolIds[n] = id;
        symbolLens[n++] = w;
      } else {
        if (byteIds === null) break;
        // Room for its bytes (at most 4) and one symbol for each unit after it; symbolsOf grows the buffers and calls
        // again (a call here, first made after V8 compiled the loop, would have the compiled code given up).
        if (n + 5 + piece.length - i - w > symbolIds.length) {
          plainStop = i;
          plainOutOfRoom = true;
          return n;
        }
        const bytes = byteScratch.bytes;
        const count = utf8OfCodePoint(cp, bytes);
        let ok = 0;
        for (let k = 0; k < count; k++) ok |= symbolIds[n + k] = byteIds[bytes[k]!]!;
        // A byte without a token (−1 ORs negative): the character is symbolsOf's (what was written is overwritten).
        if (ok < 0) break;
        // Every byte token points at the whole character in the offsets.
        symbolLens[n] = w;
        for (let k = 1; k < count; k++) symbolLens[n + k] = 0;
        n += count;
      }
      i += w;
    }
    plainStop = i;
    return n;
  }

  /** charId's lookup of one UTF-16 unit not looked up yet, kept in charIds. */
  private unitId(c: number): number {
    return (this.charIds[c] = this.vocab.id(String.fromCharCode(c)) ?? -1);
  }

  /** charId's lookup of a character past the BMP (the surrogate pair at piece[at]), kept in astralIds. */
  private astralId(cp: number, piece: string, at: number): number {
    const id = this.astralIds.get(cp);
    if (id !== undefined) return id;
    if (this.astralIds.size >= ASTRAL_KEPT) this.astralIds.clear();
    const found = this.vocab.id(piece.slice(at, at + 2)) ?? -1;
    this.astralIds.set(cp, found);
    return found;
  }

  /** <0xNN> symbols for the UTF-8 bytes of one character (with prefix/suffix, as HF spells it), written into symbolIds
   * and symbolLens from `at`; the new count, or −1 (nothing written) if one is missing. */
  private writeBytes(piece: string, start: number, end: number, at: number): number {
    const prefix = start > 0 && this.continuingSubwordPrefix;
    const suffix = end === piece.length && this.endOfWordSuffix;
    let n: number;
    if (prefix || suffix) n = utf8Encode((prefix || "") + piece.slice(start, end) + (suffix || ""), byteScratch);
    else {
      // The character alone, from its code point (a lone surrogate as U+FFFD, as utf8Encode writes it): no string
      // made for each character of a run that falls back to bytes (an emoji chain through Llama 2).
      const c = piece.codePointAt(start)!;
      n = utf8OfCodePoint(c >= 0xd800 && c <= 0xdfff ? 0xfffd : c, byteScratch.bytes);
    }
    const bytes = byteScratch.bytes;
    for (let k = 0; k < n; k++) if (this.byteIds![bytes[k]!]! < 0) return -1;
    // The symbols written so far and these, plus one for each unit after this character.
    ensureSymbols(at + n + piece.length - end + 1);
    // Every byte token points at the whole character in the offsets (in bytes: at its own byte).
    for (let k = 0; k < n; k++) {
      symbolIds[at + k] = this.byteIds![bytes[k]!]!;
      symbolLens[at + k] = this.lengthsInBytes ? 1 : k === 0 ? end - start : 0;
    }
    return at + n;
  }

  private byteLevelIds(): Int32Array | null {
    if (this.byteLevelTable !== undefined) return this.byteLevelTable;
    let table: Int32Array | null = null;
    const alphabet = byteLevelAlphabet();
    if (!this.continuingSubwordPrefix && !this.endOfWordSuffix && !this.useDropout()) {
      table = new Int32Array(256);
      for (let b = 0; b < 256 && table; b++) {
        const id = this.vocab.id(alphabet[b]!);
        if (id === undefined) table = null;
        else table[b] = id;
      }
    }
    if (table) {
      // Filled as pairs are met (NaN: not looked up yet): with a MergeRule every lookup is a resolution, and a text
      // meets a few thousand of the 65,536 byte pairs.
      this.bytePairMerges = new Float64Array(65536).fill(NaN);
      if (this.ignoreMerges) this.byteTokens = this.mergeRule?.byteTokens ?? byteLevelTokenTable(this.vocab.entries(), new ByteStringTable(this.vocab.size, this.vocab.size * 8));
    }
    this.byteLevelTable = table;
    return table;
  }

  /** tokenizeIds(byteLevelText(text.slice(start, end))) without building either string: the UTF-8 bytes go straight
   * into the merge buffers as ids. False (nothing appended) when the model's symbols are not plain byte tokens. */
  tokenizeByteLevelIds(text: string, start: number, end: number, out: number[]): boolean {
    const table = this.byteLevelIds();
    if (!table) return false;
    let n: number;
    if (end - start > SCAN_LIMIT) n = longByteSymbols(text, start, end, table);
    else {
      growScratch(3 * (end - start));
      n = byteSymbols(text, start, end, table, scratchBytes, scratchIds);
    }
    const bytes = scratchBytes;
    const ids = scratchIds;
    if (this.byteTokens) {
      // ignore_merges: a piece that is itself a token is emitted whole (the lookup tiktoken does first, too).
      const whole = this.byteTokens.get(bytes, 0, n);
      if (whole >= 0) {
        out.push(whole);
        return true;
      }
    }
    if (n > SCAN_LIMIT) {
      appendRange(out, ids, 0, this.mergeLong(ids, null, n));
      shrinkScratch();
      return true;
    }
    const ranks = scratchRanks;
    const pairs = this.bytePairMerges!;
    for (let i = 0; i + 1 < n; i++) {
      const k = (bytes[i]! << 8) | bytes[i + 1]!;
      let rank = pairs[k]!;
      if (rank !== rank) rank = pairs[k] = this.merges.get(ids[i]!, ids[i + 1]!);
      ranks[i] = rank;
    }
    const m = this.mergeScan(n, true, false);
    for (let i = 0; i < m; i++) out.push(ids[i]!);
    return true;
  }

  // ---- merging ----

  /** Lowest rank first, leftmost on ties, by a linear scan over the pair ranks (quadratic in the symbol count, which
   * stays small here); only the two ranks next to a merge are looked up again. Returns the new symbol count.
   * `ranksReady`: scratchRanks already holds the pair ranks, Infinity where a pair does not merge. `withLens`: false
   * when the caller reads only the ids (scratchLens is then left stale). */
  private mergeScan(n: number, ranksReady = false, withLens = true): number {
    const ids = scratchIds;
    const lens = scratchLens;
    const ranks = scratchRanks;
    const merges = this.merges;
    if (!ranksReady) for (let i = 0; i + 1 < n; i++) ranks[i] = merges.get(ids[i]!, ids[i + 1]!);
    if (n >= BLOCK_FROM && n <= SCAN_LIMIT) return this.mergeBlocks(n, withLens);
    while (n > 1) {
      let best = Infinity;
      let at = -1;
      for (let i = 0; i + 1 < n; i++) {
        if (ranks[i]! < best) {
          best = ranks[i]!;
          at = i;
        }
      }
      if (at < 0) break;
      ids[at] = mergedIdOf(best);
      for (let i = at + 1; i + 1 < n; i++) {
        ids[i] = ids[i + 1]!;
        ranks[i] = ranks[i + 1]!;
      }
      if (withLens) {
        lens[at]! += lens[at + 1]!;
        for (let i = at + 1; i + 1 < n; i++) lens[i] = lens[i + 1]!;
      }
      n--;
      if (at > 0) ranks[at - 1] = merges.get(ids[at - 1]!, ids[at]!);
      if (at + 1 < n) ranks[at] = merges.get(ids[at]!, ids[at + 1]!);
    }
    return n;
  }

  /** mergeScan's order (lowest rank first, leftmost on ties) for longer runs, with the pair ranks already in
   * scratchRanks. Symbols stay where they are, linked to their live neighbours; each block of `width` positions keeps
   * its lowest rank, so a merge reads the block minima and one block, and refreshes at most three blocks, instead of
   * reading and shifting every pair. Returns the new symbol count (the symbols compacted to the front). */
  private mergeBlocks(n: number, withLens: boolean): number {
    const ids = scratchIds;
    const lens = scratchLens;
    const ranks = scratchRanks;
    const merges = this.merges;
    const next = blockNext;
    const prev = blockPrev;
    const lowest = blockLowest;
    const width = n < 128 ? 8 : 16;
    const blocks = Math.ceil(n / width);
    // A merged-away position and the last symbol read as Infinity, as a pair that does not merge does.
    ranks[n - 1] = Infinity;
    for (let i = 0; i < n; i++) (next[i] = i + 1), (prev[i] = i - 1);
    for (let b = 0; b < blocks; b++) lowest[b] = blockLow(ranks, b, width, n);
    for (;;) {
      let best = Infinity;
      let block = -1;
      for (let b = 0; b < blocks; b++) {
        if (lowest[b]! < best) {
          best = lowest[b]!;
          block = b;
        }
      }
      if (block < 0) break;
      let at = block * width;
      while (ranks[at] !== best) at++;
      const right = next[at]!;
      const after = next[right]!;
      ids[at] = mergedIdOf(best);
      if (withLens) lens[at]! += lens[right]!;
      ranks[right] = Infinity;
      next[at] = after;
      if (after < n) {
        prev[after] = at;
        ranks[at] = merges.get(ids[at]!, ids[after]!);
      } else ranks[at] = Infinity;
      const before = prev[at]!;
      if (before >= 0) {
        ranks[before] = merges.get(ids[before]!, ids[at]!);
        const b = (before / width) | 0;
        if (b !== block) lowest[b] = blockLow(ranks, b, width, n);
      }
      lowest[block] = blockLow(ranks, block, width, n);
      const r = (right / width) | 0;
      if (r !== block) lowest[r] = blockLow(ranks, r, width, n);
    }
    let m = 0;
    for (let i = 0; i < n; i = next[i]!) {
      ids[m] = ids[i]!;
      if (withLens) lens[m] = lens[i]!;
      m++;
    }
    return m;
  }

  /** A long piece's merge (more than SCAN_LIMIT symbols), in place; returns the new symbol count. HF's order (lowest
   * rank first, leftmost on ties): by rank lists in wasm (rank-merge.ts) while this model's merges have only made
   * pairs ranked above themselves, by the heap once one did not, and where wasm cannot run (no WebAssembly, a piece
   * past a wasm memory's reach). The rank lists give up before writing anything, so the heap starts from the same
   * symbols. `len` null: the caller reads only the ids. */
  private mergeLong(sym: Int32Array, len: Int32Array | null, n: number): number {
    if (this.ranksRise) {
      if (this.rankMerge === undefined) this.rankMerge = WasmRankMerge.for(this.merges, this.vocab.idLimit);
      const m = this.rankMerge ? this.rankMerge.merge(sym, len, n) : -2;
      if (m >= 0) return m;
      if (m === -1) this.ranksRise = false;
    }
    return this.mergeHeap(sym, len, n, 0);
  }
  /** False once a merge of this model made a pair ranked at or below its own (a merges list not in training order; a
   * rank file where a token ranks below one of its parts, or two splits of one token meet in a piece): the rank
   * lists' order would then differ from HF's. */
  private ranksRise = true;
  /** The rank-list merge in wasm (made at the first long piece): null without WebAssembly. */
  private rankMerge: WasmRankMerge | null | undefined = rankMergeInWasm ? undefined : null;

  /** The heap-based merge of HF (linked symbols, merged-away ones marked by next = −2, stale entries skipped):
   * O(n log n) in the piece length. Merges
   * sym[0..n) / len[0..n) in place and returns the new symbol count. The heap lives in typed arrays ordered by
   * (rank, position), HF's order. */
  private mergeHeap(sym: Int32Array, len: Int32Array | null, n: number, dropout: number): number {
    const merges = this.merges;
    const prev = new Int32Array(n);
    const next = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      prev[i] = i - 1;
      next[i] = i + 1 < n ? i + 1 : -1;
    }
    const heap = new MergeHeap(n);
    for (let i = 0; i + 1 < n; i++) {
      const r = merges.rank(sym[i]!, sym[i + 1]!);
      if (r !== NO_RANK) heap.push(r, i);
    }
    const skipped: number[] = [];
    while (heap.size > 0) {
      const v = heap.topValue();
      const pos = heap.topPosition();
      heap.pop();
      if (dropout > 0 && this.random() < dropout) {
        skipped.push(v, pos);
        continue;
      }
      for (let k = 0; k < skipped.length; k += 2) heap.push(skipped[k]!, skipped[k + 1]!);
      skipped.length = 0;
      // A merged-away position, or one whose pair changed since the push, is a stale entry.
      const right = next[pos]!;
      if (right < 0 || merges.rank(sym[pos]!, sym[right]!) !== v) continue;
      sym[pos] = merges.mergedId(v);
      if (len) len[pos]! += len[right]!;
      const after = next[right]!;
      next[right] = -2;
      next[pos] = after;
      if (after >= 0) prev[after] = pos;
      const before = prev[pos]!;
      if (before >= 0) {
        const r = merges.rank(sym[before]!, sym[pos]!);
        if (r !== NO_RANK) heap.push(r, before);
      }
      if (after >= 0) {
        const r = merges.rank(sym[pos]!, sym[after]!);
        if (r !== NO_RANK) heap.push(r, pos);
      }
    }
    return compactAll(sym, len, next, n);
  }

  private mergeWord(piece: string, dropout: number): Word {
    let count = this.initialSymbols(piece);
    const byteLengths = this.bytesBeforeUnk && !this.continuingSubwordPrefix && !this.endOfWordSuffix;
    if (byteLengths) count = this.byteLengthSymbols(piece);
    const ids = symbolIds;
    const lens = symbolLens;
    if (dropout > 0) {
      const sym = ids.slice(0, count);
      const len = lens.slice(0, count);
      shrinkSymbols();
      const m = this.mergeHeap(sym, len, count, dropout);
      return { ids: sym.slice(0, m), lens: len.slice(0, m), byteLengths };
    }
    // The runs between cuts merge on their own (no merge crosses a cut): a Llama line of words costs the sum of its
    // words' squares in the linear scan, not the square of its length, and nothing is allocated per word.
    if (wordIds.length < count) (wordIds = new Int32Array(2 * count)), (wordLens = new Int32Array(2 * count));
    const word: Word = { ids: wordIds, lens: wordLens };
    const cut = this.cutBefore;
    let n = 0;
    let start = 0;
    // (A piece with no marker after its start, such as each run tokenizeIds cuts, skips the walk; lengths in bytes
    // do not find the markers, and the piece merges whole, as it would anyway.)
    if (cut >= 0 && !byteLengths && piece.indexOf(CUT_MARKER, 1) > 0) {
      for (let i = 1, at = count > 0 ? lens[0]! : 0; i < count; at += lens[i]!, i++) {
        if (lens[i]! > 0 && piece.charCodeAt(at) === cut && piece.charCodeAt(at - 1) !== cut) {
          n = this.mergeRun(ids, lens, start, i, word, n);
          start = i;
        }
      }
    }
    n = this.mergeRun(ids, lens, start, count, word, n);
    const merged = { ids: word.ids.slice(0, n), lens: word.lens.slice(0, n), byteLengths };
    shrinkSymbols();
    return merged;
  }

  /** Merges symbols [start, end) alone and writes the result into `out` from index `at`; returns the new end. */
  private mergeRun(ids: Int32Array, lens: Int32Array, start: number, end: number, out: Word, at: number): number {
    const n0 = end - start;
    if (n0 > SCAN_LIMIT) {
      // The long merges work in place: the run is copied into `out` and merged there.
      out.ids.set(ids.subarray(start, end), at);
      out.lens.set(lens.subarray(start, end), at);
      return at + this.mergeLong(out.ids.subarray(at, at + n0), out.lens.subarray(at, at + n0), n0);
    }
    growScratch(n0);
    for (let i = 0; i < n0; i++) {
      scratchIds[i] = ids[start + i]!;
      scratchLens[i] = lens[start + i]!;
    }
    const m = this.mergeScan(n0);
    out.ids.set(scratchIds.subarray(0, m), at);
    out.lens.set(scratchLens.subarray(0, m), at);
    return at + m;
  }

  get deterministic(): boolean {
    return !this.useDropout();
  }

  private useDropout(): boolean {
    return this.dropout !== null && this.dropout > 0;
  }

  tokenize(piece: string): Token[] {
    if (piece.length === 0) return [];
    const out: Token[] = [];
    if (this.useDropout()) {
      this.appendTokens(piece, this.mergeWord(piece, this.dropout!), out);
      return out;
    }
    // The tokens are spelled from the ids (one cache, of ids); where ids do not spell the piece (an unknown token, a
    // continuing-subword prefix or an end-of-word suffix) the piece is merged again, keeping each token's length.
    const ids: number[] = [];
    this.tokenizeIds(piece, ids);
    const spelling = this.idSpelling();
    const spelled = spelling && spellPiece(piece, ids, 0, ids.length, spelling);
    if (spelled) return spelled;
    this.appendTokens(piece, this.mergeWord(piece, 0), out);
    return out;
  }

  tokenizeIds(piece: string, out: number[]): void {
    if (piece.length === 0) return;
    if (this.useDropout()) {
      for (const id of this.mergeWord(piece, this.dropout!).ids) out.push(id);
      return;
    }
    if (this.ignoreMerges) {
      const id = this.vocab.id(piece);
      if (id !== undefined) {
        out.push(id);
        return;
      }
    }
    const cut = this.cutBefore;
    if (cut < 0) return this.appendRunIds(piece, 0, piece.length, out);
    // Cut before each "▁" (no merge crosses a cut): a Llama line is one piece, but its words come back, and each is
    // looked up by its span in the line (no substring, no array per word). The cuts are found by indexOf, not a loop
    // of ours: a megabyte with none is one native search.
    const marker = CUT_MARKER;
    let start = 0;
    for (let i = piece.indexOf(marker, 1); i > 0; i = piece.indexOf(marker, i + 1)) {
      if (piece.charCodeAt(i - 1) === cut) continue;
      this.appendRunIds(piece, start, i, out);
      start = i;
    }
    this.appendRunIds(piece, start, piece.length, out);
  }

  /** The ids of a run piece[start, end) through the model's one cache (keyed by the span; long runs bypass it). */
  private appendRunIds(piece: string, start: number, end: number, out: number[]): void {
    if (end - start >= this.runCache.maxKey) return this.appendLongRunIds(piece, start, end, out);
    const h = spanHash(piece, start, end);
    if (!this.runCache.append(h, piece, start, end, out)) this.mergeRunIds(piece, start, end, h, out);
  }

  /** A run the cache does not hold (`h`: its spanHash), merged on its own and kept. */
  private mergeRunIds(piece: string, start: number, end: number, h: number, out: number[]): void {
    const from = out.length;
    const m = this.mergeRunAlone(piece, start, end);
    const ids = runMerged;
    for (let k = 0; k < m; k++) out.push(ids[k]!);
    this.runCache.add(h, piece, start, end, out, from, out.length);
  }

  /** Merges the run piece[start, end) and returns its token count; the ids are runMerged[0, count) (a scratch buffer,
   * valid until the next piece). A run has no cut inside, so it is one mergeRun's work: its symbols go straight to
   * the merge, with no lengths (ids only) and no Word. (Through mergeWord — a Word, lengths — it measured 4–12%
   * slower on short runs (session 18 A/B), and a 1 MB run took ~20 MB more, which V8 counts as external memory:
   * enough to start full collections during encode()'s offsets.) */
  private mergeRunAlone(piece: string, start: number, end: number): number {
    const n0 = this.initialSymbols(start === 0 && end === piece.length ? piece : piece.slice(start, end));
    if (n0 > SCAN_LIMIT) {
      // (In place, in the symbols' own buffers: nothing reads them again before the next piece writes them.)
      runMerged = symbolIds;
      return this.mergeLong(symbolIds.subarray(0, n0), null, n0);
    }
    growScratch(n0);
    for (let i = 0; i < n0; i++) scratchIds[i] = symbolIds[i]!;
    runMerged = scratchIds;
    return this.mergeScan(n0, false, false);
  }

  /** A run too long for the cache: not kept, except the last one. encode() asks for a long piece's ids and then, when
   * its fields are read, for its tokens, and a long run costs the most to merge. */
  private appendLongRunIds(piece: string, start: number, end: number, out: number[]): void {
    const last = this.lastLong;
    let ids = last && last.start === start && last.end === end && last.piece === piece ? last.ids : null;
    if (!ids) {
      const m = this.mergeRunAlone(piece, start, end);
      ids = runMerged.slice(0, m);
      shrinkSymbols();
      this.lastLong = { piece, start, end, ids };
    }
    appendRange(out, ids, 0, ids.length);
  }
  private readonly runCache = new SpanIdCache(CACHE_CAPACITY);
  private lastLong: { piece: string; start: number; end: number; ids: Int32Array } | null = null;

  idSpelling(): Spelling | null {
    // A prefix or suffix makes a token's string differ from the text it covers.
    if (this.continuingSubwordPrefix || this.endOfWordSuffix) return null;
    if (this.spelling) return this.spelling;
    // A vocabulary not yet spelled whole is spelled only as encode() meets its ids (the vocabulary keeps them). The
    // list is written here too: if the whole list is built later, it is not the one the vocabulary fills.
    const vocab = this.vocab;
    const tokens = vocab.tokensMet;
    return (this.spelling = {
      tokens,
      spell: (id) => (tokens[id] = vocab.token(id)),
      byteOf: this.byteIds && byteValues(this.byteIds, this.vocab.idLimit),
      byteSpans: "char",
      unkId: this.unkToken === null ? -1 : (this.vocab.id(this.unkToken) ?? -1),
      lengths: new Int32Array(this.vocab.idLimit),
    });
  }
  private spelling: Spelling | undefined;

  private appendTokens(piece: string, word: Word, out: Token[]): void {
    if (word.byteLengths) return this.appendByteSpanTokens(piece, word, out);
    let pos = 0;
    for (let i = 0; i < word.ids.length; i++) {
      const len = word.lens[i]!;
      const id = word.ids[i]!;
      // Byte-fallback tokens after the first of a character have length 0 and share its span.
      const start = len === 0 ? out[out.length - 1]!.start : pos;
      const end = len === 0 ? out[out.length - 1]!.end : pos + len;
      out.push({ id, value: this.vocab.token(id) ?? "", start, end });
      pos += len;
    }
  }

  /** appendTokens for a word whose lengths are UTF-8 bytes: each token spans the characters that hold its first and
   * its last byte (HF's conversion of byte offsets to characters). */
  private appendByteSpanTokens(piece: string, word: Word, out: Token[]): void {
    // Two walks over the characters: the one holding a token's first byte and the one holding its last.
    const first = { unit: 0, byte: 0 };
    const last = { unit: 0, byte: 0 };
    let pos = 0;
    for (let i = 0; i < word.ids.length; i++) {
      const id = word.ids[i]!;
      const end = pos + word.lens[i]!;
      const start = characterHolding(piece, first, pos);
      characterHolding(piece, last, end - 1);
      out.push({ id, value: this.vocab.token(id) ?? "", start, end: last.unit + cpLen(piece, last.unit) });
      pos = end;
    }
  }

  /** packMerge(rank, merged id) of the merge that joins `left` then `right`, or −1 when they never merge. */
  pairMerge(left: number, right: number): number {
    const m = this.merges.get(left, right);
    return m === NO_MERGE ? -1 : m;
  }

  /** The merges in rank order, as token pairs. */
  get mergeList(): [string, string][] {
    return (this.mergeStrings ??= spellMerges((this.mergeIds ??= this.mergeRule!.list()), this.vocab.tokens));
  }

  /** The merges in rank order. */
  getMerges(): [string, string][] {
    return this.mergeList.map(([a, b]) => [a, b]);
  }

  toJSON(): JsonObject {
    return keepKeys(this.source, {
      type: "BPE",
      dropout: this.dropout,
      unk_token: this.unkToken,
      continuing_subword_prefix: this.continuingSubwordPrefix,
      end_of_word_suffix: this.endOfWordSuffix,
      fuse_unk: this.fuseUnk,
      byte_fallback: this.byteFallback,
      ignore_merges: this.ignoreMerges,
      vocab: this.vocab.toJSON(),
      merges: this.mergeShape === "strings" ? this.mergeList.map(([a, b]) => `${a} ${b}`) : this.mergeList.map(([a, b]) => [a, b]),
    });
  }
}

/** mergeRunIds' initial symbols of a run (reused from run to run). */
// A piece's initial symbols (initialSymbols), their ids and lengths.
let symbolIds = new Int32Array(256);
let symbolLens = new Int32Array(256);

/** Room for n initial symbols, those already written kept. */
function ensureSymbols(n: number): void {
  if (symbolIds.length >= n) return;
  symbolIds = grow(symbolIds, n);
  symbolLens = grow(symbolLens, n);
}

/** Lets go of the symbol and word arrays grown for a huge piece (16 bytes a character), keeping what pieces of a few
 * thousand characters need. */
function shrinkSymbols(): void {
  const kept = 1 << 16;
  if (symbolIds.length > kept) (symbolIds = new Int32Array(kept)), (symbolLens = new Int32Array(kept));
  if (wordIds.length > kept) (wordIds = new Int32Array(kept)), (wordLens = new Int32Array(kept));
}
/** Moves `at` (a character's first unit and its first UTF-8 byte in `piece`) forward to the character holding byte
 * `byte`; returns its unit. */
function characterHolding(piece: string, at: { unit: number; byte: number }, byte: number): number {
  for (;;) {
    // (A character is 4 bytes long exactly when it is a surrogate pair.)
    const size = utf8Length(piece, at.unit);
    const w = size === 4 ? 2 : 1;
    if (byte < at.byte + size || at.unit + w >= piece.length) return at.unit;
    at.unit += w;
    at.byte += size;
  }
}

/** Where plainSymbolsOf stopped: the end of its range, or the character it left to symbolsOf or had no room for
 * (then plainOutOfRoom). */
let plainStop = 0;
let plainOutOfRoom = false;
/** Where mergeRunAlone left a run's merged ids (the symbols' buffer or the scan's scratch). */
let runMerged = symbolIds;
/** Where mergeWord gathers a piece's merged runs before its result is sliced out (reused across calls). */
let wordIds = new Int32Array(256);
let wordLens = new Int32Array(256);

/** charId's map of characters past the BMP is emptied when it reaches this many (a text of random emoji would
 * otherwise grow it without end). */
const ASTRAL_KEPT = 1 << 12;
/** The UTF-8 bytes of one character (with a prefix or suffix: a few more) for writeBytes. */
const byteScratch = { bytes: new Uint8Array(64) };
