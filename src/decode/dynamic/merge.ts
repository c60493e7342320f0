// Batch-level dynamic merging (Feher, Vulić, Minixhofer, "Retrofitting (Large) Language Models with Dynamic
// Tokenization", ACL 2025): the token sequences of one batch are shortened by BPE merges learned on that batch alone —
// repeatedly, the most frequent valid adjacent pair becomes a new token. The rule matches the anchor's loop (pairs
// counted at every adjacent position, overlaps included; each chosen pair merged left to right in every sequence;
// among equally frequent pairs the one that occurs first in batch order wins, which is the anchor's Counter order),
// but counts are kept incrementally: a merge touches only its occurrences and their neighbours, never the whole batch.

import type { Tokenizer } from "../../tokenize/tokenizer.js";
import { canonicality, type Canonicality } from "../canonical.js";
import { TokenByteTable } from "../token-bytes.js";
import { isValidUtf8 } from "../canonical.js";

/** Where merged bytes may reach: inside one pre-token, inside one word (whitespace only at its start), or anywhere in
 * the sequence. Special tokens are never merged in any mode. */
export type DynamicBoundary = "pretokens" | "word" | "sentence";
export const DYNAMIC_BOUNDARIES: readonly DynamicBoundary[] = ["pretokens", "word", "sentence"];

export interface DynamicMergeOptions {
  boundary?: DynamicBoundary;
  /** Stop after this many merges (default: no limit besides `reduction`). */
  merges?: number;
  /** Stop at the first merge that makes the batch this much shorter: 1 − tokens after / tokens before, in [0, 1). */
  reduction?: number;
}

/** One learned merge: the token `id` (= baseSize + its index) spells left's bytes then right's. */
export interface DynamicMergeStep {
  left: number;
  right: number;
  /** Adjacent positions of the pair when it was chosen (overlapping ones included, as counted). */
  count: number;
}

export interface DynamicBatch {
  boundary: DynamicBoundary;
  /** Ids below this are the tokenizer's; id baseSize + k is the token of merges[k]. */
  baseSize: number;
  merges: DynamicMergeStep[];
  /** The batch's sequences after the merges. */
  sequences: Int32Array[];
  tokensBefore: number;
  tokensAfter: number;
  /** 1 − tokensAfter / tokensBefore (0 for an empty batch). */
  reduction: number;
  /** The bytes a token adds mid-sequence (base ids: the tokenizer's; merged ids: the concatenation). */
  bytes(id: number): Uint8Array;
}

/** Ids and positions stay below 2^26, so (left, right) and (count, position) pack exactly into one double. */
const SHIFT = 2 ** 26;

/** Binary min-heap of (priority, item) numbers. */
class NumberHeap {
  private readonly prio: number[] = [];
  private readonly item: number[] = [];
  get size(): number {
    return this.prio.length;
  }
  topPriority(): number {
    return this.prio[0]!;
  }
  topItem(): number {
    return this.item[0]!;
  }
  push(p: number, x: number): void {
    const { prio, item } = this;
    let i = prio.length;
    prio.push(p);
    item.push(x);
    while (i > 0) {
      const up = (i - 1) >> 1;
      if (prio[up]! <= p) break;
      prio[i] = prio[up]!;
      item[i] = item[up]!;
      i = up;
    }
    prio[i] = p;
    item[i] = x;
  }
  pop(): void {
    const { prio, item } = this;
    const p = prio.pop()!;
    const x = item.pop()!;
    const n = prio.length;
    if (n === 0) return;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && prio[c + 1]! < prio[c]!) c++;
      if (prio[c]! >= p) break;
      prio[i] = prio[c]!;
      item[i] = item[c]!;
      i = c;
    }
    prio[i] = p;
    item[i] = x;
  }
}

const lossyUtf8 = new TextDecoder("utf-8", { ignoreBOM: true });
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** A leading run of whitespace, then none: a word with the space(s) before it, or whitespace alone. */
const WORD_SHAPE = /^\s*\S*$/u;

/**
 * Dynamic merging over one tokenizer. Pair validity depends only on the two tokens' bytes, and is remembered across
 * batches by those bytes.
 */
export class DynamicMerger {
  readonly table: TokenByteTable;
  private readonly canon: Canonicality | null;
  private readonly verdicts = new Map<string, boolean>();

  constructor(readonly tokenizer: Tokenizer) {
    this.table = TokenByteTable.fromTokenizer(tokenizer);
    this.canon = tokenizer.preTokenizer ? canonicality(tokenizer) : null;
    if (this.table.size >= SHIFT) throw new Error(`dynamic merging: the vocabulary has ${this.table.size} tokens, at most ${SHIFT - 1} are supported`);
  }

