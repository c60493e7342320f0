// The hand-written CPU Llama (src/lm/llama-cpu.ts) against the jax-js model, which is itself checked against PyTorch
// golden files (golden.test.ts): the same loss and every gradient, with the plain-JS and OpenBLAS matrix products and
// the plain-JS and wasm-SIMD element-wise kernels.
import { test } from "node:test";
import assert from "node:assert/strict";
import { installNodeShims } from "../../src/tensor/shims.js";
installNodeShims();
const { initBackend, toFloat32 } = await import("../../src/tensor/backend.js");
const { parseModelConfig } = await import("../../src/lm/config.js");
const { lossAndGradients, toParams } = await import("../../src/lm/train.js");
const { forward, disposeCache } = await import("../../src/lm/model.js");
const { llamaLossAndGradientsCpu, llamaLogitsCpu, CpuKVCache } = await import("../../src/lm/llama-cpu.js");
const { jsGemm } = await import("../../src/tensor/gemm.js");
const { jsVectorKernels, wasmVectorKernels } = await import("../../src/tensor/vector-kernels.js");
const { loadOpenBlas } = await import("../../src/node/openblas.js");
const { mulberry32, gaussian } = await import("../../src/util/random.js");
import type { LlamaConfig } from "../../src/lm/config.js";
import { errorRelativeToMax } from "../support/numeric.js";
await initBackend();

type Arrays = Record<string, Float32Array>;

/** A small Llama with grouped-query attention; `qwen` adds q/k/v biases and unties the head. */
function model(kind: "llama" | "qwen", seed: number) {
  const [V, d, ff, L, H, KV, hd] = [37, 32, 24, 2, 4, 2, 8];
  const qwen = kind === "qwen";
  const config = parseModelConfig({
    model_type: qwen ? "qwen2" : "llama", vocab_size: V, hidden_size: d, intermediate_size: ff, num_hidden_layers: L,
    num_attention_heads: H, num_key_value_heads: KV, max_position_embeddings: 64, tie_word_embeddings: !qwen, rope_theta: 500,
    ...(qwen ? { attention_bias: true } : {}),
  }) as LlamaConfig;
  assert.equal(config.attentionBias, qwen);
  const shapes: Record<string, number[]> = { "model.embed_tokens.weight": [V, d], "model.norm.weight": [d] };
  if (qwen) shapes["lm_head.weight"] = [V, d];
  for (let l = 0; l < L; l++) {
    const p = `model.layers.${l}`;
    Object.assign(shapes, {
      [`${p}.input_layernorm.weight`]: [d], [`${p}.post_attention_layernorm.weight`]: [d],
      [`${p}.self_attn.q_proj.weight`]: [H * hd, d], [`${p}.self_attn.k_proj.weight`]: [KV * hd, d], [`${p}.self_attn.v_proj.weight`]: [KV * hd, d], [`${p}.self_attn.o_proj.weight`]: [d, H * hd],
      [`${p}.mlp.gate_proj.weight`]: [ff, d], [`${p}.mlp.up_proj.weight`]: [ff, d], [`${p}.mlp.down_proj.weight`]: [d, ff],
    });
    if (qwen) Object.assign(shapes, { [`${p}.self_attn.q_proj.bias`]: [H * hd], [`${p}.self_attn.k_proj.bias`]: [KV * hd], [`${p}.self_attn.v_proj.bias`]: [KV * hd] });
  }
  const normal = gaussian(mulberry32(seed));
  const arrays: Arrays = {};
  for (const [k, s] of Object.entries(shapes)) {
    const n = s.reduce((a, b) => a * b, 1);
    // Norm weights near 1 but not 1, so their gradients are exercised; everything else large enough that attention is not uniform.
    arrays[k] = Float32Array.from({ length: n }, () => (k.includes("norm") ? 1 + 0.2 * normal() : 0.3 * normal()));
  }
  return { config, arrays, shapes, V };
}

function ids(rows: number, len: number, V: number, seed: number): number[][] {
  const r = mulberry32(seed);
  return Array.from({ length: rows }, () => Array.from({ length: len }, () => Math.floor(r() * V)));
}

