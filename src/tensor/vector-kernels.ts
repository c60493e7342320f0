// The element-wise loops of the CPU language model (src/lm/llama-cpu.ts, bpb.ts) and of AdamW: softmax rows, SiLU-gated
// products, RMSNorm, rotary embeddings, the optimizer update. Two implementations of one interface: WebAssembly SIMD
// (vector-kernels.wat; 2.5–5× the scalar loops, copies included, in Node and browsers alike) and plain JS (the
// reference, and the fallback where SIMD is missing). The wasm side copies arrays into its own memory and back: a
// copy costs ~0.07 ns a float, an exp in JS ~6.6 ns.
import { fastExp } from "../util/fast-exp.js";
import { vectorKernelsWasm } from "./vector-kernels-wasm.js";
import { wasmInstance } from "../util/wasm-instance.js";

export interface VectorKernels {
  readonly name: string;
  /**
   * For each of `rows` rows of `cols` floats in `x`: max[i] = the row's max, x ← exp(x − max) in place, sum[i] = Σ.
   * `causal` (an attention matrix): the rows are rows `first`, `first`+1, … of a square causal matrix, row r covers
   * columns 0..r and its other columns become 0. `normalise`: the row is divided by its sum (a softmax).
   */
  expRows(x: Float32Array, rows: number, cols: number, options: { causal?: boolean; first?: number; normalise?: boolean }, max: Float32Array, sum: Float64Array): void;
  /** Softmax backward in place over rows laid out as in expRows: d ← p ⊙ (d − Σ_j p_j d_j); a causal row's tail 0. */
  softmaxBackwardRows(p: Float32Array, d: Float32Array, rows: number, cols: number, causal: boolean): void;
  /** out ← silu(gate) · up, silu(g) = g / (1 + e^−g), over out.length floats. */
  siluMul(gate: Float32Array, up: Float32Array, out: Float32Array): void;
  /** With s = σ(gate): dUp ← dAct · gate · s, dGate ← dAct · up · s · (1 + gate · (1 − s)). */
  siluMulBackward(dAct: Float32Array, gate: Float32Array, up: Float32Array, dGate: Float32Array, dUp: Float32Array): void;
  /**
   * RMSNorm per row of d: y = x / sqrt(mean(x²) + eps) · w, r[i] = the row's factor 1/sqrt(…). With `residual`,
   * x = a + residual.b is formed first and written to residual.sum (the residual add that precedes a norm).
   */
  rmsNorm(a: Float32Array, rows: number, d: number, w: Float32Array, eps: number, y: Float32Array, r: Float32Array, residual?: { b: Float32Array; sum: Float32Array }): void;
  /** The backward of rmsNorm (without the residual): dw += ∂loss/∂w and dx += ∂loss/∂x, given dy, x and r. */
  rmsNormBackward(dy: Float32Array, x: Float32Array, r: Float32Array, rows: number, d: number, w: Float32Array, dw: Float32Array, dx: Float32Array): void;
  /** HF's rotate_half rotary embedding in place on [tokens, heads·hd] (token n at position n mod len); `inverse`: its transpose. */
  rotary(a: Float32Array, tokens: number, len: number, heads: number, hd: number, cos: Float32Array, sin: Float32Array, inverse: boolean): void;
  /** Σ x² (in double). */
  sumOfSquares(x: Float32Array): number;
  /** One AdamW update of w, m, v in place from g · step.gradScale (see AdamWStep). */
  adamW(w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, step: AdamWStep): void;
}

/** The scalars of one AdamW update: moments' decay, learning rate and bias corrections, decoupled weight decay. */
export interface AdamWStep {
  beta1: number;
  beta2: number;
  eps: number;
  lr: number;
  /** 1 − beta1^t and 1 − beta2^t. */
  c1: number;
  c2: number;
  /** w is multiplied by this first (1 − lr·λ, or 1 where the parameter does not decay). */
  decay: number;
  /** The gradient is multiplied by this (global-norm clipping without a pass of its own). */
  gradScale: number;
}

