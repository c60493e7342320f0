// The long-piece merge by rank lists in WebAssembly (rank-merge.wat), for models whose merges are a list: the same
// algorithm as bpe.ts's mergeByRank, which stays for merges given as a rule (a cache filled as pairs are met) and for
// runtimes without WebAssembly. A fresh process ran a long piece's first megabyte through the JavaScript loops
// mostly before V8 had optimised them; the module is compiled before its first call.

import { PASS_CHUNK } from "../../util/grow.js";
import { wasmInstance } from "../../util/wasm-instance.js";
import type { MergeTable } from "./merge-table.js";
import { rankMergeWasm } from "./rank-merge-wasm.js";

interface RankMergeExports {
  memory: WebAssembly.Memory;
  layout(mask: number, ids: number, sym: number, len: number, prev: number, next: number, qpos: number, qlink: number, heads: number, tails: number, sizes: number, heap: number, batch: number): void;
  reset(): void;
  add(rank: number, position: number): void;
  queuePairs(n: number, from: number, to: number): void;
  takeLowest(): number;
  mergeList(from: number, to: number, v: number): number;
  clear(): void;
  compact(from: number, to: number, m: number): number;
  pending: WebAssembly.Global;
  lowest: WebAssembly.Global;
  sorted: WebAssembly.Global;
}

/** Symbols the instance kept between pieces has room for; a longer piece gets an instance of its own (the memory
 * is 52 bytes a symbol of room, touched only as far as the piece goes). */
const KEPT_SYMBOLS = 1 << 16;
/** Past this many symbols the memory would pass wasm's 4 GB: such a piece merges in JavaScript. */
const MOST_SYMBOLS = 1 << 26;

/** One instance of the module, with the table copied in and room for `capacity` symbols. (Exported for its queue's
 * test.) */
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

  static make(table: { cells: Int32Array; mask: number; mergedIds: Int32Array }, capacity: number): RankMergeInstance | null {
    const ranks = table.mergedIds.length;
    // Word offsets: the cells, the merged ids, then the piece's arrays (the queue's entries: at most 3 a symbol,
    // the pairs first queued and two for each merge).
    let at = table.cells.length;
    const take = (n: number) => ((at += n), 4 * (at - n));
    const ids = take(ranks);
    const layout = [take(capacity), take(capacity), take(capacity), take(capacity), take(3 * capacity), take(3 * capacity), take(ranks), take(ranks), take(ranks), take(ranks), take(3 * capacity)];
    const exports = wasmInstance<RankMergeExports>(rankMergeWasm, 4 * at);
    if (!exports) return null;
    const instance = new RankMergeInstance(exports, capacity, layout);
    instance.words.set(table.cells, 0);
    instance.words.set(table.mergedIds, ids >> 2);
    const [sym, len, prev, next, qpos, qlink, heads, tails, sizes, heap, batch] = layout as [number, number, number, number, number, number, number, number, number, number, number];
    exports.layout(table.mask, ids, sym, len, prev, next, qpos, qlink, heads, tails, sizes, heap, batch);
    return instance;
  }
}

/**
 * A model's long-piece merge in wasm: `merge` is mergeByRank's contract (HF's order while merges make only pairs
 * ranked above their own; −1 as soon as one does not, the caller's symbols then untouched). One instance with room
 * for KEPT_SYMBOLS lives as long as the model; a longer piece is merged in an instance made for it and dropped after.
 */
export class WasmRankMerge {
  private kept: RankMergeInstance | null = null;

  private constructor(private readonly table: { cells: Int32Array; mask: number; mergedIds: Int32Array }) {}

  /** The merge for `merges`, or null where it cannot run: merges given as a rule, or no WebAssembly. */
  static for(merges: MergeTable): WasmRankMerge | null {
    const table = merges.image();
    if (!table) return null;
    const merge = new WasmRankMerge(table);
    merge.kept = RankMergeInstance.make(table, KEPT_SYMBOLS);
    return merge.kept ? merge : null;
  }

  /** Merges sym[0, n) / len[0, n) in place by rank lists; returns the new symbol count, −1 when the model's ranks
   * do not rise (sym and len then as they were), or −2 when this piece is too long for a wasm memory. */
  merge(sym: Int32Array, len: Int32Array, n: number): number {
    let instance = this.kept!;
    if (n > instance.capacity) {
      let capacity = 2 * KEPT_SYMBOLS;
      while (capacity < n) capacity *= 2;
      const made = capacity <= MOST_SYMBOLS ? RankMergeInstance.make(this.table, capacity) : null;
      if (!made) return -2;
      instance = made;
    }
    const x = instance.exports;
    const words = instance.words;
    words.set(sym.subarray(0, n), instance.sym);
    words.set(len.subarray(0, n), instance.len);
    x.reset();
    for (let at = 0; at < n; at += PASS_CHUNK) x.queuePairs(n, at, Math.min(n, at + PASS_CHUNK));
    let merged = 1;
    while (merged && x.pending.value > 0) {
      const count = instance.takeLowest();
      const v = x.lowest.value as number;
      for (let at = 0; merged && at < count; at += PASS_CHUNK) merged = x.mergeList(at, Math.min(count, at + PASS_CHUNK), v);
    }
    x.clear();
    if (!merged) return -1;
    let m = 0;
    for (let at = 0; at < n; at += PASS_CHUNK) m = x.compact(at, Math.min(n, at + PASS_CHUNK), m);
    sym.set(words.subarray(instance.sym, instance.sym + m));
    len.set(words.subarray(instance.len, instance.len + m));
    return m;
  }
}