const blas = loadOpenBlas();
const gemms = [jsGemm, ...("gemm" in blas ? [blas.gemm] : [])];
test("OpenBLAS loads (bash scripts/setup.sh installs libopenblas0-pthread)", () => assert.ok("gemm" in blas, "error" in blas ? blas.error : ""));

const vectors = [jsVectorKernels, ...[wasmVectorKernels()].filter((k) => k !== null)];

for (const kind of ["llama", "qwen"] as const) {
  for (const [gemm, vector] of gemms.flatMap((g) => vectors.map((v) => [g, v] as const))) {
    test(`${kind}: CPU loss and every gradient equal the jax-js model's (${gemm.name}, ${vector.name} kernels)`, async () => {
      const { config, arrays, shapes, V } = model(kind, 3);
      const batch = ids(3, 18, V, 5);
      const ref = await lossAndGradients(config, arrays, shapes, batch);
      const len = batch[0]!.length - 1;
      const inputs = Int32Array.from(batch.flatMap((r) => r.slice(0, -1)));
      const targets = Int32Array.from(batch.flatMap((r) => r.slice(1)));
      const ours = llamaLossAndGradientsCpu(config, arrays, inputs, targets, batch.length, len, gemm, { vector });
      assert.ok(Math.abs(ours.loss - ref.loss) < 1e-5 * Math.abs(ref.loss), `loss ${ours.loss} vs ${ref.loss}`);
      assert.deepEqual(Object.keys(ours.grads).sort(), Object.keys(ref.grads).sort());
      for (const name of Object.keys(ref.grads)) {
        const e = errorRelativeToMax(ours.grads[name]!, ref.grads[name]!);
        assert.ok(e < 1e-4, `${name}: relative error ${e.toExponential(2)}`);
      }
      // Logits of the forward alone.
      const { logits, cache } = forward(config, toParams(arrays, shapes), [batch[0]!.slice(0, -1)]);
      disposeCache(cache);
      const refLogits = await toFloat32(logits);
      const cpuLogits = llamaLogitsCpu(config, arrays, inputs.subarray(0, len), 1, len, gemm, { vector });
      assert.ok(errorRelativeToMax(cpuLogits, refLogits) < 1e-5, "logits");
      // Only the rows from position 7 on (as strided bits per byte asks).
      const tail = llamaLogitsCpu(config, arrays, inputs.subarray(0, len), 1, len, gemm, { vector, logitsFrom: 7 });
      assert.equal(tail.length, (len - 7) * V);
      assert.ok(errorRelativeToMax(tail, refLogits.subarray(7 * V)) < 1e-5, "logits from row 7");
    });
  }
}