  /**
   * Whether a token spelling `left` then `right` may be formed under `boundary` (both non-special). `pretokens`: the
   * pre-tokenizer leaves the joined text whole when it stands inside a text; bytes that are not valid UTF-8 cannot be
   * pre-tokenized, so there (as in the anchor) the word rule decides. `word`: whitespace only as a leading run.
   */
  validBytes(left: Uint8Array, right: Uint8Array, boundary: DynamicBoundary): boolean {
    if (boundary === "sentence") return true;
    const joined = new Uint8Array(left.length + right.length);
    joined.set(left);
    joined.set(right, left.length);
    let key = boundary === "word" ? "w" : "p";
    for (let i = 0; i < joined.length; i++) key += String.fromCharCode(joined[i]!);
    const known = this.verdicts.get(key);
    if (known !== undefined) return known;
    let ok: boolean;
    if (boundary === "pretokens" && isValidUtf8(joined)) {
      ok = this.canon ? this.canon.midPreTokens(strictUtf8.decode(joined)).length === 1 : true;
    } else ok = WORD_SHAPE.test(lossyUtf8.decode(joined));
    if (this.verdicts.size > 1 << 20) this.verdicts.clear();
    this.verdicts.set(key, ok);
    return ok;
  }

  /** Merges one batch of token sequences (ids of this tokenizer). Deterministic: the same batch gives the same merges. */
  mergeBatch(batch: readonly ArrayLike<number>[], options: DynamicMergeOptions = {}): DynamicBatch {
    const boundary = options.boundary ?? "pretokens";
    if (!DYNAMIC_BOUNDARIES.includes(boundary)) throw new Error(`dynamic merging: boundary must be one of ${DYNAMIC_BOUNDARIES.join(", ")}, got ${JSON.stringify(boundary)}`);
    const maxMerges = options.merges ?? Infinity;
    if (options.merges !== undefined && !(Number.isInteger(maxMerges) && maxMerges >= 0)) throw new Error(`dynamic merging: merges must be a non-negative integer, got ${options.merges}`);
    const target = options.reduction;
    if (target !== undefined && !(typeof target === "number" && target >= 0 && target < 1)) throw new Error(`dynamic merging: reduction must be in [0, 1), got ${target}`);
    if (options.merges === undefined && target === undefined) throw new Error("dynamic merging: give merges or reduction");

    const table = this.table;
    const base = table.size;
    let total = 0;
    for (const seq of batch) total += seq.length;
    if (total >= SHIFT) throw new Error(`dynamic merging: the batch has ${total} tokens, at most ${SHIFT - 1} are supported`);
    const tok = new Int32Array(total);
    const next = new Int32Array(total);
    const prev = new Int32Array(total);
    const heads: number[] = [];
    let at = 0;
    batch.forEach((seq, s) => {
      heads.push(seq.length > 0 ? at : -1);
      for (let i = 0; i < seq.length; i++, at++) {
        const id = seq[i]!;
        if (!(Number.isInteger(id) && id >= 0 && id < base)) throw new Error(`dynamic merging: sequence ${s + 1}, position ${i + 1}: id ${id} is outside the vocabulary [0, ${base})`);
        tok[at] = id;
        prev[at] = i === 0 ? -1 : at - 1;
        next[at] = i === seq.length - 1 ? -1 : at + 1;
      }
    });

    const merged: Uint8Array[] = [];
    const bytesOf = (id: number): Uint8Array => (id < base ? table.bytes(id) : merged[id - base]!);
    const special = (id: number): boolean => id < base && table.isSpecial(id);
    const pairValid = new Map<number, boolean>();
    const valid = (l: number, r: number): boolean => {
      const key = l * SHIFT + r;
      let v = pairValid.get(key);
      if (v === undefined) pairValid.set(key, (v = !special(l) && !special(r) && this.validBytes(bytesOf(l), bytesOf(r), boundary)));
      return v;
    };

    // Per valid pair: its occurrences (left node indices), a lazily pruned min-heap of them (the first occurrence),
    // and in one global heap entries ordered by (count desc, first occurrence asc); stale entries are skipped on pop.
    const occurrences = new Map<number, Set<number>>();
    const firsts = new Map<number, NumberHeap>();
    const queue = new NumberHeap();
    const firstOf = (key: number): number => {
      const set = occurrences.get(key)!;
      const h = firsts.get(key)!;
      while (!set.has(h.topItem())) h.pop();
      return h.topItem();
    };
    const priority = (key: number): number => {
      const n = occurrences.get(key)?.size ?? 0;
      return n === 0 ? -1 : (SHIFT - n) * SHIFT + firstOf(key);
    };
    const requeue = (key: number): void => {
      const p = priority(key);
      if (p >= 0) queue.push(p, key);
    };
    const add = (q: number): void => {
      const l = tok[q]!;
      const r = tok[next[q]!]!;
      if (!valid(l, r)) return;
      const key = l * SHIFT + r;
      let set = occurrences.get(key);
      if (!set) {
        occurrences.set(key, (set = new Set()));
        firsts.set(key, new NumberHeap());
      }
      set.add(q);
      firsts.get(key)!.push(q, q);
    };
    const remove = (q: number): number => {
      const key = tok[q]! * SHIFT + tok[next[q]!]!;
      occurrences.get(key)?.delete(q);
      return key;
    };

    for (let q = 0; q < total; q++) if (next[q]! >= 0) add(q);
    for (const key of occurrences.keys()) requeue(key);

    const merges: DynamicMergeStep[] = [];
    let length = total;
    const reached = (): boolean => merges.length >= maxMerges || (target !== undefined && total > 0 && 1 - length / total >= target);
    while (!reached()) {
      let best = -1;
      while (queue.size > 0) {
        const key = queue.topItem();
        const p = queue.topPriority();
        queue.pop();
        if (p === priority(key)) {
          best = key;
          break;
        }
      }
      if (best < 0) break;
      const left = Math.floor(best / SHIFT);
      const right = best - left * SHIFT;
      const id = base + merges.length;
      const lb = bytesOf(left);
      const rb = bytesOf(right);
      const joined = new Uint8Array(lb.length + rb.length);
      joined.set(lb);
      joined.set(rb, lb.length);
      merged.push(joined);
      const positions = Array.from(occurrences.get(best)!).sort((a, b) => a - b);
      merges.push({ left, right, count: positions.length });
      const touched = new Set<number>();
      for (const p of positions) {
        if (!occurrences.get(best)!.has(p)) continue; // consumed by the merge just before it (overlapping pair)
        const j = next[p]!;
        const before = prev[p]!;
        const after = next[j]!;
        if (before >= 0) touched.add(remove(before));
        remove(p);
        if (after >= 0) touched.add(remove(j));
        tok[p] = id;
        tok[j] = -1;
        next[p] = after;
        if (after >= 0) prev[after] = p;
        length--;
        if (before >= 0) {
          add(before);
          touched.add(tok[before]! * SHIFT + id);
        }
        if (after >= 0) {
          add(p);
          touched.add(id * SHIFT + tok[after]!);
        }
      }
      for (const key of touched) if (occurrences.has(key)) requeue(key);
      occurrences.delete(best);
      firsts.delete(best);
    }

    const sequences = heads.map((h) => {
      const out: number[] = [];
      for (let q = h; q >= 0; q = next[q]!) out.push(tok[q]!);
      return Int32Array.from(out);
    });
    return { boundary, baseSize: base, merges, sequences, tokensBefore: total, tokensAfter: length, reduction: total === 0 ? 0 : 1 - length / total, bytes: bytesOf };
  }

