// tiktoken rank files ("<base64 bytes> <rank>" per line) ⇄ byte-level BPE tokenizer.json.
//
// tiktoken merges, at every step, the adjacent pair whose concatenation has the lowest rank, whatever pair it came
// from. A BPE merge list reproduces that exactly when it holds every split (left, right) of every token whose two
// parts are tokens too, ordered by the rank of the result (this is also the list Hugging Face's converter writes).
// `ignore_merges` gives tiktoken's shortcut: a pre-token that is itself a rank is emitted whole.

import type { JsonObject } from "../tokenize/types.js";
import { TokenizerError } from "../tokenize/types.js";
import { byteLevelAlphabet, byteLevelBytesInto } from "../tokenize/byte-vocabulary.js";
import { byteLevelTokenTable, spellMerges, type MergeRule } from "../tokenize/models/bpe.js";
import { lazyBpeModelJson, parseJsonAround } from "../tokenize/tokenizer-json.js";
import { Vocabulary } from "../tokenize/models/vocab.js";
import { ByteStringTable, HASH_MULTIPLIER, hashBytes, hashPowers, substringHash } from "../util/byte-string-table.js";
import { base64DecodeInto, base64Encode } from "../util/base64.js";
import { readRankTables, type RankLayout } from "./rank-tables.js";
// r50k_base and p50k_base use GPT-2's pattern; cl100k_base and Llama 3 share one (Meta's tokenizer.py copies OpenAI's).
import { modelTypeOf } from "../tokenize/models/index.js";
import { GPT2_PATTERN_SOURCE, LLAMA3_PATTERN_SOURCE, O200K_PATTERN_SOURCE } from "../tokenize/pretokenizers/patterns.js";
import { setOwn } from "../tokenize/json-fields.js";

const utf8 = new TextDecoder("utf-8");

export interface TiktokenOptions {
  /** Pre-tokenizer regex (tiktoken's `pat_str`); required for rank files that are not recognised. */
  pattern?: string;
  /** Special tokens and their ids; replaces the known model's set when given. */
  specialTokens?: Record<string, number>;
  /** Named in error messages. */
  fileName?: string;
}

/** A rank file we recognise, with what its model's code (not the file) defines. */
export interface KnownTiktokenEncoding {
  name: string;
  /** Number of ranks in the file and FNV-1a hash of the bytes of its last 64 ranks (see rankFingerprint). */
  rankCount: number;
  fingerprint: number;
  pattern: string;
  specialTokens: Record<string, number>;
  /** Special token put before every sequence by the post-processor (Llama 3's <|begin_of_text|>). */
  bosToken?: string;
}

function llama3SpecialTokens(): Record<string, number> {
  // Order as in Meta's Llama 3 tokenizer.py: 10 named/reserved slots, then reserved 5..250; ids follow the ranks.
  const names = [
    "<|begin_of_text|>",
    "<|end_of_text|>",
    "<|reserved_special_token_0|>",
    "<|reserved_special_token_1|>",
    "<|reserved_special_token_2|>",
    "<|reserved_special_token_3|>",
    "<|start_header_id|>",
    "<|end_header_id|>",
    "<|reserved_special_token_4|>",
    "<|eot_id|>",
  ];
  for (let i = 5; i < 251; i++) names.push(`<|reserved_special_token_${i}|>`);
  const out: Record<string, number> = {};
  names.forEach((n, i) => (out[n] = 128000 + i));
  return out;
}

export const KNOWN_TIKTOKEN_ENCODINGS: readonly KnownTiktokenEncoding[] = [
  {
    name: "cl100k_base",
    rankCount: 100256,
    fingerprint: 0x2b55ad69,
    pattern: LLAMA3_PATTERN_SOURCE,
    specialTokens: {
      "<|endoftext|>": 100257,
      "<|fim_prefix|>": 100258,
      "<|fim_middle|>": 100259,
      "<|fim_suffix|>": 100260,
      "<|endofprompt|>": 100276,
    },
  },
  {
    name: "o200k_base",
    rankCount: 199998,
    fingerprint: 0x2fcb3be8,
    pattern: O200K_PATTERN_SOURCE,
    specialTokens: { "<|endoftext|>": 199999, "<|endofprompt|>": 200018 },
  },
  {
    name: "p50k_base",
    rankCount: 50280,
    fingerprint: 0x1e00855b,
    pattern: GPT2_PATTERN_SOURCE,
    specialTokens: { "<|endoftext|>": 50256 },
  },
  {
    name: "r50k_base",
    rankCount: 50256,
    fingerprint: 0x1d69353f,
    pattern: GPT2_PATTERN_SOURCE,
    specialTokens: { "<|endoftext|>": 50256 },
  },
  {
    name: "llama3",
    rankCount: 128000,
    fingerprint: 0xd4cf63bd,
    pattern: LLAMA3_PATTERN_SOURCE,
    specialTokens: llama3SpecialTokens(),
    bosToken: "<|begin_of_text|>",
  },
];

