// Data mixture inference (Hayase et al. 2024, "What do BPE tokenizers reveal about their training data?").
// A BPE trainer picks, at every step, the most frequent pair of its training data. Replaying the merge list on a
// sample of each candidate category gives each category's pair counts before every merge; the mixture weights α
// (on the simplex) must make the chosen pair at least as frequent as every competitor, up to slack v_t:
//   Σ_i α_i (c_i,t(m_t) − c_i,t(p)) + v_t ≥ 0   for every step t and pair p,   minimise Σ_t v_t.
// Competitor constraints are added lazily: only the pairs that the current solution violates.

import { PAIR_ID_LIMIT, pairKey } from "../util/pair-key.js";

export interface MixtureCategory {
  name: string;
  /** Pre-tokens of the category sample, spelled in the model's alphabet (e.g. "Ġthe"), with their counts. */
  words: Map<string, number>;
}

export interface MixtureOptions {
  /** Use the first N merges (default: all, at most 3000). */
  maxMerges?: number;
  /** Competitor pairs kept per category and step (the constraint pool); default 24. */
  candidatesPerCategory?: number;
  /** Violated constraints added per step and round; default 2. */
  addPerRound?: number;
  maxRounds?: number;
  /** Replays under the current estimate (default 3). */
  outerRounds?: number;
  /** Receives progress messages. */
  onProgress?: (message: string) => void;
}

export interface MixtureResult {
  proportions: Record<string, number>;
  mergesUsed: number;
  /** Training steps the merges make: merges with one result are one step (a SentencePiece conversion lists every split
   * of every piece, so it has about half as many steps as merges; a trainer's own list has one merge per step). */
  steps: number;
  rounds: number;
  constraints: number;
  totalSlack: number;
  /** Steps where, checked exactly over every pair under the final estimate, some pair outside the constraint pool
   * beats the chosen merge by more than the step's slack (0 means the lazy constraints lost nothing). */
  violatedSteps: number;
  /** Total slack over the total frequency of the chosen merges under the estimate: the share of the evidence the
   * estimate has to excuse. Near 0 when some mixture of the samples explains the merge order. */
  relativeSlack: number;
  /** Steps whose chosen merge the estimate cannot make the most frequent (slack above 1% of its frequency). */
  stepsWithSlack: number;
  /** Set when the estimate should not be trusted, saying why. */
  warning: string | null;
  /** Slack of each step in the solution. */
  slack: Float64Array;
}

/** Above this share of excused frequency the estimate says it is unreliable (held-out samples of a few hundred lines
 * from the true categories leave about 0.2: sampling noise; a missing category 0.5 and more; wrong ones 10 and more). */
export const RELATIVE_SLACK_WARNING = 0.5;

/** One training step: a result token and every listed pair that makes it. */
export interface MergeStep {
  result: string;
  pairs: [string, string][];
}

/**
 * Merges grouped by their result, in order of first appearance. A trainer's own list has one merge per result, so this
 * is the list itself; a list converted from a SentencePiece vocabulary holds every split of every piece, ordered by
 * the piece's score, and only the pieces are in training order (Llama 2: 61,249 merges, 29,612 results).
 */
export function mergeSteps(merges: readonly [string, string][]): MergeStep[] {
  const steps: MergeStep[] = [];
  const byResult = new Map<string, MergeStep>();
  for (const [a, b] of merges) {
    const result = a + b;
    const step = byResult.get(result);
    if (step) step.pairs.push([a, b]);
    else {
      const next: MergeStep = { result, pairs: [[a, b]] };
      byResult.set(result, next);
      steps.push(next);
    }
  }
  return steps;
}

type PairKey = number;
const key: (a: number, b: number) => PairKey = pairKey;

class MaxHeap {
  private counts: number[] = [];
  private keys: number[] = [];
  get size() {
    return this.counts.length;
  }
  push(count: number, k: number): void {
    const c = this.counts;
    const ks = this.keys;
    let i = c.length;
    c.push(count);
    ks.push(k);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (c[p]! >= count) break;
      c[i] = c[p]!;
      ks[i] = ks[p]!;
      i = p;
    }
    c[i] = count;
    ks[i] = k;
  }
  pop(): [number, number] | undefined {
    const c = this.counts;
    const ks = this.keys;
    if (c.length === 0) return undefined;
    const top: [number, number] = [c[0]!, ks[0]!];
    const lastC = c.pop()!;
    const lastK = ks.pop()!;
    if (c.length > 0) {
      let i = 0;
      const n = c.length;
      for (;;) {
        let m = 2 * i + 1;
        if (m >= n) break;
        if (m + 1 < n && c[m + 1]! > c[m]!) m++;
        if (c[m]! <= lastC) break;
        c[i] = c[m]!;
        ks[i] = ks[m]!;
        i = m;
      }
      c[i] = lastC;
      ks[i] = lastK;
    }
    return top;
  }
}

