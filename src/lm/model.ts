// Causal language models over the tensor adapter: a Llama-family decoder (Llama, Mistral, Qwen2, SmolLM, TinyLlama)
// and GPT-2. Parameters are a flat record keyed by the Hugging Face tensor names, so checkpoints load as they are and
// the record is a JsTree that grad() can differentiate. Forward functions BORROW params (they take .ref of each
// weight); ids are plain numbers. All rows of a batch have the same length (no padding inside the model).
import { np, nn, fromFloat32, fromInt32, type Tensor } from "../tensor/backend.js";
import type { Gpt2Config, LlamaConfig, ModelConfig } from "./config.js";
import { ropeTables } from "./rope.js";

export type Params = Record<string, Tensor>;

/** Per-layer keys and values seen so far, [B, kvHeads, S, headDim] each; owned by the cache. */
export interface KVCache {
  length: number;
  keys: Tensor[];
  values: Tensor[];
}

export function disposeCache(cache: KVCache | null | undefined): void {
  if (!cache) return;
  for (const t of cache.keys) t.dispose();
  for (const t of cache.values) t.dispose();
  cache.keys = [];
  cache.values = [];
}

function param(params: Params, name: string): Tensor {
  const t = params[name];
  if (!t) throw new Error(`model: missing weight "${name}"`);
  return t.ref;
}

/** x @ W^T (+ b) with W in PyTorch Linear layout [out, in]. Consumes x. */
export function linear(x: Tensor, params: Params, prefix: string, bias: boolean): Tensor {
  const y = np.matmul(x, param(params, prefix + ".weight").transpose());
  return bias ? y.add(param(params, prefix + ".bias")) : y;
}

function rmsNorm(x: Tensor, weight: Tensor, eps: number): Tensor {
  const ms = np.square(x.ref).mean(-1, { keepdims: true }).add(eps);
  return x.div(np.sqrt(ms)).mul(weight);
}

export function layerNorm(x: Tensor, weight: Tensor, bias: Tensor, eps: number): Tensor {
  const mu = x.ref.mean(-1, { keepdims: true });
  const centered = x.sub(mu);
  const variance = np.square(centered.ref).mean(-1, { keepdims: true }).add(eps);
  return centered.div(np.sqrt(variance)).mul(weight).add(bias);
}

/** GPT-2's "gelu_new": the tanh approximation of GELU. */
export function geluTanh(x: Tensor): Tensor {
  const inner = x.ref.add(np.square(x.ref).mul(x.ref).mul(0.044715)).mul(Math.sqrt(2 / Math.PI));
  return x.mul(0.5).mul(np.tanh(inner).add(1));
}

/** Causal mask [T, S] for queries at positions past..past+T-1 over keys 0..S-1 (large negative, not -inf, so grads stay finite). */
function causalMask(past: number, t: number): Tensor {
  const s = past + t;
  const m = new Float32Array(t * s);
  for (let i = 0; i < t; i++) for (let j = past + i + 1; j < s; j++) m[i * s + j] = -1e9;
  return fromFloat32(m, [t, s]);
}

function rotateHalf(x: Tensor): Tensor {
  const [a, b] = np.split(x, 2, -1);
  return np.concatenate([b.neg(), a], -1);
}

/** softmax(q k^T · scale + mask) v for q [B,H,T,hd], k/v [B,H,S,hd]. Consumes all. */
export function attend(q: Tensor, k: Tensor, v: Tensor, mask: Tensor, scale: number): Tensor {
  const scores = np.matmul(q, k.transpose([0, 1, 3, 2])).mul(scale).add(mask);
  return np.matmul(nn.softmax(scores, -1), v);
}

/**
 * What a forward pass reads: token ids (plain numbers, validated; or an int32 tensor [B, T], trusted as jit traces
 * pass it), or input embeddings [B, T, d] computed elsewhere — training looks rows up outside a jit-compiled step
 * (the gradient of a gather is a scatter, which jit cannot compile), and transfer feeds predicted embeddings.
 */
export type ForwardInput = number[][] | Tensor | { embeddings: Tensor };

/** The input embeddings [B, T, d] of `input` (consumes a given tensor; borrows `table`). */
function embedInput(input: ForwardInput, params: Params, table: string, config: ModelConfig): { batch: number; len: number; h: Tensor } {
  if (!Array.isArray(input) && "embeddings" in input) {
    const e = input.embeddings;
    if (e.shape.length !== 3 || e.shape[2] !== config.hiddenSize) throw new Error(`model: input embeddings have shape [${e.shape.join(", ")}], expected [B, T, ${config.hiddenSize}]`);
    return { batch: e.shape[0]!, len: e.shape[1]!, h: e };
  }
  let batch: number, len: number, tokens: Tensor;
  if (Array.isArray(input)) {
    const checked = checkIds(input, config.vocabSize);
    ({ batch, len } = checked);
    tokens = fromInt32(checked.flat);
  } else {
    [batch, len] = input.shape as [number, number];
    tokens = input.reshape([-1]);
  }
  return { batch, len, h: np.take(param(params, table), tokens, 0).reshape([batch, len, config.hiddenSize]) };
}

