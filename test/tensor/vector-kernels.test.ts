// The wasm-SIMD element-wise kernels (src/tensor/vector-kernels.wat) against the plain-JS loops and Math.exp, on odd
// sizes (masked last vectors), causal rows, chunk boundaries and extreme values; and the committed wasm bytes against
// the .wat they are assembled from.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { readFileSync } from "node:fs";
import { jsVectorKernels, wasmVectorKernels, vectorKernels } from "../../src/tensor/vector-kernels.js";
import { vectorKernelsWasm } from "../../src/tensor/vector-kernels-wasm.js";
import { mulberry32 } from "../../src/util/random.js";
// @ts-expect-error -- a plain .mjs script without types
import { assemble, wasmModuleSource } from "../../scripts/build-wasm.mjs";
import { errorRelativeToMax } from "../support/numeric.js";

const wasm = wasmVectorKernels();
const rand = mulberry32(7);
const uniform = (n: number, lo: number, hi: number) => Float32Array.from({ length: n }, () => lo + (hi - lo) * rand());

test("the committed wasm module is the one vector-kernels.wat assembles to", async () => {
  const bytes = await assemble(fileURLToPath(new URL("../../src/tensor/vector-kernels.wat", import.meta.url)));
  const committed = readFileSync(new URL("../../src/tensor/vector-kernels-wasm.ts", import.meta.url), "utf8");
  assert.equal(committed, wasmModuleSource(bytes), "rerun node scripts/build-wasm.mjs");
  assert.ok(vectorKernelsWasm.length > 0);
});

test("this Node has WebAssembly SIMD, and the shared kernels are the wasm ones", () => {
  assert.ok(wasm, "wasm SIMD kernels failed to load");
  assert.equal(vectorKernels().name, "wasm-simd");
});

test("exp is within 3e-7 of Math.exp over [-80, 0], 0 stays 1, and a row sums in double", () => {
  const n = 40_001;
  const x = Float32Array.from({ length: n }, (_, i) => -80 + (80 * i) / (n - 1));
  const y = x.slice();
  const max = new Float32Array(1);
  const sum = new Float64Array(1);
  wasm!.expRows(y, 1, n, {}, max, sum);
  assert.equal(max[0], 0);
  let worst = 0;
  let exact = 0;
  for (let i = 0; i < n; i++) {
    const e = Math.exp(x[i]!);
    worst = Math.max(worst, Math.abs(y[i]! - e) / e);
    exact += e;
  }
  assert.ok(worst < 3e-7, `worst relative error ${worst}`);
  assert.equal(y[n - 1], 1);
  assert.ok(Math.abs(sum[0]! - exact) / exact < 3e-7, `sum ${sum[0]} vs ${exact}`);
});

for (const [rows, cols, causal, normalise, first] of [
  [7, 13, false, false, 0],
  [37, 37, true, true, 0],
  [5, 8192, false, false, 0],
  [130, 8195, false, true, 0], // over one copy chunk: rows are processed in pieces
  [3, 40, true, false, 9], // rows 9..11 of a causal matrix
] as const) {
  test(`expRows and softmaxBackwardRows: wasm equals JS (${rows}×${cols}${causal ? ", causal" : ""}${normalise ? ", normalised" : ""})`, () => {
    const x = uniform(rows * cols, -30, 30);
    x[5] = 200; // a large logit: the max subtracts it before exp
    const ours = x.slice();
    const ref = x.slice();
    const [m1, m2] = [new Float32Array(rows), new Float32Array(rows)];
    const [s1, s2] = [new Float64Array(rows), new Float64Array(rows)];
    wasm!.expRows(ours, rows, cols, { causal, normalise, first }, m1, s1);
    jsVectorKernels.expRows(ref, rows, cols, { causal, normalise, first }, m2, s2);
    assert.deepEqual(m1, m2);
    assert.ok(errorRelativeToMax(ours, ref) < 3e-6, `exp ${errorRelativeToMax(ours, ref)}`);
    assert.ok(errorRelativeToMax(s1, s2) < 3e-6, `sums ${errorRelativeToMax(s1, s2)}`);
    if (causal) for (let i = 0; i < rows; i++) for (let j = first + i + 1; j < cols; j++) assert.equal(ours[i * cols + j], 0);
    if (first === 0) {
      const d = uniform(rows * cols, -1, 1);
      const [d1, d2] = [d.slice(), d.slice()];
      wasm!.softmaxBackwardRows(ref, d1, rows, cols, causal);
      jsVectorKernels.softmaxBackwardRows(ref, d2, rows, cols, causal);
      assert.ok(errorRelativeToMax(d1, d2) < 1e-5, `softmax backward ${errorRelativeToMax(d1, d2)}`);
    }
  });
}

