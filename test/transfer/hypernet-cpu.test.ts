// The hand-written CPU step of hypernetwork training (src/transfer/hypernet/cpu-step.ts) against the tensor backend's
// valueAndGrad of the same loss: same loss and the same gradient for every weight of the network, on a step with
// padded pieces, kept rows, auxiliary rows and tokens without pieces; tied and untied models; the portable JS Gemm
// and OpenBLAS (which setup.sh installs: its absence fails here). Then a few real training steps on the CPU path
// lower the loss as the tensor path's do.
import { test } from "node:test";
import assert from "node:assert/strict";
import { installNodeShims } from "../../src/tensor/shims.js";
installNodeShims();
const { initBackend, fromFloat32 } = await import("../../src/tensor/backend.js");
const { Tokenizer } = await import("../../src/index.js");
const { parseModelConfig } = await import("../../src/lm/config.js");
const { initHypernet } = await import("../../src/transfer/hypernet/residual.js");
const { HypernetTrainer, DEFAULT_TRAIN } = await import("../../src/transfer/hypernet/train.js");
const { jsGemm } = await import("../../src/tensor/gemm.js");
const { loadOpenBlas } = await import("../../src/node/openblas.js");
const { warmupCosine } = await import("../../src/tensor/optim.js");
const { gaussian, mulberry32 } = await import("../../src/util/random.js");
const { EmbeddingView } = await import("../../src/transfer/embedding-view.js");
type StepArrays = import("../../src/transfer/hypernet/cpu-step.js").HypernetStepArrays;
await initBackend();

const source = await Tokenizer.fromFile("assets/default-model/tokenizer.json");
const V = source.vocabSize();
const d = 16;
const normal = gaussian(mulberry32(11));
const blas = loadOpenBlas();

/** A tiny random Llama over the source vocabulary; untied models get their own lm_head. */
function tinyLlama(tied: boolean) {
  const config = parseModelConfig({ model_type: "llama", vocab_size: V, hidden_size: d, intermediate_size: 24, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, head_dim: 4, max_position_embeddings: 64, tie_word_embeddings: tied, bos_token_id: 0, eos_token_id: 1 });
  const shapes: Record<string, number[]> = { "model.embed_tokens.weight": [V, d], "model.norm.weight": [d] };
  if (!tied) shapes["lm_head.weight"] = [V, d];
  for (let l = 0; l < 2; l++) {
    const p = `model.layers.${l}`;
    Object.assign(shapes, {
      [`${p}.input_layernorm.weight`]: [d], [`${p}.post_attention_layernorm.weight`]: [d],
      [`${p}.self_attn.q_proj.weight`]: [d, d], [`${p}.self_attn.k_proj.weight`]: [8, d], [`${p}.self_attn.v_proj.weight`]: [8, d], [`${p}.self_attn.o_proj.weight`]: [d, d],
      [`${p}.mlp.gate_proj.weight`]: [24, d], [`${p}.mlp.up_proj.weight`]: [24, d], [`${p}.mlp.down_proj.weight`]: [d, 24],
    });
  }
  const data: Record<string, Float32Array> = {};
  const params: Record<string, ReturnType<typeof fromFloat32>> = {};
  for (const [k, s] of Object.entries(shapes)) {
    const n = s.reduce((a, b) => a * b, 1);
    data[k] = Float32Array.from({ length: n }, () => (k.includes("norm") ? 1 + normal() * 0.1 : normal() * 0.3));
    params[k] = fromFloat32(data[k]!, s);
  }
  const slices = tied ? 1 : 2;
  const rows = new Float32Array(V * slices * d);
  for (let t = 0; t < V; t++) {
    rows.set(data["model.embed_tokens.weight"]!.subarray(t * d, (t + 1) * d), t * slices * d);
    if (!tied) rows.set(data["lm_head.weight"]!.subarray(t * d, (t + 1) * d), t * slices * d + d);
  }
  return { model: { config, params }, view: new EmbeddingView(V, slices as 1 | 2, d, rows) };
}

