// The caches of pieces, both with two generations (when the young one fills it becomes the old one, and entries found
// in the old one move back, so words in use survive a turnover): PieceCache, a Map by the piece's string (the
// tokenizer's ids of pipeline pieces, Unigram's words), and SpanIdCache, ids keyed by a span of the input text (the
// byte-level fast path's words, BPE's runs) — the key's UTF-16 units are hashed and compared in place, so a lookup
// builds no substring and entries are rows of typed arrays (no per-entry objects for the GC to trace).

import { grow } from "../../util/grow.js";

/** Pieces shorter than this (UTF-16 units) are cached, by every cache of the pipeline (HF caches words under 256
 * bytes): long pieces rarely repeat, and a text with no pre-tokenizer (Llama 2) is one piece that would pin the whole
 * text and its tokens in memory. */
export const CACHED_PIECE_LIMIT = 256;

/** The pipeline's piece cache (and Unigram's) keeps only pieces shorter than this: words. With no pre-tokenizer
 * (Llama 2, SentencePiece .model files) a piece is a whole sentence, which unseen text almost never repeats, and
 * holding 100,000 of them cost the GC more than their hits saved: .model on FLORES 42 languages, first pass,
 * encodeIds 4.6 -> 10.2 MB/s and encode() 3.7 -> 6.6 when the limit went from 256 to 64 (session 13). */
export const CACHED_WORD_LIMIT = 64;

/** A bounded map with two generations: when the young one is full it becomes the old one (the previous old one is
 * dropped), and entries found in the old one move back. Words in use survive a turnover; a plain clear would lose
 * them all at once. */
export class PieceCache<V> {
  private young = new Map<string, V>();
  private old = new Map<string, V>();
  constructor(
    private readonly limit: number,
    /** Pieces this long or longer (UTF-16 units) are not kept. */
    readonly maxKey = CACHED_PIECE_LIMIT,
  ) {}
  get(key: string): V | undefined {
    // A long key is never kept: no need to hash it.
    if (key.length >= this.maxKey) return undefined;
    const v = this.young.get(key);
    if (v !== undefined) return v;
    const o = this.old.get(key);
    if (o !== undefined) this.set(key, o);
    return o;
  }
  set(key: string, value: V): void {
    if (key.length >= this.maxKey) return;
    if (this.young.size >= this.limit) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(key, value);
  }
  clear(): void {
    this.young.clear();
    this.old.clear();
  }
}

