// Scoring and generation with a dynamic vocabulary on the bundled model and hypernetwork, FLORES lines: no merges is
// the model's own bits per byte; merged scoring equals lm/bpb.ts run on a model whose tables hold the appended rows
// (an independent path: its own softmax over V + m, its own embedding lookup); the row cache never changes a number
// (on, off, and evicting under pressure); prefilling with merged tokens then decoding ordinarily.
import { test } from "node:test";
import assert from "node:assert/strict";
import { floresLines } from "../support/corpora.js";
import { installNodeShims } from "../../src/tensor/shims.js";

// Before anything loads jax-js: the wasm memory and the kernels must agree on shared memory.
installNodeShims();
const { DynamicMerger, dynamicBitsPerByte, dynamicGenerate } = await import("../../src/decode/index.js");
const { loadLanguageModel } = await import("../../src/lm/node.js");
const { bitsPerByte, generate } = await import("../../src/lm/index.js");
const { loadHypernet, DEFAULT_HYPERNET_DIR, HypernetTokenRows } = await import("../../src/transfer/hypernet/index.js");
const { modelEmbeddings } = await import("../../src/transfer/evaluate.js");
const { fromFloat32 } = await import("../../src/tensor/backend.js");

const { folder, tokenizer } = await loadLanguageModel(undefined);
const merger = new DynamicMerger(tokenizer);
const net = await loadHypernet(DEFAULT_HYPERNET_DIR);
const source = await modelEmbeddings(folder);
const lines = [...floresLines("deu_Latn", "devtest").slice(0, 6), ...floresLines("spa_Latn", "devtest").slice(0, 6)];
const rowsWith = (cacheSize: number) => new HypernetTokenRows(net, source, tokenizer, { cacheSize });

test("no merges is the model's own bits per byte, line by line (lm/bpb.ts)", async () => {
  const some = lines.slice(0, 3);
  const dyn = await dynamicBitsPerByte(folder, merger, null, some, { merges: 0 });
  let nll = 0;
  for (const line of some) nll += (await bitsPerByte(folder, tokenizer, line)).nll;
  assert.ok(Math.abs(dyn.nll - nll) < 1e-4 * nll, `${dyn.nll} vs ${nll}`);
  assert.equal(dyn.reduction, 0);
  assert.equal(dyn.tokens, dyn.baseTokens);
  assert.equal(dyn.bitsPerByteWithVocabulary, dyn.bitsPerByte);
});

test("merged scoring equals bits per byte of a model whose tables hold the merged rows (softmax over V + m)", async () => {
  const options = { boundary: "pretokens" as const, merges: 60, batchLines: 12 };
  const rows = rowsWith(0);
  const dyn = await dynamicBitsPerByte(folder, merger, rows, lines, options);
  assert.ok(dyn.reduction > 0.05 && dyn.tokens < dyn.baseTokens, JSON.stringify(dyn));
  assert.equal(dyn.merges, 60);

  // The same batch, scored through lm/bpb.ts with an extended embedding tensor and a tokenizer that returns the ids.
  const batch = merger.mergeBatch(lines.map((l) => tokenizer.encodeIds(l, { addSpecialTokens: false })), options);
  const V = folder.config.vocabSize;
  const used = batch.merges.map((_, k) => batch.baseSize + k);
  const predicted = await rowsWith(0).rows(used.map((id) => batch.bytes(id)));
  const d = folder.config.hiddenSize;
  const table = new Float32Array((V + used.length) * d);
  table.set(source.matrix(0));
  table.set(predicted, V * d);
  const extended = { config: { ...folder.config, vocabSize: V + used.length }, params: { ...folder.params, "model.embed_tokens.weight": fromFloat32(table, [V + used.length, d]) } };
  const order = new Map(used.map((id, k) => [id, V + k]));
  let nll = 0;
  for (let i = 0; i < lines.length; i++) {
    const ids = Array.from(batch.sequences[i]!, (id) => order.get(id) ?? id);
    nll += (await bitsPerByte(extended, { encode: () => ({ ids }) }, lines[i]!)).nll;
  }
  assert.ok(Math.abs(dyn.nll - nll) < 1e-4 * nll, `${dyn.nll} vs ${nll}`);
  // The merges' description: two ids out of the vocabulary so far, per merge.
  let bits = 0;
  for (let k = 0; k < 60; k++) bits += 2 * Math.log2(batch.baseSize + k);
  assert.ok(Math.abs(dyn.vocabularyBits - bits) < 1e-9 && Math.abs(dyn.bitsPerByteWithVocabulary - (dyn.bitsPerByte + bits / dyn.bytes)) < 1e-12);
  // Every merge of the batch extends the softmax, intermediate ones too: some are not in any sequence.
  assert.ok(new Set(batch.sequences.flatMap((s) => Array.from(s)).filter((id) => id >= batch.baseSize)).size < used.length);
  // Merges learned on the same lines and applied as a fixed vocabulary: the same sequences and softmax, nothing charged.
  const held = await dynamicBitsPerByte(folder, merger, rows, lines, { ...options, mergesFrom: lines });
  assert.equal(held.nll, dyn.nll);
  assert.equal(held.vocabularyBits, 0);
});

test("the row cache never changes a result: on, off, and evicting under pressure", async () => {
  const options = { boundary: "word" as const, merges: 40, batchLines: 3 };
  const off = rowsWith(0);
  const on = rowsWith(8192);
  const tiny = rowsWith(3);
  const a = await dynamicBitsPerByte(folder, merger, off, lines, options);
  const b = await dynamicBitsPerByte(folder, merger, on, lines, options);
  const c = await dynamicBitsPerByte(folder, merger, tiny, lines, options);
  assert.equal(b.nll, a.nll);
  assert.equal(c.nll, a.nll);
  assert.equal(off.hits, 0);
  assert.ok(on.hits > 0, "batches share merged tokens, so the cache serves some");
  assert.ok(on.misses < off.misses && tiny.misses > on.misses, `${on.misses} ${off.misses} ${tiny.misses}`);
  // A row served from the cache is the row the network gives for those bytes alone.
  const probe = new TextEncoder().encode(" und");
  const [x, y] = [await on.rows([probe]), await rowsWith(0).rows([probe, new TextEncoder().encode(" der")])];
  assert.deepEqual(x, y.subarray(0, x.length));
});

test("prefill with merged tokens, then ordinary decoding", async () => {
  const prompts = lines.slice(0, 4).map((l) => l.slice(0, 80));
  const plain = await dynamicGenerate(folder, merger, null, prompts.slice(0, 1), { merges: 0, maxTokens: 6 });
  const bos = folder.config.bosTokenId!;
  const reference = await generate(folder, [bos, ...tokenizer.encodeIds(prompts[0]!, { addSpecialTokens: false })], { maxTokens: 6 });
  assert.deepEqual(plain[0]!.ids, reference);
  const merged = await dynamicGenerate(folder, merger, rowsWith(64), prompts, { boundary: "pretokens", reduction: 0.2, maxTokens: 6 });
  const saved = merged.reduce((n, g) => n + g.basePromptPositions - g.promptPositions, 0);
  assert.ok(saved > 0, "merged prompts take fewer positions");
  for (const g of merged) {
    assert.ok(g.ids.length > 0 && g.ids.every((id) => id < folder.config.vocabSize), "decoding emits base tokens only");
    assert.equal(g.text, tokenizer.decode(g.ids.filter((id) => id !== folder.config.eosTokenId)));
  }
});
