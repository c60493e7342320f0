// The model-level pair rule of BPE: may token r follow token l inside one pre-token? The model merges the bytes of
// l·r into [l, r] exactly when no merge across the boundary fires before l and r are complete.

import type { BpeModel } from "../tokenize/models/bpe.js";
import { mergedIdOf, mergeRankOf } from "../tokenize/models/merge-table.js";
import { utf8OfCodePoint } from "../tokenize/models/spell.js";
import { byteFallbackToken, byteFallbackValue } from "../tokenize/decoders/byte-fallback.js";
import type { TokenByteTable } from "./token-bytes.js";
import { concatBytes } from "./utf8.js";
import { ByteStringTable, HASH_MULTIPLIER, hashPowers, substringHash } from "../util/byte-string-table.js";

/** Which bytes of UTF-8 can begin, end or sit next to each other inside a character that the model has no symbol
 * for (SentencePiece byte fallback spells such characters as <0xNN> tokens, and only those). */
class FallbackBytes {
  readonly starts = new Uint8Array(256);
  readonly ends = new Uint8Array(256);
  readonly occurs = new Uint8Array(256);
  /** inner[a·256 + b]: a then b inside one such character. */
  readonly inner = new Uint8Array(65536);

  /** `symbols`: the code points the model has a symbol for (a space stands for the marker "▁"). */
  constructor(symbols: Iterable<number>) {
    const has = new Uint8Array(0x110000);
    for (const cp of symbols) has[cp] = 1;
    const buf = new Uint8Array(4);
    for (let cp = 0; cp <= 0x10ffff; cp++) {
      if ((cp >= 0xd800 && cp <= 0xdfff) || has[cp]) continue;
      const n = utf8OfCodePoint(cp, buf);
      this.starts[buf[0]!] = 1;
      this.ends[buf[n - 1]!] = 1;
      for (let k = 0; k < n; k++) this.occurs[buf[k]!] = 1;
      for (let k = 0; k + 1 < n; k++) this.inner[(buf[k]! << 8) | buf[k + 1]!] = 1;
    }
  }
}

/**
 * Each token's canonical derivation — the last merge the model makes when it encodes the token's own bytes — found
 * by our own merge table, not by trusting the listed merges (a token can be spelled by several merges; SentencePiece
 * lists carry redundant ones), and the spine walk over it (ByteSampler's valid_adj): a pair is valid when no merge
 * across the boundary fires before the merges that complete either token.
 */
export class PairSpines {
  /** Per id: 1 reachable by merges (or a base symbol), 0 not, −1 not computed yet. */
  private readonly reach: Int8Array;
  /** Per merged token: the left and right part of its derivation and the rank of that merge (−1: a base symbol or
   * no derivation). */
  private readonly leftPart: Int32Array;
  private readonly rightPart: Int32Array;
  private readonly rank: Float64Array;
  /** Per id: the byte of a <0xNN> fallback token of a character-level model, else −1. */
  private readonly fallbackByte: Int16Array | null;
  private fallback: FallbackBytes | null = null;
  private byBytes: ByteStringTable | null = null;
  private powers: Int32Array = new Int32Array(0);
  private spineL: number[] = [];
  private spineR: number[] = [];

  constructor(
    private readonly model: BpeModel,
    private readonly table: TokenByteTable,
    private readonly modelIds: (bytes: Uint8Array) => number[] | null,
    private readonly byteLevel: boolean,
  ) {
    const n = table.size;
    this.reach = new Int8Array(n).fill(-1);
    this.leftPart = new Int32Array(n).fill(-1);
    this.rightPart = new Int32Array(n).fill(-1);
    this.rank = new Float64Array(n).fill(-1);
    if (model.byteFallback && !byteLevel) {
      this.fallbackByte = new Int16Array(n).fill(-1);
      for (let b = 0; b < 256; b++) {
        const id = model.tokenToId(byteFallbackToken(b));
        if (id !== undefined && byteFallbackValue(model.idToToken(id)!) === b) this.fallbackByte[id] = b;
      }
    } else this.fallbackByte = null;
  }

  /** Text tokens by their bytes (fallback bytes left out: they never merge). */
  private tokensByBytes(): ByteStringTable {
    if (!this.byBytes) {
      const t = this.table;
      const byBytes = new ByteStringTable(t.size, t.size * 8);
      for (let id = 0; id < t.size; id++) {
        if (t.isSpecial(id) || this.byteOf(id) >= 0 || t.length(id) === 0) continue;
        const b = t.bytes(id);
        byBytes.add(b, 0, b.length, id);
      }
      this.byBytes = byBytes;
    }
    return this.byBytes;
  }

  /** A token's derivation, found when first needed (its parts' first, recursively): its last merge joins two
   * reachable tokens that spell its bytes, merge into it, and meet — no merge across their boundary fires first. */
  private derive(id: number): void {
    const { table } = this;
    this.reach[id] = 0;
    if (table.isSpecial(id) || this.model.idToToken(id) === undefined) return;
    const b = this.byteOf(id);
    if (b >= 0) {
      this.reach[id] = this.fallbackBytes().occurs[b]!;
      return;
    }
    const bytes = table.bytes(id);
    if (this.isBaseSymbol(id, bytes)) {
      this.reach[id] = 1;
      return;
    }
    const byBytes = this.tokensByBytes();
    const n = bytes.length;
    if (this.powers.length <= n) this.powers = hashPowers(2 * n + 2);
    // Its own prefix hashes: deriving the parts below recurses into this method.
    const prefix = new Int32Array(n + 1);
    prefix[0] = 0;
    for (let k = 0; k < n; k++) prefix[k + 1] = (Math.imul(prefix[k]!, HASH_MULTIPLIER) + bytes[k]! + 1) | 0;
    for (let k = 1; k < n; k++) {
      const x = byBytes.get(bytes, 0, k, prefix[k]!);
      if (x < 0) continue;
      const y = byBytes.get(bytes, k, n, substringHash(prefix, this.powers, k, n));
      if (y < 0) continue;
      const packed = this.model.pairMerge(x, y);
      if (packed < 0 || mergedIdOf(packed) !== id) continue;
      if (!this.mergeReachable(x) || !this.mergeReachable(y)) continue;
      const met = this.meet(x, y, false);
      if (met === false || (met === null && !this.encodesTo(bytes, [id]))) continue;
      this.leftPart[id] = x;
      this.rightPart[id] = y;
      this.rank[id] = mergeRankOf(packed);
      this.reach[id] = 1;
      return;
    }
  }

