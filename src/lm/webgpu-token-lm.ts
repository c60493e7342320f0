/// <reference types="@webgpu/types" />
// The TokenLM of a Llama-family model on WebGPU, for the browser (the playground's worker uses it where an adapter is
// present, else cpuTokenLM): the weights live on the GPU once, each state keeps its keys and values in GPU buffers,
// and one request is one command buffer — every layer's kernels, then the last position's head — with one readback of
// the vocabulary's logits. The math is llama-cpu.ts's (same rotary tables, computed on the CPU; same order of
// operations where it matters); float32 throughout, so values agree with it to float rounding, not bit for bit.
// Biases (Qwen2-style) are not implemented here: such a model gets null and runs on the CPU forward.
import type { LlamaConfig } from "./config.js";
import type { Arrays } from "../tensor/optim.js";
import { ropeTables } from "./rope.js";
import { logSoftmax, stepTokenLM } from "./cpu-token-lm.js";
import { outputHeadName } from "./llama-cpu.js";
import type { TokenLM, TokenState } from "./token-lm.js";

const WG = 64;

/** An invocation's element in a dispatch that spills past 65,535 workgroups into y (see `run`). */
const FLAT_INDEX = `let i = g.x + g.y * 65535u * ${WG}u;`;

/** WGSL: every invocation's `value` combined by `op` ("+" or "max") into part[0], in the workgroup array `part`. */
function reduce(value: string, op: "+" | "max"): string {
  const combine = op === "+" ? "part[l.x] += part[l.x + k];" : "part[l.x] = max(part[l.x], part[l.x + k]);";
  return `part[l.x] = ${value};
  workgroupBarrier();
  for (var k = ${WG / 2}u; k > 0u; k = k / 2u) {
    if (l.x < k) { ${combine} }
    workgroupBarrier();
  }`;
}

