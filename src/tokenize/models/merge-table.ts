// BPE's merges as a hash table (left id, right id) → the merge's rank, eight bytes a slot: the lookup in the hot
// loops of the merge. A rank file's pairs met over 42 languages fill ~10^6 slots, most of them pairs that do not
// merge; at sixteen bytes a slot (keys and a double) that was 33 MB, more than the CPU's last-level cache, and nearly
// every lookup of a first pass missed it.

import { TokenizerError } from "../types.js";

const SHIFT = 2 ** 21; // ids stay below 2^21, so a rank and an id pack exactly into one double

/** rank·SHIFT + merged id: the packed value the merge loops compare (lower rank first; ids below SHIFT). */
export function packMerge(rank: number, merged: number): number {
  return rank * SHIFT + merged;
}

/** What MergeTable.get answers for a pair that does not merge: above every packed value, so that the merge loops
 * look for the lowest with one comparison. */
export const NO_MERGE = Infinity;

/** The rank of a packed merge value. */
export function mergeRankOf(packed: number): number {
  return Math.floor(packed / SHIFT);
}

/** The merged id of a packed merge value. (Not packed % SHIFT: V8 computes % of doubles by a call, ~10 ns against
 * ~1 for this, once per merge in the merge loops.) */
export function mergedIdOf(packed: number): number {
  return packed - Math.floor(packed / SHIFT) * SHIFT;
}

/** Ids below this fit a slot's key fields (21 bits, the left one stored + 1 so that an empty slot is all zeros). */
export const MERGE_ID_LIMIT = (1 << 21) - 1;
/** Ranks below this fit a slot's value field (22 bits, stored + 1: 0 is a pair known not to merge). */
export const MERGE_RANK_LIMIT = (1 << 22) - 1;
/** What MergeTable.rank answers for a pair that does not merge: above every rank. */
export const NO_RANK = MERGE_RANK_LIMIT;
const LOW21 = (1 << 21) - 1;

/**
 * Open addressing, linear probing, load at most one half. A slot is two ints: (left + 1) | rank's low 11 bits << 21,
 * right | rank's high 11 bits << 21 (rank + 1; 0 for a pair that does not merge). `get` answers the packed value the
 * short pieces' scans compare (packMerge(rank, merged id)), `rank` the rank the long-piece merges compare: the merged
 * id is the rank itself for a rank file's rule (a token's rank is its id), else read from `mergedIds` by rank. With a
 * `resolve` function the table is a cache: a pair not seen yet is resolved on first lookup and remembered, found or
 * not.
 */
export class MergeTable {
  private cells: Int32Array;
  private mask: number;
  private count = 0;

  constructor(
    capacity: number,
    /** Merged id by rank (a merges list); null when a merge's rank is its merged id (a rank file). */
    private readonly mergedIds: Int32Array | null,
    /** A pair's merged id (also its rank), or −1: a rank file's rule. */
    private readonly resolve: ((a: number, b: number) => number) | null = null,
  ) {
    let size = 16;
    while (size < capacity * 2) size *= 2;
    this.cells = new Int32Array(2 * size);
    this.mask = size - 1;
  }

  /**
   * The table of a merges list: `triples` holds (left, right, merged) ids by rank; every id must satisfy `has` (the
   * vocabulary's). A later duplicate pair overrides an earlier one, as HF's map does. Sized for all of them at once (no
   * growth on the way), each id checked once.
   */
  static ofMergeList(triples: Int32Array, has: (id: number) => boolean): MergeTable {
    const count = triples.length / 3;
    if (count > MERGE_RANK_LIMIT) throw new TokenizerError(`${count} merges: at most ${MERGE_RANK_LIMIT}`, "model.merges");
    const mergedIds = new Int32Array(count);
    const table = new MergeTable(count, mergedIds);
    for (let rank = 0, t = 0; rank < count; rank++, t += 3) {
      const a = triples[t]!;
      const b = triples[t + 1]!;
      const merged = triples[t + 2]!;
      if (!(a >= 0 && a < MERGE_ID_LIMIT && b >= 0 && b < MERGE_ID_LIMIT) || !has(a) || !has(b) || !has(merged)) throw new TokenizerError(`merge ${rank}: ids (${a}, ${b}) → ${merged} are not all in the vocabulary`, `model.merges[${rank}]`);
      mergedIds[rank] = merged;
      if (table.put(a, b, rank)) table.count++;
    }
    return table;
  }

