// The residual hypernetwork: untrained it is FVT exactly; it saves and loads; training on sampled tokenizers lowers
// the loss and resumes bit for bit; bad folders are refused by name. Real tokenizers from assets/ (the default
// model's and a German one trained by retoken); a tiny random Llama stands in for the base model to keep it fast.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { installNodeShims } from "../../src/tensor/shims.js";
installNodeShims();
const { initBackend, fromFloat32 } = await import("../../src/tensor/backend.js");
const { Tokenizer } = await import("../../src/index.js");
const { parseModelConfig } = await import("../../src/lm/config.js");
const { buildVocabularyMap } = await import("../../src/transfer/vocabulary-map.js");
const { transferEmbeddings } = await import("../../src/transfer/methods.js");
const { initHypernet, predictEmbeddings } = await import("../../src/transfer/hypernet/residual.js");
const { HypernetTrainer, DEFAULT_TRAIN } = await import("../../src/transfer/hypernet/train.js");
const { saveHypernet, loadHypernet } = await import("../../src/transfer/hypernet/index.js");
const { warmupCosine } = await import("../../src/tensor/optim.js");
const { gaussian, mulberry32 } = await import("../../src/util/random.js");
const { randomSourceView, smallHypernetConfig } = await import("../support/hypernet-fixture.js");
await initBackend();

const source = await Tokenizer.fromFile("assets/default-model/tokenizer.json");
const german = await Tokenizer.fromFile("assets/tokenizers/de-8k.json");
const V = source.vocabSize();
const d = 16;
const normal = gaussian(mulberry32(5));
const sourceView = randomSourceView(V, d, normal);
const small = smallHypernetConfig(d);

test("an untrained residual hypernetwork predicts exactly FVT", async () => {
  const net = initHypernet(small, sourceView, 1);
  const map = buildVocabularyMap(source, german);
  const predicted = await predictEmbeddings(net, sourceView, map.pieces);
  const fvt = transferEmbeddings(sourceView, map, "fvt").embeddings;
  const viaHypernet = transferEmbeddings(sourceView, map, "hypernet", { predicted }).embeddings;
  let worst = 0;
  for (let i = 0; i < fvt.data.length; i++) worst = Math.max(worst, Math.abs(fvt.data[i]! - viaHypernet.data[i]!));
  // Shared tokens: FVT copies them, the network's mean of a single piece is that piece: same row either way.
  assert.ok(worst < 1e-5, `max |hypernet − fvt| = ${worst}`);
});