const RANK_LINE = /^[A-Za-z0-9+/]+={0,2} \d+\r?$/;

/** Cheap sniff: the first non-empty lines look like "<base64> <integer>". */
export function isTiktokenRanks(text: string): boolean {
  let checked = 0;
  let pos = 0;
  while (checked < 8 && pos < text.length) {
    let end = text.indexOf("\n", pos);
    if (end < 0) end = text.length;
    const line = text.slice(pos, end);
    pos = end + 1;
    if (line.trim() === "") continue;
    if (!RANK_LINE.test(line)) return false;
    checked++;
  }
  return checked > 0;
}

/** Byte string of each rank (index = rank); a missing rank is a hole (p50k_base leaves one for <|endoftext|>). */
export type TiktokenRanks = readonly (Uint8Array | undefined)[];

/** Ranks above this are a corrupt file, not a vocabulary (the largest real ones have ~200k). */
const MAX_RANK = 50_000_000;

/**
 * Ranks in one buffer — rank r is bytes[start[r], end[r]), a hole has end −1 — which is how the loader holds them:
 * 200k small arrays (even views) cost it ~60 ms to make and a major GC after.
 */
export class PackedRanks {
  private startAt: Int32Array = new Int32Array(1024);
  private endAt: Int32Array = new Int32Array(1024).fill(-1);
  /** Highest rank + 1. */
  length = 0;

  constructor(readonly bytes: Uint8Array) {}

  /** Ranks whose arrays were filled elsewhere (see rank-tables.ts). */
  static fromTables(bytes: Uint8Array, startAt: Int32Array, endAt: Int32Array, length: number): PackedRanks {
    const packed = new PackedRanks(bytes);
    packed.startAt = startAt;
    packed.endAt = endAt;
    packed.length = length;
    return packed;
  }

  static fromArray(ranks: TiktokenRanks): PackedRanks {
    let total = 0;
    for (const r of ranks) if (r !== undefined) total += r.length;
    const packed = new PackedRanks(new Uint8Array(total));
    let at = 0;
    ranks.forEach((r, rank) => {
      if (r === undefined) return;
      packed.bytes.set(r, at);
      packed.set(rank, at, (at += r.length));
    });
    return packed;
  }

  /** Rank `rank` is bytes[start, end). */
  set(rank: number, start: number, end: number): void {
    if (rank >= this.startAt.length) {
      const size = Math.max(2 * this.startAt.length, rank + 1);
      const grownStart = new Int32Array(size);
      grownStart.set(this.startAt);
      const grownEnd = new Int32Array(size).fill(-1);
      grownEnd.set(this.endAt);
      this.startAt = grownStart;
      this.endAt = grownEnd;
    }
    this.startAt[rank] = start;
    this.endAt[rank] = end;
    this.length = Math.max(this.length, rank + 1);
  }

  has(rank: number): boolean {
    return rank >= 0 && rank < this.length && this.endAt[rank]! >= 0;
  }

  start(rank: number): number {
    return this.startAt[rank]!;
  }

  end(rank: number): number {
    return this.endAt[rank]!;
  }

  toArray(): (Uint8Array | undefined)[] {
    return Array.from({ length: this.length }, (_, r) => (this.has(r) ? this.bytes.subarray(this.start(r), this.end(r)) : undefined));
  }
}

/** Parses a rank file. Ranks and tokens must not repeat; holes are checked against the special tokens later. */
export function parseTiktokenRanks(text: string, fileName = "tiktoken ranks"): (Uint8Array | undefined)[] {
  return parseRanks(text, fileName).ranks.toArray();
}

/** Ranks held two ways: by rank, and by bytes (the table that found duplicates, handed on to RankMerges). */
export interface IndexedRanks {
  ranks: PackedRanks;
  table: ByteStringTable | null;
}

/**
 * Ranks as both parsers read them: every token's base64 decoded straight into one buffer (no string or array per
 * token) and filed by rank and by bytes, refusing a repeated rank or token and an implausible rank.
 */
class RankCollector {
  readonly ranks: PackedRanks;
  readonly table: ByteStringTable;
  private used = 0;

  constructor(textLength: number) {
    this.ranks = new PackedRanks(new Uint8Array(Math.ceil((textLength * 3) / 4)));
    this.table = new ByteStringTable(Math.ceil(textLength / 10), Math.ceil(textLength / 2));
  }

  /** Decodes the base64 in text[start, end) as the next token; its byte length, or ≤ 0 when invalid or empty. */
  decode(text: string, start: number, end: number): number {
    return base64DecodeInto(text, start, end, this.ranks.bytes, this.used);
  }

