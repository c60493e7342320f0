// Optimisation for small models: AdamW, warm-up + cosine learning-rate schedule, global-norm gradient clipping.
// The optimizer state and the master weights live in plain Float32Arrays on the JS side: the models we train here are
// a few million parameters, so one copy in and out of the backend per step costs far less than the step itself, and
// plain arrays make the state trivially checkpointable and bit-for-bit deterministic on resume.

import { vectorKernels } from "./vector-kernels.js";

export type Arrays = Record<string, Float32Array>;

export interface AdamWOptions {
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Decoupled weight decay (Loshchilov & Hutter), applied as w ← w − lr·λ·w. */
  weightDecay?: number;
  /** Which parameters decay (default: matrices only — norms, biases and other vectors do not). */
  decays?: (name: string, shape: readonly number[]) => boolean;
}

export interface AdamWState {
  step: number;
  m: Arrays;
  v: Arrays;
}

export class AdamW {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  private readonly decays: (name: string, shape: readonly number[]) => boolean;
  state: AdamWState = { step: 0, m: {}, v: {} };

  constructor(options: AdamWOptions = {}) {
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.95;
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0.1;
    this.decays = options.decays ?? ((_, shape) => shape.length >= 2);
  }

  /**
   * Updates `params` in place from `grads` · `gradScale` at learning rate `lr` (shapes are needed only to decide
   * decay). `gradScale` applies clipping (clippingScale) inside the update instead of in a pass of its own.
   */
  update(params: Arrays, grads: Arrays, lr: number, shapes: Record<string, readonly number[]>, gradScale = 1): void {
    const s = this.state;
    s.step++;
    const { beta1, beta2, eps } = this;
    const c1 = 1 - Math.pow(beta1, s.step);
    const c2 = 1 - Math.pow(beta2, s.step);
    const kernels = vectorKernels();
    for (const name of Object.keys(grads).sort()) {
      const w = params[name];
      const g = grads[name];
      if (!w || !g) throw new Error(`AdamW: no parameter "${name}"`);
      if (w.length !== g.length) throw new Error(`AdamW: gradient of "${name}" has ${g.length} values, the parameter ${w.length}`);
      const m = (s.m[name] ??= new Float32Array(w.length));
      const v = (s.v[name] ??= new Float32Array(w.length));
      const decay = this.decays(name, shapes[name] ?? [w.length]) ? 1 - lr * this.weightDecay : 1;
      kernels.adamW(w, g, m, v, { beta1, beta2, eps, lr, c1, c2, decay, gradScale });
    }
  }
}

/** Linear warm-up to `peak` over `warmup` steps, then cosine decay to `peak · minRatio` at `total`. Steps count from 0. */
export function warmupCosine(options: { peak: number; warmup: number; total: number; minRatio?: number }): (step: number) => number {
  const { peak, warmup, total } = options;
  const minRatio = options.minRatio ?? 0.1;
  if (!(peak > 0) || warmup < 0 || total <= 0) throw new Error("warmupCosine: need peak > 0, warmup ≥ 0, total > 0");
  return (step) => {
    if (step < warmup) return (peak * (step + 1)) / warmup;
    const t = Math.min(1, (step - warmup) / Math.max(1, total - warmup));
    return peak * (minRatio + (1 - minRatio) * 0.5 * (1 + Math.cos(Math.PI * t)));
  };
}

/** The global L2 norm of all gradients. */
export function globalNorm(grads: Arrays): number {
  const kernels = vectorKernels();
  let s = 0;
  for (const name of Object.keys(grads).sort()) s += kernels.sumOfSquares(grads[name]!);
  return Math.sqrt(s);
}

/** The global norm of the gradients and the factor that brings it down to at most `maxNorm` (0: no clipping). */
export function clippingScale(grads: Arrays, maxNorm: number): { norm: number; scale: number } {
  const norm = globalNorm(grads);
  if (!Number.isFinite(norm)) throw new Error(`gradient norm is ${norm}: the loss diverged`);
  return { norm, scale: maxNorm > 0 && norm > maxNorm ? maxNorm / norm : 1 };
}

/** Scales all gradients in place so that their global norm is at most `maxNorm`; returns the norm before clipping. */
export function clipByGlobalNorm(grads: Arrays, maxNorm: number): number {
  const { norm, scale } = clippingScale(grads, maxNorm);
  if (scale !== 1) for (const g of Object.values(grads)) for (let i = 0; i < g.length; i++) g[i]! *= scale;
  return norm;
}