/** Pair frequencies pooled over categories with the current mixture weights: finds the strongest competitor. */
class WeightedPairs {
  values = new Map<PairKey, number>();
  heap = new MaxHeap();
  add(k: PairKey, delta: number): void {
    const next = (this.values.get(k) ?? 0) + delta;
    this.values.set(k, next);
    this.heap.push(next, k);
  }
  /** The m pairs with the highest pooled frequency, other than those in `exclude`. */
  top(m: number, exclude: ReadonlySet<PairKey>): PairKey[] {
    const found: [number, number][] = [];
    const seen = new Set<PairKey>();
    while (this.heap.size > 0 && found.length < m + exclude.size) {
      const e = this.heap.pop()!;
      if (this.values.get(e[1]) !== e[0] || seen.has(e[1])) continue;
      seen.add(e[1]);
      found.push(e);
    }
    for (const e of found) this.heap.push(e[0], e[1]);
    return found.filter((f) => !exclude.has(f[1]) && f[0] > 0).slice(0, m).map((f) => f[1]);
  }
}

/** One category's word table with incrementally maintained pair counts. */
class PairTable {
  words: number[][] = [];
  freq: number[] = [];
  pairCounts = new Map<PairKey, number>();
  pairWords = new Map<PairKey, Set<number>>();
  heap = new MaxHeap();
  symbols = 0;
  /** When set, every count change is also added, scaled, to a pooled weighted table. */
  sink: { table: WeightedPairs; weight: number } | null = null;

  constructor(words: Map<string, number>, symbolId: (s: string) => number) {
    for (const [w, n] of words) {
      if (n <= 0 || w.length === 0) continue;
      const seq = Array.from(w, symbolId);
      this.symbols += seq.length * n;
      const idx = this.words.length;
      this.words.push(seq);
      this.freq.push(n);
      this.addWord(idx, +1);
    }
  }

  private bump(k: PairKey, delta: number, word: number): void {
    const next = (this.pairCounts.get(k) ?? 0) + delta;
    if (next === 0) this.pairCounts.delete(k);
    else this.pairCounts.set(k, next);
    if (delta > 0) {
      let set = this.pairWords.get(k);
      if (!set) this.pairWords.set(k, (set = new Set()));
      set.add(word);
    }
    if (next > 0) this.heap.push(next, k);
    if (this.sink) this.sink.table.add(k, delta * this.sink.weight);
  }

  private addWord(idx: number, sign: 1 | -1): void {
    const seq = this.words[idx]!;
    const n = this.freq[idx]! * sign;
    for (let i = 0; i + 1 < seq.length; i++) this.bump(key(seq[i]!, seq[i + 1]!), n, idx);
  }

  count(k: PairKey): number {
    return this.pairCounts.get(k) ?? 0;
  }

  /** The k most frequent pairs other than those in `exclude`. */
  top(k: number, exclude: ReadonlySet<PairKey>): PairKey[] {
    const found: [number, number][] = [];
    const seen = new Set<PairKey>();
    while (this.heap.size > 0 && found.length < k + exclude.size) {
      const e = this.heap.pop()!;
      if (this.pairCounts.get(e[1]) !== e[0] || seen.has(e[1])) continue; // stale entry
      seen.add(e[1]);
      found.push(e);
    }
    for (const e of found) this.heap.push(e[0], e[1]);
    return found.filter((f) => !exclude.has(f[1])).slice(0, k).map((f) => f[1]);
  }

  merge(a: number, b: number, merged: number): void {
    const k = key(a, b);
    const words = this.pairWords.get(k);
    if (!words) return;
    this.pairWords.delete(k);
    for (const idx of words) {
      const seq = this.words[idx]!;
      let has = false;
      for (let i = 0; i + 1 < seq.length; i++) if (seq[i] === a && seq[i + 1] === b) has = true;
      if (!has) continue;
      this.addWord(idx, -1);
      const out: number[] = [];
      for (let i = 0; i < seq.length; i++) {
        if (i + 1 < seq.length && seq[i] === a && seq[i + 1] === b) {
          out.push(merged);
          i++;
        } else out.push(seq[i]!);
      }
      this.words[idx] = out;
      this.addWord(idx, +1);
    }
  }
}

interface StepRecord {
  own: Float64Array; // per category, scaled frequency of the chosen pair
  candidates: Float64Array[]; // per competitor pair, per category scaled frequency
  /** Pooled frequency of the strongest competitor under the estimate the replay ran with (when it had one). */
  strongest: number;
}

const SCALE = 1e6; // frequencies per million symbols keep the LP's coefficients in the solver's comfortable range