/** One step's data: U tokens with 0–9 pieces each (so some are padded, some cut at maxPieces), some rows kept. */
function stepArrays(view: InstanceType<typeof EmbeddingView>, P: number, U: number, B: number, T: number): StepArrays {
  const rand = mulberry32(3);
  const W = view.rowWidth;
  const pieces = new Float32Array(U * P * W);
  const mask = new Float32Array(U * P);
  const base = new Float32Array(U * W);
  const keep = new Float32Array(U);
  const auxMask = new Float32Array(U);
  const trueRows = new Float32Array(U * W);
  for (let u = 0; u < U; u++) {
    const n = u === 5 ? 0 : Math.floor(rand() * 10);
    const ids = Array.from({ length: n }, () => Math.floor(rand() * V));
    for (let j = 0; j < Math.min(P, n); j++) {
      pieces.set(view.row(ids[j]!), (u * P + j) * W);
      mask[u * P + j] = 1;
    }
    if (mask[u * P] === 0) mask[u * P] = 1;
    for (const id of ids) for (let x = 0; x < W; x++) base[u * W + x]! += view.row(id)[x]! / n;
    if (u % 7 === 1 || u % 3 === 2) {
      trueRows.set(view.row(Math.floor(rand() * V)), u * W);
      if (u % 7 === 1) keep[u] = 1;
      else auxMask[u] = 1;
    }
  }
  const inputs = Int32Array.from({ length: B * T }, () => Math.floor(rand() * U));
  const targets = Int32Array.from({ length: B * T }, () => Math.floor(rand() * U));
  return { U, B, T, pieces, mask, base, keep, trueRows, auxMask, inputs, targets };
}

for (const tied of [true, false]) {
  test(`the CPU step gives the tensor backend's loss and gradients (${tied ? "tied" : "untied"} model; JS Gemm and OpenBLAS)`, async () => {
    const { model, view } = tinyLlama(tied);
    const config = { kind: "residual-hypernet" as const, slices: view.slices, dim: d, hidden: 16, layers: 2, heads: 4, intermediate: 32, maxPieces: 7, base: "mean" as const };
    const net = initHypernet(config, view, 4);
    // A trained-looking network: nonzero head, so every weight gets a gradient.
    for (const [name, w] of Object.entries(net.arrays)) if (name.startsWith("head.") || name.endsWith(".bias")) for (let i = 0; i < w.length; i++) w[i] = normal() * 0.2;
    const data = stepArrays(view, 7, 40, 2, 6);
    const schedule = warmupCosine({ peak: 1e-3, warmup: 1, total: 2 });
    const reference = await new HypernetTrainer(net, model, source, view, DEFAULT_TRAIN, schedule).lossAndGradients(data);
    assert.ok("gemm" in blas, `OpenBLAS: ${"error" in blas ? blas.error : ""}`);
    for (const gemm of [jsGemm, blas.gemm]) {
      const cpu = await new HypernetTrainer(net, model, source, view, { ...DEFAULT_TRAIN, gemm }, schedule).lossAndGradients(data);
      assert.ok(Math.abs(cpu.loss - reference.loss) < 1e-4 * Math.abs(reference.loss), `${gemm.name}: loss ${cpu.loss} vs ${reference.loss}`);
      assert.deepEqual(Object.keys(cpu.grads).sort(), Object.keys(reference.grads).sort());
      for (const [name, g] of Object.entries(reference.grads)) {
        const c = cpu.grads[name]!;
        if (name.endsWith("attn.k.bias")) {
          // A key bias adds the same q·b to every score of a row, which softmax ignores: its true gradient is 0 and
          // both paths give rounding noise.
          for (let i = 0; i < g.length; i++) assert.ok(Math.abs(g[i]!) < 1e-6 && Math.abs(c[i]!) < 1e-6, `${name}: ${g[i]} / ${c[i]}`);
          continue;
        }
        let scale = 0;
        let worst = 0;
        for (let i = 0; i < g.length; i++) {
          scale = Math.max(scale, Math.abs(g[i]!));
          worst = Math.max(worst, Math.abs(g[i]! - c[i]!));
        }
        assert.ok(scale > 0, `${name}: the reference gradient is zero (the test would not see a wrong one)`);
        assert.ok(worst <= 2e-3 * scale, `${gemm.name}: ${name} differs by ${worst} (largest entry ${scale})`);
      }
    }
  });
}