test("save and load give the same predictions; a folder missing a tensor is refused by name", async () => {
  const dir = await mkdtemp(join(tmpdir(), "retoken-hn-"));
  try {
    const net = initHypernet(small, sourceView, 2);
    net.arrays["head.weight"] = Float32Array.from(net.arrays["head.weight"]!, () => normal() * 0.1);
    await saveHypernet(join(dir, "hn"), net, { note: "test" });
    const back = await loadHypernet(join(dir, "hn"));
    const pieces = [[5, 9, 300], [7], [100, 101, 102, 103, 104, 105, 106, 107, 108]];
    const a = await predictEmbeddings(net, sourceView, pieces);
    const b = await predictEmbeddings(back, sourceView, pieces);
    assert.deepEqual(b.data, a.data);
    const config = JSON.parse(await readFile(join(dir, "hn", "config.json"), "utf8"));
    await writeFile(join(dir, "hn", "config.json"), JSON.stringify({ ...config, layers: 2 }));
    await assert.rejects(loadHypernet(join(dir, "hn")), /missing tensor "layers\.1\./);
    await writeFile(join(dir, "hn", "config.json"), JSON.stringify({ ...config, kind: "zett-v1" }));
    await assert.rejects(loadHypernet(join(dir, "hn")), /not a residual hypernetwork/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

/** A tiny Llama over the default model's vocabulary (random weights). */
function tinyBase() {
  const config = parseModelConfig({ model_type: "llama", vocab_size: V, hidden_size: d, intermediate_size: 24, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1, max_position_embeddings: 64, tie_word_embeddings: true, bos_token_id: 0, eos_token_id: 1 });
  const shapes: Record<string, number[]> = {
    "model.embed_tokens.weight": [V, d], "model.norm.weight": [d], "model.layers.0.input_layernorm.weight": [d], "model.layers.0.post_attention_layernorm.weight": [d],
    "model.layers.0.self_attn.q_proj.weight": [d, d], "model.layers.0.self_attn.k_proj.weight": [8, d], "model.layers.0.self_attn.v_proj.weight": [8, d], "model.layers.0.self_attn.o_proj.weight": [d, d],
    "model.layers.0.mlp.gate_proj.weight": [24, d], "model.layers.0.mlp.up_proj.weight": [24, d], "model.layers.0.mlp.down_proj.weight": [d, 24],
  };
  const params: Record<string, ReturnType<typeof fromFloat32>> = {};
  for (const [k, s] of Object.entries(shapes)) {
    const n = s.reduce((a, b) => a * b, 1);
    params[k] = k === "model.embed_tokens.weight" ? fromFloat32(sourceView.data, s) : fromFloat32(Float32Array.from({ length: n }, () => (k.includes("norm") ? 1 : normal() * 0.2)), s);
  }
  return { config, params };
}

const lines = (await readFile("assets/text/de-heldout.txt", "utf8")).split("\n").filter((l) => l.length > 20);
const texts = (step: number) => Array.from({ length: 2 }, (_, i) => lines.slice((step * 2 + i) % 20, ((step * 2 + i) % 20) + 30).join("\n"));
const options = { ...DEFAULT_TRAIN, batch: 2, seqLen: 16, tokenSet: 64, sampleVocab: 600, resampleEvery: 2 };

test("training on sampled tokenizers lowers the loss and resumes bit for bit", async () => {
  const base = tinyBase();
  const schedule = warmupCosine({ peak: 1e-2, warmup: 1, total: 12 });
  const a = new HypernetTrainer(initHypernet(small, sourceView, 3), base, source, sourceView, options, schedule);
  const losses: number[] = [];
  for (let s = 0; s < 12; s++) losses.push((await a.trainStep(texts(s % 3))).loss);
  const first = (losses[0]! + losses[1]! + losses[2]!) / 3;
  const last = (losses[9]! + losses[10]! + losses[11]!) / 3;
  assert.ok(last < first, `loss ${first.toFixed(3)} → ${last.toFixed(3)}`);

  const netB = initHypernet(small, sourceView, 3);
  let b = new HypernetTrainer(netB, base, source, sourceView, options, schedule);
  for (let s = 0; s < 6; s++) await b.trainStep(texts(s % 3));
  const saved = { arrays: structuredClone(netB.arrays), state: structuredClone(b.optimizer.state) };
  const netC = { ...initHypernet(small, sourceView, 3), arrays: saved.arrays };
  b = new HypernetTrainer(netC, base, source, sourceView, options, schedule);
  b.optimizer.state = saved.state;
  for (let s = 0; s < 6; s++) b.remember(texts(s % 3));
  for (let s = 6; s < 12; s++) await b.trainStep(texts(s % 3));
  for (const k of Object.keys(netC.arrays)) assert.deepEqual(netC.arrays[k], a.net.arrays[k], k);
});

test("a token set as large as the sampled vocabulary is the full softmax: every token once, a higher loss than a sampled set", async () => {
  const base = tinyBase();
  const schedule = warmupCosine({ peak: 1e-2, warmup: 1, total: 12 });
  const firstLoss = async (tokenSet: number) => (await new HypernetTrainer(initHypernet(small, sourceView, 3), base, source, sourceView, { ...options, tokenSet }, schedule).trainStep(texts(0))).loss;
  // Both sizes exceed the ~600-token sampled vocabulary: the same full set, so the same loss (and no endless draw of
  // negatives that do not exist).
  const full = await firstLoss(100_000);
  assert.equal(await firstLoss(5_000), full);
  // A softmax over a superset of the tokens has the larger normaliser: the sampled set's loss is below the full one.
  const sampled = await firstLoss(64);
  assert.ok(full > sampled, `full ${full.toFixed(4)} vs sampled ${sampled.toFixed(4)}`);
});

test("keepShared and a given sampling text: each changes the run, and the loss still falls", async () => {
  const base = tinyBase();
  const schedule = warmupCosine({ peak: 1e-2, warmup: 1, total: 12 });
  const run = async (opts: typeof options, sampleFrom?: (s: number) => string[]) => {
    const t = new HypernetTrainer(initHypernet(small, sourceView, 3), base, source, sourceView, opts, schedule);
    const losses: number[] = [];
    for (let s = 0; s < 12; s++) losses.push((await t.trainStep(texts(s % 3), sampleFrom?.(s))).loss);
    return { losses, arrays: t.net.arrays };
  };
  const plain = await run(options);
  const keep = await run({ ...options, keepShared: true });
  // Tokenizers drawn from other German text than the batches (as --sample-by language draws from one file).
  const other = await run(options, (s) => [lines.slice(40 + (s % 5) * 10, 80 + (s % 5) * 10).join("\n")]);
  for (const r of [keep, other]) {
    const first = (r.losses[0]! + r.losses[1]! + r.losses[2]!) / 3;
    const last = (r.losses[9]! + r.losses[10]! + r.losses[11]!) / 3;
    assert.ok(last < first, `loss ${first.toFixed(3)} → ${last.toFixed(3)}`);
    assert.notDeepEqual(r.arrays["head.weight"], plain.arrays["head.weight"]);
  }
});

test("BPE-sampled tokenizers (byte-level windows): the loss falls; another template is refused up front", async () => {
  const base = tinyBase();
  const schedule = warmupCosine({ peak: 1e-2, warmup: 1, total: 8 });
  const bpe = { ...options, template: "byte-level" as const, sampleModel: "bpe" as const };
  const t = new HypernetTrainer(initHypernet(small, sourceView, 3), base, source, sourceView, bpe, schedule);
  const losses: number[] = [];
  for (let s = 0; s < 8; s++) losses.push((await t.trainStep(texts(s % 3))).loss);
  assert.equal(t.sampledTokenizer!.toJSON().model && (t.sampledTokenizer!.toJSON().model as { type: string }).type, "BPE");
  assert.ok((losses[6]! + losses[7]!) / 2 < (losses[0]! + losses[1]!) / 2, `loss ${losses.map((l) => l.toFixed(3)).join(" ")}`);
  assert.throws(() => new HypernetTrainer(initHypernet(small, sourceView, 3), base, source, sourceView, { ...options, sampleModel: "bpe" }, schedule), /BPE-sampled tokenizers are byte-level/);
});
