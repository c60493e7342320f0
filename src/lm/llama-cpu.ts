// A Llama-family decoder written out by hand on Float32Arrays — forward, and the backward pass of the next-token
// loss — with every matrix product handed to a Gemm (OpenBLAS on Node, a plain-JS kernel elsewhere) and every
// element-wise loop to VectorKernels (wasm SIMD, or plain JS). It exists for speed: on a CPU the tensor backend
// (jax-js on wasm) runs this model ~4.8× slower than PyTorch per train step and ~11× per forward; this file runs it
// at ~0.5× and ~0.9× PyTorch's time (docs/measured.md), a forward split between two threads (./coworker.ts). The
// jax-js model (./model.ts) stays the reference: test/lm/llama-cpu.test.ts checks this file's loss and every gradient
// against it.
// Layout: activations are [tokens, features] row-major; a head is a strided view of its projection (no copies).
import type { Gemm } from "../tensor/gemm.js";
import type { Arrays } from "../tensor/optim.js";
import type { LlamaConfig } from "./config.js";
import { ropeTables } from "./rope.js";
import { vectorKernels, type VectorKernels } from "../tensor/vector-kernels.js";
import { platformCoworker, type CoworkerTask, type CpuCoworker } from "./coworker.js";

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

/** Whether `a` is a view of a SharedArrayBuffer (a browser page that is not cross-origin isolated has no such type). */
function isShared(a: Float32Array): boolean {
  return typeof SharedArrayBuffer !== "undefined" && a.buffer instanceof SharedArrayBuffer;
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

  /** `shared`: the buffer is a view of a SharedArrayBuffer, which a coworker thread can read and write. A buffer once
   * shared stays shared (a caller that alternates forwards with and without a coworker does not reallocate). */
  take(name: string, length: number, shared = false): Float32Array {
    let b = this.buffers.get(name);
    // Grown by half again at least, so a request one longer each call reallocates rarely.
    if (!b || b.length < length || (shared && !isShared(b))) {
      shared ||= b !== undefined && isShared(b);
      const size = b ? Math.max(length, Math.ceil(b.length * 1.5)) : length;
      this.buffers.set(name, (b = new Float32Array(shared ? new SharedArrayBuffer(size * 4) : new ArrayBuffer(size * 4))));
    }
    return b.length === length ? b : b.subarray(0, length);
  }

  /** Forgets the shared buffers (a coworker given up on may still write to them): later takes allocate new ones. */
  abandonShared(): void {
    for (const [name, b] of this.buffers) if (isShared(b)) this.buffers.delete(name);
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
  /** A second thread that runs half of each step of a forward without a KV cache (default: the platform's, see
   * setPlatformCoworker; null: none). It is used where it runs the same Gemm and kernels as this thread and the
   * weights are shared (cpuWeights), so that its halves come out exactly as this thread's would; the logits then agree
   * with a forward without a coworker to float rounding, not bit for bit. */
  coworker?: CpuCoworker | null;
}

/** The products and element-wise kernels of one call, over a workspace (the hypernetwork's CPU step uses them too). */
export class CpuKernels {
  readonly vector: VectorKernels;
  readonly ws: CpuWorkspace;
  private readonly frozen: boolean;

  private readonly coworkerOption: CpuCoworker | null | undefined;

  constructor(
    readonly gemm: Gemm,
    options: CpuOptions,
  ) {
    this.vector = options.vector ?? vectorKernels();
    this.ws = options.workspace ?? new CpuWorkspace();
    this.frozen = options.frozenWeights === true;
    this.coworkerOption = options.coworker;
  }

  /** The coworker for a forward over `params`, or null: none, not the same Gemm and kernels, or unshared weights. */
  coworkerFor(params: Arrays): CpuCoworker | null {
    const c = this.coworkerOption === undefined ? platformCoworker() : this.coworkerOption;
    if (!c || !c.runs(this.gemm.name, this.vector.name)) return null;
    return Object.values(params).every(isShared) ? c : null;
  }

  /**
   * Runs parts [0, count) of one step: with a coworker, it takes the second half (task) while this thread runs the
   * first (here), and where it cannot take the task this thread runs both halves, one after the other.
   */
  split(count: number, coworker: CpuCoworker | null, task: (from: number, to: number) => CoworkerTask, here: (from: number, to: number) => void): void {
    if (!coworker || count < 2) return here(0, count);
    const half = Math.ceil(count / 2);
    const wait = coworker.start(task(half, count));
    const t0 = performance.now();
    here(0, half);
    if (wait?.(performance.now() - t0)) return;
    // A thread given up on may still be writing its half — the same values, from inputs that stay as they are until
    // the next layer — so the steps after this one take new buffers.
    if (wait) this.ws.abandonShared();
    // Without the coworker the second half still runs as a half of its own: logits do not depend on whether the
    // thread was up (OpenBLAS's sums depend on the shape of a product).
    here(half, count);
  }

  /** Runs attention's per-head products with the Gemm's own threads off, where it has them (see Gemm.oneThread). */
  perHead(f: () => void): void {
    if (this.gemm.oneThread) this.gemm.oneThread(f);
    else f();
  }

  /** y[rows, out] = x W^T (+ b), W [out, in], into the workspace buffer `name`. */
  linear(name: string, x: Float32Array, rows: number, inDim: number, w: Float32Array, outDim: number, bias: Float32Array | null): Float32Array {
    const y = this.ws.take(name, rows * outDim);
    linearRows(this, x, w, bias, y, inDim, outDim, 0, rows);
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

/** Rows [from, to) of y = x Wᵀ (+ b), x [rows, inDim], W [outDim, inDim]. */
function linearRows(k: CpuKernels, x: Float32Array, w: Float32Array, bias: Float32Array | null, y: Float32Array, inDim: number, outDim: number, from: number, to: number): void {
  k.gemm.sgemm(false, true, to - from, outDim, inDim, 1, x.subarray(from * inDim), inDim, w, inDim, 0, y.subarray(from * outDim), outDim);
  if (bias) for (let r = from; r < to; r++) for (let j = 0; j < outDim; j++) y[r * outDim + j]! += bias[j]!;
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
 * Calls f for the (sequence, head) pairs [from, to) of b·H + h with the offsets of the head's query/output columns in
 * [tokens, H·hd], of its key/value head's columns in [tokens, KV·hd] (grouped-query: H/KV query heads share one), and
 * of its T×T scores.
 */
function forEachHead(T: number, H: number, KV: number, hd: number, from: number, to: number, f: (qo: number, ko: number, po: number) => void): void {
  const groups = H / KV;
  for (let pair = from; pair < to; pair++) {
    const b = Math.floor(pair / H);
    const h = pair % H;
    f(b * T * H * hd + h * hd, b * T * KV * hd + Math.floor(h / groups) * hd, pair * T * T);
  }
}

function embed(ws: CpuWorkspace, params: Arrays, ids: Int32Array, m: Dims, shared = false): Float32Array {
  const table = weight(params, "model.embed_tokens.weight", m.V * m.d);
  const h = ws.take("embedded", m.tokens * m.d, shared);
  for (let n = 0; n < m.tokens; n++) {
    const id = ids[n]!;
    if (!(id >= 0 && id < m.V)) throw new Error(`llama-cpu: id ${id} at position ${n} is outside the vocabulary [0, ${m.V})`);
    h.set(table.subarray(id * m.d, (id + 1) * m.d), n * m.d);
  }
  return h;
}

/**
 * One layer's shape, weights and buffers ([tokens, …] row-major), in the form its steps read them: a plain record of
 * numbers and arrays, so that a coworker thread can run a step on rows or heads of its own. Biases are null where the
 * model has none; cos/sin are the rotary tables of positions past.. (token n of a sequence at row n mod len).
 */
export interface LayerArrays {
  d: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  ff: number;
  batch: number;
  len: number;
  past: number;
  eps: number;
  inputNorm: Float32Array;
  postNorm: Float32Array;
  wq: Float32Array;
  wk: Float32Array;
  wv: Float32Array;
  wo: Float32Array;
  wGate: Float32Array;
  wUp: Float32Array;
  wDown: Float32Array;
  bq: Float32Array | null;
  bk: Float32Array | null;
  bv: Float32Array | null;
  bo: Float32Array | null;
  bGate: Float32Array | null;
  bUp: Float32Array | null;
  bDown: Float32Array | null;
  cos: Float32Array;
  sin: Float32Array;
  input: Float32Array;
  x: Float32Array;
  r1: Float32Array;
  q: Float32Array;
  k: Float32Array;
  v: Float32Array;
  /** The keys and values attention reads: k and v, or a cache's rows 0..past + len. */
  keys: Float32Array;
  values: Float32Array;
  /** Every head's probabilities [batch·H, len, len] where kept (training), else null. */
  probs: Float32Array | null;
  attention: Float32Array;
  o: Float32Array;
  mid: Float32Array;
  y: Float32Array;
  r2: Float32Array;
  gate: Float32Array;
  up: Float32Array;
  act: Float32Array;
  down: Float32Array;
  out: Float32Array;
}

/** The rotary embedding of rows [from, to) of a [tokens, heads·hd] array, one call per sequence the rows touch (the
 * kernel puts token n at position n mod len, so each call starts its tables at its first row's position). */
function rotaryRows(k: CpuKernels, a: Float32Array, from: number, to: number, len: number, heads: number, hd: number, cos: Float32Array, sin: Float32Array): void {
  const row = heads * hd;
  for (let r = from; r < to; ) {
    const pos = r % len;
    const end = Math.min(to, r - pos + len);
    k.vector.rotary(a.subarray(r * row, end * row), end - r, len - pos, heads, hd, cos.subarray(pos * hd), sin.subarray(pos * hd), false);
    r = end;
  }
}

/** Rows [from, to) of a layer's first step: the input norm, the query/key/value projections and their rotation. */
export function layerRowsIn(k: CpuKernels, L: LayerArrays, from: number, to: number): void {
  const { d, heads: H, kvHeads: KV, headDim: hd, len } = L;
  k.vector.rmsNorm(L.input.subarray(from * d, to * d), to - from, d, L.inputNorm, L.eps, L.x.subarray(from * d, to * d), L.r1.subarray(from, to));
  linearRows(k, L.x, L.wq, L.bq, L.q, d, H * hd, from, to);
  linearRows(k, L.x, L.wk, L.bk, L.k, d, KV * hd, from, to);
  linearRows(k, L.x, L.wv, L.bv, L.v, d, KV * hd, from, to);
  rotaryRows(k, L.q, from, to, len, H, hd, L.cos, L.sin);
  rotaryRows(k, L.k, from, to, len, KV, hd, L.cos, L.sin);
}

/**
 * Attention for the (sequence, head) pairs [from, to) of b·H + h: scores, causal softmax, the weighted sum of values.
 * Without kept probabilities, each pair's scores go through one scratch buffer of the workspace (it stays in cache:
 * measured 1.2× faster forward) and the output rows are scaled by 1/Σ instead of the probabilities.
 */
export function attendHeads(k: CpuKernels, L: LayerArrays, from: number, to: number): void {
  const { q, keys, values, probs, attention, len: T, past, heads: H, kvHeads: KV, headDim: hd } = L;
  const S = past + T;
  const scratch = probs ? null : k.ws.take("probs", T * S);
  const rowMax = new Float32Array(T);
  const rowSum = new Float64Array(T);
  const scale = 1 / Math.sqrt(hd);
  forEachHead(T, H, KV, hd, from, to, (qo, ko, po) => {
    const P = probs ? probs.subarray(po, po + T * T) : scratch!;
    const out = attention.subarray(qo);
    // Causal: the queries of rows [r0, r1) see keys [0, past + r1) only, so each block of rows multiplies only the
    // keys it sees (expRows zeroes the rest of each row, unread, for the backward).
    for (let r0 = 0; r0 < T; r0 += CAUSAL_BLOCK) {
      const rows = Math.min(CAUSAL_BLOCK, T - r0);
      k.gemm.sgemm(false, true, rows, past + r0 + rows, hd, scale, q.subarray(qo + r0 * H * hd), H * hd, keys.subarray(ko), KV * hd, 0, P.subarray(r0 * S), S);
    }
    // The backward pass needs normalised probabilities; a forward alone scales the T×hd output rows instead.
    k.vector.expRows(P, T, S, { causal: true, first: past, normalise: probs !== null }, rowMax, rowSum);
    for (let r0 = 0; r0 < T; r0 += CAUSAL_BLOCK) {
      const rows = Math.min(CAUSAL_BLOCK, T - r0);
      k.gemm.sgemm(false, false, rows, hd, past + r0 + rows, 1, P.subarray(r0 * S), S, values.subarray(ko), KV * hd, 0, out.subarray(r0 * H * hd), H * hd);
    }
    if (!probs)
      for (let i = 0; i < T; i++) {
        const inv = Math.fround(1 / rowSum[i]!);
        for (let j = 0; j < hd; j++) out[i * H * hd + j]! *= inv;
      }
  });
}

/** Rows [from, to) of a layer's last step: the output projection and residual, the post-attention norm, the MLP and
 * its residual. */
export function layerRowsOut(k: CpuKernels, L: LayerArrays, from: number, to: number): void {
  const { d, heads: H, headDim: hd, ff } = L;
  const rows = (a: Float32Array, width: number) => a.subarray(from * width, to * width);
  linearRows(k, L.attention, L.wo, L.bo, L.o, H * hd, d, from, to);
  k.vector.rmsNorm(rows(L.input, d), to - from, d, L.postNorm, L.eps, rows(L.y, d), L.r2.subarray(from, to), { b: rows(L.o, d), sum: rows(L.mid, d) });
  linearRows(k, L.y, L.wGate, L.bGate, L.gate, d, ff, from, to);
  linearRows(k, L.y, L.wUp, L.bUp, L.up, d, ff, from, to);
  k.vector.siluMul(rows(L.gate, ff), rows(L.up, ff), rows(L.act, ff));
  linearRows(k, L.act, L.wDown, L.bDown, L.down, ff, d, from, to);
  const { out, mid, down } = L;
  for (let i = from * d; i < to * d; i++) out[i] = mid[i]! + down[i]!;
}

/**
 * One decoder layer. `keepProbs` (training) keeps every head's attention probabilities and every activation for the
 * backward pass, in workspace buffers of their own per layer; a forward alone reuses one set of buffers for all layers
 * (the output alternates). With a coworker (a forward without a cache) each step's rows or heads are split between
 * the two threads, on shared buffers.
 */
function layerForward(k: CpuKernels, config: LlamaConfig, params: Arrays, l: number, input: Float32Array, m: Dims, cos: Float32Array, sin: Float32Array, keepProbs: boolean, cache: CpuKVCache | null = null, coworker: CpuCoworker | null = null): LayerArrays {
  const { tokens: N, d, H, KV, hd, ff, len: T, batch: B } = m;
  const p = `model.layers.${l}`;
  const w = (name: string, size: number) => weight(params, `${p}.${name}`, size);
  const bias = (on: boolean, name: string, size: number) => (on ? w(name, size) : null);
  const shared = coworker !== null;
  const buffer = (name: string, size: number) => k.ws.take(keepProbs ? `${l}.${name}` : name, size, shared);
  const kv = buffer("k", N * KV * hd);
  const v = buffer("v", N * KV * hd);
  const L: LayerArrays = {
    d, heads: H, kvHeads: KV, headDim: hd, ff, batch: B, len: T, past: cache ? cache.length : 0, eps: config.rmsNormEps,
    inputNorm: w("input_layernorm.weight", d),
    postNorm: w("post_attention_layernorm.weight", d),
    wq: w("self_attn.q_proj.weight", H * hd * d),
    wk: w("self_attn.k_proj.weight", KV * hd * d),
    wv: w("self_attn.v_proj.weight", KV * hd * d),
    wo: w("self_attn.o_proj.weight", d * H * hd),
    wGate: w("mlp.gate_proj.weight", ff * d),
    wUp: w("mlp.up_proj.weight", ff * d),
    wDown: w("mlp.down_proj.weight", d * ff),
    bq: bias(config.attentionBias, "self_attn.q_proj.bias", H * hd),
    bk: bias(config.attentionBias, "self_attn.k_proj.bias", KV * hd),
    bv: bias(config.attentionBias, "self_attn.v_proj.bias", KV * hd),
    bo: bias(config.attentionOutBias, "self_attn.o_proj.bias", d),
    bGate: bias(config.mlpBias, "mlp.gate_proj.bias", ff),
    bUp: bias(config.mlpBias, "mlp.up_proj.bias", ff),
    bDown: bias(config.mlpBias, "mlp.down_proj.bias", d),
    cos, sin, input,
    x: buffer("x", N * d),
    r1: buffer("x.r", N),
    q: buffer("q", N * H * hd),
    k: kv,
    v,
    keys: kv,
    values: v,
    probs: keepProbs ? buffer("probs", B * H * T * T) : null,
    attention: buffer("attention", N * H * hd),
    o: buffer("o", N * d),
    mid: buffer("mid", N * d),
    y: buffer("y", N * d),
    r2: buffer("y.r", N),
    gate: buffer("gate", N * ff),
    up: buffer("up", N * ff),
    act: buffer("act", N * ff),
    down: buffer("down", N * d),
    out: k.ws.take(keepProbs ? `${l}.out` : `out${l % 2}`, N * d, shared),
  };
  k.split(N, coworker, (from, to) => ({ kind: "rowsIn", layer: L, from, to }), (from, to) => layerRowsIn(k, L, from, to));
  // With a cache (one sequence), the new keys and values join the cached ones and the T new queries attend to all
  // past + T: query i is position past + i and sees keys 0..past + i.
  if (cache) {
    L.keys = cache.append(l, kv, v, T).keys;
    L.values = cache.values[l]!;
  }
  const heads = () => k.split(B * H, coworker, (from, to) => ({ kind: "heads", layer: L, from, to }), (from, to) => attendHeads(k, L, from, to));
  // A coworker's forward runs with the Gemm on one thread throughout (see llamaLogitsCpu).
  if (coworker) heads();
  else k.perHead(heads);
  k.split(N, coworker, (from, to) => ({ kind: "rowsOut", layer: L, from, to }), (from, to) => layerRowsOut(k, L, from, to));
  return L;
}

/** Returns d(loss)/d(layer input), accumulating weight gradients into `grads`. */
/** What attention's backward reads and writes for its heads, over all tokens (a coworker takes half of the heads). */
export interface HeadsBackwardArrays {
  len: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  /** The forward's probabilities, [batch·heads, len, len]. */
  probs: Float32Array;
  dAttention: Float32Array;
  q: Float32Array;
  k: Float32Array;
  v: Float32Array;
  dq: Float32Array;
  /** Accumulated into: zero before the first head. */
  dk: Float32Array;
  dv: Float32Array;
}

/** Attention's backward for the heads of key/value groups [from, to) (batch · kvHeads of them): dq of those heads, dk
 * and dv of their groups — a group's heads add into one key/value head, so a group stays on one thread. */
export function attendHeadsBackward(k: CpuKernels, A: HeadsBackwardArrays, from: number, to: number): void {
  const { len: T, heads: H, kvHeads: KV, headDim: hd, dAttention, dq, dk, dv } = A;
  const groups = H / KV;
  const dP = k.ws.take("dP", T * T);
  const scale = 1 / Math.sqrt(hd);
  forEachHead(T, H, KV, hd, from * groups, to * groups, (qo, ko, po) => {
    const P = A.probs.subarray(po, po + T * T);
    const dO = dAttention.subarray(qo);
    k.gemm.sgemm(false, true, T, T, hd, 1, dO, H * hd, A.v.subarray(ko), KV * hd, 0, dP, T);
    k.gemm.sgemm(true, false, T, hd, T, 1, P, T, dO, H * hd, 1, dv.subarray(ko), KV * hd);
    k.vector.softmaxBackwardRows(P, dP, T, T, true);
    k.gemm.sgemm(false, false, T, hd, T, scale, dP, T, A.k.subarray(ko), KV * hd, 0, dq.subarray(qo), H * hd);
    k.gemm.sgemm(true, false, T, hd, T, scale, dP, T, A.q.subarray(qo), H * hd, 1, dk.subarray(ko), KV * hd);
  });
}

function layerBackward(k: CpuKernels, config: LlamaConfig, params: Arrays, grads: Arrays, l: number, dOut: Float32Array, a: LayerArrays, m: Dims, cos: Float32Array, sin: Float32Array, coworker: CpuCoworker | null): Float32Array {
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
  const shared = coworker !== null;
  const dAttention = k.ws.take("dAttention", N * H * hd, shared);
  k.linearBackward(dMid, a.attention, N, H * hd, w("self_attn.o_proj.weight"), d, g("self_attn.o_proj.weight"), gb(config.attentionOutBias, "self_attn.o_proj.bias"), dAttention, false);
  const dq = k.ws.take("dq", N * H * hd, shared);
  const dk = k.ws.take("dk", N * KV * hd, shared).fill(0); // heads of a group accumulate into their shared key/value head
  const dv = k.ws.take("dv", N * KV * hd, shared).fill(0);
  const A: HeadsBackwardArrays = { len: T, heads: H, kvHeads: KV, headDim: hd, probs: a.probs!, dAttention, q: a.q, k: a.k, v: a.v, dq, dk, dv };
  // Per-head products too small to share one: with a coworker, each thread takes half of the key/value groups.
  k.perHead(() => k.split(B * KV, coworker, (from, to) => ({ kind: "headsBackward", heads: A, from, to }), (from, to) => attendHeadsBackward(k, A, from, to)));
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
  const coworker = cache ? null : k.coworkerFor(params);
  const shared = coworker !== null;
  const { cos, sin } = ropeTablesFor(k, config, past, len, shared);
  const forward = () => {
    let h = embed(k.ws, params, ids, m, shared);
    for (let l = 0; l < config.numLayers; l++) h = layerForward(k, config, params, l, h, m, cos, sin, false, cache, coworker).out;
    if (cache) cache.length += len;
    const F = finalArrays(k, config, params, m, h.subarray(from * m.d), shared);
    k.split(m.tokens - from, coworker, (a, b) => ({ kind: "final", final: F, from: a, to: b }), (a, b) => finalRows(k, F, a, b));
    return F.logits;
  };
  // With a coworker the two threads split every step, each with the Gemm on one thread (two threads of it beside the
  // coworker would oversubscribe the cores).
  return coworker && gemm.oneThread ? gemm.oneThread(forward) : forward();
}

/** The rotary tables of positions [past, past + len), in the workspace's shared memory where a coworker reads them. */
function ropeTablesFor(k: CpuKernels, config: LlamaConfig, past: number, len: number, shared: boolean): { cos: Float32Array; sin: Float32Array } {
  const tables = ropeTables(config, past, len);
  if (!shared) return tables;
  const table = (name: string, values: Float32Array) => {
    const copy = k.ws.take(name, values.length, true);
    copy.set(values);
    return copy;
  };
  return { cos: table("cos", tables.cos), sin: table("sin", tables.sin) };
}

/** The final norm and the output head, as their rows are split: hidden [rows, d] → logits [rows, vocab]. */
export interface FinalArrays {
  d: number;
  vocab: number;
  eps: number;
  norm: Float32Array;
  head: Float32Array;
  hidden: Float32Array;
  y: Float32Array;
  r: Float32Array;
  logits: Float32Array;
  /** The loss's softmax per row (expFinalRows): the row's largest logit and Σ exp(logit − largest). */
  rowMax: Float32Array;
  rowSum: Float64Array;
}

/** The final step's record over `hidden` (its rows, from the first scored one), in the workspace's buffers. */
function finalArrays(k: CpuKernels, config: LlamaConfig, params: Arrays, m: Dims, hidden: Float32Array, shared: boolean): FinalArrays {
  const rows = hidden.length / m.d;
  return {
    d: m.d,
    vocab: m.V,
    eps: config.rmsNormEps,
    norm: weight(params, "model.norm.weight", m.d),
    head: weight(params, outputHeadName(config, params), m.V * m.d),
    hidden,
    y: k.ws.take("final", rows * m.d, shared),
    r: k.ws.take("final.r", rows, shared),
    logits: k.ws.take("logits", rows * m.V, shared),
    rowMax: k.ws.take("logits.max", rows, shared),
    // Doubles over a float buffer of twice the length (workspace buffers start at byte 0 of their own memory).
    rowSum: new Float64Array(k.ws.take("logits.sum", 2 * rows, shared).buffer, 0, rows),
  };
}

/** Rows [from, to) of the loss's softmax: each row of logits becomes exp(logit − its largest), with the largest and
 * the sum kept in rowMax and rowSum. */
export function expFinalRows(k: CpuKernels, F: FinalArrays, from: number, to: number): void {
  const V = F.vocab;
  k.vector.expRows(F.logits.subarray(from * V, to * V), to - from, V, {}, F.rowMax.subarray(from, to), F.rowSum.subarray(from, to));
}

/** Rows [from, to) of the final norm and the output head. */
export function finalRows(k: CpuKernels, F: FinalArrays, from: number, to: number): void {
  const { d } = F;
  k.vector.rmsNorm(F.hidden.subarray(from * d, to * d), to - from, d, F.norm, F.eps, F.y.subarray(from * d, to * d), F.r.subarray(from, to));
  linearRows(k, F.y, F.head, null, F.logits, d, F.vocab, from, to);
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
  // The forward as a forward alone runs it: split with the coworker where there is one (weights in shared memory),
  // each thread's products on one BLAS thread; the backward below runs on this thread with BLAS on every core.
  const coworker = k.coworkerFor(params);
  const shared = coworker !== null;
  const { cos, sin } = ropeTablesFor(k, config, 0, len, shared);
  const acts: LayerArrays[] = [];
  const forward = () => {
    let h = embed(k.ws, params, inputs, m, shared);
    for (let l = 0; l < config.numLayers; l++) {
      const layer = layerForward(k, config, params, l, h, m, cos, sin, true, null, coworker);
      acts.push(layer);
      h = layer.out;
    }
    const F = finalArrays(k, config, params, m, h, shared);
    k.split(N, coworker, (a, b) => ({ kind: "final", final: F, from: a, to: b }), (a, b) => finalRows(k, F, a, b));
    return F;
  };
  const F = coworker && gemm.oneThread ? gemm.oneThread(forward) : forward();
  const h = F.hidden;
  const normW = weight(params, "model.norm.weight", d);
  const headName = outputHeadName(config, params);
  const head = weight(params, headName, V * d);
  // Cross-entropy. d(loss)/d(logits) = (softmax − onehot) / N; the logits buffer becomes exp(logit − max) and the
  // per-row 1/(sum · N) is applied to the N×d sides of the two products below instead of to the N×V buffer.
  for (let n = 0; n < N; n++) {
    const target = targets[n]!;
    if (!(target >= 0 && target < V)) throw new Error(`llama-cpu: target ${target} at position ${n} is outside the vocabulary [0, ${V})`);
  }
  const { y: hidden, r: rFinal, logits } = F;
  let loss = 0;
  for (let n = 0; n < N; n++) loss -= logits[n * V + targets[n]!]!;
  // The softmax's exps, the costliest element-wise step of a training step, split with the coworker as well.
  k.split(N, coworker, (a, b) => ({ kind: "exp", final: F, from: a, to: b }), (a, b) => expFinalRows(k, F, a, b));
  const { rowMax, rowSum } = F;
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
  for (let l = config.numLayers - 1; l >= 0; l--) dh = layerBackward(k, config, params, grads, l, dh, acts[l]!, m, cos, sin, coworker);
  const dTable = grads["model.embed_tokens.weight"]!;
  for (let n = 0; n < N; n++) {
    const row = inputs[n]! * d;
    for (let j = 0; j < d; j++) dTable[row + j]! += dh[n * d + j]!;
  }
  return { loss: loss / N, grads };
}
