// Transfer evaluation on the bundled default model (a real model trained by the recipe in scripts/default-model)
// and real tokenizers trained by retoken (assets/tokenizers), scored on held-out text shipped in assets/text.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { installNodeShims } from "../../src/tensor/shims.js";
installNodeShims();
const { loadLanguageModel } = await import("../../src/lm/node.js");
const { Tokenizer } = await import("../../src/index.js");
const { evaluateTransfer, mapSpecialIds, methodAverages, formatTransferTable } = await import("../../src/transfer/evaluate.js");
const { methodStrategies } = await import("../../src/transfer/methods.js");
const { runTransferEval } = await import("../../src/cli/commands/transfer-eval.js");
const { predictEmbeddingsWithHypernet } = await import("../../src/transfer/hypernet/index.js");

const { folder, tokenizer: source, dir } = await loadLanguageModel(undefined);
const german = await Tokenizer.fromFile("assets/tokenizers/de-8k.json");
const heldout = (await readFile("assets/text/de-heldout.txt", "utf8")).split("\n").slice(0, 12).join("\n");
const model = { ...folder, name: dir };

test("transferring to the model's own tokenizer by copy reproduces the original bits per byte exactly", async () => {
  const r = await evaluateTransfer(model, source, [{ name: "self", tokenizer: source, languages: null }], [{ language: "de", text: heldout }], ["copy"]);
  const original = r.rows.find((x) => x.method === "original")!;
  const copied = r.rows.find((x) => x.method === "copy")!;
  assert.equal(copied.tokens, original.tokens);
  assert.equal(copied.lengthRatio, 1);
  assert.ok(Math.abs(copied.bitsPerByte - original.bitsPerByte) < 1e-9, `${copied.bitsPerByte} vs ${original.bitsPerByte}`);
  assert.equal(r.fills.self!.copy!.copy! + r.fills.self!.copy!.special!, source.vocabSize());
});

test("a German tokenizer shortens German text; the shipped hypernetwork beats FVT, which beats copy, which beats random rows", async () => {
  const target = {
    name: "de-8k",
    tokenizer: german,
    languages: ["de"],
    // The hypernetwork shipped in assets/hypernet, trained for the default model on sampled tokenizers (never on de-8k).
    inputs: async (method: string) =>
      method === "hypernet" ? { predicted: await predictEmbeddingsWithHypernet({ model: folder, sourceTokenizer: source, targetTokenizer: german, hypernetDir: "assets/hypernet" }) } : {},
  };
  const r = await evaluateTransfer(model, source, [target], [{ language: "de", text: heldout }], ["copy", "fvt", "random", "hypernet"]);
  const get = (m: string) => r.rows.find((x) => x.method === m)!;
  assert.ok(get("fvt").lengthRatio < 0.95, `length ratio ${get("fvt").lengthRatio}`);
  assert.ok(get("hypernet").bitsPerByte < get("fvt").bitsPerByte, `hypernet ${get("hypernet").bitsPerByte} vs fvt ${get("fvt").bitsPerByte}`);
  assert.ok(get("fvt").bitsPerByte < get("copy").bitsPerByte, `fvt ${get("fvt").bitsPerByte} vs copy ${get("copy").bitsPerByte}`);
  assert.ok(get("copy").bitsPerByte < get("random").bitsPerByte, `copy ${get("copy").bitsPerByte} vs random ${get("random").bitsPerByte}`);
  const counts = r.fills["de-8k"]!.fvt!;
  assert.equal(counts.unfilled, 0);
  assert.ok(counts.copy! > 1000 && counts.fvt! > 1000, JSON.stringify(counts));
  const avg = methodAverages(r);
  assert.deepEqual(avg.map((a) => a.method), ["original", "copy", "fvt", "random", "hypernet"]);
  assert.match(formatTransferTable(r), /de-8k\s+de\s+\d\.\d{3}/);
});

