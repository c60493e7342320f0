import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { installNodeShims } from "../../src/tensor/shims.js";
installNodeShims();
const { initBackend, toFloat32 } = await import("../../src/tensor/backend.js");
const { loadModelFolder } = await import("../../src/lm/folder.js");
const { forward, disposeCache, embeddingView } = await import("../../src/lm/model.js");
const { bitsPerByte } = await import("../../src/lm/bpb.js");
const { generate, sampleFromLogits, seededRandom } = await import("../../src/lm/generate.js");
const { parseSafetensors } = await import("../../src/tensor/safetensors.js");
const { setPlatformGemm, jsGemm } = await import("../../src/tensor/gemm.js");
const { loadOpenBlas } = await import("../../src/node/openblas.js");
const blas = loadOpenBlas();
// The CPU path on OpenBLAS where it loads (llama-cpu.test.ts fails when it does not), else on the plain-JS kernel.
const cpuGemm = "gemm" in blas ? blas.gemm : jsGemm;
await initBackend();

const DIR = "test/fixtures/lm/llama-gqa-llama3rope";
const model = await loadModelFolder(DIR);
const golden = parseSafetensors(new Uint8Array(await readFile(`${DIR}/golden.safetensors`)));
const ids = Array.from(golden.read("input_ids"));
const logits = golden.read("logits");
const V = model.config.vocabSize;

function goldenNll(from: number): number {
  let s = 0;
  for (let i = from; i + 1 < ids.length; i++) {
    const row = logits.subarray(i * V, (i + 1) * V);
    let m = -Infinity;
    for (const x of row) m = Math.max(m, x);
    let z = 0;
    for (const x of row) z += Math.exp(x - m);
    s += m + Math.log(z) - row[ids[i + 1]];
  }
  return s;
}

// A stand-in tokenizer: the text's characters are the golden ids (ASCII 'A' + id), one byte each.
const text = ids.slice(1).map((id) => String.fromCharCode(48 + id)).join("");
const tokenizer = { encode: (t: string) => ({ ids: Array.from(t, (c) => c.charCodeAt(0) - 48) }) };

test("bitsPerByte = Σ NLL / (ln 2 · bytes), first token predicted from the start token", async () => {
  const r = await bitsPerByte(model, tokenizer, text, { startId: ids[0] });
  assert.equal(r.tokens, ids.length - 1);
  assert.equal(r.bytes, ids.length - 1);
  const want = goldenNll(0) / (Math.LN2 * r.bytes);
  assert.ok(Math.abs(r.bitsPerByte - want) / want < 1e-5, `${r.bitsPerByte} vs ${want}`);
  // The default start token is config.json's bos_token_id (1 here), and the score changes with it.
  const byBos = await bitsPerByte(model, tokenizer, text);
  assert.equal(byBos.startId, 1);
  assert.notEqual(byBos.bitsPerByte, r.bitsPerByte);
  // No start token: the first token costs log2 V bits.
  const none = await bitsPerByte(model, tokenizer, text.slice(1), { startId: null });
  const rest = await bitsPerByte(model, tokenizer, text.slice(2), { startId: ids[2] });
  const wantNone = rest.nll + Math.log(V);
  assert.ok(Math.abs(none.nll - wantNone) / wantNone < 1e-6, `${none.nll} vs ${wantNone}`);
  assert.equal(none.bytes, ids.length - 2);
  // Per-token NLLs (for intervals over lines) add up to the total, with and without a start token and in windows.
  for (const opts of [{ startId: ids[0] }, { startId: null }, { startId: ids[0], window: 5, stride: 2 }]) {
    const p = await bitsPerByte(model, tokenizer, text, { ...opts, perToken: true });
    const sum = p.tokenNll!.reduce((a, b) => a + b, 0);
    assert.equal(p.tokenNll!.length, p.tokens);
    assert.ok(Math.abs(sum - p.nll) / p.nll < 1e-9 && p.tokenNll!.every((x) => x > 0), `${sum} vs ${p.nll}`);
  }
});