// Each kernel reads its sizes from a small uniform block `u`; arrays are flat row-major f32.
const KERNELS = {
  // h[t, :] = table[ids[t], :]
  embed: `
struct U { d: u32, n: u32 }
@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read> ids: array<u32>;
@group(0) @binding(2) var<storage, read> table: array<f32>;
@group(0) @binding(3) var<storage, read_write> h: array<f32>;
@compute @workgroup_size(${WG}) fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  ${FLAT_INDEX}
  if (i >= u.n * u.d) { return; }
  let t = i / u.d;
  h[i] = table[ids[t] * u.d + i % u.d];
}`,
  // y = x / sqrt(mean(x²) + eps) · w per row; with add = 1, x = a + b is formed first and written to sum.
  rmsnorm: `
struct U { d: u32, rows: u32, add: u32, eps: f32 }
@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> w: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;
@group(0) @binding(5) var<storage, read_write> sum: array<f32>;
var<workgroup> part: array<f32, ${WG}>;
@compute @workgroup_size(${WG}) fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) l: vec3<u32>) {
  let o = wg.x * u.d;
  var s = 0.0;
  for (var j = l.x; j < u.d; j += ${WG}u) {
    var x = a[o + j];
    if (u.add == 1u) { x = x + b[o + j]; sum[o + j] = x; }
    s += x * x;
  }
  ${reduce("s", "+")}
  let f = 1.0 / sqrt(part[0] / f32(u.d) + u.eps);
  for (var j = l.x; j < u.d; j += ${WG}u) {
    var x = a[o + j];
    if (u.add == 1u) { x = x + b[o + j]; }
    y[o + j] = x * f * w[j];
  }
}`,
  // y[r, o] = Σ_i x[r, i] · W[o, i]  (a linear layer without bias; W is [out, in] as in safetensors)
  linear: `
struct U { rows: u32, inDim: u32, outDim: u32, xOffset: u32 }
@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@compute @workgroup_size(${WG}) fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  ${FLAT_INDEX}
  if (i >= u.rows * u.outDim) { return; }
  let r = i / u.outDim;
  let o = i % u.outDim;
  var s = 0.0;
  let xo = u.xOffset + r * u.inDim;
  let wo = o * u.inDim;
  for (var k = 0u; k < u.inDim; k++) { s += x[xo + k] * w[wo + k]; }
  y[i] = s;
}`,
  // HF rotate_half on [rows, heads·hd] with cos/sin [rows, hd]
  rotary: `
struct U { rows: u32, heads: u32, hd: u32, pad: u32 }
@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read> cosT: array<f32>;
@group(0) @binding(2) var<storage, read> sinT: array<f32>;
@group(0) @binding(3) var<storage, read_write> a: array<f32>;
@compute @workgroup_size(${WG}) fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let half = u.hd / 2u;
  ${FLAT_INDEX}
  if (i >= u.rows * u.heads * half) { return; }
  let r = i / (u.heads * half);
  let h = (i / half) % u.heads;
  let j = i % half;
  let o = (r * u.heads + h) * u.hd;
  let x1 = a[o + j];
  let x2 = a[o + j + half];
  let c = r * u.hd;
  a[o + j] = x1 * cosT[c + j] - x2 * sinT[c + j];
  a[o + j + half] = x2 * cosT[c + j + half] + x1 * sinT[c + j + half];
}`,
  // out[t, h·hd..] = softmax(q_t · K_{0..past+t} / sqrt(hd)) · V, one workgroup per (t, head); K, V are the cache
  attention: `
struct U { T: u32, H: u32, KV: u32, hd: u32, past: u32, scale: f32, cap: u32, pad: u32 }
@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read> q: array<f32>;
@group(0) @binding(2) var<storage, read> keys: array<f32>;
@group(0) @binding(3) var<storage, read> vals: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
@group(0) @binding(5) var<storage, read_write> scores: array<f32>;
var<workgroup> part: array<f32, ${WG}>;
@compute @workgroup_size(${WG}) fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) l: vec3<u32>) {
  let t = wg.x / u.H;
  let h = wg.x % u.H;
  let kvh = h / (u.H / u.KV);
  let S = u.past + t + 1u;
  let qo = (t * u.H + h) * u.hd;
  let row = u.KV * u.hd;
  let so = wg.x * u.cap;
  var m = -3.0e38;
  for (var s = l.x; s < S; s += ${WG}u) {
    var dot = 0.0;
    for (var j = 0u; j < u.hd; j++) { dot += q[qo + j] * keys[s * row + kvh * u.hd + j]; }
    let v = dot * u.scale;
    scores[so + s] = v;
    m = max(m, v);
  }
  ${reduce("m", "max")}
  let mx = part[0];
  workgroupBarrier();
  var z = 0.0;
  for (var s = l.x; s < S; s += ${WG}u) {
    let e = exp(scores[so + s] - mx);
    scores[so + s] = e;
    z += e;
  }
  ${reduce("z", "+")}
  let total = part[0];
  for (var j = l.x; j < u.hd; j += ${WG}u) {
    var acc = 0.0;
    for (var s = 0u; s < S; s++) { acc += scores[so + s] * vals[s * row + kvh * u.hd + j]; }
    out[qo + j] = acc / total;
  }
}`,
  // out = silu(gate) · up
  siluMul: `
struct U { n: u32, pad0: u32, pad1: u32, pad2: u32 }
@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read> gate: array<f32>;
@group(0) @binding(2) var<storage, read> up: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(${WG}) fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  ${FLAT_INDEX}
  if (i >= u.n) { return; }
  let x = gate[i];
  out[i] = x / (1.0 + exp(-x)) * up[i];
}`,
  // a = a + b
  add: `
struct U { n: u32, pad0: u32, pad1: u32, pad2: u32 }
@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> a: array<f32>;
@compute @workgroup_size(${WG}) fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  ${FLAT_INDEX}
  if (i >= u.n) { return; }
  a[i] = a[i] + b[i];
}`,
} as const;

type KernelName = keyof typeof KERNELS;