  /**
   * Applies the merges learned on another batch to this one, as a fixed BPE would (each merge in order, left to right
   * in every sequence): the held-out use of a dynamic vocabulary. Per sequence, the lowest-ranked pair present is
   * merged first, which is the same as applying the whole list in order (a pair with a merged token outranks the merge
   * that made it).
   */
  applyMerges(batch: readonly ArrayLike<number>[], learned: DynamicBatch): DynamicBatch {
    const base = learned.baseSize;
    if (base !== this.table.size) throw new Error(`dynamic merging: the merges were learned over a vocabulary of ${base}, this tokenizer has ${this.table.size}`);
    const rank = new Map<number, number>();
    learned.merges.forEach((m, k) => rank.set(m.left * SHIFT + m.right, k));
    let before = 0;
    let after = 0;
    const sequences = batch.map((seq, s) => {
      let cur = Array.from(seq);
      cur.forEach((id, i) => {
        if (!(Number.isInteger(id) && id >= 0 && id < base)) throw new Error(`dynamic merging: sequence ${s + 1}, position ${i + 1}: id ${id} is outside the vocabulary [0, ${base})`);
      });
      before += cur.length;
      for (;;) {
        let best = Infinity;
        for (let i = 0; i + 1 < cur.length; i++) {
          const r = rank.get(cur[i]! * SHIFT + cur[i + 1]!);
          if (r !== undefined && r < best) best = r;
        }
        if (best === Infinity) break;
        const { left, right } = learned.merges[best]!;
        const out: number[] = [];
        for (let i = 0; i < cur.length; i++) {
          if (i + 1 < cur.length && cur[i] === left && cur[i + 1] === right) {
            out.push(base + best);
            i++;
          } else out.push(cur[i]!);
        }
        cur = out;
      }
      after += cur.length;
      return Int32Array.from(cur);
    });
    return { ...learned, sequences, tokensBefore: before, tokensAfter: after, reduction: before === 0 ? 0 : 1 - after / before };
  }
}
