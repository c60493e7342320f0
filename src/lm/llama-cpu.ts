// A Llama-family decoder written out by hand on Float32Arrays — forward, and the backward pass of the next-token
// loss — with every matrix product handed to a Gemm (OpenBLAS on Node, a plain-JS kernel elsewhere) and every
// element-wise loop to VectorKernels (wasm SIMD, or plain JS). It exists for speed: on a CPU the tensor backend
// (jax-js on wasm) runs this model ~4.8× slower than PyTorch per train step and ~11× per forward; this file runs it
// at ~1.2× and ~1.7× (docs/measured.md). The jax-js model (./model.ts) stays the reference: test/lm/llama-cpu.test.ts
// checks this file's loss and every gradient against it.
// Layout: activations are [tokens, features] row-major; a head is a strided view of its projection (no copies).
import type { Gemm } from "../tensor/gemm.js";
import type { Arrays } from "../tensor/optim.js";
import type { LlamaConfig } from "./config.js";
import { ropeTables } from "./rope.js";
import { vectorKernels, type VectorKernels } from "../tensor/vector-kernels.js";

/** What the backward pass needs of one layer's forward. */
interface LayerActivations {
  input: Float32Array;
  x: Float32Array;
  r1: Float32Array;
  q: Float32Array;
  k: Float32Array;
  v: Float32Array;
  probs: Float32Array;
  attention: Float32Array;
  mid: Float32Array;
  y: Float32Array;
  r2: Float32Array;
  gate: Float32Array;
  up: Float32Array;
  act: Float32Array;
}

function weight(params: Arrays, name: string, size: number): Float32Array {
  const w = params[name];
  if (!w) throw new Error(`llama-cpu: missing weight "${name}"`);
  if (w.length !== size) throw new Error(`llama-cpu: "${name}" has ${w.length} values, expected ${size}`);
  return w;
}

/** The output head's name: the input table when tied. */
export function outputHeadName(config: LlamaConfig, params: Arrays): string {
  return config.tieWordEmbeddings || !params["lm_head.weight"] ? "model.embed_tokens.weight" : "lm_head.weight";
}

/**
 * Named buffers kept from one call to the next (a forward allocates ~16 MB a layer plus the logits; fresh memory
 * costs a page fault per 4 KB and a GC later: measured ~20% of a forward). A buffer is handed out as it was left,
 * not zeroed, and only grows: a shorter request (the last bits-per-byte window, a decode step whose attention row
 * is one longer each time) gets a view of it. Arrays a call returns (logits, gradients) live here too and are
 * overwritten by the next call.
 */
export class CpuWorkspace {
  private readonly buffers = new Map<string, Float32Array>();

  take(name: string, length: number): Float32Array {
    let b = this.buffers.get(name);
    // Grown by half again at least, so a request one longer each call reallocates rarely.
    if (!b || b.length < length) this.buffers.set(name, (b = new Float32Array(b ? Math.max(length, Math.ceil(b.length * 1.5)) : length)));
    return b.length === length ? b : b.subarray(0, length);
  }

  zeroed(name: string, length: number): Float32Array {
    return this.take(name, length).fill(0);
  }
}

/** What a CPU call runs on: element-wise kernels (default: the fastest here) and a workspace (default: a fresh one). */
export interface CpuOptions {
  vector?: VectorKernels;
  workspace?: CpuWorkspace;
  /**
   * The weights are frozen (a hypernetwork trains through the model): the backward pass skips the weight-gradient
   * products and only the embedding table (and an untied output head) gets a gradient; the others stay zero.
   */
  frozenWeights?: boolean;
}

/** The products and element-wise kernels of one call, over a workspace (the hypernetwork's CPU step uses them too). */
export class CpuKernels {
  readonly vector: VectorKernels;
  readonly ws: CpuWorkspace;
  private readonly frozen: boolean;

