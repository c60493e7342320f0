// The companion model (assets/companion-model): trained as the default model on the same corpus but with a
// SentencePiece-style Unigram tokenizer with byte fallback, so that ensembles, OMP and transfer have a second source
// model of another tokenizer family. Checked on real held-out text: it is a trained model, not a shape.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { installNodeShims } from "../../src/tensor/shims.js";
installNodeShims();
const { loadLanguageModel } = await import("../../src/lm/node.js");
const { bitsPerByte } = await import("../../src/lm/bpb.js");
const { unigramBitsPerByte } = await import("../../src/analyze/metrics.js");

const COMPANION = "assets/companion-model";
const flores = (split: "dev" | "devtest", code: string) => readFileSync(`../shared/data/flores200/${split}/${code}.${split}`, "utf8").split("\n").filter((l) => l.length > 0);

test("the companion model: a Unigram tokenizer with byte fallback, the default model's architecture, tied embeddings", async () => {
  const companion = await loadLanguageModel(COMPANION);
  const main = await loadLanguageModel("assets/default-model");
  const json = companion.tokenizer.toJSON() as { model: { type: string; byte_fallback: boolean }; pre_tokenizer: { type: string } };
  assert.equal(json.model.type, "Unigram");
  assert.equal(json.model.byte_fallback, true);
  assert.equal(json.pre_tokenizer.type, "Metaspace");
  // A character no training text had is spelled in byte pieces, never the unknown token.
  const ids = companion.tokenizer.encode("\u{1F9EC}", { addSpecialTokens: false }).ids;
  assert.deepEqual(Array.from(ids).map((id) => companion.tokenizer.idToToken(id)).filter((t) => /^<0x/.test(t!)).length, 4);
  for (const k of ["hidden_size", "num_hidden_layers", "intermediate_size", "num_attention_heads", "num_key_value_heads", "vocab_size", "tie_word_embeddings"] as const) {
    assert.equal(companion.folder.config.raw[k], main.folder.config.raw[k], k);
  }
  assert.equal(companion.folder.params["lm_head.weight"], undefined);
});

test("the companion model beats a unigram model over its own tokenizer on FLORES devtest (fitted on FLORES dev), in three scripts", async () => {
  const { folder, tokenizer } = await loadLanguageModel(COMPANION);
  const V = tokenizer.vocabSize();
  for (const code of ["eng_Latn", "rus_Cyrl", "jpn_Jpan"]) {
    const text = flores("devtest", code).slice(0, 12).join("\n");
    const r = await bitsPerByte(folder, tokenizer, text);
    const fit = new Map<number, number>();
    for (const id of tokenizer.encode(flores("dev", code).join("\n"), { addSpecialTokens: false }).ids) fit.set(id, (fit.get(id) ?? 0) + 1);
    const unigram = unigramBitsPerByte(fit, tokenizer.encode(text, { addSpecialTokens: false }).ids, r.bytes, V);
    assert.ok(r.bitsPerByte < 0.95 * unigram, `${code}: model ${r.bitsPerByte.toFixed(3)} vs unigram ${unigram.toFixed(3)} bits/byte`);
  }
});
