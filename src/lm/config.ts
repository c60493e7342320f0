// Model configuration as Hugging Face writes it in config.json (Llama family and GPT-2), validated once at the edge.
import type { JsonObject } from "../tokenize/types.js";

export type RopeScaling =
  | { kind: "none" }
  | { kind: "linear"; factor: number }
  | { kind: "dynamic"; factor: number }
  | { kind: "llama3"; factor: number; lowFreqFactor: number; highFreqFactor: number; originalMaxPositions: number }
  | { kind: "yarn"; factor: number; betaFast: number; betaSlow: number; originalMaxPositions: number; attentionFactor: number };

export interface LlamaConfig {
  arch: "llama";
  modelType: string; // llama, mistral, qwen2, ...
  vocabSize: number;
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  rmsNormEps: number;
  ropeTheta: number;
  ropeScaling: RopeScaling;
  maxPositions: number;
  tieWordEmbeddings: boolean;
  attentionBias: boolean; // q/k/v bias (Qwen2 has it; o_proj keeps no bias unless attentionOutBias)
  attentionOutBias: boolean;
  mlpBias: boolean;
  bosTokenId: number | null;
  eosTokenId: number | number[] | null;
  raw: JsonObject;
}

export interface Gpt2Config {
  arch: "gpt2";
  modelType: "gpt2";
  vocabSize: number;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  headDim: number;
  intermediateSize: number;
  maxPositions: number;
  layerNormEps: number;
  tieWordEmbeddings: true;
  bosTokenId: number | null;
  eosTokenId: number | number[] | null;
  raw: JsonObject;
}

export type ModelConfig = LlamaConfig | Gpt2Config;

const LLAMA_TYPES = new Set(["llama", "mistral", "qwen2", "smollm", "tinyllama", "qwen3"]);

function num(json: JsonObject, key: string, where: string, fallback?: number): number {
  const v = json[key];
  if (v === undefined || v === null) {
    if (fallback !== undefined) return fallback;
    throw new Error(`${where}: missing "${key}" (a number)`);
  }
  if (typeof v !== "number" || !Number.isFinite(v)) throw new Error(`${where}: "${key}" must be a number, got ${JSON.stringify(v)}`);
  return v;
}
function posInt(json: JsonObject, key: string, where: string, fallback?: number): number {
  const v = num(json, key, where, fallback);
  if (!Number.isInteger(v) || v <= 0) throw new Error(`${where}: "${key}" must be a positive integer, got ${v}`);
  return v;
}
function idOrNull(v: unknown): number | number[] | null {
  if (typeof v === "number") return v;
  if (Array.isArray(v) && v.every((x) => typeof x === "number")) return v as number[];
  return null;
}

function parseRopeScaling(json: JsonObject, where: string, maxPositions: number): RopeScaling {
  const rs = (json.rope_scaling ?? null) as JsonObject | null;
  if (rs === null) return { kind: "none" };
  const type = String(rs.rope_type ?? rs.type ?? "default");
  const w = `${where}: rope_scaling`;
  const factor = type === "default" ? 1 : num(rs, "factor", w);
  switch (type) {
    case "default":
      return { kind: "none" };
    case "linear":
      return { kind: "linear", factor };
    case "dynamic":
      return { kind: "dynamic", factor };
    case "llama3":
      return {
        kind: "llama3",
        factor,
        lowFreqFactor: num(rs, "low_freq_factor", w),
        highFreqFactor: num(rs, "high_freq_factor", w),
        originalMaxPositions: num(rs, "original_max_position_embeddings", w),
      };
    case "yarn": {
      const factorNum = factor;
      return {
        kind: "yarn",
        factor: factorNum,
        betaFast: num(rs, "beta_fast", w, 32),
        betaSlow: num(rs, "beta_slow", w, 1),
        originalMaxPositions: num(rs, "original_max_position_embeddings", w, maxPositions),
        attentionFactor: num(rs, "attention_factor", w, factorNum <= 1 ? 1 : 0.1 * Math.log(factorNum) + 1),
      };
    }
    default:
      throw new Error(`${w}: unsupported rope_type "${type}" (supported: default, linear, dynamic, llama3, yarn)`);
  }
}

/** Parses config.json into a typed config; `where` names the file in errors. */
export function parseModelConfig(json: JsonObject, where = "config.json"): ModelConfig {
  const modelType = String(json.model_type ?? "");
  if (modelType === "gpt2") {
    const hidden = posInt(json, "n_embd", where);
    const heads = posInt(json, "n_head", where);
    if (hidden % heads) throw new Error(`${where}: n_embd ${hidden} is not a multiple of n_head ${heads}`);
    const act = String(json.activation_function ?? "gelu_new");
    if (act !== "gelu_new" && act !== "gelu_pytorch_tanh") throw new Error(`${where}: activation_function "${act}" is not supported (gelu_new)`);
    return {
      arch: "gpt2",
      modelType: "gpt2",
      vocabSize: posInt(json, "vocab_size", where),
      hiddenSize: hidden,
      numLayers: posInt(json, "n_layer", where),
      numHeads: heads,
      headDim: hidden / heads,
      intermediateSize: posInt(json, "n_inner", where, 4 * hidden),
      maxPositions: posInt(json, "n_positions", where),
      layerNormEps: num(json, "layer_norm_epsilon", where, 1e-5),
      tieWordEmbeddings: true,
      bosTokenId: typeof json.bos_token_id === "number" ? json.bos_token_id : null,
      eosTokenId: idOrNull(json.eos_token_id),
      raw: json,
    };
  }
  if (!LLAMA_TYPES.has(modelType)) throw new Error(`${where}: model_type "${modelType}" is not supported (llama, mistral, qwen2, gpt2)`);
  const hidden = posInt(json, "hidden_size", where);
  const heads = posInt(json, "num_attention_heads", where);
  const kvHeads = posInt(json, "num_key_value_heads", where, heads);
  if (heads % kvHeads) throw new Error(`${where}: num_attention_heads ${heads} is not a multiple of num_key_value_heads ${kvHeads}`);
  const headDim = posInt(json, "head_dim", where, Math.floor(hidden / heads));
  if (headDim % 2) throw new Error(`${where}: head_dim ${headDim} must be even for rotary embeddings`);
  const maxPositions = posInt(json, "max_position_embeddings", where, 2048);
  const attentionBias = json.attention_bias === true || modelType === "qwen2";
  return {
    arch: "llama",
    modelType,
    vocabSize: posInt(json, "vocab_size", where),
    hiddenSize: hidden,
    intermediateSize: posInt(json, "intermediate_size", where),
    numLayers: posInt(json, "num_hidden_layers", where),
    numHeads: heads,
    numKvHeads: kvHeads,
    headDim,
    rmsNormEps: num(json, "rms_norm_eps", where, 1e-6),
    ropeTheta: num(json, "rope_theta", where, 10000),
    ropeScaling: parseRopeScaling(json, where, maxPositions),
    maxPositions,
    tieWordEmbeddings: json.tie_word_embeddings === true,
    attentionBias,
    attentionOutBias: json.attention_bias === true && modelType !== "qwen2",
    mlpBias: json.mlp_bias === true,
    bosTokenId: typeof json.bos_token_id === "number" ? json.bos_token_id : null,
    eosTokenId: idOrNull(json.eos_token_id),
    raw: json,
  };
}
