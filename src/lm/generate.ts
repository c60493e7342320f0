// Greedy and sampled generation with a KV cache (the CPU path's or the tensor backend's). Sampling is reproducible: a
// seeded PRNG (SplitMix32) in plain JS.
import type { ModelConfig } from "./config.js";
import type { Params } from "./model.js";
import { asTokenLM, type TokenLM, type TokenState } from "./token-lm.js";

export interface SamplingOptions {
  /** 0 (default) means greedy. */
  temperature?: number;
  /** Keep only the k most likely tokens (0 = all). */
  topK?: number;
  /** Keep the smallest set of tokens whose probability reaches p (1 = all). */
  topP?: number;
  seed?: number;
}

export interface GenerateOptions extends SamplingOptions {
  maxTokens?: number;
  /** Stop after producing any of these ids (default: the config's eos_token_id). */
  stopIds?: number[];
  /** Called with each new id as soon as it is chosen. */
  onToken?: (id: number) => void;
  /** Chooses the next id from the step's logits (default: `sample(logits)`). A caller that constrains generation
   * (token healing) masks the logits and checks what `sample` picked; `sample` may be called again. */
  pick?: (logits: Float64Array, sample: (logits: Float64Array) => number, step: number) => number;
}

/** A seeded uniform [0, 1) generator (SplitMix32). */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return ((z ^ (z >>> 16)) >>> 0) / 4294967296;
  };
}

/** Picks the next id from one row of logits. */
export function sampleFromLogits(logits: Float32Array | Float64Array, options: SamplingOptions, random: () => number): number {
  const temperature = options.temperature ?? 0;
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
  if (temperature <= 0) return best;
  // Candidates sorted by logit (descending); top-k cuts the list, softmax at the temperature, then top-p cuts again.
  let order = Array.from(logits.keys()).sort((a, b) => logits[b] - logits[a]);
  const k = options.topK ?? 0;
  if (k > 0 && k < order.length) order = order.slice(0, k);
  const probs = new Float64Array(order.length);
  let sum = 0;
  for (let i = 0; i < order.length; i++) sum += probs[i] = Math.exp((logits[order[i]] - logits[best]) / temperature);
  const p = options.topP ?? 1;
  let keep = order.length;
  if (p < 1) {
    let acc = 0;
    for (let i = 0; i < order.length; i++) {
      acc += probs[i] / sum;
      if (acc >= p) {
        keep = i + 1;
        break;
      }
    }
  }
  let total = 0;
  for (let i = 0; i < keep; i++) total += probs[i];
  let r = random() * total;
  for (let i = 0; i < keep; i++) {
    r -= probs[i];
    if (r < 0) return order[i];
  }
  return order[keep - 1];
}

/**
 * Continues `promptIds`; returns the new ids (not the prompt). Llama-family models run on the hand-written CPU path
 * with its own KV cache when the platform has a fast Gemm (OpenBLAS on Node), else on the tensor backend's; the two
 * choose the same ids up to float rounding of near-ties.
 */
export async function generate(model: { config: ModelConfig; params: Params } | TokenLM, promptIds: number[], options: GenerateOptions = {}): Promise<number[]> {
  if (promptIds.length === 0) throw new Error("generate: the prompt has no tokens (add a BOS token or some text)");
  const maxTokens = options.maxTokens ?? 64;
  const lm = await asTokenLM(model);
  const stop = new Set(options.stopIds ?? lm.endIds);
  const random = seededRandom(options.seed ?? 0);
  const out: number[] = [];
  let state: TokenState | null = null;
  let input = promptIds;
  try {
    for (let step = 0; step < maxTokens; step++) {
      if ((state?.length ?? 0) + input.length > lm.maxPositions) break;
      const [next] = await lm.extend([{ from: state, ids: input, consume: true }]);
      state = next!.state;
      const sample = (l: Float64Array) => sampleFromLogits(l, options, random);
      const id = options.pick ? options.pick(next!.logProbs, sample, step) : sample(next!.logProbs);
      out.push(id);
      options.onToken?.(id);
      if (stop.has(id)) break;
      input = [id];
    }
  } finally {
    if (state) lm.release(state);
  }
  return out;
}
