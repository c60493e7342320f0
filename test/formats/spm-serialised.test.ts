// A SentencePiece .model keeps spm_encode's ids when written as tokenizer.json and read back, and inside the worker
// pool (which rebuilds the tokenizer from its JSON): the settings that make it spm_encode live in the file.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import tk from "tokenizers";
import { Tokenizer } from "../../src/index.js";
import { TokenizerPool } from "../../src/node/tokenizer-pool.js";
import { sentencePieceToTokenizerJson } from "../../src/formats/sentencepiece.js";
import { readGolden, SPM_MODELS, spmTexts } from "./spm-reference.js";

const modelBytes = (path: string) => new Uint8Array(readFileSync(path));

/** How many texts get different ids from `a` and `b`. */
function differences(a: number[][], b: number[][]): number {
  return a.filter((ids, i) => JSON.stringify(ids) !== JSON.stringify(b[i])).length;
}

test("the issue's case: de-unigram reads <s> typed in text as spm_encode does, in-process, after toJSON and in the pool", async () => {
  // spm_encode --model=de-unigram.model --output_format=id
  const spm = [2109, 928, 10, 498, 401, 928, 30, 10, 498, 8, 928, 6947, 498];
  const text = "Hallo <s> Welt </s> und <unk>";
  const tokenizer = await Tokenizer.fromFile("../shared/data/tokenizers/sentencepiece/de-unigram.model");
  assert.deepEqual(tokenizer.encodeIds(text), spm);
  assert.deepEqual(Tokenizer.fromJSON(tokenizer.toString()).encodeIds(text), spm);
  const pool = new TokenizerPool(tokenizer, { workers: 1 });
  try {
    assert.deepEqual(await pool.encodeIdsBatch([text]), [spm]);
  } finally {
    await pool.close();
  }
});

test(".model tokenizers: 0 id differences between spm_encode (golden), in-process, toJSON → fromJSON and the pool (10 models, FLORES and hard strings)", async () => {
  const golden = readGolden();
  const texts = [...new Set([...golden.texts, ...spmTexts(1)])];
  const goldenIndex = new Map(golden.texts.map((t, i) => [t, i]));
  for (const m of SPM_MODELS) {
    const tokenizer = Tokenizer.fromBytes(modelBytes(m.path), { fileName: m.name });
    const inProcess = texts.map((t) => tokenizer.encodeIds(t, { addSpecialTokens: false }));
    const written = tokenizer.toString();
    const readBack = Tokenizer.fromJSON(written);
    const afterJson = texts.map((t) => readBack.encodeIds(t, { addSpecialTokens: false }));
    // The full pipeline (offsets and all) gives the same ids as the ids-only path.
    const full = texts.map((t) => Array.from(readBack.encode(t, { addSpecialTokens: false }).ids));
    const pool = new TokenizerPool(tokenizer, { workers: 2 });
    let pooled: number[][];
    try {
      pooled = await pool.encodeIdsBatch(texts, { addSpecialTokens: false });
    } finally {
      await pool.close();
    }
    const spm: number[][] = [];
    const ours: number[][] = [];
    texts.forEach((t, i) => {
      const g = goldenIndex.get(t);
      if (g !== undefined) (spm.push(golden.ids[m.name]![g]!), ours.push(inProcess[i]!));
    });
    assert.ok(spm.length >= 80, `${m.name}: ${spm.length} golden texts`);
    assert.equal(differences(ours, spm), 0, `${m.name}: in-process vs spm_encode`);
    assert.equal(differences(afterJson, inProcess), 0, `${m.name}: toJSON → fromJSON vs in-process`);
    assert.equal(differences(full, inProcess), 0, `${m.name}: encode vs encodeIds`);
    assert.equal(differences(pooled, inProcess), 0, `${m.name}: pool vs in-process`);
    // The written file says it: a second round trip writes the same JSON.
    assert.equal(readBack.toString(), written, `${m.name}: JSON round trip`);
  }
});