/** Keys and values of the positions a state has seen, per layer, in GPU buffers of maxPositions rows. */
class GpuState implements TokenState {
  constructor(
    public keys: GPUBuffer[],
    public values: GPUBuffer[],
    readonly length: number,
  ) {}
  /** Hands the buffers to the state that consumes this one (this one holds none after). */
  take(): { keys: GPUBuffer[]; values: GPUBuffer[] } {
    const { keys, values } = this;
    this.keys = [];
    this.values = [];
    return { keys, values };
  }
  destroy(): void {
    for (const b of [...this.keys, ...this.values]) b.destroy();
    this.keys = [];
    this.values = [];
  }
}

/** How long the adapter and the device each have to answer: a browser whose GPU process is stuck can leave the
 * promise pending for ever, and the page must fall back to the CPU rather than wait. */
export const WEBGPU_ANSWER_MS = 15_000;

/** The WebGPU adapter's device, or why there is none (no navigator.gpu, no adapter, no device, no answer in time). */
export async function webgpuDevice(answerMs = WEBGPU_ANSWER_MS): Promise<{ device: GPUDevice; adapter: string } | { unavailable: string }> {
  const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
  if (!gpu) return { unavailable: "this browser has no WebGPU" };
  const late = Symbol("late");
  const inTime = <T>(p: Promise<T>): Promise<T | null | typeof late> => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<typeof late>((resolve) => (timer = setTimeout(() => resolve(late), answerMs)));
    return Promise.race([p.catch(() => null), timeout]).finally(() => clearTimeout(timer));
  };
  const adapter = await inTime(gpu.requestAdapter());
  if (adapter === late) return { unavailable: `the WebGPU adapter did not answer within ${answerMs / 1000} s` };
  if (!adapter) return { unavailable: "no WebGPU adapter" };
  const limits = adapter.limits;
  const device = await inTime(adapter.requestDevice({ requiredLimits: { maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize, maxBufferSize: limits.maxBufferSize } }));
  if (device === late) return { unavailable: `the WebGPU device did not answer within ${answerMs / 1000} s` };
  if (!device) return { unavailable: "the WebGPU adapter gave no device" };
  const info = adapter.info;
  return { device, adapter: [info?.vendor, info?.architecture, info?.description].filter((s) => s).join(" ") || "WebGPU" };
}