/** Replays the merges on every category and records the competition at each step. */
export function replayMerges(merges: [string, string][], categories: MixtureCategory[], options: MixtureOptions = {}, alpha?: ArrayLike<number>): StepRecord[] {
  const symbols = new Map<string, number>();
  const symbolId = (s: string) => {
    let id = symbols.get(s);
    if (id === undefined) symbols.set(s, (id = symbols.size));
    return id;
  };
  const tables = categories.map((c) => new PairTable(c.words, symbolId));
  tables.forEach((t, i) => {
    if (t.symbols === 0) throw new Error(`mixture: category "${categories[i]!.name}" has no text`);
  });
  // With a current estimate, the pooled table adds the exact strongest competitors under it to the pool.
  const pooled = alpha ? new WeightedPairs() : null;
  if (pooled) {
    tables.forEach((t, i) => {
      const weight = (alpha![i]! * SCALE) / t.symbols;
      for (const [k, c] of t.pairCounts) pooled.add(k, c * weight);
      t.sink = { table: pooled, weight };
    });
  }
  const k = options.candidatesPerCategory ?? 24;
  const merged = mergeSteps(merges);
  const limit = Math.min(merged.length, options.maxMerges ?? 3000);
  const steps: StepRecord[] = [];
  for (let t = 0; t < limit; t++) {
    const { result, pairs } = merged[t]!;
    const resultId = symbolId(result);
    // Every split that makes the step's token forms it at this step (whichever the trainer's symbols were).
    const chosen = new Set(pairs.map(([left, right]) => key(symbolId(left), symbolId(right))));
    if (symbols.size >= PAIR_ID_LIMIT) throw new Error("mixture: too many symbols");
    const own = new Float64Array(tables.length);
    const pool = new Set<PairKey>();
    tables.forEach((table, i) => {
      const scale = SCALE / table.symbols;
      for (const c of chosen) own[i]! += table.count(c) * scale;
      for (const p of table.top(k, chosen)) pool.add(p);
    });
    let strongest = 0;
    if (pooled) {
      const top = pooled.top(4, chosen);
      for (const p of top) pool.add(p);
      strongest = top.length ? pooled.values.get(top[0]!)! : 0;
    }
    const candidates = [...pool].map((p) => Float64Array.from(tables, (table) => (table.count(p) * SCALE) / table.symbols));
    steps.push({ own, candidates, strongest });
    for (const table of tables) for (const [left, right] of pairs) table.merge(symbolId(left), symbolId(right), resultId);
    if (options.onProgress && (t + 1) % 500 === 0) options.onProgress(`replayed ${t + 1}/${limit} steps`);
  }
  return steps;
}

interface HighsColumn {
  Primal: number;
}
interface HighsSolution {
  Status: string;
  ObjectiveValue: number;
  Columns: Record<string, HighsColumn>;
}
interface Highs {
  solve(lp: string, options?: Record<string, unknown>): HighsSolution;
}

let highsInstance: Promise<Highs> | null = null;
async function loadHighs(): Promise<Highs> {
  if (!highsInstance) {
    highsInstance = import("highs").then((m) => {
      const loader = (m as unknown as { default: (o?: unknown) => Promise<Highs> }).default;
      return loader();
    });
  }
  return highsInstance;
}

const num = (x: number) => (Math.abs(x) < 1e-15 ? "0" : x.toPrecision(12));