test("sliding windows score every token once; a window as long as the text gives the exact value", async () => {
  const full = await bitsPerByte(model, tokenizer, text, { startId: ids[0], window: 64 });
  const windowed = await bitsPerByte(model, tokenizer, text, { startId: ids[0], window: 5, stride: 2 });
  assert.equal(windowed.tokens, full.tokens);
  // Less context can only be a different (finite, nearby) number here, never a count error of whole tokens.
  assert.ok(Number.isFinite(windowed.bitsPerByte) && windowed.bitsPerByte !== full.bitsPerByte);
  assert.ok(Math.abs(windowed.bitsPerByte - full.bitsPerByte) / full.bitsPerByte < 0.5);
  // Manual check of the windows for window 5, stride 2 over 12 positions: scored [1,5), [5,7), [7,9), [9,11), [11,12).
  let manual = 0;
  const seq = ids;
  for (const [begin, end, from] of [[0, 5, 1], [2, 7, 5], [4, 9, 7], [6, 11, 9], [7, 12, 11]]) {
    const { logits: l, cache } = forward(model.config, model.params, [seq.slice(begin, end - 1)]);
    disposeCache(cache);
    const rows = await toFloat32(l);
    for (let p = from; p < end; p++) {
      const row = rows.subarray((p - 1 - begin) * V, (p - begin) * V);
      let m = -Infinity;
      for (const x of row) m = Math.max(m, x);
      let z = 0;
      for (const x of row) z += Math.exp(x - m);
      manual += m + Math.log(z) - row[seq[p]];
    }
  }
  assert.ok(Math.abs(windowed.nll - manual) / manual < 1e-5, `${windowed.nll} vs ${manual}`);
});

test("greedy generation with the KV cache equals argmax over full recomputation", async () => {
  const prompt = ids.slice(0, 4);
  const got = await generate(model, prompt, { maxTokens: 6, stopIds: [] });
  const seq = [...prompt];
  for (let i = 0; i < 6; i++) {
    const { logits: l, cache } = forward(model.config, model.params, [seq]);
    disposeCache(cache);
    const rows = await toFloat32(l);
    const last = rows.subarray(rows.length - V);
    let best = 0;
    for (let j = 1; j < V; j++) if (last[j] > last[best]) best = j;
    seq.push(best);
  }
  assert.deepEqual(got, seq.slice(4));
});

test(`generation on the CPU path (its own KV cache, ${cpuGemm.name}) picks the tensor backend's ids, greedy and sampled`, async () => {
  const options = [{ maxTokens: 12, stopIds: [] }, { maxTokens: 12, temperature: 1, topK: 20, seed: 3, stopIds: [] }];
  const backend = [];
  for (const o of options) backend.push(await generate(model, ids.slice(0, 5), o));
  setPlatformGemm(cpuGemm);
  try {
    for (const [i, o] of options.entries()) assert.deepEqual(await generate(model, ids.slice(0, 5), o), backend[i]);
  } finally {
    setPlatformGemm(null);
  }
});

test("sampling: seeded and reproducible; top-k 1 and tiny top-p are greedy; temperature spreads choices", async () => {
  const a = await generate(model, ids.slice(0, 3), { maxTokens: 8, temperature: 1, seed: 5, stopIds: [] });
  const b = await generate(model, ids.slice(0, 3), { maxTokens: 8, temperature: 1, seed: 5, stopIds: [] });
  assert.deepEqual(a, b);
  const row = new Float32Array([0.1, 2, 1.9, -1]);
  const rnd = seededRandom(1);
  for (let i = 0; i < 20; i++) {
    assert.equal(sampleFromLogits(row, { temperature: 1, topK: 1 }, rnd), 1);
    assert.equal(sampleFromLogits(row, { temperature: 1, topP: 0.01 }, rnd), 1);
  }
  const counts = [0, 0, 0, 0];
  for (let i = 0; i < 2000; i++) counts[sampleFromLogits(row, { temperature: 1 }, rnd)]++;
  const z = row.reduce((s, x) => s + Math.exp(x), 0);
  for (let j = 0; j < 4; j++) assert.ok(Math.abs(counts[j] / 2000 - Math.exp(row[j]) / z) < 0.04, `token ${j}: ${counts[j]}`);
  const topK2 = new Set(Array.from({ length: 200 }, () => sampleFromLogits(row, { temperature: 5, topK: 2 }, rnd)));
  assert.deepEqual([...topK2].sort(), [1, 2]);
});

test("embedding view: [V, 2, d] for untied models, [V, 1, d] for tied", async () => {
  const v = embeddingView(model.config, model.params);
  assert.deepEqual(v.shape, [V, 2, model.config.hiddenSize]);
  const data = await toFloat32(v);
  const emb = await toFloat32(model.params["model.embed_tokens.weight"].ref);
  const head = await toFloat32(model.params["lm_head.weight"].ref);
  const d = model.config.hiddenSize;
  assert.deepEqual(Array.from(data.subarray(3 * 2 * d, 3 * 2 * d + d)), Array.from(emb.subarray(3 * d, 4 * d)));
  assert.deepEqual(Array.from(data.subarray(3 * 2 * d + d, 4 * 2 * d)), Array.from(head.subarray(3 * d, 4 * d)));
  const tied = await loadModelFolder("test/fixtures/lm/qwen2-bias-tied-yarn");
  assert.deepEqual(embeddingView(tied.config, tied.params).shape, [V, 1, d]);
});
