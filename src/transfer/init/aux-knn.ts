// Auxiliary-space kNN (WECHSEL, FOCUS): similarity in a separate embedding space — a donor model's embeddings or
// static embeddings trained on target-language text, indexed by TARGET ids — decides which shared tokens a new token
// is built from; weights by softmax over the top-k similarities (WECHSEL) or sparsemax (FOCUS).

import type { InitStrategy } from "./strategy.js";
import { anchors, combineRows } from "./strategy.js";

export interface AuxKnnOptions {
  /** Auxiliary vectors [V_target, dim] row-major; a row of zeros means "no vector" (skipped). */
  space: Float32Array;
  dim: number;
  k?: number;
  weighting?: "softmax" | "sparsemax";
  /** Softmax temperature over cosine similarities (WECHSEL uses 0.1). */
  temperature?: number;
}

/** Sparsemax (Martins & Astudillo 2016): the Euclidean projection of z onto the simplex; sparse weights. */
export function sparsemax(z: number[]): number[] {
  const sorted = [...z].sort((a, b) => b - a);
  let cumulative = 0;
  let tau = 0;
  for (let i = 0; i < sorted.length; i++) {
    cumulative += sorted[i]!;
    const t = (cumulative - 1) / (i + 1);
    if (sorted[i]! > t) tau = t;
  }
  return z.map((x) => Math.max(0, x - tau));
}

export function auxKnnInit(options: AuxKnnOptions): InitStrategy {
  const k = options.k ?? 10;
  const temperature = options.temperature ?? 0.1;
  const weighting = options.weighting ?? "softmax";
  const d = options.dim;
  return {
    name: weighting === "softmax" ? "aux-knn" : "aux-knn-sparsemax",
    apply(ctx, index) {
      if (options.space.length !== ctx.map.targetSize * d) {
        throw new Error(`aux-knn: the auxiliary space has ${options.space.length / d} rows, the target tokenizer ${ctx.map.targetSize} tokens`);
      }
      const vec = (t: number) => options.space.subarray(t * d, (t + 1) * d);
      const norm = (v: Float32Array) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
      const anchor = anchors(ctx.map);
      const usable = anchor.target.map((t, i) => [t, anchor.source[i]!, norm(vec(t))] as const).filter((a) => a[2] > 0);
      if (usable.length === 0) throw new Error("aux-knn: no shared token has an auxiliary vector");
      let n = 0;
      for (let t = 0; t < ctx.map.targetSize; t++) {
        if (ctx.filledBy[t]! >= 0) continue;
        const v = vec(t);
        const vn = norm(v);
        if (vn === 0) continue;
        const sims: [number, number][] = usable.map(([at, src, an]) => {
          const a = vec(at);
          let dot = 0;
          for (let x = 0; x < d; x++) dot += a[x]! * v[x]!;
          return [dot / (an * vn), src];
        });
        sims.sort((p, q) => q[0] - p[0]);
        const top = sims.slice(0, k);
        let weights: number[];
        if (weighting === "sparsemax") weights = sparsemax(top.map((s) => s[0]));
        else {
          const m = top[0]![0];
          const e = top.map((s) => Math.exp((s[0] - m) / temperature));
          const z = e.reduce((a, b) => a + b, 0);
          weights = e.map((x) => x / z);
        }
        combineRows(ctx, t, top.map((s) => s[1]), weights);
        ctx.filledBy[t] = index;
        n++;
      }
      return n;
    },
  };
}