  /** Files the n bytes just decoded as `rank`: null, or what is wrong ("large", "rank", or the rank that has them). */
  commit(rank: number, n: number): "large" | "rank" | number | null {
    if (rank > MAX_RANK) return "large";
    if (this.ranks.has(rank)) return "rank";
    const prev = this.table.add(this.ranks.bytes, this.used, this.used + n, rank);
    if (prev >= 0) return prev;
    this.ranks.set(rank, this.used, (this.used += n));
    return null;
  }
}

/** The tables rank-tables.wat read, or null where it did not read the text whole. */
function ranksReadInWasm(source: string | Uint8Array, layout: RankLayout): (IndexedRanks & { table: ByteStringTable }) | null {
  const t = readRankTables(source, layout);
  if (!t) return null;
  return { ranks: PackedRanks.fromTables(t.bytes, t.startAt, t.endAt, t.rankLimit), table: ByteStringTable.fromParts({ ...t, data: t.bytes }) };
}

function parseRanks(source: string | Uint8Array, fileName: string): IndexedRanks & { table: ByteStringTable } {
  return ranksReadInWasm(source, "lines") ?? parseRankLines(typeof source === "string" ? source : utf8.decode(source), fileName);
}

/** The JavaScript parsers alone: lines "<base64> <rank>", or with `groups` the packaged form's bpe_ranks. They read
 * whatever rank-tables.wat gives up on, name the line of an error, and are its reference in tests. */
export function parseRanksInJs(text: string, fileName: string, groups: boolean): IndexedRanks & { table: ByteStringTable } {
  return groups ? parseRankGroups(text, fileName) : parseRankLines(text, fileName);
}

function parseRankLines(text: string, fileName: string): IndexedRanks & { table: ByteStringTable } {
  const collector = new RankCollector(text.length);
  let lineNo = 0;
  let pos = 0;
  while (pos < text.length) {
    let end = text.indexOf("\n", pos);
    if (end < 0) end = text.length;
    lineNo++;
    const start = pos;
    pos = end + 1;
    if (end > start && text.charCodeAt(end - 1) === 13) end--;
    // Blank lines are skipped (a line that starts with white space is rare: trim() it to be sure).
    if (end === start || (/\s/.test(text[start]!) && text.slice(start, end).trim() === "")) continue;
    const where = `${fileName}: line ${lineNo}`;
    const line = () => text.slice(start, end);
    const sp = text.indexOf(" ", start);
    if (sp < 0 || sp >= end || text.lastIndexOf(" ", end - 1) !== sp) throw new TokenizerError(`expected "<base64> <rank>", got ${JSON.stringify(line().slice(0, 80))}`, where);
    const n = collector.decode(text, start, sp);
    if (n <= 0) throw new TokenizerError(`invalid base64 token ${JSON.stringify(text.slice(start, sp).slice(0, 80))}`, where);
    let rank = 0;
    for (let i = sp + 1; i < end; i++) {
      const c = text.charCodeAt(i) - 48;
      if (c < 0 || c > 9 || end - sp - 1 > 15) {
        rank = -1;
        break;
      }
      rank = rank * 10 + c;
    }
    if (rank < 0 || end === sp + 1) throw new TokenizerError(`rank must be a non-negative integer, got ${JSON.stringify(text.slice(sp + 1, end).slice(0, 40))}`, where);
    const problem = collector.commit(rank, n);
    if (problem === "large") throw new TokenizerError(`rank ${rank} is implausibly large`, where);
    if (problem === "rank") throw new TokenizerError(`duplicate rank ${rank}`, where);
    if (problem !== null) throw new TokenizerError(`duplicate token ${JSON.stringify(text.slice(start, sp))} (already rank ${problem})`, where);
  }
  if (collector.ranks.length === 0) throw new TokenizerError("no ranks found", fileName);
  return { ranks: collector.ranks, table: collector.table };
}

/** Number of ranks and FNV-1a (32-bit) of the last 64 ranks' bytes, each followed by a 0xff separator. */
export function rankFingerprint(ranks: TiktokenRanks | PackedRanks): { rankCount: number; fingerprint: number } {
  const packed = ranks instanceof PackedRanks ? ranks : PackedRanks.fromArray(ranks);
  let h = 0x811c9dc5;
  const mix = (b: number) => {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  };
  let count = 0;
  for (let r = 0; r < packed.length; r++) if (packed.has(r)) count++;
  let first = packed.length;
  for (let seen = 0; first > 0 && seen < 64; ) if (packed.has(--first)) seen++;
  for (let r = first; r < packed.length; r++) {
    if (!packed.has(r)) continue;
    for (let i = packed.start(r); i < packed.end(r); i++) mix(packed.bytes[i]!);
    mix(0xff);
  }
  return { rankCount: count, fingerprint: h >>> 0 };
}

/** The known encoding these ranks belong to, or null. */
export function identifyTiktokenRanks(ranks: TiktokenRanks | PackedRanks): KnownTiktokenEncoding | null {
  const { rankCount, fingerprint } = rankFingerprint(ranks);
  return KNOWN_TIKTOKEN_ENCODINGS.find((k) => k.rankCount === rankCount && k.fingerprint === fingerprint) ?? null;
}