function rowLength(causal: boolean, first: number, i: number, cols: number): number {
  return causal ? first + i + 1 : cols;
}

/** The scalar loops: the reference the wasm kernels are tested against. */
export const jsVectorKernels: VectorKernels = {
  name: "js",
  expRows(x, rows, cols, { causal = false, first = 0, normalise = false }, maxOut, sumOut) {
    for (let i = 0; i < rows; i++) {
      const o = i * cols;
      const len = rowLength(causal, first, i, cols);
      let max = -Infinity;
      for (let j = 0; j < len; j++) if (x[o + j]! > max) max = x[o + j]!;
      let sum = 0;
      for (let j = 0; j < len; j++) sum += x[o + j] = fastExp(x[o + j]! - max);
      maxOut[i] = max;
      sumOut[i] = sum;
      if (normalise) {
        const inv = Math.fround(1 / sum);
        for (let j = 0; j < len; j++) x[o + j]! *= inv;
      }
      x.fill(0, o + len, o + cols);
    }
  },
  softmaxBackwardRows(p, d, rows, cols, causal) {
    for (let i = 0; i < rows; i++) {
      const o = i * cols;
      const len = rowLength(causal, 0, i, cols);
      let dot = 0;
      for (let j = 0; j < len; j++) dot += p[o + j]! * d[o + j]!;
      for (let j = 0; j < len; j++) d[o + j] = p[o + j]! * (d[o + j]! - dot);
      d.fill(0, o + len, o + cols);
    }
  },
  siluMul(gate, up, out) {
    for (let i = 0; i < out.length; i++) {
      const g = gate[i]!;
      out[i] = (g / (1 + fastExp(-g))) * up[i]!;
    }
  },
  siluMulBackward(dAct, gate, up, dGate, dUp) {
    for (let i = 0; i < dAct.length; i++) {
      const x = gate[i]!;
      const s = 1 / (1 + fastExp(-x));
      dUp[i] = dAct[i]! * x * s;
      dGate[i] = dAct[i]! * up[i]! * s * (1 + x * (1 - s));
    }
  },
  rmsNorm(a, rows, d, w, eps, y, r, residual) {
    let x = a;
    if (residual) {
      for (let i = 0; i < rows * d; i++) residual.sum[i] = a[i]! + residual.b[i]!;
      x = residual.sum;
    }
    for (let i = 0; i < rows; i++) {
      const o = i * d;
      let ss = 0;
      for (let j = 0; j < d; j++) ss += x[o + j]! * x[o + j]!;
      const f = Math.fround(1 / Math.sqrt(ss / d + eps));
      r[i] = f;
      for (let j = 0; j < d; j++) y[o + j] = x[o + j]! * f * w[j]!;
    }
  },
  rmsNormBackward(dy, x, r, rows, d, w, dw, dx) {
    for (let i = 0; i < rows; i++) {
      const o = i * d;
      const f = r[i]!;
      let dot = 0;
      for (let j = 0; j < d; j++) {
        dot += dy[o + j]! * w[j]! * x[o + j]!;
        dw[j]! += dy[o + j]! * x[o + j]! * f;
      }
      const c = (f * f * f * dot) / d;
      for (let j = 0; j < d; j++) dx[o + j]! += f * dy[o + j]! * w[j]! - c * x[o + j]!;
    }
  },
  rotary(a, tokens, len, heads, hd, cos, sin, inverse) {
    const half = hd / 2;
    for (let n = 0; n < tokens; n++) {
      const t = (n % len) * hd;
      for (let h = 0; h < heads; h++) {
        const o = (n * heads + h) * hd;
        for (let i = 0; i < half; i++) {
          const x1 = a[o + i]!;
          const x2 = a[o + i + half]!;
          if (inverse) {
            a[o + i] = x1 * cos[t + i]! + x2 * sin[t + i + half]!;
            a[o + i + half] = x2 * cos[t + i + half]! - x1 * sin[t + i]!;
          } else {
            a[o + i] = x1 * cos[t + i]! - x2 * sin[t + i]!;
            a[o + i + half] = x2 * cos[t + i + half]! + x1 * sin[t + i + half]!;
          }
        }
      }
    }
  },
  sumOfSquares(x) {
    let s = 0;
    for (let i = 0; i < x.length; i++) s += x[i]! * x[i]!;
    return s;
  },
  adamW(w, g, m, v, { beta1: b1, beta2: b2, eps, lr, c1, c2, decay, gradScale }) {
    for (let i = 0; i < w.length; i++) {
      const gi = g[i]! * gradScale;
      const mi = (m[i] = b1 * m[i]! + (1 - b1) * gi);
      const vi = (v[i] = b2 * v[i]! + (1 - b2) * gi * gi);
      w[i] = w[i]! * decay - (lr * (mi / c1)) / (Math.sqrt(vi / c2) + eps);
    }
  },
};