  constructor(
    readonly gemm: Gemm,
    options: CpuOptions,
  ) {
    this.vector = options.vector ?? vectorKernels();
    this.ws = options.workspace ?? new CpuWorkspace();
    this.frozen = options.frozenWeights === true;
  }

  /** Runs attention's per-head products with the Gemm's own threads off, where it has them (see Gemm.oneThread). */
  perHead(f: () => void): void {
    if (this.gemm.oneThread) this.gemm.oneThread(f);
    else f();
  }

  /** y[rows, out] = x W^T (+ b), W [out, in], into the workspace buffer `name`. */
  linear(name: string, x: Float32Array, rows: number, inDim: number, w: Float32Array, outDim: number, bias: Float32Array | null): Float32Array {
    const y = this.ws.take(name, rows * outDim);
    this.gemm.sgemm(false, true, rows, outDim, inDim, 1, x, inDim, w, inDim, 0, y, outDim);
    if (bias) for (let r = 0; r < rows; r++) for (let j = 0; j < outDim; j++) y[r * outDim + j]! += bias[j]!;
    return y;
  }

  /** dW += dyᵀ x, db += Σ dy (unless the weights are frozen), and dx (+)= dy W (accumulate when `accumulate`; skipped when dx is null). */
  linearBackward(dy: Float32Array, x: Float32Array, rows: number, inDim: number, w: Float32Array, outDim: number, dw: Float32Array, db: Float32Array | null, dx: Float32Array | null, accumulate: boolean): void {
    if (!this.frozen) {
      this.gemm.sgemm(true, false, outDim, inDim, rows, 1, dy, outDim, x, inDim, 1, dw, inDim);
      if (db) for (let r = 0; r < rows; r++) for (let j = 0; j < outDim; j++) db[j]! += dy[r * outDim + j]!;
    }
    if (dx) this.gemm.sgemm(false, false, rows, inDim, outDim, 1, dy, outDim, w, inDim, accumulate ? 1 : 0, dx, inDim);
  }
}

/** y = x / sqrt(mean(x²) + eps) · w per row; returns y and the per-row factor 1/sqrt(…) (workspace `name`, `name`.r).
 * With `residual`, x = a + residual.b is formed first, into residual.sum. */
function rmsNorm(k: CpuKernels, name: string, a: Float32Array, rows: number, d: number, w: Float32Array, eps: number, residual?: { b: Float32Array; sum: Float32Array }): { y: Float32Array; r: Float32Array } {
  const y = k.ws.take(name, rows * d);
  const r = k.ws.take(`${name}.r`, rows);
  k.vector.rmsNorm(a, rows, d, w, eps, y, r, residual);
  return { y, r };
}

/**
 * Keys (rotated) and values of the positions a CPU decoder has seen, per layer [capacity, KV·hd]; grows by doubling,
 * so a long context costs what it uses, not maxPositions. One sequence.
 */
export class CpuKVCache {
  length = 0;
  readonly keys: Float32Array[] = [];
  readonly values: Float32Array[] = [];
  private capacity = 0;

  constructor(readonly config: LlamaConfig) {}

  /** An independent copy of the positions seen so far (decode/ extends one prefix many ways). */
  fork(): CpuKVCache {
    const copy = new CpuKVCache(this.config);
    const row = this.config.numKvHeads * this.config.headDim;
    const capacity = Math.max(this.length, 1);
    for (let l = 0; l < this.keys.length; l++) {
      copy.keys.push(this.keys[l]!.slice(0, capacity * row));
      copy.values.push(this.values[l]!.slice(0, capacity * row));
    }
    copy.capacity = this.keys.length ? capacity : 0;
    copy.length = this.length;
    return copy;
  }

