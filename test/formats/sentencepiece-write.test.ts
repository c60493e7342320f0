import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tk from "tokenizers";
import { parseSentencePieceModel, sentencePieceToTokenizerJson, SpmModelType } from "../../src/formats/sentencepiece.js";
import { tokenizerJsonToSentencePiece } from "../../src/formats/sentencepiece-write.js";
import type { JsonObject } from "../../src/tokenize/types.js";
import { readGolden, SPM_MODELS, spmEncode, spmTexts } from "./spm-reference.js";

const specOf = (bytes: Uint8Array) => {
  const m = parseSentencePieceModel(bytes);
  return { ...m, normalizerSpec: { ...m.normalizerSpec, precompiledCharsmap: [...m.normalizerSpec.precompiledCharsmap].join(",") } };
};

async function oracleIds(json: JsonObject, texts: string[]): Promise<number[][]> {
  const t = tk.Tokenizer.fromString(JSON.stringify(json));
  const out: number[][] = [];
  for (const text of texts) out.push((await t.encode(text, null, { addSpecialTokens: false })).getIds());
  return out;
}

test(".model → tokenizer.json → .model keeps every Unigram piece, type and setting", () => {
  for (const m of SPM_MODELS) {
    const bytes = new Uint8Array(readFileSync(m.path));
    const original = specOf(bytes);
    const again = specOf(tokenizerJsonToSentencePiece(sentencePieceToTokenizerJson(bytes)));
    assert.deepEqual(again.normalizerSpec, original.normalizerSpec, m.name);
    if (original.trainerSpec.modelType === SpmModelType.BPE) {
      // BPE scores are rebuilt from merge ranks; pieces and types stay.
      assert.deepEqual(again.pieces.map((p) => [p.piece, p.type]), original.pieces.map((p) => [p.piece, p.type]), m.name);
    } else assert.deepEqual(again.pieces, original.pieces, m.name);
    // A CHAR model comes back as the Unigram model it was converted to (same pieces, same encodings).
    assert.equal(again.trainerSpec.modelType, original.trainerSpec.modelType === SpmModelType.CHAR ? SpmModelType.UNIGRAM : original.trainerSpec.modelType);
    for (const k of ["vocabSize", "byteFallback", "unkId", "bosId", "eosId", "padId", "unkPiece"] as const) assert.equal(again.trainerSpec[k], original.trainerSpec[k], `${m.name}: ${k}`);
  }
});

test("a written .model converts back to a tokenizer that encodes the same (all 10 models, Llama 2, Mistral)", async () => {
  const texts = readGolden().texts.filter((_, i) => i % 2 === 0);
  const jsons: [string, JsonObject][] = SPM_MODELS.map((m) => [m.name, sentencePieceToTokenizerJson(new Uint8Array(readFileSync(m.path)))]);
  for (const f of ["llama", "mistral"]) jsons.push([f, JSON.parse(readFileSync(`../shared/data/tokenizers/${f}.json`, "utf8"))]);
  for (const [name, json] of jsons) {
    const back = sentencePieceToTokenizerJson(tokenizerJsonToSentencePiece(json, { fileName: name }));
    assert.deepEqual(await oracleIds(back, texts), await oracleIds(json, texts), name);
  }
});

test("spm_encode on the .model written from Hugging Face's Llama 2 file gives the oracle's ids", async () => {
  const dir = mkdtempSync(join(tmpdir(), "retoken-spm-"));
  const texts = spmTexts(2);
  for (const f of ["llama", "mistral"]) {
    const json = JSON.parse(readFileSync(`../shared/data/tokenizers/${f}.json`, "utf8"));
    const path = join(dir, `${f}.model`);
    writeFileSync(path, tokenizerJsonToSentencePiece(json));
    assert.deepEqual(spmEncode(path, texts), await oracleIds(json, texts), f);
  }
});

test("tokenizers spm cannot run are refused with the field named", () => {
  const gpt2 = JSON.parse(readFileSync("../shared/data/tokenizers/gpt-2.json", "utf8"));
  assert.throws(() => tokenizerJsonToSentencePiece(gpt2, { fileName: "gpt-2.json" }), /gpt-2\.json: pre_tokenizer: a "ByteLevel" pre-tokenizer has no SentencePiece equivalent/);
  const wp = { normalizer: null, pre_tokenizer: { type: "Metaspace", replacement: "\u2581", prepend_scheme: "always" }, model: { type: "WordPiece", vocab: { "[UNK]": 0 } } };
  assert.throws(() => tokenizerJsonToSentencePiece(wp, { fileName: "wp.json" }), /wp\.json: model\.type: a "WordPiece" model has no SentencePiece equivalent/);
  const lower = { normalizer: { type: "Sequence", normalizers: [{ type: "Lowercase" }] }, pre_tokenizer: null, model: { type: "Unigram", unk_id: 0, vocab: [["<unk>", 0]] } };
  assert.throws(() => tokenizerJsonToSentencePiece(lower, { fileName: "l.json" }), /l\.json: normalizer\.normalizers\[0\]: a "Lowercase" normalizer has no SentencePiece equivalent/);
  const noUnk = { normalizer: null, pre_tokenizer: { type: "Metaspace" }, model: { type: "Unigram", unk_id: null, vocab: [["a", -1]] } };
  assert.throws(() => tokenizerJsonToSentencePiece(noUnk, { fileName: "u.json" }), /u\.json: model: SentencePiece needs an unknown piece/);
});