interface KernelExports {
  memory: WebAssembly.Memory;
  exp_rows(p: number, rows: number, cols: number, causal: number, first: number, normalise: number, maxOut: number, sumOut: number): void;
  softmax_backward_rows(p: number, d: number, rows: number, cols: number, causal: number, first: number): void;
  silu_mul(gate: number, up: number, out: number, n: number): void;
  silu_mul_backward(dAct: number, gate: number, up: number, dGate: number, dUp: number, n: number): void;
  add_rms_norm(a: number, b: number, sum: number, w: number, y: number, r: number, rows: number, d: number, eps: number): void;
  rms_norm_backward(dy: number, x: number, r: number, w: number, dw: number, dx: number, rows: number, d: number): void;
  rotary(a: number, tokens: number, len: number, heads: number, hd: number, cos: number, sin: number, inverse: number): void;
  sum_squares(x: number, n: number): number;
  adamw(w: number, g: number, m: number, v: number, n: number, scale: number, b1: number, b2: number, lrc1: number, ic2: number, eps: number, decay: number): void;
}

/** Floats per chunk copied into wasm memory at once (1 MB: the kernel finds the copy in cache; 64 KB–1 MB chunks
 * measured alike, 4 MB slower). */
const CHUNK = 1 << 18;

/** Where arrays start in the module's memory (bytes 16..79 hold its lane masks). */
const FIRST_BYTE = 128;

const pad4 = (n: number) => (n + 3) & ~3;

/** A wasm instance with its own memory; views over it are made per call (memory growth detaches old ones). */
class WasmVectorKernels implements VectorKernels {
  readonly name = "wasm-simd";
  constructor(private readonly k: KernelExports) {}