  /** Appends `count` rows of layer l's new keys and values; returns the layer's arrays (rows 0..length + count). */
  append(l: number, keys: Float32Array, values: Float32Array, count: number): { keys: Float32Array; values: Float32Array } {
    const row = this.config.numKvHeads * this.config.headDim;
    const need = this.length + count;
    if (need > this.config.maxPositions) throw new Error(`llama-cpu: ${need} positions exceed the model's ${this.config.maxPositions}`);
    if (need > this.capacity) {
      const capacity = Math.min(this.config.maxPositions, Math.max(need, 2 * this.capacity, 64));
      for (let i = 0; i < this.config.numLayers; i++) {
        for (const arrays of [this.keys, this.values]) {
          const grown = new Float32Array(capacity * row);
          if (arrays[i]) grown.set(arrays[i]!.subarray(0, this.length * row));
          arrays[i] = grown;
        }
      }
      this.capacity = capacity;
    }
    this.keys[l]!.set(keys.subarray(0, count * row), this.length * row);
    this.values[l]!.set(values.subarray(0, count * row), this.length * row);
    return { keys: this.keys[l]!, values: this.values[l]! };
  }
}

interface Dims {
  batch: number;
  len: number;
  tokens: number;
  d: number;
  H: number;
  KV: number;
  hd: number;
  ff: number;
  V: number;
}

function dims(config: LlamaConfig, batch: number, len: number): Dims {
  return { batch, len, tokens: batch * len, d: config.hiddenSize, H: config.numHeads, KV: config.numKvHeads, hd: config.headDim, ff: config.intermediateSize, V: config.vocabSize };
}

/** Rows of queries per block of attention's causal products: a block's product spans only the keys its last row sees
 * (a T×T score matrix costs (T/64 + 1)/(2·T/64) of itself: 5/8 at T = 256). */
const CAUSAL_BLOCK = 64;

/**
 * Calls f for every (row, head) with the offsets of the head's query/output columns in [tokens, H·hd], of its
 * key/value head's columns in [tokens, KV·hd] (grouped-query: H/KV query heads share one), and of its T×T scores.
 */
function forEachHead(m: Dims, f: (qo: number, ko: number, po: number) => void): void {
  const { batch: B, len: T, H, KV, hd } = m;
  const groups = H / KV;
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++) f(b * T * H * hd + h * hd, b * T * KV * hd + Math.floor(h / groups) * hd, (b * H + h) * T * T);
}

function embed(ws: CpuWorkspace, params: Arrays, ids: Int32Array, m: Dims): Float32Array {
  const table = weight(params, "model.embed_tokens.weight", m.V * m.d);
  const h = ws.take("embedded", m.tokens * m.d);
  for (let n = 0; n < m.tokens; n++) {
    const id = ids[n]!;
    if (!(id >= 0 && id < m.V)) throw new Error(`llama-cpu: id ${id} at position ${n} is outside the vocabulary [0, ${m.V})`);
    h.set(table.subarray(id * m.d, (id + 1) * m.d), n * m.d);
  }
  return h;
}

/**
 * One decoder layer. `keepProbs` (training) keeps every head's attention probabilities and every activation for the
 * backward pass, in workspace buffers of their own per layer; a forward alone reuses one T×T buffer for all heads (it
 * stays in cache: measured 1.2× faster forward) and one set of buffers for all layers (the output alternates).
 */
