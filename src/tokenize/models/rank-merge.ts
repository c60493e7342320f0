// The long-piece merge by rank lists in WebAssembly (rank-merge.wat). HF merges a piece by a heap of (rank, position);
// this gives its order without a heap entry per position, for merges that rise: a merge of rank r only makes pairs
// that contain its new token, and when those rank above r, every pair of rank r that will ever merge is already
// waiting when r is the lowest rank waiting, so r's pairs merge left to right, one list, and nothing joins r's list
// meanwhile. The module checks that as it goes and gives up (−1, nothing written) as soon as a merge makes a pair
// ranked at or below its own; bpe.ts's mergeHeap then merges the piece, as it does where WebAssembly cannot run.
// (A JavaScript twin of these loops ran a fresh process's first long megabyte mostly before V8 had optimised them.)

import { PASS_CHUNK } from "../../util/grow.js";
import { wasmInstance, wasmModule } from "../../util/wasm-instance.js";
import { TokenizerError } from "../types.js";
import { NO_RANK, type MergeTable } from "./merge-table.js";
import { rankMergeWasm } from "./rank-merge-wasm.js";

/** What an instance merges by: the model's `rank` of a pair (its MergeTable's), which the module asks as it meets a
 * pair and keeps in a table of its own; `ranks`: above every rank; `mergedIds`: a merges list's merged id by rank
 * (copied into the module), or null where a merge's id is its rank (a rank file's rule). */
export interface MergeSource {
  rank: (a: number, b: number) => number;
  ranks: number;
  mergedIds: Int32Array | null;
}

interface RankMergeExports {
  memory: WebAssembly.Memory;
  learn(room: number, byRank: number): void;
  layout(mask: number, ids: number, sym: number, len: number, prev: number, next: number, qpos: number, qlink: number, heads: number, tails: number, sizes: number, heap: number, batch: number, entries: number): void;
  reset(withLen: number): void;
  add(rank: number, position: number): void;
  queuePairs(n: number, from: number, to: number): void;
  takeLowest(): number;
  mergeList(from: number, to: number, v: number): number;
  clear(): void;
  compact(from: number, to: number, m: number): number;
  pending: WebAssembly.Global;
  full: WebAssembly.Global;
  lowest: WebAssembly.Global;
  sorted: WebAssembly.Global;
}

/** Symbols the instance kept between pieces has room for; a longer piece gets an instance of its own. */
const KEPT_SYMBOLS = 1 << 16;
/** Past this many symbols the memory would pass wasm's 4 GB: such a piece merges in JavaScript. */
const MOST_SYMBOLS = 1 << 26;
/** The slots of the module's table, whatever the piece: it learns at most half as many pairs (a piece meets far
 * fewer distinct pairs than symbols: cl100k meets 7 in 1 MB of one letter, 594 in random ACGT; past that a pair is
 * asked each time it is met). Slots scaled with the piece (2^20 for a 1 MB piece's instance: 8 MB) made V8 count that
 * much more external memory and collect sooner: GPT-2's 1 MB encodeIds 85 → 99 ms cold. */
const TABLE_SLOTS = 1 << 17;

/** One instance of the module, with its table (empty at first) and room for `capacity` symbols and `entries` queue
 * entries. (Exported for its tests.) */
export class RankMergeInstance {
  readonly words: Int32Array;
  readonly sym: number;
  readonly len: number;
  readonly batch: number;

  private constructor(
    readonly exports: RankMergeExports,
    readonly capacity: number,
    layout: number[],
  ) {
    this.words = new Int32Array(exports.memory.buffer);
    [this.sym, this.len, this.batch] = [layout[0]! >> 2, layout[1]! >> 2, layout[10]! >> 2];
  }

  /** Takes the list of the lowest rank waiting out of the queue (its rank in `exports.lowest`): its positions,
   * ascending, at words[batch, batch + count); returns the count. */
  takeLowest(): number {
    const count = this.exports.takeLowest();
    // Lists fill in ascending runs (one per merge pass that added to them); a list met in two passes interleaves.
    if (!this.exports.sorted.value) this.words.subarray(this.batch, this.batch + count).sort();
    return count;
  }

  /** An instance for `source` whose table has `slots` slots (a power of two; tests make it small); `withLen`: false
   * for one that merges no lengths (no room for them). */
  static make(source: MergeSource, capacity: number, entries: number, slots = TABLE_SLOTS, withLen = true): RankMergeInstance | null {
    const { ranks, mergedIds } = source;
    // Word offsets: the table, a list's merged ids, then the piece's arrays (the list being merged is at most all the
    // entries).
    let at = 2 * slots;
    const take = (n: number) => ((at += n), 4 * (at - n));
    const ids = take(mergedIds ? ranks : 0);
    const layout = [take(capacity), take(withLen ? capacity : 0), take(capacity), take(capacity), take(entries), take(entries), take(ranks), take(ranks), take(ranks), take(ranks), take(entries)];
    const exports = wasmInstance<RankMergeExports>(rankMergeWasm, 4 * at, { resolve: checkedRank(source) });
    if (!exports) return null;
    const instance = new RankMergeInstance(exports, capacity, layout);
    if (mergedIds) instance.words.set(mergedIds, ids >> 2);
    exports.learn(slots >> 1, mergedIds ? 0 : 1);
    const [sym, len, prev, next, qpos, qlink, heads, tails, sizes, heap, batch] = layout as [number, number, number, number, number, number, number, number, number, number, number];
    exports.layout(slots - 1, ids, sym, len, prev, next, qpos, qlink, heads, tails, sizes, heap, batch, entries);
    return instance;
  }
}