/** Solves the LP with lazily added constraints. */
export async function solveMixture(steps: StepRecord[], names: string[], options: MixtureOptions = {}): Promise<MixtureResult> {
  const n = names.length;
  const highs = await loadHighs();
  const active: [number, number][] = [];
  const activeSet = new Set<string>();
  let alpha = new Float64Array(n).fill(1 / n);
  let slack = new Float64Array(steps.length);
  const addPerRound = options.addPerRound ?? 2;
  const maxRounds = options.maxRounds ?? 40;
  let rounds = 0;
  let objective = 0;
  const margin = (t: number, c: number, a: Float64Array) => {
    const s = steps[t]!;
    const cand = s.candidates[c]!;
    let m = 0;
    for (let i = 0; i < n; i++) m += a[i]! * (s.own[i]! - cand[i]!);
    return m;
  };
  for (;;) {
    let added = 0;
    for (let t = 0; t < steps.length; t++) {
      const violations: [number, number][] = [];
      steps[t]!.candidates.forEach((_, c) => {
        const v = margin(t, c, alpha) + slack[t]!;
        if (v < -1e-9 && !activeSet.has(`${t}:${c}`)) violations.push([v, c]);
      });
      violations.sort((x, y) => x[0] - y[0]);
      for (const [, c] of violations.slice(0, addPerRound)) {
        active.push([t, c]);
        activeSet.add(`${t}:${c}`);
        added++;
      }
    }
    if (added === 0 || rounds >= maxRounds) break;
    rounds++;
    const usedSteps = new Set(active.map(([t]) => t));
    const lines: string[] = ["Minimize", " obj: " + ([...usedSteps].map((t) => `v${t}`).join(" + ") || "0 a0"), "Subject To"];
    active.forEach(([t, c], r) => {
      const s = steps[t]!;
      const cand = s.candidates[c]!;
      const terms = names.map((_, i) => {
        const coef = s.own[i]! - cand[i]!;
        return `${coef >= 0 ? "+" : "-"} ${num(Math.abs(coef))} a${i}`;
      });
      lines.push(` r${r}: ${terms.join(" ")} + v${t} >= 0`);
    });
    lines.push(" simplex: " + names.map((_, i) => `a${i}`).join(" + ") + " = 1", "End");
    const sol = highs.solve(lines.join("\n"));
    if (sol.Status !== "Optimal") throw new Error(`mixture: the LP solver stopped with status ${sol.Status}`);
    alpha = Float64Array.from(names, (_, i) => Math.max(0, sol.Columns[`a${i}`]?.Primal ?? 0));
    slack = Float64Array.from(steps, (_, t) => sol.Columns[`v${t}`]?.Primal ?? 0);
    objective = sol.ObjectiveValue;
    options.onProgress?.(`round ${rounds}: ${active.length} constraints, slack ${objective.toFixed(4)}`);
  }
  const sum = alpha.reduce((s, x) => s + x, 0) || 1;
  const proportions: Record<string, number> = {};
  names.forEach((name, i) => (proportions[name] = alpha[i]! / sum));
  // Evidence: the chosen merges' pooled frequency under the estimate; slack is measured against it.
  let evidence = 0;
  let stepsWithSlack = 0;
  steps.forEach((s, t) => {
    let own = 0;
    for (let i = 0; i < n; i++) own += (alpha[i]! / sum) * s.own[i]!;
    evidence += own;
    if (slack[t]! > 0.01 * own + 1e-9) stepsWithSlack++;
  });
  const relativeSlack = evidence > 0 ? objective / evidence : objective > 0 ? Infinity : 0;
  return { proportions, mergesUsed: steps.length, steps: steps.length, rounds, constraints: active.length, totalSlack: objective, relativeSlack, stepsWithSlack, warning: null, violatedSteps: 0, slack };
}

/** Estimates the proportions of each category in a BPE tokenizer's training data from its merge list. */
export async function inferMixture(merges: [string, string][], categories: MixtureCategory[], options: MixtureOptions = {}): Promise<MixtureResult> {
  if (merges.length === 0) throw new Error("mixture: the tokenizer has no merges (data mixture inference needs a BPE merge list)");
  if (categories.length < 2) throw new Error("mixture: give at least two categories");
  const names = categories.map((c) => c.name);
  const mergesUsed = mergeSteps(merges).slice(0, options.maxMerges ?? 3000).reduce((n, s) => n + s.pairs.length, 0);
  // Replay once with per-category pools, then again under each estimate so that the strongest pooled competitors
  // are in the constraint pool, until the estimate stops moving.
  let result = await solveMixture(replayMerges(merges, categories, options), names, options);
  for (let outer = 0; outer < (options.outerRounds ?? 3); outer++) {
    const alpha = names.map((n) => result.proportions[n]!);
    const next = await solveMixture(replayMerges(merges, categories, options, alpha), names, options);
    const moved = Math.max(...names.map((n) => Math.abs(next.proportions[n]! - result.proportions[n]!)));
    result = next;
    options.onProgress?.(`outer round ${outer + 1}: estimate moved by ${moved.toExponential(2)}`);
    if (moved < 1e-5) break;
  }
  // Exact check of the final estimate against every pair, not only the pool.
  const finalAlpha = names.map((n) => result.proportions[n]!);
  const check = replayMerges(merges, categories, options, finalAlpha);
  result.violatedSteps = check.filter((s, t) => {
    let own = 0;
    finalAlpha.forEach((a, i) => (own += a * s.own[i]!));
    return s.strongest > own + result.slack[t]! + 1e-6 * (own + 1);
  }).length;
  result.mergesUsed = mergesUsed;
  const reasons: string[] = [];
  if (result.relativeSlack > RELATIVE_SLACK_WARNING)
    reasons.push(`the estimate has to excuse ${(100 * result.relativeSlack).toFixed(1)}% of the chosen merges' frequency (${result.stepsWithSlack} of ${result.steps} steps): no mix of these samples makes the merge order greedy — the tokenizer was trained on other text, with other pre-tokenization, or its merges are not in training order`);
  if (result.violatedSteps > 0) reasons.push(`${result.violatedSteps} steps fail the exact check`);
  result.warning = reasons.length ? `unreliable estimate: ${reasons.join("; ")}` : null;
  return result;
}