test("a NaN in a row reaches its sum (no silent softmax over garbage)", () => {
  const x = uniform(12, -1, 1);
  x[6] = NaN;
  const sum = new Float64Array(1);
  wasm!.expRows(x, 1, 12, {}, new Float32Array(1), sum);
  assert.ok(Number.isNaN(sum[0]));
});

for (const n of [1, 3, 4, 1027, (1 << 20) + 5]) {
  test(`siluMul and its backward: wasm equals JS on ${n} values, saturating at ±100`, () => {
    const gate = uniform(n, -12, 12);
    gate[0] = -100;
    if (n > 2) gate[2] = 100;
    const up = uniform(n, -3, 3);
    const dAct = uniform(n, -1, 1);
    const out = [new Float32Array(n), new Float32Array(n)];
    const dGate = [new Float32Array(n), new Float32Array(n)];
    const dUp = [new Float32Array(n), new Float32Array(n)];
    [wasm!, jsVectorKernels].forEach((k, i) => {
      k.siluMul(gate, up, out[i]!);
      k.siluMulBackward(dAct, gate, up, dGate[i]!, dUp[i]!);
    });
    assert.ok(errorRelativeToMax(out[0]!, out[1]!) < 1e-6, `silu ${errorRelativeToMax(out[0]!, out[1]!)}`);
    assert.ok(errorRelativeToMax(dGate[0]!, dGate[1]!) < 1e-6, `dGate ${errorRelativeToMax(dGate[0]!, dGate[1]!)}`);
    assert.ok(errorRelativeToMax(dUp[0]!, dUp[1]!) < 1e-6, `dUp ${errorRelativeToMax(dUp[0]!, dUp[1]!)}`);
    assert.ok(Math.abs(out[0]![0]!) < 1e-30, "silu(−100) ≈ 0");
    if (n > 2) assert.ok(Math.abs(out[0]![2]! - 100 * up[2]!) <= 1e-5 * Math.abs(100 * up[2]!), "silu(100) = 100");
  });
}

for (const [rows, d, withResidual] of [
  [5, 32, false],
  [3, 12, true],
  [2000, 1024, true], // several copy chunks
  [4, 10, true], // d not a multiple of 4: the JS loop
] as const) {
  test(`rmsNorm${withResidual ? " with the residual add" : ""}: wasm equals JS (${rows}×${d})`, () => {
    const a = uniform(rows * d, -3, 3);
    const b = uniform(rows * d, -3, 3);
    const w = uniform(d, 0.5, 1.5);
    const out = [0, 1].map(() => ({ y: new Float32Array(rows * d), r: new Float32Array(rows), sum: new Float32Array(rows * d) }));
    [wasm!, jsVectorKernels].forEach((k, i) => k.rmsNorm(a, rows, d, w, 1e-6, out[i]!.y, out[i]!.r, withResidual ? { b, sum: out[i]!.sum } : undefined));
    assert.ok(errorRelativeToMax(out[0]!.y, out[1]!.y) < 1e-6, `y ${errorRelativeToMax(out[0]!.y, out[1]!.y)}`);
    assert.ok(errorRelativeToMax(out[0]!.r, out[1]!.r) < 1e-6, `r ${errorRelativeToMax(out[0]!.r, out[1]!.r)}`);
    if (withResidual) assert.deepEqual(out[0]!.sum, out[1]!.sum);
    // The definition, in double: row 0.
    const x = withResidual ? Array.from(a.subarray(0, d), (v, j) => Math.fround(v + b[j]!)) : Array.from(a.subarray(0, d));
    const f = 1 / Math.sqrt(x.reduce((s, v) => s + v * v, 0) / d + 1e-6);
    for (let j = 0; j < d; j++) assert.ok(Math.abs(out[0]!.y[j]! - x[j]! * f * w[j]!) <= 1e-6 * Math.abs(x[j]! * f * w[j]!) + 1e-7);
  });
}

for (const [tokens, len, heads, hd] of [
  [12, 6, 3, 8],
  [4096, 512, 8, 64], // several copy chunks of whole sequences
  [5, 5, 2, 6], // hd not a multiple of 8: the JS loop
] as const) {
  test(`rotary and its inverse: wasm equals JS, and inverse ∘ rotary = identity (${tokens} tokens × ${heads} heads × ${hd})`, () => {
    const angle = Float32Array.from({ length: len * hd }, (_, i) => Math.floor(i / hd) * 0.37 * ((i % (hd / 2)) + 1));
    const cos = angle.map(Math.cos);
    const sin = angle.map(Math.sin);
    const a = uniform(tokens * heads * hd, -2, 2);
    const ours = a.slice();
    const ref = a.slice();
    wasm!.rotary(ours, tokens, len, heads, hd, cos, sin, false);
    jsVectorKernels.rotary(ref, tokens, len, heads, hd, cos, sin, false);
    assert.ok(errorRelativeToMax(ours, ref) < 1e-6, `forward ${errorRelativeToMax(ours, ref)}`);
    assert.ok(errorRelativeToMax(ours, a) > 1e-2, "the rotation changed something");
    wasm!.rotary(ours, tokens, len, heads, hd, cos, sin, true);
    jsVectorKernels.rotary(ref, tokens, len, heads, hd, cos, sin, true);
    assert.ok(errorRelativeToMax(ours, ref) < 1e-6, `inverse ${errorRelativeToMax(ours, ref)}`);
    assert.ok(errorRelativeToMax(ours, a) < 1e-5, `round trip ${errorRelativeToMax(ours, a)}`);
  });
}