  private slot(a: number, b: number): number {
    return (Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca6b)) & this.mask;
  }

  /** Records that (a, b) merges at `rank` (a later call for the same pair overrides it), or with −1 that it does not. */
  set(a: number, b: number, rank: number): void {
    if (!(a >= 0 && a < MERGE_ID_LIMIT && b >= 0 && b < MERGE_ID_LIMIT)) throw new TokenizerError(`merge (${a}, ${b}): ids must be below ${MERGE_ID_LIMIT}`, "model.merges");
    if (!(rank >= -1 && rank < MERGE_RANK_LIMIT)) throw new TokenizerError(`merge (${a}, ${b}): rank ${rank} must be below ${MERGE_RANK_LIMIT}`, "model.merges");
    if (this.put(a, b, rank) && ++this.count * 2 > this.mask + 1) this.grow();
  }

  /** Writes (a, b) → rank into the pair's slot, or the first empty one on its probe; true when that slot was empty. */
  private put(a: number, b: number, rank: number): boolean {
    const cells = this.cells;
    let i = this.slot(a, b);
    let x = cells[2 * i]!;
    while (x !== 0 && !((x & LOW21) === a + 1 && (cells[2 * i + 1]! & LOW21) === b)) {
      i = (i + 1) & this.mask;
      x = cells[2 * i]!;
    }
    const r = rank + 1;
    cells[2 * i] = (a + 1) | ((r & 0x7ff) << 21);
    cells[2 * i + 1] = b | ((r >>> 11) << 21);
    return x === 0;
  }

  /** packMerge(rank, merged id) of the merge of (a, b), or NO_MERGE when they do not merge. */
  get(a: number, b: number): number {
    const rank = this.rank(a, b);
    return rank === NO_RANK ? NO_MERGE : packMerge(rank, this.mergedId(rank));
  }

  /** The rank of the merge of (a, b), or NO_RANK when they do not merge: a small integer either way, which is what
   * the long-piece merge compares (V8 boxes each double that unoptimised code makes: a packed value per lookup,
   * while a long piece's first merges run before their optimised code arrives). */
  rank(a: number, b: number): number {
    const cells = this.cells;
    const key = a + 1;
    for (let i = this.slot(a, b); ; i = (i + 1) & this.mask) {
      const x = cells[2 * i]!;
      if ((x & LOW21) === key) {
        const y = cells[2 * i + 1]!;
        if ((y & LOW21) === b) {
          const rank = ((x >>> 21) | ((y >>> 21) << 11)) - 1;
          return rank < 0 ? NO_RANK : rank;
        }
      } else if (x === 0) return this.resolve === null ? NO_RANK : this.resolveMiss(a, b);
    }
  }

  /** The id of the token the merge of rank `rank` makes. */
  mergedId(rank: number): number {
    return this.mergedIds === null ? rank : this.mergedIds[rank]!;
  }

  /** The merged id of each rank (a merges list's), or null where a merge's id is its rank (a rank file's rule). */
  mergedIdsByRank(): Int32Array | null {
    return this.mergedIds;
  }

  private resolveMiss(a: number, b: number): number {
    const merged = this.resolve!(a, b);
    this.set(a, b, merged);
    return merged < 0 ? NO_RANK : merged;
  }

  private grow(): void {
    const old = this.cells;
    const size = 2 * (this.mask + 1);
    this.cells = new Int32Array(2 * size);
    this.mask = size - 1;
    this.count = 0;
    for (let i = 0; i < old.length; i += 2) {
      const x = old[i]!;
      if (x === 0) continue;
      const y = old[i + 1]!;
      if (this.put((x & LOW21) - 1, y & LOW21, ((x >>> 21) | ((y >>> 21) << 11)) - 1)) this.count++;
    }
  }
}