/** Byte-level BPE vocabulary and merges equivalent to tiktoken's rank rule (see the file comment), spelled out. */
export function ranksToByteLevelBpe(ranks: TiktokenRanks): { vocab: Map<string, number>; merges: [string, string][] } {
  const { vocab, merges } = byteLevelRanks(PackedRanks.fromArray(ranks), null, new Map());
  return { vocab: vocab.ids, merges: spellMerges(merges.list(), vocab.tokens) };
}

/**
 * The same, as the loader holds it: the byte-level spelling of every rank, token → id, and the merges as a rule
 * (RankMerges) that BpeModel asks pair by pair, so loading a 200k-rank file does not enumerate its 450k merges.
 */
function byteLevelRanks(packed: PackedRanks, table: ByteStringTable | null, specials: ReadonlyMap<string, number>): { vocab: Vocabulary; merges: RankMerges; rankOf: (token: string) => number | undefined } {
  let total = 0;
  let count = 0;
  for (let r = 0; r < packed.length; r++) if (packed.has(r)) (total += packed.end(r) - packed.start(r)), count++;
  const ranks = table ?? rankTable(packed, total);
  let scratch = new Uint8Array(64);
  let idLimit = packed.length;
  for (const id of specials.values()) idLimit = Math.max(idLimit, id + 1);
  /** The rank spelled `token` in the byte-level alphabet. */
  const rankOf = (token: string): number | undefined => {
    if (token.length === 0) return undefined;
    if (token.length > scratch.length) scratch = new Uint8Array(token.length * 2);
    if (!byteLevelBytesInto(token, scratch)) return undefined;
    const r = ranks.get(scratch, 0, token.length);
    return r >= 0 && packed.has(r) ? r : undefined;
  };
  const alphabet = byteLevelAlphabet();
  const specialOf = new Map([...specials].map(([content, id]) => [id, content]));
  const vocab = new Vocabulary([], {
    size: count + specials.size,
    idLimit,
    id: (token: string) => specials.get(token) ?? rankOf(token),
    has: (id: number) => packed.has(id) || specialOf.has(id),
    token(id: number): string | undefined {
      if (!packed.has(id)) return specialOf.get(id);
      let s = "";
      for (let i = packed.start(id); i < packed.end(id); i++) s += alphabet[packed.bytes[i]!]!;
      return s;
    },
    tokenList: () => spellRankTokens(packed, total, specials),
    build: () => spellRanks(packed, total, specials),
  });
  return { vocab, merges: new RankMerges(packed, ranks), rankOf };
}

/** Every rank's byte-level spelling, and the specials, as token → id and id → token. */
function spellRanks(packed: PackedRanks, total: number, specials: ReadonlyMap<string, number>): { ids: Map<string, number>; tokens: (string | undefined)[] } {
  const tokens = spellRankTokens(packed, total, specials);
  const ids = new Map<string, number>();
  for (let r = 0; r < packed.length; r++) if (packed.has(r)) ids.set(tokens[r]!, r);
  for (const [content, id] of specials) ids.set(content, id);
  return { ids, tokens };
}

/** id → token alone (what encode() needs): every rank's byte-level spelling, and the specials. */
function spellRankTokens(packed: PackedRanks, total: number, specials: ReadonlyMap<string, number>): (string | undefined)[] {
  const alphabet = byteLevelAlphabet();
  const tokens: (string | undefined)[] = new Array(packed.length);
  // Every token's byte-level spelling in one UTF-16 buffer, decoded once and sliced: far cheaper than building
  // 200k strings a character at a time.
  const units = new Uint16Array(total);
  const code = Uint16Array.from(alphabet, (ch) => ch.charCodeAt(0));
  let w = 0;
  for (let r = 0; r < packed.length; r++) if (packed.has(r)) for (let i = packed.start(r); i < packed.end(r); i++) units[w++] = code[packed.bytes[i]!]!;
  const spelled = new TextDecoder("utf-16le").decode(units);
  w = 0;
  for (let r = 0; r < packed.length; r++) if (packed.has(r)) tokens[r] = spelled.slice(w, (w += packed.end(r) - packed.start(r)));
  for (const [content, id] of specials) tokens[id] = content;
  return tokens;
}

/**
 * tiktoken's rule as a BPE MergeRule: (left, right) merges when the concatenation of their bytes is a rank r, at
 * priority r — tiktoken's own order (the lowest rank first, the leftmost on ties). list() spells the merges as HF's
 * conversion lists them (by r, then among r's splits by (left id, right id)), for toJSON; the model built from that
 * list encodes every text tested as this rule does (test/formats/tiktoken.test.ts), so the rule need not place a pair
 * among its rank's splits as the list does (that listed every split of the merged token — a probe of the rank table
 * per byte — at each pair that makes a token).
 */