function layerForward(k: CpuKernels, config: LlamaConfig, params: Arrays, l: number, input: Float32Array, m: Dims, cos: Float32Array, sin: Float32Array, keepProbs: boolean, cache: CpuKVCache | null = null): { out: Float32Array; act: LayerActivations } {
  const { tokens: N, d, H, KV, hd, ff, len: T, batch: B } = m;
  const p = `model.layers.${l}`;
  const w = (name: string, size: number) => weight(params, `${p}.${name}`, size);
  const bias = (on: boolean, name: string, size: number) => (on ? w(name, size) : null);
  const key = (name: string) => (keepProbs ? `${l}.${name}` : name);
  const { y: x, r: r1 } = rmsNorm(k, key("x"), input, N, d, w("input_layernorm.weight", d), config.rmsNormEps);
  const q = k.linear(key("q"), x, N, d, w("self_attn.q_proj.weight", H * hd * d), H * hd, bias(config.attentionBias, "self_attn.q_proj.bias", H * hd));
  const kk = k.linear(key("k"), x, N, d, w("self_attn.k_proj.weight", KV * hd * d), KV * hd, bias(config.attentionBias, "self_attn.k_proj.bias", KV * hd));
  const v = k.linear(key("v"), x, N, d, w("self_attn.v_proj.weight", KV * hd * d), KV * hd, bias(config.attentionBias, "self_attn.v_proj.bias", KV * hd));
  k.vector.rotary(q, N, T, H, hd, cos, sin, false);
  k.vector.rotary(kk, N, T, KV, hd, cos, sin, false);
  // With a cache (one sequence), the new keys and values join the cached ones and the T new queries attend to all S:
  // query i is position past + i and sees keys 0..past + i.
  const past = cache ? cache.length : 0;
  const S = past + T;
  const keys = cache ? cache.append(l, kk, v, T).keys : kk;
  const values = cache ? cache.values[l]! : v;
  const probs = k.ws.take(key("probs"), keepProbs ? B * H * T * T : T * S);
  const attention = k.ws.take(key("attention"), N * H * hd);
  const rowMax = new Float32Array(T);
  const rowSum = new Float64Array(T);
  const scale = 1 / Math.sqrt(hd);
  const heads = () =>
    forEachHead(m, (qo, ko, po) => {
      const P = keepProbs ? probs.subarray(po, po + T * T) : probs;
      const out = attention.subarray(qo);
      // Causal: the queries of rows [r0, r1) see keys [0, past + r1) only, so each block of rows multiplies only the
      // keys it sees (expRows zeroes the rest of each row, unread, for the backward).
      for (let r0 = 0; r0 < T; r0 += CAUSAL_BLOCK) {
        const rows = Math.min(CAUSAL_BLOCK, T - r0);
        k.gemm.sgemm(false, true, rows, past + r0 + rows, hd, scale, q.subarray(qo + r0 * H * hd), H * hd, keys.subarray(ko), KV * hd, 0, P.subarray(r0 * S), S);
      }
      // The backward pass needs normalised probabilities; a forward alone scales the T×hd output rows instead.
      k.vector.expRows(P, T, S, { causal: true, first: past, normalise: keepProbs }, rowMax, rowSum);
      for (let r0 = 0; r0 < T; r0 += CAUSAL_BLOCK) {
        const rows = Math.min(CAUSAL_BLOCK, T - r0);
        k.gemm.sgemm(false, false, rows, hd, past + r0 + rows, 1, P.subarray(r0 * S), S, values.subarray(ko), KV * hd, 0, out.subarray(r0 * H * hd), H * hd);
      }
      if (!keepProbs)
        for (let i = 0; i < T; i++) {
          const inv = Math.fround(1 / rowSum[i]!);
          for (let j = 0; j < hd; j++) out[i * H * hd + j]! *= inv;
        }
    });
  k.perHead(heads);
  const o = k.linear("o", attention, N, H * hd, w("self_attn.o_proj.weight", d * H * hd), d, bias(config.attentionOutBias, "self_attn.o_proj.bias", d));
  const mid = k.ws.take(key("mid"), N * d);
  const { y, r: r2 } = rmsNorm(k, key("y"), input, N, d, w("post_attention_layernorm.weight", d), config.rmsNormEps, { b: o, sum: mid });
  const gate = k.linear(key("gate"), y, N, d, w("mlp.gate_proj.weight", ff * d), ff, bias(config.mlpBias, "mlp.gate_proj.bias", ff));
  const up = k.linear(key("up"), y, N, d, w("mlp.up_proj.weight", ff * d), ff, bias(config.mlpBias, "mlp.up_proj.bias", ff));
  const act = k.ws.take(key("act"), N * ff);
  k.vector.siluMul(gate, up, act);
  const down = k.linear("down", act, N, ff, w("mlp.down_proj.weight", d * ff), d, bias(config.mlpBias, "mlp.down_proj.bias", d));
  const out = k.ws.take(keepProbs ? `${l}.out` : `out${l % 2}`, N * d);
  for (let i = 0; i < out.length; i++) out[i] = mid[i]! + down[i]!;
  return { out, act: { input, x, r1, q, k: kk, v, probs, attention, mid, y, r2, gate, up, act } };
}

