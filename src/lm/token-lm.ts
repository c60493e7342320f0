// The one interface decode/ needs of a language model: next-token log-probabilities after prefixes of token ids,
// with KV caches that fork (a prefix is extended many ways: the live covers of a byte-level model, a healed prompt's
// candidates). Llama-family models run on the hand-written CPU path (CpuKVCache, copied on fork); every other model,
// or a platform without a fast Gemm, runs on the tensor backend (its cache tensors are shared on fork, not copied).
import { toFloat32, type Tensor } from "../tensor/backend.js";
import type { ModelConfig } from "./config.js";
import { disposeCache, forward, type KVCache, type Params } from "./model.js";
import { cpuPath, cpuWeights, cpuWorkspace } from "./cpu-path.js";
import { cpuTokenLM, logSoftmax, stepTokenLM } from "./cpu-token-lm.js";

export { documentStartId, endTokenIds, logSoftmax } from "./cpu-token-lm.js";

/** The model's state after some prefix of ids (opaque: only the model that made it can extend it). */
export interface TokenState {
  /** Tokens seen. */
  readonly length: number;
}

export interface TokenRequest {
  /** The prefix to continue (null: no tokens yet). */
  from: TokenState | null;
  /** Ids fed after it (at least one). */
  ids: readonly number[];
  /** `from` will not be used again: its cache is taken over instead of copied. */
  consume?: boolean;
}

export interface TokenResult {
  state: TokenState;
  /** log p(next token) over the whole vocabulary, after the last fed id (float64: sums of many covers stay exact). */
  logProbs: Float64Array;
}

export interface TokenLM {
  readonly vocabSize: number;
  readonly maxPositions: number;
  /** The token a document starts from: BOS, else EOS (bits per byte's convention), else null. */
  readonly startId: number | null;
  /** config.json's bos_token_id: what a generated text starts from (no EOS fallback). */
  readonly bosId: number | null;
  /** Ids that end a document (config.json's eos_token_id). */
  readonly endIds: readonly number[];
  /** Model calls so far: one per request (a request feeds one or more ids). */
  readonly forwardPasses: number;
  /** For each request, the state after its ids and the next token's log-probabilities. */
  extend(batch: readonly TokenRequest[]): Promise<TokenResult[]>;
  /** Gives a state's cache back early (tensor backend); states are otherwise reclaimed with their last reference. */
  release(state: TokenState): void;
}

class TensorState implements TokenState {
  constructor(
    public cache: KVCache | null,
    readonly length: number,
  ) {}
}

/** A TokenLM as it is (the browser's cpuTokenLM, one already made), or one made from a loaded model folder. */
export async function asTokenLM(model: { config: ModelConfig; params: Params } | TokenLM): Promise<TokenLM> {
  return "extend" in model ? model : tokenLM(model);
}

/** A shared view of a tensor cache (forward consumes the cache it is given). */
function shareCache(cache: KVCache | null): KVCache | null {
  if (!cache) return null;
  return { length: cache.length, keys: cache.keys.map((t: Tensor) => t.ref), values: cache.values.map((t: Tensor) => t.ref) };
}

/** The TokenLM of a loaded model: the CPU path with its own KV cache where the model allows it, else the tensor
 * backend. */
export async function tokenLM(model: { config: ModelConfig; params: Params }): Promise<TokenLM> {
  const { config } = model;
  const cpu = cpuPath(config);
  if (cpu) return cpuTokenLM(cpu.config, await cpuWeights(model.params), cpu.gemm, cpuWorkspace(model.params));
  const step = async (r: TokenRequest): Promise<TokenResult> => {
    const from = r.from as TensorState | null;
    if (from && !(from instanceof TensorState)) throw new Error("token LM: a state from another model");
    let cache: KVCache | null = null;
    if (from) {
      if (!from.cache) throw new Error("token LM: the state was released or consumed");
      cache = r.consume ? from.cache : shareCache(from.cache);
      if (r.consume) from.cache = null;
    }
    const result = forward(config, model.params, [Array.from(r.ids)], cache);
    const all = await toFloat32(result.logits);
    return { state: new TensorState(result.cache, result.cache.length), logProbs: logSoftmax(all.subarray(all.length - config.vocabSize)) };
  };
  return stepTokenLM(config, step, (state) => {
    if (state instanceof TensorState) {
      disposeCache(state.cache);
      state.cache = null;
    }
  });
}