test("HF tokenizers still loads the written file and runs it as it runs the plain conversion (it ignores retoken's spm fields)", async () => {
  const texts = ["Hallo <s> Welt </s> und <unk>", "é ä n\u0303\u0303 x", "*".repeat(60), ...spmTexts(1).slice(0, 20)];
  for (const m of SPM_MODELS) {
    const bytes = modelBytes(m.path);
    const written = Tokenizer.fromBytes(bytes, { fileName: m.name }).toString();
    assert.match(written, /"unmatched":true/, m.name);
    const hf = tk.Tokenizer.fromString(written);
    const plain = tk.Tokenizer.fromString(JSON.stringify(sentencePieceToTokenizerJson(bytes, { spmEncode: false })));
    assert.equal(hf.getVocabSize(true), plain.getVocabSize(true), m.name);
    for (const t of texts) {
      const got = (await hf.encode(t, null, { addSpecialTokens: false })).getIds();
      assert.deepEqual(got, (await plain.encode(t, null, { addSpecialTokens: false })).getIds(), `${m.name}: ${JSON.stringify(t.slice(0, 40))}`);
    }
  }
});

test("spm fields are checked: a wrong type names the field", () => {
  const json = sentencePieceToTokenizerJson(modelBytes(SPM_MODELS[1]!.path)) as any;
  json.model.score_arithmetic = "float16";
  assert.throws(() => Tokenizer.fromJSON(json), /model\.score_arithmetic: expected "float64" or "sentencepiece", got "float16"/);
  json.model.score_arithmetic = "sentencepiece";
  json.model.unmatchable_ids = [0, 1e9];
  assert.throws(() => Tokenizer.fromJSON(json), /model\.unmatchable_ids\[1\]: expected a piece id below/);
  json.model.unmatchable_ids = [0];
  json.added_tokens[0].unmatched = "yes";
  assert.throws(() => Tokenizer.fromJSON(json), /added_tokens\[0\]\.unmatched: expected true or false/);
});

test(".model tokenizers: encode()'s tokens and offsets are the HF binding's on the plain conversion wherever the ids are (FLORES, charsmap rules several to a line)", async () => {
  // spm's matching and arithmetic differ from HF's only on rare ties and stacked marks, so the plain conversion is an
  // oracle for the fields wherever both give the same ids. The rule strings put several rules on one line (the fields
  // reuse the matches of the ids' pass) and unknown characters between them.
  const rules = [
    "Add ¾ cup, ½ of x² and a\u200bzero-width space; ＡＢＣ full-width, ﬁ ligature, ①, Å",
    "１２３ km² … ﬂ ½½ x³ Ⅻ ㎏ — Привет, мир ½ 東京 ②",
    "™ and ℃: ﬁrst ﬀ ﬃ; ｶﾀｶﾅ ｱ, ¼ + ¾ = １",
  ];
  const texts = [...spmTexts(2), ...rules];
  let compared = 0;
  for (const m of SPM_MODELS) {
    const bytes = modelBytes(m.path);
    const ours = Tokenizer.fromBytes(bytes, { fileName: m.name });
    const hf = tk.Tokenizer.fromString(JSON.stringify(sentencePieceToTokenizerJson(bytes, { spmEncode: false })));
    let same = 0;
    for (const t of texts) {
      const r = await hf.encode(t, null, { addSpecialTokens: false });
      const e = ours.encode(t, { addSpecialTokens: false });
      if (JSON.stringify(Array.from(e.ids)) !== JSON.stringify(r.getIds())) continue;
      same++;
      assert.deepEqual(e.codePointOffsets, r.getOffsets(), `${m.name}: offsets of ${JSON.stringify(t)}`);
      assert.deepEqual(e.tokens, r.getTokens(), `${m.name}: tokens of ${JSON.stringify(t)}`);
    }
    assert.ok(same >= 0.9 * texts.length, `${m.name}: the ids agree on ${same} of ${texts.length} texts`);
    for (const t of rules) assert.notEqual(ours.normalizer!.normalizeText?.(t), t, `${m.name}: a rule applies to ${JSON.stringify(t)}`);
    compared += same;
  }
  assert.ok(compared > 0);
});