  /**
   * Float32 views of `sizes` floats laid out one after another from byte 128 (below: the module's lane masks), each
   * 16-byte aligned with 4 floats of slack (a kernel's last vector may read, never write, past a row's end).
   */
  private views(sizes: number[]): Float32Array[] {
    const slot = (n: number) => (pad4(n) + 4) * 4;
    const bytes = sizes.reduce((a, n) => a + slot(n), FIRST_BYTE);
    const memory = this.k.memory;
    if (memory.buffer.byteLength < bytes) memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / 65536));
    let offset = FIRST_BYTE;
    return sizes.map((n) => {
      const v = new Float32Array(memory.buffer, offset, pad4(n));
      offset += slot(n);
      return v;
    });
  }

  expRows(x: Float32Array, rows: number, cols: number, { causal = false, first = 0, normalise = false }: { causal?: boolean; first?: number; normalise?: boolean }, maxOut: Float32Array, sumOut: Float64Array): void {
    const chunkRows = Math.max(1, Math.floor(CHUNK / cols));
    for (let r = 0; r < rows; r += chunkRows) {
      const n = Math.min(chunkRows, rows - r);
      const [data, max, sum] = this.views([n * cols, n, 2 * n]);
      data!.set(x.subarray(r * cols, (r + n) * cols));
      this.k.exp_rows(data!.byteOffset, n, cols, causal ? 1 : 0, first + r, normalise ? 1 : 0, max!.byteOffset, sum!.byteOffset);
      x.set(data!.subarray(0, n * cols), r * cols);
      maxOut.set(max!.subarray(0, n), r);
      sumOut.set(new Float64Array(sum!.buffer, sum!.byteOffset, n), r);
    }
  }

  softmaxBackwardRows(p: Float32Array, d: Float32Array, rows: number, cols: number, causal: boolean): void {
    const chunkRows = Math.max(1, Math.floor(CHUNK / cols));
    for (let r = 0; r < rows; r += chunkRows) {
      const n = Math.min(chunkRows, rows - r);
      const [pv, dv] = this.views([n * cols, n * cols]);
      pv!.set(p.subarray(r * cols, (r + n) * cols));
      dv!.set(d.subarray(r * cols, (r + n) * cols));
      this.k.softmax_backward_rows(pv!.byteOffset, dv!.byteOffset, n, cols, causal ? 1 : 0, r);
      d.set(dv!.subarray(0, n * cols), r * cols);
    }
  }

  siluMul(gate: Float32Array, up: Float32Array, out: Float32Array): void {
    for (let s = 0; s < out.length; s += CHUNK) {
      const n = Math.min(CHUNK, out.length - s);
      const [g, u, o] = this.views([n, n, n]);
      g!.set(gate.subarray(s, s + n));
      u!.set(up.subarray(s, s + n));
      this.k.silu_mul(g!.byteOffset, u!.byteOffset, o!.byteOffset, n);
      out.set(o!.subarray(0, n), s);
    }
  }

  siluMulBackward(dAct: Float32Array, gate: Float32Array, up: Float32Array, dGate: Float32Array, dUp: Float32Array): void {
    for (let s = 0; s < dAct.length; s += CHUNK) {
      const n = Math.min(CHUNK, dAct.length - s);
      const [da, g, u, dg, du] = this.views([n, n, n, n, n]);
      da!.set(dAct.subarray(s, s + n));
      g!.set(gate.subarray(s, s + n));
      u!.set(up.subarray(s, s + n));
      this.k.silu_mul_backward(da!.byteOffset, g!.byteOffset, u!.byteOffset, dg!.byteOffset, du!.byteOffset, n);
      dGate.set(dg!.subarray(0, n), s);
      dUp.set(du!.subarray(0, n), s);
    }
  }

  rmsNorm(a: Float32Array, rows: number, d: number, w: Float32Array, eps: number, y: Float32Array, r: Float32Array, residual?: { b: Float32Array; sum: Float32Array }): void {
    if (d % 4 !== 0) return jsVectorKernels.rmsNorm(a, rows, d, w, eps, y, r, residual);
    const chunkRows = Math.max(1, Math.floor(CHUNK / d));
    for (let s = 0; s < rows; s += chunkRows) {
      const n = Math.min(chunkRows, rows - s);
      const [av, bv, sumv, wv, yv, rv] = this.views([n * d, residual ? n * d : 0, residual ? n * d : 0, d, n * d, n]);
      av!.set(a.subarray(s * d, (s + n) * d));
      if (residual) bv!.set(residual.b.subarray(s * d, (s + n) * d));
      wv!.set(w);
      this.k.add_rms_norm(av!.byteOffset, residual ? bv!.byteOffset : 0, sumv!.byteOffset, wv!.byteOffset, yv!.byteOffset, rv!.byteOffset, n, d, eps);
      if (residual) residual.sum.set(sumv!.subarray(0, n * d), s * d);
      y.set(yv!.subarray(0, n * d), s * d);
      r.set(rv!.subarray(0, n), s);
    }
  }

  rmsNormBackward(dy: Float32Array, x: Float32Array, r: Float32Array, rows: number, d: number, w: Float32Array, dw: Float32Array, dx: Float32Array): void {
    if (d % 4 !== 0) return jsVectorKernels.rmsNormBackward(dy, x, r, rows, d, w, dw, dx);
    const chunkRows = Math.max(1, Math.floor(CHUNK / d));
    for (let s = 0; s < rows; s += chunkRows) {
      const n = Math.min(chunkRows, rows - s);
      // w and dw sit first, at the same place for every chunk (growing the memory keeps its contents): dw accumulates
      // there over all chunks and goes back to the caller's array once, at the end.
      const [wv, dwAcc, dyv, xv, rv, dxv] = this.views([d, d, n * d, n * d, n, n * d]);
      if (s === 0) {
        wv!.set(w);
        dwAcc!.set(dw);
      }
      dyv!.set(dy.subarray(s * d, (s + n) * d));
      xv!.set(x.subarray(s * d, (s + n) * d));
      rv!.set(r.subarray(s, s + n));
      dxv!.set(dx.subarray(s * d, (s + n) * d));
      this.k.rms_norm_backward(dyv!.byteOffset, xv!.byteOffset, rv!.byteOffset, wv!.byteOffset, dwAcc!.byteOffset, dxv!.byteOffset, n, d);
      dx.set(dxv!.subarray(0, n * d), s * d);
    }
    dw.set(this.views([d, d])[1]!.subarray(0, d));
  }

  rotary(a: Float32Array, tokens: number, len: number, heads: number, hd: number, cos: Float32Array, sin: Float32Array, inverse: boolean): void {
    if (hd % 8 !== 0) return jsVectorKernels.rotary(a, tokens, len, heads, hd, cos, sin, inverse);
    const row = heads * hd;
    // Whole sequences per chunk, so that token n of a chunk is at position n mod len.
    const chunkTokens = len * Math.max(1, Math.floor(CHUNK / (len * row)));
    for (let s = 0; s < tokens; s += chunkTokens) {
      const n = Math.min(chunkTokens, tokens - s);
      const [av, cv, sv] = this.views([n * row, len * hd, len * hd]);
      av!.set(a.subarray(s * row, (s + n) * row));
      cv!.set(cos.subarray(0, len * hd));
      sv!.set(sin.subarray(0, len * hd));
      this.k.rotary(av!.byteOffset, n, len, heads, hd, cv!.byteOffset, sv!.byteOffset, inverse ? 1 : 0);
      a.set(av!.subarray(0, n * row), s * row);
    }
  }

  sumOfSquares(x: Float32Array): number {
    let sum = 0;
    for (let s = 0; s < x.length; s += CHUNK) {
      const n = Math.min(CHUNK, x.length - s);
      const [xv] = this.views([n]);
      xv!.set(x.subarray(s, s + n));
      xv!.fill(0, n); // the padding lanes are summed
      sum += this.k.sum_squares(xv!.byteOffset, n);
    }
    return sum;
  }

  adamW(w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, step: AdamWStep): void {
    for (let s = 0; s < w.length; s += CHUNK) {
      const n = Math.min(CHUNK, w.length - s);
      const [wv, gv, mv, vv] = this.views([n, n, n, n]);
      wv!.set(w.subarray(s, s + n));
      gv!.set(g.subarray(s, s + n));
      mv!.set(m.subarray(s, s + n));
      vv!.set(v.subarray(s, s + n));
      this.k.adamw(wv!.byteOffset, gv!.byteOffset, mv!.byteOffset, vv!.byteOffset, n, step.gradScale, step.beta1, step.beta2, step.lr / step.c1, 1 / step.c2, step.eps, step.decay);
      w.set(wv!.subarray(0, n), s);
      m.set(mv!.subarray(0, n), s);
      v.set(vv!.subarray(0, n), s);
    }
  }
}

/** A fresh wasm-SIMD instance, or null where this runtime has no WebAssembly SIMD (then use jsVectorKernels). */
export function wasmVectorKernels(): VectorKernels | null {
  // Room for a kernel's arrays in chunks (views() grows it for larger calls).
  const exports = wasmInstance<KernelExports>(vectorKernelsWasm, 8 * CHUNK * 4 + (1 << 16));
  return exports && new WasmVectorKernels(exports);
}

let best: VectorKernels | undefined;

/** The fastest kernels this runtime has (one shared instance). */
export function vectorKernels(): VectorKernels {
  return (best ??= wasmVectorKernels() ?? jsVectorKernels);
}