test("the CPU KV cache: a prompt, then chunks and single tokens, give the full forward's logits at every position", () => {
  const { config: base, arrays } = model("llama", 4);
  const config = { ...base, maxPositions: 150 }; // past the cache's first capacity (64 rows): it grows twice
  const V = config.vocabSize;
  const ids = Int32Array.from({ length: 140 }, (_, i) => (i * 7 + 3) % V);
  const gemm = gemms[gemms.length - 1]!;
  const full = llamaLogitsCpu(config, arrays, ids, 1, ids.length, gemm);
  const cache = new CpuKVCache(config);
  let at = 0;
  for (const n of [5, 1, 1, 3, 60, 1, 69]) {
    const rows = llamaLogitsCpu(config, arrays, ids.subarray(at, at + n), 1, n, gemm, { cache });
    at += n;
    assert.equal(cache.length, at);
    const e = errorRelativeToMax(rows, full.subarray((at - n) * V, at * V));
    assert.ok(e < 1e-5, `positions ${at - n}..${at - 1}: ${e}`);
  }
  assert.throws(() => llamaLogitsCpu(config, arrays, ids.subarray(0, 11), 1, 11, gemm, { cache }), /151 positions exceed the model's 150/);
  assert.throws(() => llamaLogitsCpu(config, arrays, ids.subarray(0, 4), 2, 2, gemm, { cache: new CpuKVCache(config) }), /a KV cache holds one sequence, not 2/);
});

test("CPU Llama names bad input", () => {
  const { config, arrays } = model("llama", 1);
  assert.throws(() => llamaLossAndGradientsCpu(config, arrays, Int32Array.from([1, 2, 99]), Int32Array.from([2, 3, 4]), 1, 3, jsGemm), /id 99 at position 2 is outside the vocabulary \[0, 37\)/);
  assert.throws(() => llamaLossAndGradientsCpu(config, arrays, Int32Array.from([1, 2]), Int32Array.from([2, 37]), 1, 2, jsGemm), /target 37 at position 1/);
  assert.throws(() => llamaLogitsCpu(config, arrays, Int32Array.from([1, 2, 3]), 2, 2, jsGemm), /3 ids do not fill a 2 × 2 batch/);
  assert.throws(() => llamaLogitsCpu(config, arrays, Int32Array.from([1, 2, 3, 4]), 2, 2, jsGemm, { logitsFrom: 4 }), /logitsFrom 4 is outside the 4 token rows/);
  const missing = { ...arrays };
  delete missing["model.layers.1.mlp.up_proj.weight"];
  assert.throws(() => llamaLogitsCpu(config, missing, Int32Array.from([1, 2]), 1, 2, jsGemm), /missing weight "model.layers.1.mlp.up_proj.weight"/);
});

test(`bits per byte of the default model: the CPU path (${gemms[gemms.length - 1]!.name}) equals the tensor backend's`, async () => {
  const { readFileSync } = await import("node:fs");
  const { loadLanguageModel } = await import("../../src/lm/node.js");
  const { bitsPerByte } = await import("../../src/lm/bpb.js");
  const { setPlatformGemm } = await import("../../src/tensor/gemm.js");
  const { folder, tokenizer } = await loadLanguageModel(undefined);
  // Long enough for two sliding windows (window 128, stride 64).
  const text = readFileSync("../shared/data/flores200/devtest/deu_Latn.devtest", "utf8").split("\n").slice(0, 12).join("\n");
  const options = { window: 128, stride: 64 };
  setPlatformGemm(null);
  const reference = await bitsPerByte(folder, tokenizer, text, options);
  setPlatformGemm(gemms[gemms.length - 1]!);
  const cpu = await bitsPerByte(folder, tokenizer, text, options);
  assert.ok(reference.tokens > 200, `${reference.tokens} tokens`);
  assert.ok(Math.abs(cpu.nll - reference.nll) < 1e-4 * reference.nll, `CPU ${cpu.nll} vs backend ${reference.nll}`);
});

test("a LanguageModelTrainer on the CPU path takes the same steps as on the tensor backend", async () => {
  const { LanguageModelTrainer, cpuLossAndGradients } = await import("../../src/lm/train.js");
  const { warmupCosine } = await import("../../src/tensor/optim.js");
  const { config, arrays, shapes, V } = model("llama", 9);
  const copy = () => Object.fromEntries(Object.entries(arrays).map(([k, v]) => [k, v.slice()]));
  const schedule = warmupCosine({ peak: 1e-2, warmup: 1, total: 10 });
  const backend = new LanguageModelTrainer(config, copy(), shapes, { schedule });
  const cpu = new LanguageModelTrainer(config, copy(), shapes, { schedule, lossAndGradients: cpuLossAndGradients(gemms[gemms.length - 1]!) });
  for (let s = 0; s < 3; s++) {
    const batch = ids(2, 12, V, 20 + s);
    const [a, b] = [await backend.step(batch), await cpu.step(batch)];
    assert.ok(Math.abs(a.loss - b.loss) < 1e-4, `step ${s}: loss ${a.loss} vs ${b.loss}`);
    assert.ok(Math.abs(a.gradNorm - b.gradNorm) < 1e-3 * a.gradNorm, `step ${s}: grad norm ${a.gradNorm} vs ${b.gradNorm}`);
  }
  for (const name of Object.keys(arrays)) assert.ok(errorRelativeToMax(cpu.params[name]!, backend.params[name]!) < 1e-3, name);
  await assert.rejects(cpu.step([[1, 2, 3], [1, 2]]), /row 1 has 2 ids, row 0 has 3/);
});
