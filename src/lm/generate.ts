// Greedy and sampled generation with a KV cache (the CPU path's or the tensor backend's). Sampling is reproducible: a
// seeded PRNG (SplitMix32) in plain JS.
import { toFloat32 } from "../tensor/backend.js";
import type { ModelConfig } from "./config.js";
import { disposeCache, forward, type KVCache, type Params } from "./model.js";
import { CpuKVCache, llamaLogitsCpu } from "./llama-cpu.js";
import { cpuPath, cpuWeights, cpuWorkspace } from "./cpu-path.js";

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
  pick?: (logits: Float32Array, sample: (logits: Float32Array) => number, step: number) => number;
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
export function sampleFromLogits(logits: Float32Array, options: SamplingOptions, random: () => number): number {
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
export async function generate(model: { config: ModelConfig; params: Params }, promptIds: number[], options: GenerateOptions = {}): Promise<number[]> {
  if (promptIds.length === 0) throw new Error("generate: the prompt has no tokens (add a BOS token or some text)");
  const maxTokens = options.maxTokens ?? 64;
  const eos = model.config.eosTokenId;
  const stop = new Set(options.stopIds ?? (eos === null ? [] : Array.isArray(eos) ? eos : [eos]));
  const random = seededRandom(options.seed ?? 0);
  const next = await nextTokenLogits(model);
  const out: number[] = [];
  let input = promptIds;
  try {
    for (let step = 0; step < maxTokens; step++) {
      if (next.length + input.length > model.config.maxPositions) break;
      const logits = await next.logits(input);
      const sample = (l: Float32Array) => sampleFromLogits(l, options, random);
      const id = options.pick ? options.pick(logits, sample, step) : sample(logits);
      out.push(id);
      options.onToken?.(id);
      if (stop.has(id)) break;
      input = [id];
    }
  } finally {
    next.dispose();
  }
  return out;
}

/** A model run token by token: logits(ids) feeds ids after everything fed before and returns the last position's logits. */
interface IncrementalModel {
  readonly length: number;
  logits(ids: number[]): Promise<Float32Array>;
  dispose(): void;
}

async function nextTokenLogits(model: { config: ModelConfig; params: Params }): Promise<IncrementalModel> {
  const { config } = model;
  const cpu = cpuPath(config);
  if (cpu) {
    const { config, gemm } = cpu;
    const weights = await cpuWeights(model.params);
    const workspace = cpuWorkspace(model.params);
    const cache = new CpuKVCache(config);
    return {
      get length() {
        return cache.length;
      },
      async logits(ids) {
        return llamaLogitsCpu(config, weights, Int32Array.from(ids), 1, ids.length, gemm, { workspace, cache, logitsFrom: ids.length - 1 });
      },
      dispose() {},
    };
  }
  let cache: KVCache | null = null;
  return {
    get length() {
      return cache?.length ?? 0;
    },
    async logits(ids) {
      const r = forward(config, model.params, [ids], cache);
      cache = r.cache;
      const all = await toFloat32(r.logits);
      return all.subarray(all.length - config.vocabSize);
    },
    dispose() {
      disposeCache(cache);
    },
  };
}