/** A TokenLM on `device`, or null for a model this forward does not cover (biases) or that does not fit its limits. */
export function webgpuTokenLM(config: LlamaConfig, weights: Arrays, device: GPUDevice): TokenLM | null {
  if (config.attentionBias || config.attentionOutBias || config.mlpBias) return null;
  const { hiddenSize: d, numHeads: H, numKvHeads: KV, headDim: hd, intermediateSize: ff, vocabSize: V, maxPositions: P, numLayers: L } = config;
  if (H % KV !== 0 || hd % 2 !== 0) return null;
  const limit = device.limits.maxStorageBufferBindingSize;
  if (V * d * 4 > limit || ff * d * 4 > limit) return null;
  const row = KV * hd;

  const storage = (data: Float32Array | Uint32Array) => {
    const b = device.createBuffer({ size: Math.max(16, data.byteLength), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC });
    device.queue.writeBuffer(b, 0, data.buffer as ArrayBuffer, data.byteOffset, data.byteLength);
    return b;
  };
  const scratch = (floats: number) => device.createBuffer({ size: Math.max(16, floats * 4), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
  const w = new Map<string, GPUBuffer>();
  const weight = (name: string, size: number) => {
    let b = w.get(name);
    if (!b) {
      const a = weights[name];
      if (!a) throw new Error(`webgpu: missing weight "${name}"`);
      if (a.length !== size) throw new Error(`webgpu: "${name}" has ${a.length} values, expected ${size}`);
      w.set(name, (b = storage(a)));
    }
    return b;
  };
  // Every weight goes up once, now (a missing or misshapen one fails here, not at the first request).
  const layerWeights = Array.from({ length: L }, (_, l) => {
    const p = (n: string, size: number) => weight(`model.layers.${l}.${n}`, size);
    return {
      norm1: p("input_layernorm.weight", d),
      q: p("self_attn.q_proj.weight", H * hd * d),
      k: p("self_attn.k_proj.weight", row * d),
      v: p("self_attn.v_proj.weight", row * d),
      o: p("self_attn.o_proj.weight", d * H * hd),
      norm2: p("post_attention_layernorm.weight", d),
      gate: p("mlp.gate_proj.weight", ff * d),
      up: p("mlp.up_proj.weight", ff * d),
      down: p("mlp.down_proj.weight", d * ff),
    };
  });
  const table = weight("model.embed_tokens.weight", V * d);
  const head = weight(outputHeadName(config, weights), V * d);
  const finalNorm = weight("model.norm.weight", d);

  const pipelines = new Map<KernelName, GPUComputePipeline>();
  const pipeline = (name: KernelName) => {
    let p = pipelines.get(name);
    if (!p) pipelines.set(name, (p = device.createComputePipeline({ layout: "auto", compute: { module: device.createShaderModule({ code: KERNELS[name] }), entryPoint: "main" } })));
    return p;
  };
  const newCache = () => Array.from({ length: L }, () => scratch(P * row));

  const step = async (from: GpuState | null, ids: readonly number[], consume: boolean): Promise<{ state: GpuState; logProbs: Float64Array }> => {
    const T = ids.length;
    const past = from?.length ?? 0;
    // The new state's caches: taken over from a consumed state, else a copy of the positions seen.
    let keys: GPUBuffer[];
    let values: GPUBuffer[];
    const encoder = device.createCommandEncoder();
    if (from && from.keys.length === 0) throw new Error("token LM: the state was released or consumed");
    if (from && consume) {
      ({ keys, values } = from.take());
    } else {
      keys = newCache();
      values = newCache();
      if (from && past > 0)
        for (let l = 0; l < L; l++) {
          encoder.copyBufferToBuffer(from.keys[l]!, 0, keys[l]!, 0, past * row * 4);
          encoder.copyBufferToBuffer(from.values[l]!, 0, values[l]!, 0, past * row * 4);
        }
    }
    const temporaries: GPUBuffer[] = [];
    const temp = (floats: number) => {
      const b = scratch(floats);
      temporaries.push(b);
      return b;
    };
    const run = (name: KernelName, uniform: ArrayBuffer, buffers: GPUBuffer[], groups: number) => {
      const u = device.createBuffer({ size: Math.max(16, uniform.byteLength), usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
      device.queue.writeBuffer(u, 0, uniform);
      temporaries.push(u);
      const p = pipeline(name);
      const bind = device.createBindGroup({ layout: p.getBindGroupLayout(0), entries: [u, ...buffers].map((buffer, binding) => ({ binding, resource: { buffer } })) });
      const pass = encoder.beginComputePass();
      pass.setPipeline(p);
      pass.setBindGroup(0, bind);
      // More than 65,535 workgroups spill into y (linear reads both).
      pass.dispatchWorkgroups(Math.min(groups, 65535), Math.ceil(groups / 65535));
      pass.end();
    };
    const u32 = (...xs: number[]) => Uint32Array.from(xs).buffer;
    const mixed = (ints: number[], floats: Record<number, number>) => {
      const buf = new ArrayBuffer(Math.max(16, ints.length * 4));
      const iv = new Uint32Array(buf);
      const fv = new Float32Array(buf);
      ints.forEach((x, i) => (floats[i] !== undefined ? (fv[i] = floats[i]!) : (iv[i] = x)));
      return buf;
    };
    const groupsFor = (n: number) => Math.ceil(n / WG);
    const linear = (x: GPUBuffer, xOffset: number, rows: number, inDim: number, wt: GPUBuffer, outDim: number, y: GPUBuffer) =>
      run("linear", u32(rows, inDim, outDim, xOffset), [x, wt, y], groupsFor(rows * outDim));

    const { cos, sin } = ropeTables(config, past, T);
    const cosB = storage(cos);
    const sinB = storage(sin);
    temporaries.push(cosB, sinB);
    const idsB = storage(Uint32Array.from(ids));
    temporaries.push(idsB);
    // The residual stream ping-pongs between two buffers: a layer reads h and writes its output (the residual sum,
    // then + down) into mid, which is the next layer's h.
    let h = temp(T * d);
    let mid = temp(T * d);
    run("embed", u32(d, T), [idsB, table, h], groupsFor(T * d));
    const x = temp(T * d);
    const q = temp(T * H * hd);
    const k = temp(T * row);
    const v = temp(T * row);
    const att = temp(T * H * hd);
    const o = temp(T * d);
    const y = temp(T * d);
    const gate = temp(T * ff);
    const up = temp(T * ff);
    const act = temp(T * ff);
    const scores = temp(T * H * (past + T));
    for (let l = 0; l < L; l++) {
      const lw = layerWeights[l]!;
      run("rmsnorm", mixed([d, T, 0, 0], { 3: config.rmsNormEps }), [h, h, lw.norm1, x, mid], T);
      linear(x, 0, T, d, lw.q, H * hd, q);
      linear(x, 0, T, d, lw.k, row, k);
      linear(x, 0, T, d, lw.v, row, v);
      run("rotary", u32(T, H, hd, 0), [cosB, sinB, q], groupsFor((T * H * hd) / 2));
      run("rotary", u32(T, KV, hd, 0), [cosB, sinB, k], groupsFor((T * row) / 2));
      // A compute pass ends before a copy: the cache gets the rotated keys and the values at rows past…past+T−1.
      encoder.copyBufferToBuffer(k, 0, keys[l]!, past * row * 4, T * row * 4);
      encoder.copyBufferToBuffer(v, 0, values[l]!, past * row * 4, T * row * 4);
      run("attention", mixed([T, H, KV, hd, past, 0, past + T, 0], { 5: 1 / Math.sqrt(hd) }), [q, keys[l]!, values[l]!, att, scores], T * H);
      linear(att, 0, T, H * hd, lw.o, d, o);
      run("rmsnorm", mixed([d, T, 1, 0], { 3: config.rmsNormEps }), [h, o, lw.norm2, y, mid], T);
      linear(y, 0, T, d, lw.gate, ff, gate);
      linear(y, 0, T, d, lw.up, ff, up);
      run("siluMul", u32(T * ff, 0, 0, 0), [gate, up, act], groupsFor(T * ff));
      linear(act, 0, T, ff, lw.down, d, o);
      run("add", u32(T * d, 0, 0, 0), [o, mid], groupsFor(T * d));
      [h, mid] = [mid, h];
    }
    // The last position's head only (generation and byte-level reading need no other row).
    const last = temp(d);
    const lastRow = sliceOf(encoder, h, (T - 1) * d, d, temp);
    run("rmsnorm", mixed([d, 1, 0, 0], { 3: config.rmsNormEps }), [lastRow, lastRow, finalNorm, last, temp(d)], 1);
    const logits = temp(V);
    linear(last, 0, 1, d, head, V, logits);
    const read = device.createBuffer({ size: V * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    encoder.copyBufferToBuffer(logits, 0, read, 0, V * 4);
    device.queue.submit([encoder.finish()]);
    await read.mapAsync(GPUMapMode.READ);
    const out = new Float32Array(read.getMappedRange().slice(0));
    read.unmap();
    read.destroy();
    for (const b of temporaries) b.destroy();
    return { state: new GpuState(keys, values, past + T), logProbs: logSoftmax(out) };
  };

  return stepTokenLM(
    config,
    async (r) => {
      const from = r.from as GpuState | null;
      if (from && !(from instanceof GpuState)) throw new Error("token LM: a state from another model");
      return step(from, r.ids, r.consume === true);
    },
    (state) => {
      if (state instanceof GpuState) state.destroy();
    },
  );
}

/** A copy of `count` floats of `src` from `offset` into a new temporary buffer (a binding must start at offset 0 here). */
function sliceOf(encoder: GPUCommandEncoder, src: GPUBuffer, offset: number, count: number, temp: (floats: number) => GPUBuffer): GPUBuffer {
  const b = temp(count);
  encoder.copyBufferToBuffer(src, offset * 4, b, 0, count * 4);
  return b;
}