export class RankMerges implements MergeRule {
  /** bytes → rank. */
  private readonly table: ByteStringTable;
  /** BpeModel's whole-token table (ignore_merges): the rank table, with the specials that join the vocabulary. */
  readonly byteTokens: ByteStringTable;
  private readonly power: Int32Array;
  private readonly prefix: Int32Array;
  private readonly scratch: Uint8Array;
  /** Each rank's hashBytes, computed on first use (hashed[r] = 1 once it is). */
  private readonly hashes: Int32Array;
  private readonly hashed: Uint8Array;

  /** `table`: every rank by its bytes (rankTable). */
  constructor(
    private readonly ranks: PackedRanks,
    table: ByteStringTable,
  ) {
    let longest = 1;
    for (let r = 0; r < ranks.length; r++) if (ranks.has(r)) longest = Math.max(longest, ranks.end(r) - ranks.start(r));
    this.table = table;
    this.byteTokens = table;
    this.power = hashPowers(2 * longest);
    this.prefix = new Int32Array(2 * longest + 1);
    this.scratch = new Uint8Array(2 * longest);
    this.hashes = new Int32Array(ranks.length);
    this.hashed = new Uint8Array(ranks.length);
  }

  private hashOf(rank: number): number {
    if (this.hashed[rank] === 0) {
      this.hashes[rank] = hashBytes(this.ranks.bytes, this.ranks.start(rank), this.ranks.end(rank));
      this.hashed[rank] = 1;
    }
    return this.hashes[rank]!;
  }

  /** Adds tokens that are not ranks (a file's specials, spelled in the byte alphabet) to the whole-token lookup, in
   * place: the table is the rank table, and every read of it as ranks checks that what it found is a rank. */
  addWholeTokens(tokens: [string, number][]): void {
    byteLevelTokenTable(tokens, this.table);
  }

  pair(left: number, right: number): number {
    const ranks = this.ranks;
    if (!ranks.has(left) || !ranks.has(right)) return -1;
    const [a0, a1, b0, b1] = [ranks.start(left), ranks.end(left), ranks.start(right), ranks.end(right)];
    const n = a1 - a0 + b1 - b0;
    // The concatenation's hash from its halves' (the hash is polynomial). Most pairs a text meets make no token, and
    // the table then holds no entry with that hash: a miss without the bytes copied and hashed (~97% of the pairs a
    // first pass over FLORES devtest resolves through o200k).
    const hash = (Math.imul(this.hashOf(left), this.power[b1 - b0]!) + this.hashOf(right)) | 0;
    if (!this.table.mayHold(hash)) return -1;
    const bytes = this.scratch;
    let w = 0;
    for (let i = a0; i < a1; i++) bytes[w++] = ranks.bytes[i]!; // (TypedArray.set costs more on these few bytes)
    for (let i = b0; i < b1; i++) bytes[w++] = ranks.bytes[i]!;
    const merged = this.table.get(bytes, 0, n, hash);
    return merged >= 0 && ranks.has(merged) ? merged : -1;
  }

  list(): Int32Array {
    const out: number[] = [];
    for (let r = 0; r < this.ranks.length; r++) {
      const found = this.splits(r, this.found);
      const order = Array.from({ length: found.length / 2 }, (_, k) => k).sort((x, y) => found[2 * x]! - found[2 * y]! || found[2 * x + 1]! - found[2 * y + 1]!);
      for (const k of order) out.push(found[2 * k]!, found[2 * k + 1]!, r);
    }
    return Int32Array.from(out);
  }

  private readonly found: number[] = [];

  /** Every split of rank r's bytes into two ranks, as left, right, left, right, … in `out` (cleared first). */
  private splits(r: number, out: number[]): number[] {
    out.length = 0;
    const ranks = this.ranks;
    if (!ranks.has(r) || ranks.end(r) - ranks.start(r) < 2) return out;
    const [s, n] = [ranks.start(r), ranks.end(r) - ranks.start(r)];
    const bytes = ranks.bytes;
    const prefix = this.prefix;
    for (let i = 0; i < n; i++) prefix[i + 1] = (Math.imul(prefix[i]!, HASH_MULTIPLIER) + bytes[s + i]! + 1) | 0;
    for (let i = 1; i < n; i++) {
      const left = this.table.get(bytes, s, s + i, prefix[i]!);
      if (left < 0 || !ranks.has(left)) continue;
      const right = this.table.get(bytes, s + i, s + n, substringHash(prefix, this.power, i, n));
      if (right >= 0 && ranks.has(right)) out.push(left, right);
    }
    return out;
  }
}

/** Converts a tiktoken rank file (its text, or its bytes) to tokenizer.json content (byte-level BPE, like Hugging
 * Face's converted files). */
