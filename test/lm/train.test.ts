import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { installNodeShims } from "../../src/tensor/shims.js";
installNodeShims();
const { initBackend } = await import("../../src/tensor/backend.js");
const { parseModelConfig } = await import("../../src/lm/config.js");
const { lossAndGradients, LanguageModelTrainer } = await import("../../src/lm/train.js");
const { saveTrainingCheckpoint, loadTrainingCheckpoint } = await import("../../src/lm/checkpoint.js");
const { AdamW, warmupCosine, clipByGlobalNorm, globalNorm } = await import("../../src/tensor/optim.js");
const { mulberry32, gaussian } = await import("../../src/util/random.js");
await initBackend();

type Arrays = Record<string, Float32Array>;

/** A tiny Llama (GQA, untied or tied) or GPT-2 with seeded random weights. */
function tinyModel(kind: "llama-tied" | "llama-untied" | "gpt2", seed = 7) {
  const V = 13;
  const d = 8;
  const normal = gaussian(mulberry32(seed));
  const shapes: Record<string, number[]> = {};
  let raw: Record<string, unknown>;
  if (kind === "gpt2") {
    raw = { model_type: "gpt2", vocab_size: V, n_embd: d, n_layer: 1, n_head: 2, n_positions: 16 };
    Object.assign(shapes, {
      "wte.weight": [V, d], "wpe.weight": [16, d], "ln_f.weight": [d], "ln_f.bias": [d],
      "h.0.ln_1.weight": [d], "h.0.ln_1.bias": [d], "h.0.ln_2.weight": [d], "h.0.ln_2.bias": [d],
      "h.0.attn.c_attn.weight": [d, 3 * d], "h.0.attn.c_attn.bias": [3 * d], "h.0.attn.c_proj.weight": [d, d], "h.0.attn.c_proj.bias": [d],
      "h.0.mlp.c_fc.weight": [d, 4 * d], "h.0.mlp.c_fc.bias": [4 * d], "h.0.mlp.c_proj.weight": [4 * d, d], "h.0.mlp.c_proj.bias": [d],
    });
  } else {
    const tied = kind === "llama-tied";
    raw = { model_type: "llama", vocab_size: V, hidden_size: d, intermediate_size: 12, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1, max_position_embeddings: 16, tie_word_embeddings: tied };
    Object.assign(shapes, {
      "model.embed_tokens.weight": [V, d], "model.norm.weight": [d],
      "model.layers.0.input_layernorm.weight": [d], "model.layers.0.post_attention_layernorm.weight": [d],
      "model.layers.0.self_attn.q_proj.weight": [d, d], "model.layers.0.self_attn.k_proj.weight": [4, d], "model.layers.0.self_attn.v_proj.weight": [4, d], "model.layers.0.self_attn.o_proj.weight": [d, d],
      "model.layers.0.mlp.gate_proj.weight": [12, d], "model.layers.0.mlp.up_proj.weight": [12, d], "model.layers.0.mlp.down_proj.weight": [d, 12],
    });
    if (!tied) shapes["lm_head.weight"] = [V, d];
  }
  const arrays: Arrays = {};
  for (const [name, shape] of Object.entries(shapes)) {
    const n = shape.reduce((a, b) => a * b, 1);
    arrays[name] = Float32Array.from({ length: n }, () => (/norm|ln_/.test(name) && name.endsWith("weight") ? 1 + 0.1 * normal() : 0.5 * normal()));
  }
  return { config: parseModelConfig(raw), arrays, shapes };
}

const batch = [
  [1, 5, 2, 9, 12, 3, 3, 7],
  [0, 4, 4, 11, 6, 8, 2, 10],
];

for (const kind of ["llama-tied", "llama-untied", "gpt2"] as const) {
  test(`gradients match central finite differences (${kind})`, async () => {
    const { config, arrays, shapes } = tinyModel(kind);
    const { loss, grads } = await lossAndGradients(config, arrays, shapes, batch);
    assert.ok(loss > 0 && Number.isFinite(loss));
    const rand = mulberry32(3);
    const h = 1e-2;
    let checked = 0;
    for (const name of Object.keys(arrays).sort()) {
      const w = arrays[name]!;
      // Embedding rows of tokens in the batch get gradient from the lookup and (tied) the head: check those rows.
      const picks = name.includes("embed") || name === "wte.weight" ? [5 * 8 + 1, 4 * 8 + 3, 12 * 8 + 7] : [0, 1, 2].map(() => Math.floor(rand() * w.length));
      for (const i of picks) {
        const keep = w[i]!;
        w[i] = keep + h;
        const up = (await lossAndGradients(config, arrays, shapes, batch)).loss;
        w[i] = keep - h;
        const down = (await lossAndGradients(config, arrays, shapes, batch)).loss;
        w[i] = keep;
        const numeric = (up - down) / (2 * h);
        const analytic = grads[name]![i]!;
        assert.ok(Math.abs(numeric - analytic) <= 2e-3 + 0.02 * Math.abs(numeric), `${name}[${i}]: analytic ${analytic}, numeric ${numeric}`);
        checked++;
      }
    }
    assert.ok(checked >= 30);
  });
}