test("across tokenizer families: the Unigram companion transferred to a byte-level BPE, its own hypernetwork beats FVT", async () => {
  const companion = await loadLanguageModel("assets/companion-model");
  const flores = (await readFile("../shared/data/flores200/devtest/deu_Latn.devtest", "utf8")).split("\n").slice(0, 8).join("\n");
  const target = {
    name: "de-8k",
    tokenizer: german,
    languages: ["de"],
    inputs: async (method: string) =>
      method === "hypernet" ? { predicted: await predictEmbeddingsWithHypernet({ model: companion.folder, sourceTokenizer: companion.tokenizer, targetTokenizer: german, hypernetDir: "assets/companion-hypernet" }) } : {},
  };
  const r = await evaluateTransfer({ ...companion.folder, name: companion.dir }, companion.tokenizer, [target], [{ language: "de", text: flores }], ["fvt", "random", "hypernet"]);
  const get = (m: string) => r.rows.find((x) => x.method === m)!;
  assert.ok(get("original").bitsPerByte < get("hypernet").bitsPerByte);
  assert.ok(get("hypernet").bitsPerByte < get("fvt").bitsPerByte, `hypernet ${get("hypernet").bitsPerByte} vs fvt ${get("fvt").bitsPerByte}`);
  // Measured, not wished (session 27): original 3.406, hypernet 3.519, FVT 4.272, random rows 4.819 bits per byte on
  // these lines: the network closes 87% of FVT's gap (the session-18 network with the map fixed: 3.546, 84%). Before one-byte tokens were copied from the pieces the model
  // learned (not from the byte-fallback pieces Llama-style vocabularies list first) FVT scored worse than random rows
  // here (5.58 against 4.82) and the network (4.73) closed 39% (docs/transfer-results.md, "Session 27").
  assert.ok(get("fvt").bitsPerByte < get("random").bitsPerByte, `fvt ${get("fvt").bitsPerByte} vs random ${get("random").bitsPerByte}`);
  const share = (get("fvt").bitsPerByte - get("hypernet").bitsPerByte) / (get("fvt").bitsPerByte - get("original").bitsPerByte);
  assert.ok(share > 0.6, `share of FVT's gap closed ${share}`);
  // Shared tokens are found across spellings (▁der ↔ Ġder): 1,409 copied, the other 6,781 rows decomposed by FVT.
  assert.deepEqual(r.fills["de-8k"]!.fvt, { special: 2, copy: 1409, fvt: 6781, random: 0, unfilled: 0 });
});

test("a target without the model's special tokens is refused by name", async () => {
  // The German tokenizer with its start token renamed, in the added tokens and in the model's vocabulary.
  const renamed = JSON.stringify(german.toJSON()).split("<|begin_of_text|>").join("<|start|>");
  const t = await Tokenizer.fromJSON(JSON.parse(renamed));
  assert.throws(() => mapSpecialIds(folder.config, source, t, "de-broken"), /de-broken: has no token "<\|begin_of_text\|>" \(bos_token_id 0 in config.json\)/);
  assert.throws(() => methodStrategies("omp"), /needs a donor/);
  assert.throws(() => methodStrategies("aux"), /auxiliary embedding space/);
});

test("transfer-eval writes JSON and a self-contained HTML report; bad options are named", async () => {
  const tmp = await mkdtemp(join(tmpdir(), "retoken-te-"));
  try {
    const lines: string[] = [];
    const json = (await runTransferEval(
      { target: ["de=assets/tokenizers/de-8k.json"], text: ["de=assets/text/de-heldout.txt"], auxText: ["de=assets/text/de-sample.txt"], methods: "fvt,aux", lines: "6", json: join(tmp, "r.json"), html: join(tmp, "r.html"), quiet: true },
      (s) => lines.push(s),
    )) as { rows: { method: string }[] };
    assert.deepEqual(json.rows.map((r) => r.method), ["original", "fvt", "aux"]);
    assert.match(lines.join(""), /mean/);
    const html = await readFile(join(tmp, "r.html"), "utf8");
    assert.equal((html.match(/data-chart/g) ?? []).length, 3);
    assert.equal((html.match(/<svg /g) ?? []).length, 3, "every chart is drawn as an inline <svg>");
    assert.match(html, /Text measured:<\/strong> held-out text per language: de=assets\/text\/de-heldout.txt \(first 6 lines of each\)/);
    assert.ok(!/https?:\/\/cdn/.test(html));
    const csv = (await readFile(join(tmp, "r.csv"), "utf8")).trim().split("\r\n");
    assert.equal(csv[0], "target,language,method,bitsPerByte,intervalLow,intervalHigh,tokens,bytes,lengthRatio");
    assert.equal(csv.length, 4);
    // Six lines: each row has a bootstrap interval over them that holds its bits per byte.
    for (const row of (json as unknown as { rows: { bitsPerByte: number; interval: [number, number] }[] }).rows) assert.ok(row.interval[0] <= row.bitsPerByte && row.bitsPerByte <= row.interval[1], JSON.stringify(row));
    assert.ok(JSON.parse(await readFile(join(tmp, "r.json"), "utf8")).averages.length === 3);
    await assert.rejects(runTransferEval({ target: ["de=assets/tokenizers/de-8k.json"], text: ["de=assets/text/de-heldout.txt"], auxText: [], methods: "fvt,nope", quiet: true }, () => {}), /unknown method "nope"/);
    await assert.rejects(runTransferEval({ target: ["fr=assets/tokenizers/de-8k.json"], text: ["de=assets/text/de-heldout.txt"], auxText: [], methods: "fvt", quiet: true }, () => {}), /names language "fr"/);
    await assert.rejects(runTransferEval({ target: ["de=assets/tokenizers/de-8k.json"], text: ["de=assets/text/de-heldout.txt"], auxText: [], methods: "aux", lines: "3", quiet: true }, () => {}), /needs target-language text/);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
});