export function tiktokenToTokenizerJson(source: string | Uint8Array, options: TiktokenOptions = {}): JsonObject {
  const fileName = options.fileName ?? "tiktoken ranks";
  return indexedRanksToTokenizerJson(parseRanks(source, fileName), options);
}

/** The JSON form the `tiktoken` and `js-tiktoken` npm packages ship: {pat_str, special_tokens, bpe_ranks}. */
export function isPackagedTiktokenJson(json: unknown): json is { pat_str: string; special_tokens?: Record<string, number>; bpe_ranks: string } {
  const o = json as Record<string, unknown> | null;
  return !!o && typeof o === "object" && typeof o.pat_str === "string" && typeof o.bpe_ranks === "string";
}

/** Converts that packaged form. Its `bpe_ranks` holds lines of "! <first rank> <base64> <base64> ...". */
export function packagedTiktokenToTokenizerJson(json: { pat_str: string; special_tokens?: Record<string, number>; bpe_ranks: string }, options: TiktokenOptions = {}): JsonObject {
  const fileName = options.fileName ?? "tiktoken JSON";
  const text = json.bpe_ranks;
  const indexed = ranksReadInWasm(text, "groups") ?? parseRankGroups(text, fileName);
  return indexedRanksToTokenizerJson(indexed, packagedOptions(json, options, fileName));
}

/** The packaged form's pattern and specials, unless the caller gives its own. */
function packagedOptions(json: { pat_str: string; special_tokens?: Record<string, number> }, options: TiktokenOptions, fileName: string): TiktokenOptions {
  return { pattern: options.pattern ?? json.pat_str, specialTokens: options.specialTokens ?? json.special_tokens, fileName };
}

/** Stands for bpe_ranks in the rest of the file that JSON.parse reads (packagedTiktokenBytesToTokenizerJson). */
const RANKS_READ_ELSEWHERE = "\u0000bpe_ranks read in place";

/**
 * The packaged form from the file's bytes, its bpe_ranks read where they lie: the string's bytes go to the wasm
 * reader as they are, and JSON.parse reads the rest of the file (a few kB) — no 1–2 MB string decoded, parsed and
 * encoded again. Null unless the file is laid out as the npm packages write it: a top-level "bpe_ranks" whose string
 * has no escape and ends at the file's last quote, ranks the wasm reader reads whole (else the caller parses the whole
 * file, and its errors name any problem).
 */
export function packagedTiktokenBytesToTokenizerJson(bytes: Uint8Array, options: TiktokenOptions = {}): JsonObject | null {
  let p = findBpeRanksKey(bytes);
  if (p < 0) return null;
  const space = (c: number | undefined) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
  while (space(bytes[p])) p++;
  if (bytes[p++] !== 0x3a) return null;
  while (space(bytes[p])) p++;
  if (bytes[p++] !== 0x22) return null;
  const start = p;
  const end = bytes.lastIndexOf(0x22);
  if (end < start) return null;
  const value = bytes.subarray(start, end);
  if (value.indexOf(0x22) >= 0 || value.indexOf(0x5c) >= 0) return null;
  const json = parseJsonAround(bytes, [[start, end]], JSON.stringify(RANKS_READ_ELSEWHERE).slice(1, -1));
  // The key found is the one JSON.parse keeps: top-level (else the stand-in is not there) and the last (no quote
  // follows the value).
  if (!isPackagedTiktokenJson(json) || json.bpe_ranks !== RANKS_READ_ELSEWHERE) return null;
  const fileName = options.fileName ?? "tiktoken JSON";
  // Whatever the wasm does not read goes the whole file's way, which names any problem (JSON's first).
  const indexed = ranksReadInWasm(value, "json-groups");
  if (!indexed) return null;
  return indexedRanksToTokenizerJson(indexed, packagedOptions(json, options, fileName));
}

/** Where the first `"bpe_ranks"` in the file's first 64 kB ends (the npm packages write it after pat_str and the
 * special tokens), or −1. */
function findBpeRanksKey(bytes: Uint8Array): number {
  const head = bytes.subarray(0, 1 << 16);
  const key = BPE_RANKS_KEY;
  for (let at = head.indexOf(0x22); at >= 0 && at + key.length <= head.length; at = head.indexOf(0x22, at + 1)) {
    let k = 1;
    while (k < key.length && head[at + k] === key[k]) k++;
    if (k === key.length) return at + k;
  }
  return -1;
}

const BPE_RANKS_KEY = new TextEncoder().encode('"bpe_ranks"');