/** Returns d(loss)/d(layer input), accumulating weight gradients into `grads`. */
function layerBackward(k: CpuKernels, config: LlamaConfig, params: Arrays, grads: Arrays, l: number, dOut: Float32Array, a: LayerActivations, m: Dims, cos: Float32Array, sin: Float32Array): Float32Array {
  const { tokens: N, d, H, KV, hd, ff, len: T, batch: B } = m;
  const p = `model.layers.${l}`;
  const w = (name: string) => params[`${p}.${name}`]!;
  const g = (name: string) => grads[`${p}.${name}`]!;
  const gb = (on: boolean, name: string) => (on ? g(name) : null);
  // MLP: out = mid + down(silu(gate) · up). Buffers are shared by all layers; dMid (the returned gradient) alternates.
  const dAct = k.ws.take("dAct", N * ff);
  k.linearBackward(dOut, a.act, N, ff, w("mlp.down_proj.weight"), d, g("mlp.down_proj.weight"), gb(config.mlpBias, "mlp.down_proj.bias"), dAct, false);
  const dGate = k.ws.take("dGate", N * ff);
  const dUp = k.ws.take("dUp", N * ff);
  k.vector.siluMulBackward(dAct, a.gate, a.up, dGate, dUp);
  const dy = k.ws.take("dy", N * d);
  k.linearBackward(dGate, a.y, N, d, w("mlp.gate_proj.weight"), ff, g("mlp.gate_proj.weight"), gb(config.mlpBias, "mlp.gate_proj.bias"), dy, false);
  k.linearBackward(dUp, a.y, N, d, w("mlp.up_proj.weight"), ff, g("mlp.up_proj.weight"), gb(config.mlpBias, "mlp.up_proj.bias"), dy, true);
  const dMid = k.ws.take(`dMid${l % 2}`, N * d);
  dMid.set(dOut);
  k.vector.rmsNormBackward(dy, a.mid, a.r2, N, d, w("post_attention_layernorm.weight"), g("post_attention_layernorm.weight"), dMid);
  // Attention: mid = input + o_proj(attention)
  const dAttention = k.ws.take("dAttention", N * H * hd);
  k.linearBackward(dMid, a.attention, N, H * hd, w("self_attn.o_proj.weight"), d, g("self_attn.o_proj.weight"), gb(config.attentionOutBias, "self_attn.o_proj.bias"), dAttention, false);
  const dq = k.ws.take("dq", N * H * hd);
  const dk = k.ws.zeroed("dk", N * KV * hd); // heads of a group accumulate into their shared key/value head
  const dv = k.ws.zeroed("dv", N * KV * hd);
  const dP = k.ws.take("dP", T * T);
  const scale = 1 / Math.sqrt(hd);
  k.perHead(() =>
    forEachHead(m, (qo, ko, po) => {
      const P = a.probs.subarray(po, po + T * T);
      const dO = dAttention.subarray(qo);
      k.gemm.sgemm(false, true, T, T, hd, 1, dO, H * hd, a.v.subarray(ko), KV * hd, 0, dP, T);
      k.gemm.sgemm(true, false, T, hd, T, 1, P, T, dO, H * hd, 1, dv.subarray(ko), KV * hd);
      k.vector.softmaxBackwardRows(P, dP, T, T, true);
      k.gemm.sgemm(false, false, T, hd, T, scale, dP, T, a.k.subarray(ko), KV * hd, 0, dq.subarray(qo), H * hd);
      k.gemm.sgemm(true, false, T, hd, T, scale, dP, T, a.q.subarray(qo), H * hd, 1, dk.subarray(ko), KV * hd);
    }),
  );
  k.vector.rotary(dq, N, T, H, hd, cos, sin, true);
  k.vector.rotary(dk, N, T, KV, hd, cos, sin, true);
  const dx = k.ws.take("dx", N * d);
  k.linearBackward(dq, a.x, N, d, w("self_attn.q_proj.weight"), H * hd, g("self_attn.q_proj.weight"), gb(config.attentionBias, "self_attn.q_proj.bias"), dx, false);
  k.linearBackward(dk, a.x, N, d, w("self_attn.k_proj.weight"), KV * hd, g("self_attn.k_proj.weight"), gb(config.attentionBias, "self_attn.k_proj.bias"), dx, true);
  k.linearBackward(dv, a.x, N, d, w("self_attn.v_proj.weight"), KV * hd, g("self_attn.v_proj.weight"), gb(config.attentionBias, "self_attn.v_proj.bias"), dx, true);
  const dInput = dMid; // the residual path
  k.vector.rmsNormBackward(dx, a.input, a.r1, N, d, w("input_layernorm.weight"), g("input_layernorm.weight"), dInput);
  return dInput;
}