/** Hash of text[start, end) (FNV-1a over UTF-16 units). */
export function spanHash(text: string, start: number, end: number): number {
  let h = 0x811c9dc5 | 0;
  for (let i = start; i < end; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h;
}

/** Ints per entry: its hash; where its key starts in `keys`; its key's length | its values' count << 16; where its
 * values start in `vals`. One record, so a lookup that reaches an entry reads one cache line, not one per field. */
const ENTRY = 4;
/** Key lengths and value counts share one int (16 bits each, the sign bit left clear). */
const MAX_KEY_UNITS = 0xffff;
const MAX_VALUES = 0x7fff;

class Generation {
  /** Per slot, side by side: the hash of its entry and the entry's index + 1 (0: empty) — a probe that meets another
   * key's slot rejects it by hash without reading the entry. */
  slots = new Int32Array(2 * 1024);
  entries = new Int32Array(ENTRY * 512);
  keys = new Uint16Array(4096);
  vals = new Int32Array(2048);
  count = 0;
  keyTop = 0;
  valTop = 0;

  clear(): void {
    this.slots.fill(0);
    this.count = this.keyTop = this.valTop = 0;
  }

  /** The entry of the span, or −1. */
  find(h: number, text: string, start: number, end: number): number {
    const slots = this.slots;
    const mask = (slots.length >> 1) - 1;
    const len = end - start;
    for (let s = h & mask; ; s = (s + 1) & mask) {
      const e = slots[2 * s + 1]! - 1;
      if (e < 0) return -1;
      if (slots[2 * s] !== h) continue;
      const r = ENTRY * e;
      const entries = this.entries;
      if ((entries[r + 2]! & 0xffff) !== len) continue;
      const keys = this.keys;
      let k = entries[r + 1]!;
      let i = start;
      while (i < end && keys[k] === text.charCodeAt(i)) {
        i++;
        k++;
      }
      if (i === end) return e;
    }
  }

  /** Where entry e's values start in `vals`. */
  valAt(e: number): number {
    return this.entries[ENTRY * e + 3]!;
  }

  /** How many values entry e has. */
  valLen(e: number): number {
    return this.entries[ENTRY * e + 2]! >>> 16;
  }

  /** Adds an entry (the span must be absent, at most MAX_KEY_UNITS long, with at most MAX_VALUES values). */
  add(h: number, text: string, start: number, end: number, ids: ArrayLike<number>, from: number, to: number): void {
    const len = end - start;
    const n = to - from;
    if (ENTRY * (this.count + 1) > this.entries.length) this.growEntries();
    if (this.keyTop + len > this.keys.length) this.keys = grow(this.keys, this.keyTop + len);
    if (this.valTop + n > this.vals.length) this.vals = grow(this.vals, this.valTop + n);
    const e = this.count++;
    const r = ENTRY * e;
    const entries = this.entries;
    entries[r] = h;
    entries[r + 1] = this.keyTop;
    entries[r + 2] = len | (n << 16);
    entries[r + 3] = this.valTop;
    const keys = this.keys;
    for (let i = start; i < end; i++) keys[this.keyTop++] = text.charCodeAt(i);
    const vals = this.vals;
    for (let i = from; i < to; i++) vals[this.valTop++] = ids[i]!;
    this.place(e);
  }

  private place(e: number): void {
    const slots = this.slots;
    const mask = (slots.length >> 1) - 1;
    const h = this.entries[ENTRY * e]!;
    let s = h & mask;
    while (slots[2 * s + 1] !== 0) s = (s + 1) & mask;
    slots[2 * s] = h;
    slots[2 * s + 1] = e + 1;
  }

  private growEntries(): void {
    this.entries = grow(this.entries, this.entries.length * 2);
    // Slots stay at least twice the entries (load factor at most one half).
    this.slots = new Int32Array(2 * 2 * (this.entries.length / ENTRY));
    for (let e = 0; e < this.count; e++) this.place(e);
  }
}

export class SpanIdCache {
  private young = new Generation();
  private old = new Generation();
  /** `maxKey`: spans of this many units or more are not cached (smaller in tests). */
  constructor(
    private readonly limit: number,
    readonly maxKey = CACHED_PIECE_LIMIT,
  ) {}

  /** The values of the last span `find` found: `values[at, at + found)`. */
  values: Int32Array = this.young.vals;
  found = 0;
  private readonly moving: number[] = [];

  /** Finds text[start, end) (`h` is its spanHash): the index in `values` of its first value (`found` of them), or −1.
   * `values` stays valid until the next `add`. */
  find(h: number, text: string, start: number, end: number): number {
    let g = this.young;
    let e = g.find(h, text, start, end);
    if (e < 0) {
      const old = this.old;
      e = old.find(h, text, start, end);
      if (e < 0) return -1;
      // Back into the young generation, copied out first: a turnover clears the old rows.
      const moving = this.moving;
      moving.length = 0;
      for (let k = old.valAt(e), stop = k + old.valLen(e); k < stop; k++) moving.push(old.vals[k]!);
      this.add(h, text, start, end, moving, 0, moving.length);
      g = this.young;
      e = g.count - 1;
    }
    this.values = g.vals;
    this.found = g.valLen(e);
    return g.valAt(e);
  }

  /** Appends the cached values of text[start, end) to `out`; false when absent. `h` is spanHash of the span. */
  append(h: number, text: string, start: number, end: number, out: number[]): boolean {
    const at = this.find(h, text, start, end);
    if (at < 0) return false;
    const vals = this.values;
    for (let k = at, stop = at + this.found; k < stop; k++) out.push(vals[k]!);
    return true;
  }

  /** Caches ids[from, to) for text[start, end). */
  add(h: number, text: string, start: number, end: number, ids: ArrayLike<number>, from: number, to: number): void {
    if (end - start >= this.maxKey || end - start > MAX_KEY_UNITS || to - from > MAX_VALUES) return;
    if (this.young.count >= this.limit) {
      const spare = this.old;
      this.old = this.young;
      spare.clear();
      this.young = spare;
    }
    this.young.add(h, text, start, end, ids, from, to);
  }

  clear(): void {
    this.young.clear();
    this.old.clear();
  }
}
