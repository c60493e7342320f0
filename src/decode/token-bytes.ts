// The bytes each token stands for in running text, and the vocabulary sorted by those bytes, so that "which tokens
// start with these bytes" and "which tokens are a prefix of these bytes" are range queries (binary search), not
// scans of the vocabulary. Healing, the byte-level model and the canonicality checks all read tokens through this.

import type { Tokenizer } from "../tokenize/tokenizer.js";
import { canonicalToken, tokenSpelling } from "../tokenize/byte-vocabulary.js";
import { TokenizerError, type Decoder } from "../tokenize/types.js";
import { ByteLevelDecoder, FuseDecoder, MetaspaceDecoder, ReplaceDecoder, SequenceDecoder, StripDecoder, WordPieceDecoder, ByteFallbackDecoder } from "../tokenize/decoders/index.js";

const utf8 = new TextEncoder();
const EMPTY = new Uint8Array(0);

/**
 * How the decoder treats the first token of a sequence (everything else is `bytes(id)` in order):
 * - none: as any other token (ByteLevel);
 * - drop-marker: every space marker of the first token is dropped (HF's Metaspace decoder: its dummy-prefix space);
 * - strip: up to `count` leading copies of `content` are cut from the whole decoded text (Llama's Sequence with Fuse
 *   then Strip(" ", 1, 0));
 * - raw: the first token is its own string, unprefixed (WordPiece: no space before it, a "##" stays).
 */
export type StartRule = { kind: "none" } | { kind: "drop-marker"; marker: string } | { kind: "strip"; content: Uint8Array; count: number } | { kind: "raw" };

/** A node of the byte trie that the byte-sorted vocabulary spells: the sorted positions [lo, hi) of the tokens whose
 * bytes start with the `depth` bytes walked so far. */
export interface TrieRange {
  readonly lo: number;
  readonly hi: number;
  readonly depth: number;
}

function flatten(d: Decoder | null, out: Decoder[] = []): Decoder[] {
  if (d instanceof SequenceDecoder) for (const x of d.decoders) flatten(x, out);
  else if (d) out.push(d);
  return out;
}

/** The start rule of a decoder chain; throws for chains whose per-token bytes we cannot state. `rewrites` collects
 * string Replaces other than the space marker's (spm's "<unk>" → " ⁇ "): they may touch only special tokens. */
function startRuleOf(decoder: Decoder | null, file: string | undefined, rewrites: [string, string][]): StartRule {
  const chain = flatten(decoder);
  if (chain.length === 0) throw new TokenizerError("no decoder: tokens would be joined with spaces, which has no byte spelling per token (canonicality and healing need one)", file);
  let rule: StartRule = { kind: "none" };
  let fused = false;
  for (const d of chain) {
    if (d instanceof ByteLevelDecoder || d instanceof ByteFallbackDecoder) continue;
    if (d instanceof ReplaceDecoder) {
      // Only the space marker → space rewrite is part of the per-token spelling (byte-vocabulary.ts).
      if (!("String" in d.pattern)) throw new TokenizerError(`decoder Replace ${JSON.stringify(d.pattern)}: a regex rewrite has no byte spelling per token`, file);
      if (d.content !== " ") rewrites.push([d.pattern.String, d.content]);
      continue;
    }
    if (d instanceof FuseDecoder) {
      fused = true;
      continue;
    }
    if (d instanceof MetaspaceDecoder) {
      if (d.prependScheme !== "never") rule = { kind: "drop-marker", marker: d.replacement };
      continue;
    }
    if (d instanceof StripDecoder) {
      if (d.stop > 0 || (d.start > 0 && !fused)) throw new TokenizerError(`decoder Strip(start ${d.start}, stop ${d.stop}) ${fused ? "at the end" : "on every token"}: no byte spelling per token`, file);
      if (d.start > 0) rule = { kind: "strip", content: utf8.encode(d.content), count: d.start };
      continue;
    }
    if (d instanceof WordPieceDecoder) {
      rule = { kind: "raw" };
      continue;
    }
    throw new TokenizerError(`decoder ${d.type}: no byte spelling per token (canonicality and healing support ByteLevel, Metaspace, ByteFallback, Replace ▁ → " ", Fuse, Strip and WordPiece decoders)`, file);
  }
  return rule;
}