function checkShape(config: LlamaConfig, ids: Int32Array, batch: number, len: number): void {
  if (config.arch !== "llama") throw new Error("llama-cpu: only Llama-family models");
  if (batch <= 0 || len <= 0 || ids.length !== batch * len) throw new Error(`llama-cpu: ${ids.length} ids do not fill a ${batch} × ${len} batch`);
  if (config.numHeads % config.numKvHeads !== 0) throw new Error(`llama-cpu: ${config.numHeads} heads are not a multiple of ${config.numKvHeads} key/value heads`);
}

/**
 * Logits [batch·len − logitsFrom, vocab] for ids [batch·len] (row-major batch × len): the rows of token positions
 * logitsFrom.. of the flattened batch (default 0, all) — strided bits per byte scores only the second half of each
 * window, generation only the last position, and the output head is the largest product of the forward. With a
 * `cache` (batch 1) the ids continue the cached positions and their keys and values are added to it.
 */
export function llamaLogitsCpu(config: LlamaConfig, params: Arrays, ids: Int32Array, batch: number, len: number, gemm: Gemm, options: CpuOptions & { logitsFrom?: number; cache?: CpuKVCache } = {}): Float32Array {
  checkShape(config, ids, batch, len);
  const from = options.logitsFrom ?? 0;
  if (!(Number.isInteger(from) && from >= 0 && from < batch * len)) throw new Error(`llama-cpu: logitsFrom ${from} is outside the ${batch * len} token rows`);
  const cache = options.cache ?? null;
  if (cache && batch !== 1) throw new Error(`llama-cpu: a KV cache holds one sequence, not ${batch}`);
  const k = new CpuKernels(gemm, options);
  const m = dims(config, batch, len);
  const past = cache ? cache.length : 0;
  const { cos, sin } = ropeTables(config, past, len);
  let h = embed(k.ws, params, ids, m);
  for (let l = 0; l < config.numLayers; l++) h = layerForward(k, config, params, l, h, m, cos, sin, false, cache).out;
  if (cache) cache.length += len;
  const rows = m.tokens - from;
  const { y } = rmsNorm(k, "final", h.subarray(from * m.d), rows, m.d, weight(params, "model.norm.weight", m.d), config.rmsNormEps);
  return k.linear("logits", y, rows, m.d, weight(params, outputHeadName(config, params), m.V * m.d), m.V, null);
}

/**
 * Mean next-token cross-entropy (nats) of `inputs` predicting `targets` (both [batch·len]) and its gradient for every
 * parameter in `params` (same names, zero where a parameter plays no part).
 */
