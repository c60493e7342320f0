// The one interface decode/ needs of a language model: next-token log-probabilities after prefixes of token ids,
// with KV caches that fork (a prefix is extended many ways: the live covers of a byte-level model, a healed prompt's
// candidates). Llama-family models run on the hand-written CPU path (CpuKVCache, copied on fork); every other model,
// or a platform without a fast Gemm, runs on the tensor backend (its cache tensors are shared on fork, not copied).
import { toFloat32, type Tensor } from "../tensor/backend.js";
import type { ModelConfig } from "./config.js";
import { disposeCache, forward, type KVCache, type Params } from "./model.js";
import { CpuKVCache, llamaLogitsCpu } from "./llama-cpu.js";
import { cpuPath, cpuWeights, cpuWorkspace } from "./cpu-path.js";

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
  /** Ids that end a document (config.json's eos_token_id). */
  readonly endIds: readonly number[];
  /** Model calls so far: one per request (a request feeds one or more ids). */
  readonly forwardPasses: number;
  /** For each request, the state after its ids and the next token's log-probabilities. */
  extend(batch: readonly TokenRequest[]): Promise<TokenResult[]>;
  /** Gives a state's cache back early (tensor backend); states are otherwise reclaimed with their last reference. */
  release(state: TokenState): void;
}

/** BOS, else EOS, else null: where a scored document starts. */
export function documentStartId(config: ModelConfig): number | null {
  if (config.bosTokenId !== null) return config.bosTokenId;
  const eos = config.eosTokenId;
  return eos === null ? null : Array.isArray(eos) ? (eos[0] ?? null) : eos;
}

export function endTokenIds(config: ModelConfig): number[] {
  const eos = config.eosTokenId;
  return eos === null ? [] : Array.isArray(eos) ? [...eos] : [eos];
}

/** log-softmax of one row of logits, in float64. */
export function logSoftmax(logits: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i]! > max) max = logits[i]!;
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i]! - max);
  const norm = max + Math.log(sum);
  const out = new Float64Array(logits.length);
  for (let i = 0; i < logits.length; i++) out[i] = logits[i]! - norm;
  return out;
}

function checkRequest(r: TokenRequest, config: ModelConfig): void {
  if (r.ids.length === 0) throw new Error("token LM: a request feeds no ids");
  for (const id of r.ids)
    if (!(Number.isInteger(id) && id >= 0 && id < config.vocabSize)) throw new Error(`token LM: id ${id} is outside the model's vocabulary [0, ${config.vocabSize})`);
  const length = (r.from?.length ?? 0) + r.ids.length;
  if (length > config.maxPositions) throw new Error(`token LM: ${length} tokens exceed the model's ${config.maxPositions} positions`);
}

class CpuState implements TokenState {
  constructor(readonly cache: CpuKVCache) {}
  get length(): number {
    return this.cache.length;
  }
}

class TensorState implements TokenState {
  constructor(
    public cache: KVCache | null,
    readonly length: number,
  ) {}
}

/** A shared view of a tensor cache (forward consumes the cache it is given). */
function shareCache(cache: KVCache | null): KVCache | null {
  if (!cache) return null;
  return { length: cache.length, keys: cache.keys.map((t: Tensor) => t.ref), values: cache.values.map((t: Tensor) => t.ref) };
}

/** The TokenLM of a loaded model: the CPU path with its own KV cache where the model allows it, else the tensor
 * backend. Both share the request checks and the pass count; they differ only in one request's forward. */
export async function tokenLM(model: { config: ModelConfig; params: Params }): Promise<TokenLM> {
  const { config } = model;
  const cpu = cpuPath(config);
  let step: (r: TokenRequest) => Promise<TokenResult>;
  let release: (state: unknown) => void = () => {};
  if (cpu) {
    const weights = await cpuWeights(model.params);
    const workspace = cpuWorkspace(model.params);
    step = async (r) => {
      const from = r.from as CpuState | null;
      if (from && !(from instanceof CpuState)) throw new Error("token LM: a state from another model");
      const cache = from ? (r.consume ? from.cache : from.cache.fork()) : new CpuKVCache(cpu.config);
      const logits = llamaLogitsCpu(cpu.config, weights, Int32Array.from(r.ids), 1, r.ids.length, cpu.gemm, { workspace, cache, logitsFrom: r.ids.length - 1 });
      return { state: new CpuState(cache), logProbs: logSoftmax(logits) };
    };
  } else {
    step = async (r) => {
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
    release = (state) => {
      if (state instanceof TensorState) {
        disposeCache(state.cache);
        state.cache = null;
      }
    };
  }
  let passes = 0;
  return {
    vocabSize: config.vocabSize,
    maxPositions: config.maxPositions,
    startId: documentStartId(config),
    endIds: endTokenIds(config),
    get forwardPasses() {
      return passes;
    },
    async extend(batch) {
      const out: TokenResult[] = [];
      for (const r of batch) {
        checkRequest(r, config);
        out.push(await step(r));
        passes++;
      }
      return out;
    },
    release,
  };
}