/** The packaged form's bpe_ranks: lines "! <first rank> <base64> <base64> …". */
function parseRankGroups(text: string, fileName: string): IndexedRanks & { table: ByteStringTable } {
  const collector = new RankCollector(text.length);
  let lineNo = 0;
  for (let pos = 0; pos < text.length; ) {
    let end = text.indexOf("\n", pos);
    if (end < 0) end = text.length;
    lineNo++;
    const lineStart = pos;
    pos = end + 1;
    if (end === lineStart) continue;
    const where = `${fileName}: bpe_ranks line ${lineNo}`;
    // "! <first rank> <base64> <base64> …", read by index: no string per token.
    const afterMark = text.indexOf(" ", lineStart);
    const afterFirst = afterMark < 0 || afterMark >= end ? -1 : text.indexOf(" ", afterMark + 1);
    const firstText = afterMark < 0 || afterMark >= end ? "" : text.slice(afterMark + 1, afterFirst < 0 || afterFirst > end ? end : afterFirst);
    const first = firstText === "" ? NaN : Number(firstText);
    if (!Number.isInteger(first) || first < 0) throw new TokenizerError(`expected "! <first rank> <base64>...", got ${JSON.stringify(text.slice(lineStart, Math.min(end, lineStart + 40)))}`, where);
    let rank = first;
    for (let at = afterFirst < 0 || afterFirst > end ? end : afterFirst + 1; at < end; rank++) {
      let stop = text.indexOf(" ", at);
      if (stop < 0 || stop > end) stop = end;
      const n = collector.decode(text, at, stop);
      const token = () => text.slice(at, stop);
      if (n <= 0) throw new TokenizerError(`invalid base64 token ${JSON.stringify(token().slice(0, 40))}`, where);
      const problem = collector.commit(rank, n);
      if (problem === "large") throw new TokenizerError(`rank ${rank} is implausibly large`, where);
      if (problem !== null) throw new TokenizerError(`duplicate rank ${rank} or token ${JSON.stringify(token())}`, where);
      at = stop + 1;
    }
  }
  return { ranks: collector.ranks, table: collector.table };
}

/** Converts parsed ranks (see parseTiktokenRanks). */
export function tiktokenRanksToTokenizerJson(ranks: TiktokenRanks, options: TiktokenOptions = {}): JsonObject {
  return indexedRanksToTokenizerJson({ ranks: PackedRanks.fromArray(ranks), table: null }, options);
}

/** Every rank by its bytes. */
function rankTable(ranks: PackedRanks, totalBytes: number): ByteStringTable {
  const table = new ByteStringTable(ranks.length, totalBytes);
  for (let r = 0; r < ranks.length; r++) if (ranks.has(r)) table.add(ranks.bytes, ranks.start(r), ranks.end(r), r);
  return table;
}

