// Dynamic tokenization on an untied model (a separate output head, so merged tokens need input and output rows from
// the hypernetwork, [input ‖ output] per token), on lines longer than the model's positions (sliding windows), and
// the anchor's control (every base row from the hypernetwork). A tiny random untied Llama over the bundled model's
// tokenizer, an untrained hypernetwork with a random head; FLORES lines. Every score is checked against lm/bpb.ts
// run on a model whose tables were built here by hand.
import { test } from "node:test";
import assert from "node:assert/strict";
import { floresLines } from "../support/corpora.js";
import { installNodeShims } from "../../src/tensor/shims.js";

// Before anything loads jax-js: the wasm memory and the kernels must agree on shared memory.
installNodeShims();
const { tinyLlama } = await import("../support/tiny-llama.js");
const { DynamicMerger, dynamicBitsPerByte, dynamicGenerate, withPredictedBaseRows } = await import("../../src/decode/index.js");
const { loadLanguageModel } = await import("../../src/lm/node.js");
const { bitsPerByte } = await import("../../src/lm/index.js");
const { HypernetTokenRows } = await import("../../src/transfer/hypernet/index.js");
const { initHypernet, predictRows, DEFAULT_HYPERNET } = await import("../../src/transfer/hypernet/residual.js");
const { modelEmbeddings } = await import("../../src/transfer/evaluate.js");
const { paramsFromArrays } = await import("../../src/lm/folder.js");
const { toFloat32 } = await import("../../src/tensor/backend.js");
const { mulberry32, gaussian } = await import("../../src/util/random.js");

const { tokenizer } = await loadLanguageModel(undefined);
const merger = new DynamicMerger(tokenizer);
const V = merger.table.size;
const model = tinyLlama(V, 11, { bos: 0, eos: 1 });
const d = model.config.hiddenSize;
const source = await modelEmbeddings(model);
assert.equal(source.slices, 2, "the tiny model is untied");
const arrays: Record<string, Float32Array> = {};
for (const [name, t] of Object.entries(model.params)) arrays[name] = await toFloat32(t.ref);

/** An untrained hypernetwork: its head is zero (it predicts the mean of the pieces' rows, per slice) unless `head`. */
function hypernet(head: boolean) {
  const net = initHypernet({ ...DEFAULT_HYPERNET, hidden: 32, heads: 4, intermediate: 64, layers: 1, slices: 2, dim: d }, source, 5);
  if (head) {
    const normal = gaussian(mulberry32(9));
    for (const name of ["head.weight", "head.bias"]) net.arrays[name] = Float32Array.from(net.arrays[name]!, () => 0.5 * normal());
  }
  return net;
}

/** The tiny model with `extra` tokens appended: input rows to the embedding, output rows to lm_head. */
function extended(inputRows: Float32Array, outputRows: Float32Array, count: number) {
  const grow = (table: Float32Array, rows: Float32Array) => {
    const out = new Float32Array((V + count) * d);
    out.set(table);
    out.set(rows, V * d);
    return { shape: [V + count, d], data: out };
  };
  const all: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const [name, t] of Object.entries(model.params)) all[name] = { shape: t.shape as number[], data: arrays[name]! };
  all["model.embed_tokens.weight"] = grow(arrays["model.embed_tokens.weight"]!, inputRows);
  all["lm_head.weight"] = grow(arrays["lm_head.weight"]!, outputRows);
  return { config: { ...model.config, vocabSize: V + count }, params: paramsFromArrays(all) };
}

/** Slice `s` of [n, 2, d] rows. */
const slice = (rows: Float32Array, n: number, s: number) => {
  const out = new Float32Array(n * d);
  for (let k = 0; k < n; k++) out.set(rows.subarray((2 * k + s) * d, (2 * k + s + 1) * d), k * d);
  return out;
};

