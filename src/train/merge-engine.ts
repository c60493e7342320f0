// The BPE merge loop over a weighted word table: incremental pair counts, pair → words index, and a max-heap with
// lazy invalidation. Each merge touches only the words that contain the pair and the pairs next to it, so the cost
// grows with corpus size plus merges, not their product.
//
// Tie-breaking (deterministic, same as the HF trainer): the most frequent pair wins; among equal counts, the pair
// with the smaller (left id, right id) wins. Ids are assigned in vocabulary order (special tokens, then the alphabet
// sorted by code point, then merged tokens in creation order).

import { PAIR_ID_LIMIT, pairKey, pairLeft, pairRight } from "../util/pair-key.js";

export const MAX_SYMBOL_ID = PAIR_ID_LIMIT - 1;

export interface MergeEngineOptions {
  /** Stop when the vocabulary (as counted by `vocabSize()`) reaches this size. */
  targetVocabSize: number;
  minFrequency?: number;
  /** Longest merged token, in characters of its string (prefixes excluded). */
  maxTokenLength?: number;
  /** WordPiece-style continuation prefix stripped from the right part when merging ("##"). */
  continuingPrefix?: string;
  onMerge?: (mergesDone: number) => void;
}

/** Words back to back as symbol ids (word w is symbols[offsets[w] .. offsets[w+1]]), with counts. */
export class WordTable {
  symbols = new Int32Array(1024);
  offsets = new Int32Array(1025);
  counts = new Float64Array(1024);
  count = 0;

  /** Appends a word; `syms` is read from index 0 to `length`. */
  add(syms: ArrayLike<number>, length: number, count: number): void {
    const at = this.offsets[this.count]!;
    if (at + length > this.symbols.length) {
      const bigger = new Int32Array(Math.max(2 * this.symbols.length, at + length));
      bigger.set(this.symbols);
      this.symbols = bigger;
    }
    for (let i = 0; i < length; i++) this.symbols[at + i] = syms[i]!;
    if (this.count + 1 >= this.counts.length) {
      const cap = 2 * this.counts.length;
      const c = new Float64Array(cap);
      c.set(this.counts);
      this.counts = c;
      const o = new Int32Array(cap + 1);
      o.set(this.offsets);
      this.offsets = o;
    }
    this.counts[this.count] = count;
    this.count++;
    this.offsets[this.count] = at + length;
  }
}

/** Growable max-heap of (count, key) ordered by count desc, then key asc. */
class PairHeap {
  private counts: number[] = [];
  private keys: number[] = [];
  get size(): number {
    return this.keys.length;
  }
  private above(i: number, j: number): boolean {
    const ci = this.counts[i]!;
    const cj = this.counts[j]!;
    return ci > cj || (ci === cj && this.keys[i]! < this.keys[j]!);
  }
  private swap(i: number, j: number): void {
    const c = this.counts[i]!;
    this.counts[i] = this.counts[j]!;
    this.counts[j] = c;
    const k = this.keys[i]!;
    this.keys[i] = this.keys[j]!;
    this.keys[j] = k;
  }
  push(count: number, key: number): void {
    this.counts.push(count);
    this.keys.push(key);
    let i = this.keys.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.above(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }
  topCount(): number {
    return this.counts[0]!;
  }
  topKey(): number {
    return this.keys[0]!;
  }
  pop(): void {
    const last = this.keys.length - 1;
    this.swap(0, last);
    this.counts.pop();
    this.keys.pop();
    const n = this.keys.length;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && this.above(r, l) ? r : l;
      if (!this.above(c, i)) break;
      this.swap(c, i);
      i = c;
    }
  }
}

/**
 * Words as symbol-id sequences with counts, plus the token table. `symbols` holds every word back to back;
 * word w occupies [start[w], start[w] + length[w]) and shrinks in place as merges apply.
 */
export class MergeEngine {
  readonly tokens: string[];
  readonly tokenIds: Map<string, number>;
  readonly merges: [number, number][] = [];
  private readonly symbols: Int32Array;
  private readonly start: Int32Array;
  private readonly length: Int32Array;
  private readonly counts: Float64Array;
  private readonly pairCounts = new Map<number, number>();
  private readonly pairWords = new Map<number, number[]>();
  private readonly stamp: Int32Array;
  private stampValue = 0;
  private readonly heap = new PairHeap();
  private readonly touched = new Set<number>();