function checkIds(ids: number[][], vocab: number): { batch: number; len: number; flat: Int32Array } {
  const batch = ids.length;
  if (batch === 0) throw new Error("model: empty batch");
  const len = ids[0].length;
  if (len === 0) throw new Error("model: empty sequence");
  const flat = new Int32Array(batch * len);
  ids.forEach((row, b) => {
    if (row.length !== len) throw new Error(`model: batch row ${b} has ${row.length} ids, row 0 has ${len} (pad rows to one length)`);
    row.forEach((id, t) => {
      if (!Number.isInteger(id) || id < 0 || id >= vocab) throw new Error(`model: id ${id} at row ${b}, position ${t} is outside the vocabulary [0, ${vocab})`);
      flat[b * len + t] = id;
    });
  });
  return { batch, len, flat };
}

/** Llama-family forward: logits [B, T, V] for ids [B][T], continuing `cache` (which is replaced by the returned one). */
export function llamaForward(config: LlamaConfig, params: Params, input: ForwardInput, cache: KVCache | null = null): { logits: Tensor; cache: KVCache } {
  const { hidden, cache: next } = llamaHidden(config, params, input, cache);
  const head = config.tieWordEmbeddings || !params["lm_head.weight"] ? "model.embed_tokens.weight" : "lm_head.weight";
  return { logits: np.matmul(hidden, param(params, head).transpose()), cache: next };
}

/** The final-norm hidden states [B, T, d] of a Llama-family decoder (what the output head reads). */
export function llamaHidden(config: LlamaConfig, params: Params, input: ForwardInput, cache: KVCache | null = null): { hidden: Tensor; cache: KVCache } {
  const embedded = embedInput(input, params, "model.embed_tokens.weight", config);
  const { batch, len } = embedded;
  let h = embedded.h;
  const past = cache?.length ?? 0;
  const { numHeads: H, numKvHeads: KV, headDim: hd } = config;
  const groups = H / KV;
  const { cos: cosData, sin: sinData } = ropeTables(config, past, len);
  const cos = fromFloat32(cosData, [len, hd]);
  const sin = fromFloat32(sinData, [len, hd]);
  const mask = causalMask(past, len);
  const next: KVCache = { length: past + len, keys: [], values: [] };
  for (let l = 0; l < config.numLayers; l++) {
    const p = `model.layers.${l}`;
    const x = rmsNorm(h.ref, param(params, `${p}.input_layernorm.weight`), config.rmsNormEps);
    const heads = (t: Tensor, n: number) => t.reshape([batch, len, n, hd]).transpose([0, 2, 1, 3]);
    let q = heads(linear(x.ref, params, `${p}.self_attn.q_proj`, config.attentionBias), H);
    let k = heads(linear(x.ref, params, `${p}.self_attn.k_proj`, config.attentionBias), KV);
    let v = heads(linear(x, params, `${p}.self_attn.v_proj`, config.attentionBias), KV);
    q = q.ref.mul(cos.ref).add(rotateHalf(q).mul(sin.ref));
    k = k.ref.mul(cos.ref).add(rotateHalf(k).mul(sin.ref));
    if (cache && past > 0) {
      k = np.concatenate([cache.keys[l].ref, k], 2);
      v = np.concatenate([cache.values[l].ref, v], 2);
    }
    next.keys.push(k.ref);
    next.values.push(v.ref);
    if (groups > 1) {
      k = np.repeat(k, groups, 1);
      v = np.repeat(v, groups, 1);
    }
    const o = attend(q, k, v, mask.ref, 1 / Math.sqrt(hd)).transpose([0, 2, 1, 3]).reshape([batch, len, H * hd]);
    h = h.add(linear(o, params, `${p}.self_attn.o_proj`, config.attentionOutBias));
    const y = rmsNorm(h.ref, param(params, `${p}.post_attention_layernorm.weight`), config.rmsNormEps);
    const gate = nn.silu(linear(y.ref, params, `${p}.mlp.gate_proj`, config.mlpBias));
    const up = linear(y, params, `${p}.mlp.up_proj`, config.mlpBias);
    h = h.add(linear(gate.mul(up), params, `${p}.mlp.down_proj`, config.mlpBias));
  }
  cos.dispose();
  sin.dispose();
  mask.dispose();
  disposeCache(cache);
  return { hidden: rmsNorm(h, param(params, "model.norm.weight"), config.rmsNormEps), cache: next };
}

/** GPT-2 forward (learned positions, pre-LayerNorm blocks, Conv1D weights [in, out], tied output embedding). */
export function gpt2Forward(config: Gpt2Config, params: Params, input: ForwardInput, cache: KVCache | null = null): { logits: Tensor; cache: KVCache } {
  const { hidden, cache: next } = gpt2Hidden(config, params, input, cache);
  return { logits: np.matmul(hidden, param(params, "wte.weight").transpose()), cache: next };
}