/** The model's rank as the module may use it: a rank at or past `ranks` would index past its lists. */
function checkedRank({ rank, ranks }: MergeSource): (a: number, b: number) => number {
  return (a, b) => {
    const r = rank(a, b);
    if (r !== NO_RANK && !(r >= 0 && r < ranks)) throw new TokenizerError(`merge (${a}, ${b}) gives id ${r}: ids must be below ${ranks}`, "model.merges");
    return r;
  };
}

/** The queue's entries: at most 3 a symbol (the pairs first queued and two for each merge), which the instance kept
 * between pieces has room for. A longer piece's instance first gets one a symbol: a list's entries are reused once
 * it is taken, and the pieces met so far needed fewer (a piece of one letter: its first list, one a symbol, is taken
 * before its merges queue the next); V8 counts a memory's whole size as external memory and starts a full
 * collection past ~64 MB of it (52 bytes a symbol: a 1 MB piece's collection took 30–50 ms more of the call). */
const WORST_ENTRIES = 3;

/**
 * A model's long-piece merge in wasm: `merge` gives HF's order while merges make only pairs ranked above their own,
 * −1 as soon as one does not (the caller's symbols then untouched). One instance with room
 * for KEPT_SYMBOLS lives as long as the model; a longer piece is merged in an instance made for it and dropped after.
 */
export class WasmRankMerge {
  /** The instance kept between pieces, made at the first piece it has room for (a longer first piece does not make
   * it: its 5 MB would count against V8's external memory beside that piece's own instance). */
  private kept: RankMergeInstance | null | undefined = undefined;

  private constructor(private readonly source: MergeSource) {}

  /** The merge for `merges` (a merges list's, or a rule's whose ids are below `idLimit`), or null where it cannot run
   * (no WebAssembly). */
  static for(merges: MergeTable, idLimit: number): WasmRankMerge | null {
    if (!wasmModule(rankMergeWasm)) return null;
    const mergedIds = merges.mergedIdsByRank();
    return new WasmRankMerge({ rank: (a, b) => merges.rank(a, b), ranks: mergedIds ? mergedIds.length : idLimit, mergedIds });
  }

  /** Merges sym[0, n) / len[0, n) in place by rank lists (`len` null: no lengths, where the caller reads only the
   * ids); returns the new symbol count, −1 when the model's ranks do not rise (sym and len then as they were), or −2
   * where it has no instance to merge in (a piece too long for a wasm memory, or a memory refused). */
  merge(sym: Int32Array, len: Int32Array | null, n: number): number {
    if (n <= KEPT_SYMBOLS) {
      if (this.kept === undefined) this.kept = RankMergeInstance.make(this.source, KEPT_SYMBOLS, WORST_ENTRIES * KEPT_SYMBOLS);
      return this.kept ? mergeIn(this.kept, sym, len, n) : -2;
    }
    let capacity = 2 * KEPT_SYMBOLS;
    while (capacity < n) capacity *= 2;
    if (capacity > MOST_SYMBOLS) return -2;
    for (const entries of [capacity + (capacity >> 1), WORST_ENTRIES * capacity]) {
      // (Without lengths a 1 MB piece's memory is 4 MB smaller: V8 counts it all as external memory, and past ~64 MB
      // of that since its last full collection starts one, then sets its next limits from a heap still small.)
      const instance = RankMergeInstance.make(this.source, capacity, entries, TABLE_SLOTS, len !== null);
      if (!instance) return -2;
      const m = mergeIn(instance, sym, len, n);
      if (m !== FULL) return m;
    }
    return -2; // (not met: 3 entries a symbol is the most a merge can queue)
  }
}

/** What mergeIn answers when the instance ran out of queue entries. */
export const FULL = -3;

/** WasmRankMerge.merge's work in `instance`: the new count, −1 (ranks do not rise) or FULL; sym and len are written
 * only with a new count. (Exported for its test.) */
export function mergeIn(instance: RankMergeInstance, sym: Int32Array, len: Int32Array | null, n: number): number {
  const x = instance.exports;
  const words = instance.words;
  words.set(sym.subarray(0, n), instance.sym);
  if (len) words.set(len.subarray(0, n), instance.len);
  x.reset(len ? 1 : 0);
  let merged = 1;
  // (The rank may throw, a rule giving one past the lists: they are emptied all the same, for the next piece.)
  try {
    for (let at = 0; at < n; at += PASS_CHUNK) x.queuePairs(n, at, Math.min(n, at + PASS_CHUNK));
    merged = x.full.value === 0 ? 1 : 0;
    while (merged && x.pending.value > 0) {
      const count = instance.takeLowest();
      const v = x.lowest.value as number;
      for (let at = 0; merged && at < count; at += PASS_CHUNK) merged = x.mergeList(at, Math.min(count, at + PASS_CHUNK), v) & (x.full.value ^ 1);
    }
  } finally {
    x.clear();
  }
  if (x.full.value) return FULL;
  if (!merged) return -1;
  let m = 0;
  for (let at = 0; at < n; at += PASS_CHUNK) m = x.compact(at, Math.min(n, at + PASS_CHUNK), m);
  sym.set(words.subarray(instance.sym, instance.sym + m));
  len?.set(words.subarray(instance.len, instance.len + m));
  return m;
}