/** Σ NLL of `lines` under `m`, each line's ids given (lm/bpb.ts: start token, sliding windows past the positions). */
async function referenceNll(m: Parameters<typeof bitsPerByte>[0], lines: readonly string[], ids: (i: number) => number[]) {
  let nll = 0;
  for (let i = 0; i < lines.length; i++) nll += (await bitsPerByte(m, { encode: () => ({ ids: ids(i) }) }, lines[i]!)).nll;
  return nll;
}

const lines = [...floresLines("deu_Latn", "devtest").slice(0, 4), ...floresLines("pol_Latn", "devtest").slice(0, 4)];

test("an untied hypernetwork's rows are input ‖ output: with a zero head, the mean of the pieces' rows in each table", async () => {
  const rows = new HypernetTokenRows(hypernet(false), source, tokenizer, { cacheSize: 0 });
  const tokens = [" Zusammen", "arbeit", " wszystkich"].map((s) => new TextEncoder().encode(s));
  const got = await rows.rows(tokens);
  assert.equal(rows.slices, 2);
  tokens.forEach((bytes, k) => {
    const pieces = rows.pieces(bytes);
    assert.ok(pieces.length >= 2, "each test token is several pieces of the model's tokenizer");
    for (const [s, name] of [[0, "model.embed_tokens.weight"], [1, "lm_head.weight"]] as const)
      for (let j = 0; j < d; j++) {
        const mean = pieces.reduce((a, id) => a + arrays[name]![id * d + j]!, 0) / pieces.length;
        assert.ok(Math.abs(got[(2 * k + s) * d + j]! - mean) < 1e-5, `token ${k} slice ${s} dim ${j}: ${got[(2 * k + s) * d + j]} vs ${mean}`);
      }
  });
});

test("untied model: merged scoring equals bits per byte of a model whose embedding and lm_head hold the merged rows", async () => {
  const net = hypernet(true);
  const rows = new HypernetTokenRows(net, source, tokenizer, { cacheSize: 0 });
  const options = { boundary: "pretokens" as const, merges: 40, batchLines: 8 };
  const dyn = await dynamicBitsPerByte(model, merger, rows, lines, options);
  assert.equal(dyn.merges, 40);
  assert.ok(dyn.reduction > 0.05, `${dyn.reduction}`);

  const batch = merger.mergeBatch(lines.map((l) => tokenizer.encodeIds(l, { addSpecialTokens: false })), options);
  const m = batch.merges.length;
  const predicted = await predictRows(net, source, batch.merges.map((_, k) => rows.pieces(batch.bytes(V + k))));
  const [input, output] = [slice(predicted, m, 0), slice(predicted, m, 1)];
  // The head makes the two slices differ from each other and from the plain mean, so a mix-up shows.
  assert.ok(input.some((x, i) => Math.abs(x - output[i]!) > 1e-3));
  const ids = (i: number) => Array.from(batch.sequences[i]!);
  const reference = await referenceNll(extended(input, output, m), lines, ids);
  assert.ok(Math.abs(dyn.nll - reference) < 1e-4 * reference, `${dyn.nll} vs ${reference}`);
  // The same rows with input and output swapped give a different score (the check above can fail).
  const swapped = await referenceNll(extended(output, input, m), lines, ids);
  assert.ok(Math.abs(swapped - reference) > 1e-3 * reference, `${swapped} vs ${reference}`);
});

test("untied model: a tied (one-slice) row provider is refused with the reason", async () => {
  const oneSlice = { slices: 1 as const, rows: async (t: readonly Uint8Array[]) => new Float32Array(t.length * d) };
  await assert.rejects(dynamicBitsPerByte(model, merger, oneSlice, lines.slice(0, 2), { merges: 5 }), /separate output head.*2 slices/);
  await assert.rejects(withPredictedBaseRows(model, merger, oneSlice), /separate output head.*2 slices/);
});

