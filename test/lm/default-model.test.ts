// The bundled default model (assets/default-model) against issue 12's bar: on FLORES English devtest, at most 0.8× the
// bits per byte of a unigram model over its own tokenizer fitted on FLORES English dev (add-one smoothing). The full
// devtest figure is in docs/default-model.md (scripts/default-model/evaluate.ts); here the first 60 lines, which keep
// the test short and sit on the same side of the bar.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { installNodeShims } from "../../src/tensor/shims.js";
installNodeShims();
const { loadLanguageModel } = await import("../../src/lm/node.js");
const { bitsPerByte } = await import("../../src/lm/bpb.js");
const { unigramBitsPerByte } = await import("../../src/analyze/metrics.js");

const flores = (split: "dev" | "devtest", code: string) => readFileSync(`../shared/data/flores200/${split}/${code}.${split}`, "utf8").split("\n").filter((l) => l.length > 0);

test("the default model scores ≤ 0.8× a unigram model fitted on FLORES English dev, on English devtest", async () => {
  const { folder, tokenizer } = await loadLanguageModel(undefined);
  const text = flores("devtest", "eng_Latn").slice(0, 60).join("\n");
  const r = await bitsPerByte(folder, tokenizer, text);
  const fit = new Map<number, number>();
  for (const id of tokenizer.encode(flores("dev", "eng_Latn").join("\n"), { addSpecialTokens: false }).ids) fit.set(id, (fit.get(id) ?? 0) + 1);
  const unigram = unigramBitsPerByte(fit, tokenizer.encode(text, { addSpecialTokens: false }).ids, r.bytes, tokenizer.vocabSize());
  assert.ok(r.bitsPerByte <= 0.8 * unigram, `model ${r.bitsPerByte.toFixed(3)} vs unigram ${unigram.toFixed(3)} bits/byte (ratio ${(r.bitsPerByte / unigram).toFixed(3)})`);
});