function indexedRanksToTokenizerJson({ ranks, table }: IndexedRanks, options: TiktokenOptions): JsonObject {
  const fileName = options.fileName ?? "tiktoken ranks";
  if (ranks.length === 0) throw new TokenizerError("no ranks found", fileName);
  const known = identifyTiktokenRanks(ranks);
  const pattern = options.pattern ?? known?.pattern;
  if (pattern === undefined) {
    const { rankCount, fingerprint } = rankFingerprint(ranks);
    throw new TokenizerError(
      `unrecognised rank file (${rankCount} ranks, fingerprint ${fingerprint.toString(16)}; known: ${KNOWN_TIKTOKEN_ENCODINGS.map((k) => k.name).join(", ")}): pass the pre-tokenizer regex as the \`pattern\` option (tiktoken's pat_str) and its special tokens as \`specialTokens\``,
      fileName,
    );
  }
  const specials = options.specialTokens ?? known?.specialTokens ?? {};
  const usedIds = new Map<number, string>();
  const addedTokens: JsonObject[] = [];
  for (const [content, id] of Object.entries(specials).sort((a, b) => a[1] - b[1])) {
    if (!Number.isInteger(id) || id < 0) throw new TokenizerError(`special token ${JSON.stringify(content)} has invalid id ${id}`, `${fileName}: specialTokens`);
    if (ranks.has(id)) throw new TokenizerError(`special token ${JSON.stringify(content)} id ${id} collides with a rank`, `${fileName}: specialTokens`);
    const other = usedIds.get(id);
    if (other !== undefined) throw new TokenizerError(`special tokens ${JSON.stringify(other)} and ${JSON.stringify(content)} share id ${id}`, `${fileName}: specialTokens`);
    usedIds.set(id, content);
    addedTokens.push({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  }
  // Hugging Face numbers added tokens that are missing from the model's vocabulary consecutively after it, so
  // specials that leave a gap (cl100k's 100257 after rank 100255) must be in the vocabulary too, as in HF's GPT-4o file.
  let rankCount = 0;
  for (let r = 0; r < ranks.length; r++) {
    if (ranks.has(r)) rankCount++;
    else if (!usedIds.has(r)) throw new TokenizerError(`ranks are not contiguous: rank ${r} is missing and no special token has that id`, fileName);
  }
  const specialsInVocabulary = addedTokens.some((t, i) => t.id !== rankCount + i);
  const { vocab, merges, rankOf } = byteLevelRanks(ranks, table, new Map(specialsInVocabulary ? addedTokens.map((t) => [t.content as string, t.id as number]) : []));
  // tiktoken encodes any text only because every single byte has a rank (it panics on a byte without one).
  const alphabet = byteLevelAlphabet();
  for (let b = 0; b < 256; b++)
    if (rankOf(alphabet[b]!) === undefined) throw new TokenizerError(`no rank for the single byte 0x${b.toString(16).padStart(2, "0")}: a rank file must rank all 256 bytes (truncated or damaged file?)`, fileName);
  if (specialsInVocabulary) {
    // The specials join the vocabulary, and so the whole-token lookup (by their byte-level spelling, as BpeModel
    // would build it), but not the merges.
    for (const t of addedTokens) if (rankOf(t.content as string) !== undefined) throw new TokenizerError(`special token ${JSON.stringify(t.content)} is also a rank`, `${fileName}: specialTokens`);
    merges.addWholeTokens(addedTokens.map((t) => [t.content as string, t.id as number]));
  }

  const byteLevelProcessor: JsonObject = { type: "ByteLevel", add_prefix_space: true, trim_offsets: false, use_regex: true };
  let postProcessor: JsonObject = byteLevelProcessor;
  const bos = known?.bosToken;
  if (bos !== undefined && specials[bos] !== undefined) {
    const bosId = specials[bos]!;
    postProcessor = {
      type: "Sequence",
      processors: [
        byteLevelProcessor,
        {
          type: "TemplateProcessing",
          single: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }],
          pair: [
            { SpecialToken: { id: bos, type_id: 0 } },
            { Sequence: { id: "A", type_id: 0 } },
            { SpecialToken: { id: bos, type_id: 1 } },
            { Sequence: { id: "B", type_id: 1 } },
          ],
          special_tokens: { [bos]: { id: bos, ids: [bosId], tokens: [bos] } },
        },
      ],
    };
  }
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: addedTokens,
    normalizer: null,
    pre_tokenizer: {
      type: "Sequence",
      pretokenizers: [
        { type: "Split", pattern: { Regex: pattern }, behavior: "Isolated", invert: false },
        { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
    post_processor: postProcessor,
    decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: lazyBpeModelJson(
      { type: "BPE", dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, ignore_merges: true },
      { vocab, merges },
      () => spellBpeJson(vocab, merges),
    ),
  };
}

/** The converted tables as tokenizer.json's vocab object and merge pairs. */
function spellBpeJson(vocab: Vocabulary, merges: RankMerges): { vocab: JsonObject; merges: [string, string][] } {
  const tokens = vocab.tokens;
  const vocabJson: JsonObject = {};
  tokens.forEach((token, id) => {
    if (token !== undefined) setOwn(vocabJson, token, id);
  });
  return { vocab: vocabJson, merges: spellMerges(merges.list(), tokens) };
}

/** Writes the ranks of a byte-level BPE tokenizer.json back as a tiktoken rank file (special tokens left out). */
export function tokenizerJsonToTiktoken(json: JsonObject, fileName = "tokenizer.json"): string {
  const model = json.model;
  if (!model || typeof model !== "object" || Array.isArray(model) || modelTypeOf(model) !== "BPE") throw new TokenizerError("expected a BPE model", `${fileName}: model.type`);
  const vocab = model.vocab;
  if (!vocab || typeof vocab !== "object" || Array.isArray(vocab)) throw new TokenizerError("expected an object of token → id", `${fileName}: model.vocab`);
  const decode = new Map<string, number>();
  byteLevelAlphabet().forEach((c, b) => decode.set(c, b));
  // Special tokens are not ranks, even where (as in Hugging Face's GPT-4o file) they also sit in the vocabulary.
  const added = new Set<string>();
  if (Array.isArray(json.added_tokens)) {
    for (const t of json.added_tokens) if (t && typeof t === "object" && !Array.isArray(t) && typeof t.content === "string") added.add(t.content);
  }
  const lines: string[] = [];
  for (const [token, id] of Object.entries(vocab)) {
    if (added.has(token)) continue;
    if (typeof id !== "number" || !Number.isInteger(id) || id < 0) throw new TokenizerError(`token ${JSON.stringify(token)} has id ${JSON.stringify(id)}`, `${fileName}: model.vocab`);
    const bytes = new Uint8Array(token.length);
    for (let i = 0; i < token.length; i++) {
      const b = decode.get(token[i]!);
      if (b === undefined) throw new TokenizerError(`token ${JSON.stringify(token)} is not in the byte-level alphabet, so it has no byte form`, `${fileName}: model.vocab`);
      bytes[i] = b;
    }
    if (lines[id] !== undefined) throw new TokenizerError(`id ${id} is used twice`, `${fileName}: model.vocab`);
    lines[id] = `${base64Encode(bytes)} ${id}`;
  }
  return lines.filter((l) => l !== undefined).join("\n") + "\n";
}