  constructor(tokens: string[], words: WordTable) {
    this.tokens = tokens;
    this.tokenIds = new Map(tokens.map((t, i) => [t, i]));
    const n = words.count;
    this.symbols = words.symbols.subarray(0, words.offsets[n]!);
    this.start = words.offsets.subarray(0, n);
    this.length = new Int32Array(n);
    for (let w = 0; w < n; w++) this.length[w] = words.offsets[w + 1]! - words.offsets[w]!;
    this.counts = words.counts.subarray(0, n);
    this.stamp = new Int32Array(n);
    for (let w = 0; w < n; w++) {
      const s = this.start[w]!;
      const e = s + this.length[w]!;
      const c = this.counts[w]!;
      for (let i = s; i + 1 < e; i++) this.add(pairKey(this.symbols[i]!, this.symbols[i + 1]!), c, w);
    }
    for (const [key, c] of this.pairCounts) if (c > 0) this.heap.push(c, key);
    this.touched.clear();
  }

  private add(key: number, delta: number, word: number): void {
    this.pairCounts.set(key, (this.pairCounts.get(key) ?? 0) + delta);
    const list = this.pairWords.get(key);
    if (list === undefined) this.pairWords.set(key, [word]);
    else if (list[list.length - 1] !== word) list.push(word);
    this.touched.add(key);
  }

  private sub(key: number, delta: number): void {
    const c = this.pairCounts.get(key);
    if (c !== undefined) this.pairCounts.set(key, c - delta);
  }

  /** Current symbol ids of word w. */
  word(w: number): Int32Array {
    return this.symbols.subarray(this.start[w]!, this.start[w]! + this.length[w]!);
  }

  get wordCount(): number {
    return this.counts.length;
  }

  /** Adds (or finds) the token made of ids a and b, records the merge and applies it to every word holding the pair. */
  applyMerge(a: number, b: number, continuingPrefix?: string): number {
    const left = this.tokens[a]!;
    let right = this.tokens[b]!;
    if (continuingPrefix && right.startsWith(continuingPrefix)) right = right.slice(continuingPrefix.length);
    const merged = left + right;
    let id = this.tokenIds.get(merged);
    if (id === undefined) {
      id = this.tokens.length;
      if (id > MAX_SYMBOL_ID) throw new RangeError(`BPE training: more than ${MAX_SYMBOL_ID} tokens`);
      this.tokens.push(merged);
      this.tokenIds.set(merged, id);
    }
    this.merges.push([a, b]);
    const key = pairKey(a, b);
    const list = this.pairWords.get(key) ?? [];
    this.pairWords.delete(key);
    this.pairCounts.delete(key);
    const stamp = ++this.stampValue;
    const sym = this.symbols;
    this.touched.clear();
    for (const w of list) {
      if (this.stamp[w] === stamp) continue;
      this.stamp[w] = stamp;
      const s = this.start[w]!;
      const e = s + this.length[w]!;
      const c = this.counts[w]!;
      let j = s;
      let i = s;
      while (i < e) {
        if (i + 1 < e && sym[i] === a && sym[i + 1] === b) {
          if (j > s) {
            const p = sym[j - 1]!;
            const k = pairKey(p, a);
            if (k !== key) this.sub(k, c);
            this.add(pairKey(p, id), c, w);
          }
          if (i + 2 < e) {
            const n = sym[i + 2]!;
            const k = pairKey(b, n);
            if (k !== key) this.sub(k, c);
            this.add(pairKey(id, n), c, w);
          }
          sym[j++] = id;
          i += 2;
        } else sym[j++] = sym[i++]!;
      }
      this.length[w] = j - s;
    }
    // Pairs that gained count get a fresh heap entry; pairs that lost count are fixed lazily when they reach the top.
    for (const k of this.touched) {
      const c = this.pairCounts.get(k) ?? 0;
      if (c > 0) this.heap.push(c, k);
    }
    return id;
  }

  /** Runs merges until the vocabulary reaches `vocabSize() >= target`, no pair is left, or counts fall below min. */
  run(options: MergeEngineOptions, vocabSize: () => number): void {
    const minFrequency = options.minFrequency ?? 0;
    const maxLen = options.maxTokenLength ?? Infinity;
    const prefix = options.continuingPrefix;
    const heap = this.heap;
    while (vocabSize() < options.targetVocabSize && heap.size > 0) {
      const c = heap.topCount();
      const key = heap.topKey();
      heap.pop();
      const cur = this.pairCounts.get(key) ?? 0;
      if (cur !== c) {
        if (cur > 0) heap.push(cur, key);
        continue;
      }
      if (c < 1 || c < minFrequency) break;
      const a = pairLeft(key);
      const b = pairRight(key);
      if (maxLen !== Infinity) {
        let right = this.tokens[b]!;
        if (prefix && right.startsWith(prefix)) right = right.slice(prefix.length);
        let left = this.tokens[a]!;
        if (prefix && left.startsWith(prefix)) left = left.slice(prefix.length);
        if (charLength(left) + charLength(right) > maxLen) {
          this.pairCounts.delete(key);
          this.pairWords.delete(key);
          continue;
        }
      }
      this.applyMerge(a, b, prefix);
      options.onMerge?.(this.merges.length);
    }
  }
}

function charLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xdc00 || c > 0xdfff) n++;
  }
  return n;
}