function compareBytes(data: Uint8Array, a0: number, a1: number, b0: number, b1: number): number {
  const n = Math.min(a1 - a0, b1 - b0);
  for (let k = 0; k < n; k++) {
    const d = data[a0 + k]! - data[b0 + k]!;
    if (d !== 0) return d;
  }
  return a1 - a0 - (b1 - b0);
}

/** Ids sorted by their bytes (then by id): a native numeric sort on each token's first four bytes, then the runs
 * that share them sorted by the full comparison. */
function sortByBytes(ids: number[], data: Uint8Array, offsets: Int32Array): Int32Array {
  const keyed = new Float64Array(ids.length);
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    const at = offsets[id]!;
    const len = offsets[id + 1]! - at;
    let key = 0;
    for (let k = 0; k < 4; k++) key = key * 256 + (k < len ? data[at + k]! : 0);
    keyed[i] = key * 2 ** 20 + i;
  }
  keyed.sort();
  const order = new Int32Array(ids.length);
  for (let i = 0; i < ids.length; i++) order[i] = ids[keyed[i]! % 2 ** 20]!;
  const cmp = (a: number, b: number) => compareBytes(data, offsets[a]!, offsets[a + 1]!, offsets[b]!, offsets[b + 1]!) || a - b;
  for (let start = 0; start < ids.length; ) {
    const key = Math.floor(keyed[start]! / 2 ** 20);
    let end = start + 1;
    while (end < ids.length && Math.floor(keyed[end]! / 2 ** 20) === key) end++;
    if (end - start > 1) order.subarray(start, end).sort(cmp);
    start = end;
  }
  return order;
}

export class TokenByteTable {
  /** Vocabulary size including added tokens (highest id + 1). */
  readonly size: number;
  /** Length of the longest text token in bytes. */
  readonly maxTokenBytes: number;
  /** The decoder's rule for the first token of a sequence (see StartRule). */
  readonly startRule: StartRule;
  /**
   * Bytes the encoder puts in front of a text at its start (SentencePiece's dummy-prefix space, ByteLevel's
   * add_prefix_space; empty for GPT-2 and tiktoken): the tokens of encode(text) spell encodePrefix + text (where the
   * normalizer keeps the text as it is). The decoder's start rule takes it off again.
   */
  readonly encodePrefix: Uint8Array;
  /** Token id → its bytes: data[offsets[id], offsets[id + 1]). */
  private readonly data: Uint8Array;
  private readonly offsets: Int32Array;
  private readonly special: Uint8Array;
  /** Ids of text tokens (not special, not empty), sorted by their bytes. */
  private readonly order: Int32Array;
  private readonly firstSpelling: (id: number) => Uint8Array;

  private constructor(parts: { size: number; data: Uint8Array; offsets: Int32Array; special: Uint8Array; startRule: StartRule; encodePrefix: Uint8Array; firstSpelling: (id: number) => Uint8Array }) {
    this.size = parts.size;
    this.data = parts.data;
    this.offsets = parts.offsets;
    this.special = parts.special;
    this.startRule = parts.startRule;
    this.encodePrefix = parts.encodePrefix;
    this.firstSpelling = parts.firstSpelling;
    const ids: number[] = [];
    let max = 0;
    for (let id = 0; id < this.size; id++) {
      const len = this.offsets[id + 1]! - this.offsets[id]!;
      if (this.special[id] || len === 0) continue;
      ids.push(id);
      if (len > max) max = len;
    }
    this.order = sortByBytes(ids, this.data, this.offsets);
    this.maxTokenBytes = max;
  }