for (const n of [3, 1000, (1 << 20) + 7]) {
  test(`sumOfSquares and adamW: wasm equals JS on ${n} values`, () => {
    const x = uniform(n, -2, 2);
    const exact = x.reduce((s, v) => s + v * v, 0);
    assert.ok(Math.abs(wasm!.sumOfSquares(x) - exact) <= 1e-12 * exact, "sum of squares");
    assert.ok(Math.abs(jsVectorKernels.sumOfSquares(x) - exact) <= 1e-12 * exact, "sum of squares (JS)");
    const step = { beta1: 0.9, beta2: 0.95, eps: 1e-8, lr: 3e-3, c1: 1 - 0.9 ** 3, c2: 1 - 0.95 ** 3, decay: 1 - 3e-4, gradScale: 0.5 };
    const g = uniform(n, -1, 1);
    const init = [uniform(n, -1, 1), uniform(n, -0.1, 0.1), uniform(n, 0, 0.01)];
    const ours = init.map((a) => a.slice());
    const ref = init.map((a) => a.slice());
    wasm!.adamW(ours[0]!, g, ours[1]!, ours[2]!, step);
    jsVectorKernels.adamW(ref[0]!, g, ref[1]!, ref[2]!, step);
    for (const i of [0, 1, 2]) assert.ok(errorRelativeToMax(ours[i]!, ref[i]!) < 1e-6, `array ${i}: ${errorRelativeToMax(ours[i]!, ref[i]!)}`);
    assert.ok(errorRelativeToMax(ours[0]!, init[0]!) > 1e-4, "the weights moved");
  });
}

for (const [rows, d] of [
  [6, 32],
  [1500, 1024], // several copy chunks: dw accumulates across them
  [3, 10], // d not a multiple of 4: the JS loop
] as const) {
  test(`rmsNormBackward: wasm equals JS, and matches finite differences (${rows}×${d})`, () => {
    const x = uniform(rows * d, -2, 2);
    const w = uniform(d, 0.5, 1.5);
    const dy = uniform(rows * d, -1, 1);
    const y = new Float32Array(rows * d);
    const r = new Float32Array(rows);
    jsVectorKernels.rmsNorm(x, rows, d, w, 1e-6, y, r);
    const dw0 = uniform(d, -0.1, 0.1); // both accumulate into what is there
    const dx0 = uniform(rows * d, -0.1, 0.1);
    const out = [0, 1].map(() => ({ dw: dw0.slice(), dx: dx0.slice() }));
    [wasm!, jsVectorKernels].forEach((k, i) => k.rmsNormBackward(dy, x, r, rows, d, w, out[i]!.dw, out[i]!.dx));
    assert.ok(errorRelativeToMax(out[0]!.dw, out[1]!.dw) < 1e-5, `dw ${errorRelativeToMax(out[0]!.dw, out[1]!.dw)}`);
    assert.ok(errorRelativeToMax(out[0]!.dx, out[1]!.dx) < 1e-5, `dx ${errorRelativeToMax(out[0]!.dx, out[1]!.dx)}`);
    // Row 0, element 1: d(Σ dy·y)/dx by central differences in double.
    const loss = (xs: number[]) => {
      const f = 1 / Math.sqrt(xs.reduce((s, v) => s + v * v, 0) / d + 1e-6);
      return xs.reduce((s, v, j) => s + dy[j]! * v * f * w[j]!, 0);
    };
    const row = Array.from(x.subarray(0, d));
    const h = 1e-4;
    const plus = row.slice();
    plus[1]! += h;
    const minus = row.slice();
    minus[1]! -= h;
    const numeric = (loss(plus) - loss(minus)) / (2 * h);
    assert.ok(Math.abs(out[0]!.dx[1]! - dx0[1]! - numeric) < 1e-3 * Math.max(1, Math.abs(numeric)), `dx[1] ${out[0]!.dx[1]! - dx0[1]!} vs ${numeric}`);
  });
}
