// Models with different tokenizers combined where they agree on the outcome space: the next byte (ByteSampler's
// ensembles; Phan et al. §5). Each member is read exactly at the byte level (byte-lm.ts), so the members' vocabularies
// never meet. An ensemble is a ByteModel itself and nests.
import { BYTE_OUTCOMES, type ByteModel, type NextBytes } from "./byte-lm.js";

export type Combine = "mixture" | "product";

export interface EnsembleOptions {
  /** mixture: Σ wᵢ pᵢ (default); product: Π pᵢ^wᵢ renormalised (a product of experts). */
  combine?: Combine;
  /** One non-negative weight per member, normalised to sum 1 (default: equal). */
  weights?: readonly number[];
}

/** log Σ exp over a row; −Infinity for an all −Infinity row. */
function logSumExpRow(row: Float64Array): number {
  let max = -Infinity;
  for (const v of row) if (v > max) max = v;
  if (max === -Infinity) return -Infinity;
  let s = 0;
  for (const v of row) s += Math.exp(v - max);
  return max + Math.log(s);
}

/** Normalises log-scores over the 257 outcomes; the result doubles as the "mass" of a combined model. */
function normalised(scores: Float64Array, what: string): NextBytes {
  const z = logSumExpRow(scores);
  if (z === -Infinity || Number.isNaN(z)) throw new Error(`${what}: the members leave no outcome with probability above 0`);
  const logProbs = scores.map((v) => v - z);
  return { logProbs, logMass: logProbs };
}

abstract class CombinedModel implements ByteModel {
  private cached: NextBytes | null = null;

  constructor(protected readonly members: readonly ByteModel[]) {}

  protected abstract combine(dists: NextBytes[]): NextBytes;

  async next(): Promise<NextBytes> {
    if (!this.cached) {
      const dists: NextBytes[] = [];
      for (const m of this.members) dists.push(await m.next());
      this.cached = this.combine(dists);
    }
    return this.cached;
  }

  async push(byte: number): Promise<void> {
    this.cached = null;
    for (const m of this.members) await m.push(byte);
  }

  get forwardPasses(): number {
    let n = 0;
    for (const m of this.members) n += m.forwardPasses;
    return n;
  }

  close(): void {
    for (const m of this.members) m.close();
  }
}

/** The checked, normalised weights of an ensemble of `members` models. */
export function ensembleWeights(members: number, options: EnsembleOptions = {}): { combine: Combine; weights: Float64Array } {
  if (members < 1) throw new Error("ensemble: no members");
  const combine = options.combine ?? "mixture";
  if (combine !== "mixture" && combine !== "product") throw new Error(`ensemble: unknown combine "${String(combine)}" (expected mixture or product)`);
  const w = options.weights ?? Array.from({ length: members }, () => 1);
  if (w.length !== members) throw new Error(`ensemble: ${w.length} weights for ${members} members`);
  if (w.some((x) => !(Number.isFinite(x) && x >= 0))) throw new Error(`ensemble: weights must be finite and non-negative, got ${w.join(", ")}`);
  const sum = w.reduce((a, b) => a + b, 0);
  if (!(sum > 0)) throw new Error("ensemble: the weights sum to 0");
  return { combine, weights: Float64Array.from(w, (x) => x / sum) };
}

/**
 * The members' normalised 257-way log-probabilities (`dists[i][at + o]` for outcome o) combined: mixture
 * log Σ wᵢ pᵢ, or product Σ wᵢ log pᵢ, renormalised. `weights` as ensembleWeights gives them.
 */
export function combineDistributions(dists: readonly Float64Array[], weights: Float64Array, combine: Combine, at = 0): NextBytes {
  const out = new Float64Array(BYTE_OUTCOMES);
  const logW = Array.from(weights, Math.log);
  for (let b = 0; b < BYTE_OUTCOMES; b++) {
    if (combine === "mixture") {
      let max = -Infinity;
      for (let i = 0; i < dists.length; i++) max = Math.max(max, logW[i]! + dists[i]![at + b]!);
      let s = 0;
      if (max > -Infinity) for (let i = 0; i < dists.length; i++) s += Math.exp(logW[i]! + dists[i]![at + b]! - max);
      out[b] = max === -Infinity ? -Infinity : max + Math.log(s);
    } else {
      let s = 0;
      // A member with weight 0 has no say, even where it gives 0.
      for (let i = 0; i < dists.length; i++) if (weights[i]! > 0) s += weights[i]! * dists[i]![at + b]!;
      out[b] = s;
    }
  }
  return normalised(out, "ensemble");
}

/** The members' next-byte distributions mixed or multiplied. */
export class ByteEnsemble extends CombinedModel {
  readonly combineMode: Combine;
  readonly weights: Float64Array;

  constructor(members: readonly ByteModel[], options: EnsembleOptions = {}) {
    super(members);
    const { combine, weights } = ensembleWeights(members.length, options);
    this.combineMode = combine;
    this.weights = weights;
  }

  protected combine(dists: NextBytes[]): NextBytes {
    return combineDistributions(
      dists.map((d) => d.logProbs),
      this.weights,
      this.combineMode,
    );
  }
}

export interface ProxyTuningOptions {
  /** Strength of the expert's shift (default 1). */
  alpha?: number;
}

/**
 * Proxy-tuning at the byte level (Liu et al. 2024, as ByteSampler applies it across tokenizers):
 * log p ∝ log p_base + α (log p_expert − log p_antiExpert), renormalised. Where the expert and the anti-expert both
 * give an outcome 0 the base decides alone; where only one of them does, the outcome gets 0.
 */
export class ProxyTuned extends CombinedModel {
  readonly alpha: number;

  constructor(base: ByteModel, expert: ByteModel, antiExpert: ByteModel, options: ProxyTuningOptions = {}) {
    super([base, expert, antiExpert]);
    this.alpha = options.alpha ?? 1;
    if (!Number.isFinite(this.alpha)) throw new Error(`proxy-tuning: alpha must be finite, got ${this.alpha}`);
  }

  protected combine([base, expert, anti]: NextBytes[]): NextBytes {
    const out = new Float64Array(BYTE_OUTCOMES);
    for (let b = 0; b < BYTE_OUTCOMES; b++) {
      const e = expert!.logProbs[b]!;
      const a = anti!.logProbs[b]!;
      const shift = e === -Infinity && a === -Infinity ? 0 : e - a;
      out[b] = Number.isFinite(shift) ? base!.logProbs[b]! + this.alpha * shift : -Infinity;
    }
    return normalised(out, "proxy-tuning");
  }
}