test("AdamW: bias-corrected moments, decoupled decay on matrices only", () => {
  const opt = new AdamW({ beta1: 0.9, beta2: 0.99, eps: 0, weightDecay: 0.5 });
  const params = { m: Float32Array.of(1, -2), b: Float32Array.of(3) };
  const shapes = { m: [1, 2], b: [1] };
  opt.update(params, { m: Float32Array.of(0.1, -4), b: Float32Array.of(2) }, 0.1, shapes);
  // Step 1: m̂ = g, v̂ = g², so the step is lr·sign(g); the matrix also shrinks by (1 − lr·λ).
  assert.ok(Math.abs(params.m[0]! - (1 * 0.95 - 0.1)) < 1e-6);
  assert.ok(Math.abs(params.m[1]! - (-2 * 0.95 + 0.1)) < 1e-6);
  assert.ok(Math.abs(params.b[0]! - (3 - 0.1)) < 1e-6);
  opt.update(params, { m: Float32Array.of(0.1, -4), b: Float32Array.of(-2) }, 0.1, shapes);
  // Step 2 on b: m = 0.9·0.1·2 + 0.1·(−2) = −0.02 → m̂ = −0.02/0.19; v = 0.01·4 + 0.0099·4 … v̂ = 4.
  const mhat = (0.1 * 0.9 * 2 + 0.1 * -2) / (1 - 0.81);
  assert.ok(Math.abs(params.b[0]! - (2.9 - (0.1 * mhat) / 2)) < 1e-6);
});

test("warm-up + cosine schedule and global-norm clipping", () => {
  const lr = warmupCosine({ peak: 1, warmup: 10, total: 110, minRatio: 0.1 });
  assert.equal(lr(0), 0.1);
  assert.equal(lr(9), 1);
  assert.ok(Math.abs(lr(60) - 0.55) < 1e-12);
  assert.ok(Math.abs(lr(110) - 0.1) < 1e-12);
  const g = { a: Float32Array.of(3, 0), b: Float32Array.of(4) };
  assert.equal(clipByGlobalNorm(g, 1), 5);
  assert.ok(Math.abs(globalNorm(g) - 1) < 1e-6);
  assert.throws(() => clipByGlobalNorm({ a: Float32Array.of(NaN) }, 1), /diverged/);
  assert.throws(() => warmupCosine({ peak: 0, warmup: 1, total: 10 }), /peak/);
});

test("training lowers the loss, and a checkpoint resumes bit for bit", async () => {
  const schedule = warmupCosine({ peak: 3e-2, warmup: 2, total: 8 });
  const straight = tinyModel("llama-untied", 11);
  const a = new LanguageModelTrainer(straight.config, straight.arrays, straight.shapes, { schedule });
  const losses: number[] = [];
  for (let i = 0; i < 8; i++) losses.push((await a.step(batch)).loss);
  assert.ok(losses[7]! < losses[0]! - 0.3, `loss ${losses[0]} → ${losses[7]}`);

  const split = tinyModel("llama-untied", 11);
  let b = new LanguageModelTrainer(split.config, split.arrays, split.shapes, { schedule });
  for (let i = 0; i < 4; i++) await b.step(batch);
  const dir = await mkdtemp(join(tmpdir(), "retoken-ckpt-"));
  try {
    const ck = join(dir, "ckpt");
    await saveTrainingCheckpoint(ck, { arrays: b.params, shapes: b.shapes, optimizer: b.optimizer.state, state: { note: "half" } });
    const loaded = await loadTrainingCheckpoint<{ note: string }>(ck);
    assert.equal(loaded.state.note, "half");
    assert.equal(loaded.optimizer.step, 4);
    b = new LanguageModelTrainer(split.config, loaded.arrays, loaded.shapes, { schedule });
    b.optimizer.state = loaded.optimizer;
    for (let i = 4; i < 8; i++) await b.step(batch);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  for (const name of Object.keys(a.params)) assert.deepEqual(b.params[name], a.params[name], name);
});

test("bad batches are refused with their position", async () => {
  const { config, arrays, shapes } = tinyModel("llama-tied");
  await assert.rejects(lossAndGradients(config, arrays, shapes, [[1, 2, 99]]), /id 99 at row 0, position 2/);
  await assert.rejects(lossAndGradients(config, arrays, shapes, [[1, 2, 3], [1, 2]]), /row 1 has 2 ids/);
  await assert.rejects(lossAndGradients(config, arrays, shapes, [[1]]), /two or more/);
});