test("lines longer than the model's positions are scored with sliding windows, as lm/bpb.ts scores them", async () => {
  // One line of about 3× the tiny model's 128 positions, and it stays longer than them after merging.
  const long = floresLines("fra_Latn", "devtest").slice(0, 6).join(" ");
  const some = [long, lines[0]!];
  const base = tokenizer.encodeIds(long, { addSpecialTokens: false }).length;
  assert.ok(base > 3 * model.config.maxPositions, `${base}`);
  const plain = await dynamicBitsPerByte(model, merger, null, some, { merges: 0 });
  const reference = await referenceNll(model, some, (i) => tokenizer.encodeIds(some[i]!, { addSpecialTokens: false }));
  assert.ok(Math.abs(plain.nll - reference) < 1e-4 * reference, `${plain.nll} vs ${reference}`);

  const net = hypernet(true);
  const rows = new HypernetTokenRows(net, source, tokenizer, { cacheSize: 0 });
  const options = { boundary: "word" as const, reduction: 0.15, window: 96, stride: 32 };
  const dyn = await dynamicBitsPerByte(model, merger, rows, some, options);
  const batch = merger.mergeBatch(some.map((l) => tokenizer.encodeIds(l, { addSpecialTokens: false })), options);
  assert.ok(batch.sequences[0]!.length > 2 * model.config.maxPositions, "the merged line still needs several windows");
  const m = batch.merges.length;
  const predicted = await predictRows(net, source, batch.merges.map((_, k) => rows.pieces(batch.bytes(V + k))));
  const ext = extended(slice(predicted, m, 0), slice(predicted, m, 1), m);
  let merged = 0;
  for (let i = 0; i < some.length; i++) merged += (await bitsPerByte(ext, { encode: () => ({ ids: Array.from(batch.sequences[i]!) }) }, some[i]!, { window: 96, stride: 32 })).nll;
  assert.ok(Math.abs(dyn.nll - merged) < 1e-4 * merged, `${dyn.nll} vs ${merged}`);
  // A prompt that does not fit the positions even after merging cannot be prefilled: an error names it.
  await assert.rejects(dynamicGenerate(model, merger, rows, [lines[0]!, long], { merges: 10, maxTokens: 2 }), /prompt 2 takes \d+ positions after merging \(start token included\), more than the model's 128/);
});

test("the anchor's control: every base row (specials excepted) from the hypernetwork, input and output", async () => {
  const net = hypernet(true);
  const rows = new HypernetTokenRows(net, source, tokenizer, { cacheSize: 0 });
  const control = await withPredictedBaseRows(model, merger, rows);
  const got = await dynamicBitsPerByte(control, merger, null, lines, { merges: 0 });

  // By hand: predict every non-special token's row from its bytes and write the two slices into the two tables.
  const ids = [...Array(V).keys()].filter((id) => !merger.table.isSpecial(id));
  assert.deepEqual(ids.slice(0, 2), [2, 3], "the bundled tokenizer's two specials are ids 0 and 1");
  const predicted = await predictRows(net, source, ids.map((id) => rows.pieces(merger.table.bytes(id))));
  const all: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const [name, t] of Object.entries(model.params)) all[name] = { shape: t.shape as number[], data: Float32Array.from(arrays[name]!) };
  ids.forEach((id, k) => {
    all["model.embed_tokens.weight"]!.data.set(predicted.subarray(2 * k * d, (2 * k + 1) * d), id * d);
    all["lm_head.weight"]!.data.set(predicted.subarray((2 * k + 1) * d, (2 * k + 2) * d), id * d);
  });
  const reference = await referenceNll({ config: model.config, params: paramsFromArrays(all) }, lines, (i) => tokenizer.encodeIds(lines[i]!, { addSpecialTokens: false }));
  assert.ok(Math.abs(got.nll - reference) < 1e-4 * reference, `${got.nll} vs ${reference}`);
  const original = await dynamicBitsPerByte(model, merger, null, lines, { merges: 0 });
  assert.ok(Math.abs(got.nll - original.nll) > 1e-3 * original.nll, "the predicted rows are not the model's own");
});