/** GPT-2's final-LayerNorm hidden states [B, T, d]. */
export function gpt2Hidden(config: Gpt2Config, params: Params, input: ForwardInput, cache: KVCache | null = null): { hidden: Tensor; cache: KVCache } {
  const embedded = embedInput(input, params, "wte.weight", config);
  const { batch, len } = embedded;
  const past = cache?.length ?? 0;
  if (past + len > config.maxPositions) throw new Error(`gpt2: ${past + len} positions exceed n_positions ${config.maxPositions}`);
  const { numHeads: H, headDim: hd, hiddenSize: d } = config;
  const pos = new Int32Array(len).map((_, i) => past + i);
  let h = embedded.h.add(np.take(param(params, "wpe.weight"), fromInt32(pos), 0));
  const mask = causalMask(past, len);
  const conv1d = (x: Tensor, prefix: string) => np.matmul(x, param(params, prefix + ".weight")).add(param(params, prefix + ".bias"));
  const ln = (x: Tensor, prefix: string) => layerNorm(x, param(params, prefix + ".weight"), param(params, prefix + ".bias"), config.layerNormEps);
  const next: KVCache = { length: past + len, keys: [], values: [] };
  for (let l = 0; l < config.numLayers; l++) {
    const p = `h.${l}`;
    const qkv = conv1d(ln(h.ref, `${p}.ln_1`), `${p}.attn.c_attn`);
    const heads = (t: Tensor) => t.reshape([batch, len, H, hd]).transpose([0, 2, 1, 3]);
    const [q0, k0, v0] = np.split(qkv, 3, -1);
    let k = heads(k0);
    let v = heads(v0);
    if (cache && past > 0) {
      k = np.concatenate([cache.keys[l].ref, k], 2);
      v = np.concatenate([cache.values[l].ref, v], 2);
    }
    next.keys.push(k.ref);
    next.values.push(v.ref);
    const o = attend(heads(q0), k, v, mask.ref, 1 / Math.sqrt(hd)).transpose([0, 2, 1, 3]).reshape([batch, len, d]);
    h = h.add(conv1d(o, `${p}.attn.c_proj`));
    const m = conv1d(geluTanh(conv1d(ln(h.ref, `${p}.ln_2`), `${p}.mlp.c_fc`)), `${p}.mlp.c_proj`);
    h = h.add(m);
  }
  mask.dispose();
  disposeCache(cache);
  return { hidden: ln(h, "ln_f"), cache: next };
}

/** Dispatches on the architecture. */
export function forward(config: ModelConfig, params: Params, input: ForwardInput, cache: KVCache | null = null): { logits: Tensor; cache: KVCache } {
  return config.arch === "gpt2" ? gpt2Forward(config, params, input, cache) : llamaForward(config, params, input, cache);
}

/** Final hidden states [B, T, d] (before the output head) for either architecture. */
export function hiddenStates(config: ModelConfig, params: Params, input: ForwardInput, cache: KVCache | null = null): { hidden: Tensor; cache: KVCache } {
  return config.arch === "gpt2" ? gpt2Hidden(config, params, input, cache) : llamaHidden(config, params, input, cache);
}

/**
 * Mean cross-entropy (nats) of logits [B,T,V] against targets [B][T] or an int32 tensor [B,T] (consumes logits and a
 * target tensor). The target log-probability is picked by comparing against arange(V) — a [B,T,V] mask, never a V×V
 * one-hot — because a gather's gradient is a scatter, which jit cannot compile.
 */
export function crossEntropy(logits: Tensor, targets: number[][] | Tensor): Tensor {
  const t = Array.isArray(targets) ? fromInt32(Int32Array.from(targets.flat()), [targets.length, targets[0]?.length ?? 0]) : targets;
  const vocab = logits.shape[logits.shape.length - 1]!;
  const mask = np.equal(t.reshape([...t.shape, 1]), np.arange(vocab).astype(np.int32)).astype(np.float32);
  const logp = nn.logSoftmax(logits, -1);
  const picked = logp.mul(mask).sum(-1);
  return picked.mean().neg();
}

/** Names of the input and output embedding matrices ([V, d] each; the same name when tied). */
export function embeddingNames(config: ModelConfig, params: Record<string, unknown>): { input: string; output: string } {
  if (config.arch === "gpt2") return { input: "wte.weight", output: "wte.weight" };
  const output = config.tieWordEmbeddings || !params["lm_head.weight"] ? "model.embed_tokens.weight" : "lm_head.weight";
  return { input: "model.embed_tokens.weight", output };
}

/** The embeddings as one [V, 2, d] tensor (input, output stacked); a tied model gives [V, 1, d]. Borrows params. */
export function embeddingView(config: ModelConfig, params: Params): Tensor {
  const { input, output } = embeddingNames(config, params);
  if (input === output) return np.expandDims(param(params, input), 1);
  return np.stack([param(params, input), param(params, output)], 1);
}
