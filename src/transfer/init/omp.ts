// OMP (as mergekit's tokensurgeon): a donor model that already speaks the target tokenizer expresses each new
// token's embedding as a sparse combination of the tokens both vocabularies share (orthogonal matching pursuit,
// k atoms); the same coefficients applied to the base model's rows of those shared tokens give the new row.

import type { EmbeddingView } from "../embedding-view.js";
import type { InitStrategy } from "./strategy.js";
import { anchors, combineRows } from "./strategy.js";

export interface OmpOptions {
  /** The donor's embeddings, in the TARGET vocabulary's ids. Only its input slice is used. */
  donor: EmbeddingView;
  /** Atoms per token (tokensurgeon's default is 64). */
  k?: number;
  /** Atoms pre-selected by |cosine| before the pursuit, to bound the cost per token. */
  shortlist?: number;
}

/** Solves the k×k symmetric positive system G w = b by Cholesky (small k), with a tiny ridge for stability. */
function solveSpd(g: Float64Array, b: Float64Array, k: number): Float64Array {
  const l = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j <= i; j++) {
      let s = g[i * k + j]! + (i === j ? 1e-8 * (g[i * k + i]! + 1e-12) : 0);
      for (let p = 0; p < j; p++) s -= l[i * k + p]! * l[j * k + p]!;
      l[i * k + j] = i === j ? Math.sqrt(Math.max(s, 1e-30)) : s / l[j * k + j]!;
    }
  }
  const y = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    let s = b[i]!;
    for (let p = 0; p < i; p++) s -= l[i * k + p]! * y[p]!;
    y[i] = s / l[i * k + i]!;
  }
  const w = new Float64Array(k);
  for (let i = k - 1; i >= 0; i--) {
    let s = y[i]!;
    for (let p = i + 1; p < k; p++) s -= l[p * k + i]! * w[p]!;
    w[i] = s / l[i * k + i]!;
  }
  return w;
}

/** Orthogonal matching pursuit of `signal` over the atoms (rows of `atoms`, dim d); returns chosen atoms and weights. */
export function orthogonalMatchingPursuit(signal: Float32Array, atoms: Float32Array[], k: number): { chosen: number[]; weights: Float64Array } {
  const d = signal.length;
  const residual = Float64Array.from(signal);
  const chosen: number[] = [];
  let weights: Float64Array = new Float64Array(0);
  const norms = atoms.map((a) => Math.sqrt(a.reduce((s, x) => s + x * x, 0)) || 1);
  const signalNorm = Math.sqrt(signal.reduce((s, x) => s + x * x, 0));
  for (let step = 0; step < Math.min(k, atoms.length); step++) {
    let best = -1;
    let bestScore = 0;
    for (let a = 0; a < atoms.length; a++) {
      if (chosen.includes(a)) continue;
      const atom = atoms[a]!;
      let dot = 0;
      for (let x = 0; x < d; x++) dot += residual[x]! * atom[x]!;
      const score = Math.abs(dot) / norms[a]!;
      if (score > bestScore) {
        bestScore = score;
        best = a;
      }
    }
    if (best < 0) break;
    chosen.push(best);
    const m = chosen.length;
    const g = new Float64Array(m * m);
    const b = new Float64Array(m);
    for (let i = 0; i < m; i++) {
      const ai = atoms[chosen[i]!]!;
      for (let j = 0; j <= i; j++) {
        const aj = atoms[chosen[j]!]!;
        let s = 0;
        for (let x = 0; x < d; x++) s += ai[x]! * aj[x]!;
        g[i * m + j] = s;
        g[j * m + i] = s;
      }
      let s = 0;
      for (let x = 0; x < d; x++) s += ai[x]! * signal[x]!;
      b[i] = s;
    }
    weights = solveSpd(g, b, m);
    residual.set(signal);
    for (let i = 0; i < m; i++) {
      const ai = atoms[chosen[i]!]!;
      for (let x = 0; x < d; x++) residual[x]! -= weights[i]! * ai[x]!;
    }
    const rn = Math.sqrt(residual.reduce((s, x) => s + x * x, 0));
    if (rn <= 1e-6 * (signalNorm || 1)) break;
  }
  return { chosen, weights };
}

export function ompInit(options: OmpOptions): InitStrategy {
  const k = options.k ?? 64;
  const shortlist = options.shortlist ?? 1024;
  return {
    name: "omp",
    apply(ctx, index) {
      const donor = options.donor;
      if (donor.vocab !== ctx.map.targetSize) {
        throw new Error(`omp: the donor has ${donor.vocab} embedding rows but the target tokenizer has ${ctx.map.targetSize} tokens; the donor must use the target tokenizer`);
      }
      const anchor = anchors(ctx.map);
      if (anchor.target.length === 0) throw new Error("omp: the two tokenizers share no token, nothing to express new tokens in");
      const donorRow = (t: number) => donor.data.subarray(donor.offset(t, 0), donor.offset(t, 0) + donor.dim);
      const anchorRows = anchor.target.map(donorRow);
      const anchorNorms = anchorRows.map((r) => Math.sqrt(r.reduce((s, x) => s + x * x, 0)) || 1);
      let n = 0;
      for (let t = 0; t < ctx.map.targetSize; t++) {
        if (ctx.filledBy[t]! >= 0) continue;
        const signal = donorRow(t);
        // Shortlist the atoms most aligned with the token before the pursuit.
        const scores = anchorRows.map((r, a) => {
          let dot = 0;
          for (let x = 0; x < r.length; x++) dot += r[x]! * signal[x]!;
          return [Math.abs(dot) / anchorNorms[a]!, a] as [number, number];
        });
        scores.sort((p, q) => q[0] - p[0]);
        const pool = scores.slice(0, shortlist).map((s) => s[1]);
        const { chosen, weights } = orthogonalMatchingPursuit(signal, pool.map((a) => anchorRows[a]!), k);
        combineRows(ctx, t, chosen.map((c) => anchor.source[pool[c]!]!), weights);
        ctx.filledBy[t] = index;
        n++;
      }
      return n;
    },
  };
}