export function llamaLossAndGradientsCpu(config: LlamaConfig, params: Arrays, inputs: Int32Array, targets: Int32Array, batch: number, len: number, gemm: Gemm, options: CpuOptions = {}): { loss: number; grads: Arrays } {
  checkShape(config, inputs, batch, len);
  if (targets.length !== inputs.length) throw new Error(`llama-cpu: ${targets.length} targets for ${inputs.length} inputs`);
  const k = new CpuKernels(gemm, options);
  const m = dims(config, batch, len);
  const { tokens: N, d, V } = m;
  const { cos, sin } = ropeTables(config, 0, len);
  const acts: LayerActivations[] = [];
  let h = embed(k.ws, params, inputs, m);
  for (let l = 0; l < config.numLayers; l++) {
    const r = layerForward(k, config, params, l, h, m, cos, sin, true);
    acts.push(r.act);
    h = r.out;
  }
  const normW = weight(params, "model.norm.weight", d);
  const { y: hidden, r: rFinal } = rmsNorm(k, "final", h, N, d, normW, config.rmsNormEps);
  const headName = outputHeadName(config, params);
  const head = weight(params, headName, V * d);
  // Cross-entropy. d(loss)/d(logits) = (softmax − onehot) / N; the logits buffer becomes exp(logit − max) and the
  // per-row 1/(sum · N) is applied to the N×d sides of the two products below instead of to the N×V buffer.
  for (let n = 0; n < N; n++) {
    const target = targets[n]!;
    if (!(target >= 0 && target < V)) throw new Error(`llama-cpu: target ${target} at position ${n} is outside the vocabulary [0, ${V})`);
  }
  const logits = k.linear("logits", hidden, N, d, head, V, null);
  let loss = 0;
  for (let n = 0; n < N; n++) loss -= logits[n * V + targets[n]!]!;
  const rowMax = new Float32Array(N);
  const rowSum = new Float64Array(N);
  k.vector.expRows(logits, N, V, {}, rowMax, rowSum);
  const rowScale = new Float32Array(N);
  for (let n = 0; n < N; n++) {
    loss += rowMax[n]! + Math.log(rowSum[n]!);
    rowScale[n] = 1 / (rowSum[n]! * N);
  }
  const grads: Arrays = {};
  for (const [name, w] of Object.entries(params)) grads[name] = k.ws.zeroed(`grad:${name}`, w.length);
  // dHead = Σ_n softmax_n ⊗ hidden_n / N − Σ_n onehot_n ⊗ hidden_n / N, with the row scale moved onto hidden.
  const scaledHidden = k.ws.take("scaledHidden", N * d);
  for (let n = 0; n < N; n++) for (let j = 0; j < d; j++) scaledHidden[n * d + j] = hidden[n * d + j]! * rowScale[n]!;
  const dHead = grads[headName]!;
  k.gemm.sgemm(true, false, V, d, N, 1, logits, V, scaledHidden, d, 1, dHead, d);
  const dHidden = k.ws.take("dHidden", N * d);
  k.gemm.sgemm(false, false, N, d, V, 1, logits, V, head, d, 0, dHidden, d);
  for (let n = 0; n < N; n++) {
    const t = targets[n]! * d;
    for (let j = 0; j < d; j++) {
      dHidden[n * d + j] = dHidden[n * d + j]! * rowScale[n]! - head[t + j]! / N;
      dHead[t + j]! -= hidden[n * d + j]! / N;
    }
  }
  let dh = k.ws.zeroed("dFinal", N * d);
  k.vector.rmsNormBackward(dHidden, h, rFinal, N, d, normW, grads["model.norm.weight"]!, dh);
  for (let l = config.numLayers - 1; l >= 0; l--) dh = layerBackward(k, config, params, grads, l, dh, acts[l]!, m, cos, sin);
  const dTable = grads["model.embed_tokens.weight"]!;
  for (let n = 0; n < N; n++) {
    const row = inputs[n]! * d;
    for (let j = 0; j < d; j++) dTable[row + j]! += dh[n * d + j]!;
  }
  return { loss: loss / N, grads };
}