test("training on the CPU path lowers the loss on real sampled tokenizers, as the tensor path does", async () => {
  const { model, view } = tinyLlama(true);
  const config = { kind: "residual-hypernet" as const, slices: 1 as const, dim: d, hidden: 16, layers: 1, heads: 2, intermediate: 32, maxPieces: 7, base: "mean" as const };
  const text = (await import("node:fs")).readFileSync("assets/text/en-heldout.txt", "utf8").split("\n").filter((l) => l.length > 200);
  const options = { ...DEFAULT_TRAIN, batch: 2, seqLen: 24, tokenSet: 160, sampleVocab: 400, resampleEvery: 100 };
  const schedule = warmupCosine({ peak: 3e-2, warmup: 1, total: 12 });
  const losses: Record<string, number[]> = {};
  for (const [name, gemm] of [["tensor", undefined], ["cpu", jsGemm]] as const) {
    const trainer = new HypernetTrainer(initHypernet(config, view, 2), model, source, view, { ...options, gemm }, schedule);
    losses[name] = [];
    for (let s = 0; s < 12; s++) losses[name]!.push((await trainer.trainStep(text.slice(0, 2))).loss);
  }
  const [t, c] = [losses.tensor!, losses.cpu!];
  assert.ok(Math.abs(t[0]! - c[0]!) < 1e-3 * t[0]!, `first loss: tensor ${t[0]} vs cpu ${c[0]}`);
  assert.ok(c[11]! < c[0]! - 0.05, `CPU path: loss ${c[0]} → ${c[11]} did not fall`);
  assert.ok(Math.abs(t[11]! - c[11]!) < 0.05 * t[11]!, `after 12 steps: tensor ${t[11]} vs cpu ${c[11]}`);
});

test("transfer-time prediction on the CPU gives the tensor backend's rows (tokens with 0, 1, 3 and 12 pieces)", async () => {
  const { predictRows, pieceBatch } = await import("../../src/transfer/hypernet/residual.js");
  const { predictRowsCpu } = await import("../../src/transfer/hypernet/cpu-step.js");
  const { platformGemm } = await import("../../src/tensor/gemm.js");
  assert.equal(platformGemm(), null, "this test compares against the tensor path, which runs when no platform Gemm is set");
  const { view } = tinyLlama(true);
  const config = { kind: "residual-hypernet" as const, slices: 1 as const, dim: d, hidden: 16, layers: 2, heads: 4, intermediate: 32, maxPieces: 7, base: "mean" as const };
  const net = initHypernet(config, view, 6);
  for (const [name, w] of Object.entries(net.arrays)) if (name.startsWith("head.") || name.endsWith(".bias")) for (let i = 0; i < w.length; i++) w[i] = normal() * 0.2;
  const tokens = [[], [17], [5, 900, 3000], Array.from({ length: 12 }, (_, i) => 100 + i), [42, 42]];
  const reference = await predictRows(net, view, tokens);
  assert.ok("gemm" in blas);
  const b = pieceBatch(config, view, tokens);
  const cpu = predictRowsCpu(net, b.pieces, b.mask, b.base, tokens.length, blas.gemm);
  assert.equal(cpu.length, reference.length);
  let worst = 0;
  for (let i = 0; i < cpu.length; i++) worst = Math.max(worst, Math.abs(cpu[i]! - reference[i]!));
  assert.ok(worst < 1e-5, `max |cpu − tensor| = ${worst}`);
});