  /** The table of a tokenizer: every id of its model and added vocabulary. Throws a TokenizerError naming the
   * decoder when tokens have no byte spelling (CTC, a Replace other than the space marker, no decoder at all). */
  static fromTokenizer(tokenizer: Tokenizer): TokenByteTable {
    const json = tokenizer.toJSON();
    const spelling = tokenSpelling(json);
    const rewrites: [string, string][] = [];
    const startRule = startRuleOf(tokenizer.decoder, tokenizer.fileName, rewrites);
    let size = tokenizer.model.vocabSize;
    const added = new Set<number>();
    for (const t of tokenizer.addedTokens) {
      added.add(t.id);
      size = Math.max(size, t.id + 1);
    }
    // Holes in the id space stay empty (and are never text).
    const pieces: Uint8Array[] = new Array(size);
    const special = new Uint8Array(size);
    let total = 0;
    for (let id = 0; id < size; id++) {
      const token = tokenizer.idToToken(id);
      if (token === undefined) {
        pieces[id] = EMPTY;
        special[id] = 1;
        continue;
      }
      const isAdded = added.has(id);
      let spelled = token;
      for (const [from, to] of rewrites) {
        if (!spelled.includes(from)) continue;
        if (!isAdded) throw new TokenizerError(`decoder Replace ${JSON.stringify(from)} → ${JSON.stringify(to)} rewrites the text token ${JSON.stringify(token)} (id ${id}): no byte spelling per token`, tokenizer.fileName);
        spelled = spelled.split(from).join(to);
      }
      const bytes = canonicalToken(spelled, spelling, isAdded).bytes;
      pieces[id] = bytes;
      if (isAdded) special[id] = 1;
      total += bytes.length;
    }
    const data = new Uint8Array(total);
    const offsets = new Int32Array(size + 1);
    let at = 0;
    for (let id = 0; id < size; id++) {
      offsets[id] = at;
      data.set(pieces[id]!, at);
      at += pieces[id]!.length;
    }
    offsets[size] = at;
    const firstSpelling = (id: number): Uint8Array => {
      const token = tokenizer.idToToken(id) ?? "";
      if (startRule.kind === "drop-marker" && !special[id]) return canonicalToken(token.split(startRule.marker).join(""), spelling, false).bytes;
      if (startRule.kind === "raw") return utf8.encode(token);
      return data.subarray(offsets[id]!, offsets[id + 1]!);
    };
    const table = new TokenByteTable({ size, data, offsets, special, startRule, encodePrefix: EMPTY, firstSpelling });
    (table as { encodePrefix: Uint8Array }).encodePrefix = probeEncodePrefix(tokenizer, table);
    return table;
  }

  /** The bytes the token adds when decoded after other tokens (a view: do not modify). */
  bytes(id: number): Uint8Array {
    this.check(id);
    return this.data.subarray(this.offsets[id]!, this.offsets[id + 1]!);
  }

  /** Byte length of bytes(id). */
  length(id: number): number {
    this.check(id);
    return this.offsets[id + 1]! - this.offsets[id]!;
  }

  /** Special, added and control tokens (and ids with no token): never text continuations. */
  isSpecial(id: number): boolean {
    this.check(id);
    return this.special[id] === 1;
  }

  /** The UTF-8 bytes of tokenizer.decode(ids): bytes(id) in order, the decoder's start rule applied to the first
   * token. Equal to decode byte for byte except where decode is lossy: byte runs that are not valid UTF-8 (decode
   * writes U+FFFD, this keeps the bytes), WordPiece's clean-up of spaces before punctuation (not applied here). */
  textBytes(ids: ArrayLike<number>): Uint8Array {
    if (ids.length === 0) return EMPTY;
    const first = this.firstSpelling(ids[0]!);
    let total = first.length;
    for (let i = 1; i < ids.length; i++) total += this.length(ids[i]!);
    const out = new Uint8Array(total);
    out.set(first, 0);
    let at = first.length;
    for (let i = 1; i < ids.length; i++) {
      const b = this.bytes(ids[i]!);
      out.set(b, at);
      at += b.length;
    }
    const rule = this.startRule;
    if (rule.kind !== "strip") return out;
    let cut = 0;
    const c = rule.content;
    for (let k = 0; k < rule.count && startsWithAt(out, cut, c); k++) cut += c.length;
    return out.subarray(cut);
  }

  /** Number of text tokens in the sorted order. */
  get sortedCount(): number {
    return this.order.length;
  }

  /** The id at a position of the byte-sorted order. */
  idAt(position: number): number {
    return this.order[position]!;
  }

  /** The trie's root: every text token. */
  root(): TrieRange {
    return { lo: 0, hi: this.order.length, depth: 0 };
  }