  /** A symbol the model starts from: a single byte (byte-level) or a single character (SentencePiece). */
  private isBaseSymbol(id: number, bytes: Uint8Array): boolean {
    if (this.byteLevel) return bytes.length === 1;
    const token = this.model.idToToken(id)!;
    const cp = token.codePointAt(0)!;
    return token.length === (cp > 0xffff ? 2 : 1);
  }

  private fallbackBytes(): FallbackBytes {
    if (!this.fallback) {
      const symbols: number[] = [];
      for (const token of this.model.vocab.ids.keys()) {
        const cp = token.codePointAt(0)!;
        if (token.length === (cp > 0xffff ? 2 : 1)) {
          symbols.push(cp);
          if (cp === 0x2581) symbols.push(0x20);
        }
      }
      this.fallback = new FallbackBytes(symbols);
    }
    return this.fallback;
  }

  private byteOf(id: number): number {
    return this.fallbackByte ? this.fallbackByte[id]! : -1;
  }

  /** Whether the model alone produces the token from some byte string: its own bytes merge back into it, or with
   * ignore_merges it is a whole piece (a fallback byte: it occurs in a character the model has no symbol for). */
  reachable(id: number): boolean {
    return (this.model.ignoreMerges && !this.table.isSpecial(id)) || this.mergeReachable(id);
  }

  private mergeReachable(id: number): boolean {
    if (this.reach[id]! < 0) this.derive(id);
    return this.reach[id] === 1;
  }

  /** Both tokens reachable, and the model merges the bytes of l·r into exactly [l, r]. */
  validPair(l: number, r: number): boolean {
    if (!this.mergeReachable(l) || !this.mergeReachable(r)) return false;
    const bl = this.byteOf(l);
    const br = this.byteOf(r);
    if (bl >= 0 || br >= 0) {
      // Fallback bytes never merge; what matters is whether the bytes can sit there in an unknown character.
      const f = this.fallbackBytes();
      if (bl >= 0 && br >= 0) return f.inner[(bl << 8) | br] === 1 || (f.ends[bl] === 1 && f.starts[br] === 1);
      return bl >= 0 ? f.ends[bl] === 1 : f.starts[br] === 1;
    }
    if (this.model.ignoreMerges) {
      // A piece that is itself a token comes out whole (one hash lookup: this runs for every candidate of a step).
      const both = concatBytes(this.table.bytes(l), this.table.bytes(r));
      if (this.tokensByBytes().get(both, 0, both.length) >= 0) return false;
    }
    return this.meet(l, r, true) ?? this.encodesTo(concatBytes(this.table.bytes(l), this.table.bytes(r)), [l, r]);
  }

  private encodesTo(bytes: Uint8Array, want: number[]): boolean {
    const ids = this.modelIds(bytes);
    return ids !== null && ids.length === want.length && ids.every((x, i) => x === want[i]);
  }

  /**
   * Whether l and r both come out when the model encodes their bytes together: walk l's right spine (l, its right
   * part, that one's right part, … down to a base symbol) against r's left spine in merge order; before each spine
   * merge, the pair at the boundary must not have a merge that fires first (lower rank; on equal rank the left one
   * fires first, as BPE breaks ties leftmost). `direct`: also refuse when l and r themselves merge. null: a spine
   * merge is listed below its parts (it fires when they exist, not at its rank), so the walk cannot tell.
   */
  private meet(l: number, r: number, direct: boolean): boolean | null {
    const model = this.model;
    if (direct && model.pairMerge(l, r) >= 0) return false;
    const L = this.spineL;
    const R = this.spineR;
    L.length = 0;
    R.length = 0;
    for (let t = l; t >= 0; t = this.rightPart[t]!) L.push(t);
    for (let t = r; t >= 0; t = this.leftPart[t]!) R.push(t);
    let i = L.length - 1;
    let j = R.length - 1;
    let a = L[i]!;
    let b = R[j]!;
    while (i > 0 || j > 0) {
      const leftRank = i > 0 ? this.rank[L[i - 1]!]! : Infinity;
      const rightRank = j > 0 ? this.rank[R[j - 1]!]! : Infinity;
      // A merge listed below its parts fires when its parts exist, not at its rank: judge such pairs by re-encoding.
      if ((i > 0 && i < L.length - 1 && leftRank < this.rank[L[i]!]!) || (j > 0 && j < R.length - 1 && rightRank < this.rank[R[j]!]!)) return null;
      const packed = model.pairMerge(a, b);
      const cross = packed < 0 ? Infinity : mergeRankOf(packed);
      if (leftRank <= rightRank) {
        if (cross < leftRank) return false;
        a = L[--i]!;
      } else {
        if (cross <= rightRank) return false;
        b = R[--j]!;
      }
    }
    return true;
  }
}

