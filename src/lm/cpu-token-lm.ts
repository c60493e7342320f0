// The TokenLM of a Llama-family model on the hand-written CPU forward (./llama-cpu.ts), with its own KV caches
// (copied on fork). No tensor backend: the playground runs it in a browser worker on the plain-JS Gemm, Node on
// OpenBLAS (./token-lm.ts picks it there). The request checks and the pass count every TokenLM shares live here too.
import type { Gemm } from "../tensor/gemm.js";
import type { Arrays } from "../tensor/optim.js";
import type { LlamaConfig, ModelConfig } from "./config.js";
import { CpuKVCache, CpuWorkspace, llamaLogitsCpu } from "./llama-cpu.js";
import type { TokenLM, TokenRequest, TokenResult, TokenState } from "./token-lm.js";

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

/** A TokenLM from one request's forward: the checks, the pass count and the start and end ids around it. */
export function stepTokenLM(config: ModelConfig, step: (r: TokenRequest) => Promise<TokenResult>, release: (state: TokenState) => void = () => {}): TokenLM {
  let passes = 0;
  return {
    vocabSize: config.vocabSize,
    maxPositions: config.maxPositions,
    startId: documentStartId(config),
    bosId: config.bosTokenId,
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

class CpuState implements TokenState {
  constructor(readonly cache: CpuKVCache) {}
  get length(): number {
    return this.cache.length;
  }
}

/** The CPU forward as a TokenLM over float32 weights by safetensors name; only the last fed position's head runs. */
export function cpuTokenLM(config: LlamaConfig, weights: Arrays, gemm: Gemm, workspace = new CpuWorkspace()): TokenLM {
  return stepTokenLM(config, async (r) => {
    const from = r.from as CpuState | null;
    if (from && !(from instanceof CpuState)) throw new Error("token LM: a state from another model");
    const cache = from ? (r.consume ? from.cache : from.cache.fork()) : new CpuKVCache(config);
    const logits = llamaLogitsCpu(config, weights, Int32Array.from(r.ids), 1, r.ids.length, gemm, { workspace, cache, logitsFrom: r.ids.length - 1 });
    return { state: new CpuState(cache), logProbs: logSoftmax(logits) };
  });
}