  /** The tokens of `node` whose next byte is `byte`, or null when there are none: two binary searches. */
  child(node: TrieRange, byte: number): TrieRange | null {
    const d = node.depth;
    // Within a node every token shares its first d bytes, so keyAt(i, d) — the byte at d, −1 when the token ends
    // at d — is non-decreasing over the sorted positions. (A method, not a closure: this runs per byte per lookup.)
    let lo = node.lo;
    let hi = node.hi;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.keyAt(mid, d) < byte) lo = mid + 1;
      else hi = mid;
    }
    const start = lo;
    hi = node.hi;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.keyAt(mid, d) <= byte) lo = mid + 1;
      else hi = mid;
    }
    return lo > start ? { lo: start, hi: lo, depth: d + 1 } : null;
  }

  /** The byte at depth `d` of the token at sorted position `i` (−1: the token ends before it). */
  private keyAt(i: number, d: number): number {
    const id = this.order[i]!;
    const at = this.offsets[id]! + d;
    return at < this.offsets[id + 1]! ? this.data[at]! : -1;
  }

  /** The node of the tokens starting with bytes[start, end), or null. */
  find(bytes: Uint8Array, start = 0, end = bytes.length): TrieRange | null {
    let node: TrieRange | null = this.root();
    for (let i = start; node && i < end; i++) node = this.child(node, bytes[i]!);
    return node;
  }

  /** The ids of a node, in byte order (a view of the sorted order: do not modify). */
  idsIn(node: TrieRange): Int32Array {
    return this.order.subarray(node.lo, node.hi);
  }

  /** The ids whose bytes are exactly the node's bytes (several tokens can spell the same bytes: "▁" and "<0x20>"). */
  idsEndingAt(node: TrieRange): Int32Array {
    const { offsets, order } = this;
    let hi = node.lo;
    while (hi < node.hi && offsets[order[hi]! + 1]! - offsets[order[hi]!]! === node.depth) hi++;
    return order.subarray(node.lo, hi);
  }

  /** Ids whose bytes start with `prefix` (a view of the sorted order: do not modify): O(|prefix| log V). */
  withPrefix(prefix: Uint8Array): Int32Array {
    const node = this.find(prefix);
    return node ? this.idsIn(node) : new Int32Array(0);
  }

  /** Ids whose bytes are a non-empty prefix of bytes[start, end), shortest first: a walk down the trie. */
  prefixesOf(bytes: Uint8Array, start = 0, end = bytes.length): number[] {
    const out: number[] = [];
    let node: TrieRange | null = this.root();
    for (let i = start; i < end; i++) {
      node = this.child(node, bytes[i]!);
      if (!node) break;
      for (const id of this.idsEndingAt(node)) out.push(id);
    }
    return out;
  }

  private check(id: number): void {
    if (!(id >= 0 && id < this.size && Number.isInteger(id))) throw new TokenizerError(`token id ${id} is outside the vocabulary (0…${this.size - 1})`);
  }
}

export function startsWithAt(bytes: Uint8Array, at: number, prefix: Uint8Array): boolean {
  if (at + prefix.length > bytes.length) return false;
  for (let k = 0; k < prefix.length; k++) if (bytes[at + k] !== prefix[k]) return false;
  return true;
}

/** The bytes encode() puts before a text: the token bytes of a probe text minus the probe itself. */
function probeEncodePrefix(tokenizer: Tokenizer, table: TokenByteTable): Uint8Array {
  for (const probe of ["x", "a", "0"]) {
    const ids = tokenizer.encodeIds(probe, { addSpecialTokens: false });
    if (ids.some((id) => id >= table.size || table.isSpecial(id))) continue;
    let total = 0;
    for (const id of ids) total += table.length(id);
    const spelled = new Uint8Array(total);
    let at = 0;
    for (const id of ids) {
      spelled.set(table.bytes(id), at);
      at += table.length(id);
    }
    const p = utf8.encode(probe);
    if (spelled.length >= p.length && startsWithAt(spelled, spelled.length - p.length, p)) return spelled.slice(0, spelled.length - p.length);
  }
  return EMPTY;
}
