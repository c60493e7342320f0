// Continued BPE training: extend an existing tokenizer's vocabulary with merges learned on new text, keeping every
// old id and every old merge (the Cabrita / "Teaching Old Tokenizers New Words" use case).

import type { Json, JsonObject } from "../tokenize/types.js";
import { TokenizerError } from "../tokenize/types.js";
import type { WordCounter } from "./corpus.js";
import { MergeEngine, WordTable } from "./merge-engine.js";
import type { TrainOptions } from "./train.js";
import { pairKey } from "../util/pair-key.js";

/** Reads merges written either as ["a", "b"] pairs or as "a b" strings. */
export function readMerges(merges: Json, where: string): [string, string][] {
  if (!Array.isArray(merges)) throw new TokenizerError(`${where}: model.merges must be an array`);
  return merges.map((m, i) => {
    if (Array.isArray(m) && m.length === 2 && typeof m[0] === "string" && typeof m[1] === "string") return [m[0], m[1]];
    if (typeof m === "string") {
      const sp = m.indexOf(" ", 1);
      if (sp > 0) return [m.slice(0, sp), m.slice(sp + 1)];
    }
    throw new TokenizerError(`${where}: model.merges[${i}] is not a pair of tokens`);
  });
}

/** Splits a word into base tokens by applying ranked merges (heap over adjacent pairs: O(n log n) per word). */
export function applyRankedMerges(symbols: number[], rank: (a: number, b: number) => number | undefined, result: (a: number, b: number) => number): number[] {
  const n = symbols.length;
  if (n < 2) return symbols;
  const sym = symbols.slice();
  const next = new Int32Array(n);
  const prev = new Int32Array(n);
  const alive = new Uint8Array(n).fill(1);
  for (let i = 0; i < n; i++) {
    next[i] = i + 1 < n ? i + 1 : -1;
    prev[i] = i - 1;
  }
  // Heap of [rank, position]; stale entries are skipped when the pair at the position changed.
  const heap: [number, number, number, number][] = [];
  const push = (i: number): void => {
    const j = next[i]!;
    if (j < 0) return;
    const r = rank(sym[i]!, sym[j]!);
    if (r === undefined) return;
    heap.push([r, i, sym[i]!, sym[j]!]);
    let k = heap.length - 1;
    while (k > 0) {
      const p = (k - 1) >> 1;
      if (heap[p]![0] < heap[k]![0] || (heap[p]![0] === heap[k]![0] && heap[p]![1] <= heap[k]![1])) break;
      [heap[p], heap[k]] = [heap[k]!, heap[p]!];
      k = p;
    }
  };
  const pop = (): [number, number, number, number] => {
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let k = 0;
      for (;;) {
        const l = 2 * k + 1;
        if (l >= heap.length) break;
        const r = l + 1;
        const less = (x: number, y: number): boolean => heap[x]![0] < heap[y]![0] || (heap[x]![0] === heap[y]![0] && heap[x]![1] < heap[y]![1]);
        const c = r < heap.length && less(r, l) ? r : l;
        if (!less(c, k)) break;
        [heap[c], heap[k]] = [heap[k]!, heap[c]!];
        k = c;
      }
    }
    return top;
  };
  for (let i = 0; i + 1 < n; i++) push(i);
  while (heap.length > 0) {
    const [, i, a, b] = pop();
    const j = next[i]!;
    if (!alive[i] || j < 0 || sym[i] !== a || sym[j] !== b) continue;
    sym[i] = result(a, b);
    alive[j] = 0;
    next[i] = next[j]!;
    if (next[j]! >= 0) prev[next[j]!] = i;
    if (prev[i]! >= 0) push(prev[i]!);
    push(i);
  }
  const out: number[] = [];
  for (let i = 0; i >= 0; i = next[i]!) out.push(sym[i]!);
  return out;
}

/** Extends a BPE tokenizer.json with merges learned from `counter`'s words until the vocabulary reaches `vocabSize`. */
export function continueBpe(base: JsonObject, counter: WordCounter, options: TrainOptions & { fileName?: string }): JsonObject {
  const where = options.fileName ?? "tokenizer.json";
  const model = base.model as JsonObject | undefined;
  if (!model || model.type !== "BPE") throw new TokenizerError(`${where}: continued training needs a BPE model (model.type is ${model?.type})`);
  const vocab = model.vocab as Record<string, number>;
  let maxId = -1;
  for (const id of Object.values(vocab)) maxId = Math.max(maxId, id);
  for (const t of (base.added_tokens as JsonObject[]) ?? []) maxId = Math.max(maxId, t.id as number);
  const tokens: string[] = new Array(maxId + 1);
  for (let i = 0; i <= maxId; i++) tokens[i] = `\u0000unused ${i}`;
  for (const [t, id] of Object.entries(vocab)) tokens[id] = t;
  if (options.vocabSize <= maxId + 1) {
    throw new TokenizerError(`${where}: already has ${maxId + 1} ids; --vocab-size must be larger to add merges (got ${options.vocabSize})`);
  }
  const oldMerges = readMerges(model.merges as Json, where);
  const rankOf = new Map<number, number>();
  const resultOf = new Map<number, number>();
  oldMerges.forEach(([l, r], i) => {
    const a = vocab[l];
    const b = vocab[r];
    const m = vocab[l + r];
    if (a === undefined || b === undefined || m === undefined) throw new TokenizerError(`${where}: model.merges[${i}] uses a token missing from the vocabulary`);
    const key = pairKey(a, b);
    if (!rankOf.has(key)) {
      rankOf.set(key, i);
      resultOf.set(key, m);
    }
  });
  const words = counter.words();
  if (words.size === 0) throw new TokenizerError("continued training: the corpus is empty");
  const table = new WordTable();
  for (const [w, c] of words) {
    const chars: number[] = [];
    for (const ch of w) {
      const id = vocab[ch];
      if (id !== undefined) chars.push(id);
    }
    if (chars.length === 0) continue;
    const split = applyRankedMerges(chars, (a, b) => rankOf.get(pairKey(a, b)), (a, b) => resultOf.get(pairKey(a, b))!);
    table.add(split, split.length, c);
  }
  const engine = new MergeEngine(tokens, table);
  engine.run({ targetVocabSize: options.vocabSize, minFrequency: options.minFrequency, maxTokenLength: options.maxTokenLength }, () => engine.tokens.length);
  const out = structuredClone(base);
  const outModel = out.model as JsonObject;
  const outVocab = outModel.vocab as Record<string, number>;
  for (let id = maxId + 1; id < engine.tokens.length; id++) outVocab[engine.tokens[id]!] = id;
  const stringForm = oldMerges.length > 0 && typeof (model.merges as Json[])[0] === "string";
  const added = engine.merges.map(([a, b]) => (stringForm ? `${engine.tokens[a]} ${engine.tokens[b]}` : [engine.tokens[a]!, engine.tokens[b]!]));
  outModel.merges = [...(model.merges as Json[]), ...added] as Json[];
  return out;
}
