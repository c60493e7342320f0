// Data mixture inference says how far to trust it, and reads converted SentencePiece merge lists by training step
// (issue 14 item 6): such a list holds every split of every piece, ordered by the piece's score, so only the pieces
// are in training order — replayed merge by merge, most "steps" are splits of a piece already made.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { inferMixture, mergeSteps, RELATIVE_SLACK_WARNING } from "../../src/analyze/mixture.js";
import { Tokenizer } from "../../src/index.js";
import { BpeModel } from "../../src/tokenize/models/index.js";
import { tokenizerJsonToSentencePiece } from "../../src/formats/index.js";
import { trainTokenizer } from "../../src/train/train.js";
import { preTokenCounts } from "../../src/cli/commands/mixture.js";
import { floresLines, floresMixture } from "./flores.js";
import { TOKENIZERS } from "../support/corpora.js";

test("Llama 2's merge list is every split of every piece: 61,249 merges, 29,612 training steps", () => {
  const json = JSON.parse(readFileSync(`${TOKENIZERS}/llama.json`, "utf8"));
  const merges = (json.model.merges as string[]).map((m) => m.split(" ") as [string, string]);
  const steps = mergeSteps(merges);
  assert.equal(merges.length, 61249);
  assert.equal(steps.length, 29612);
  // "▁the" is one step with three splits, listed after "▁th" (its score's place), not three steps.
  assert.deepEqual(steps.find((s) => s.result === "▁the")!.pairs, [["▁t", "he"], ["▁th", "e"], ["▁", "the"]]);
});

test("a SentencePiece BPE converted to a merge list (every split): the known mixture is recovered, reliably", async () => {
  const langs = ["eng_Latn", "rus_Cyrl", "spa_Latn"];
  const { parts, truth } = floresMixture(langs, [0.6, 0.3, 0.1], 100_000);
  const text = parts.join("");
  // Train SentencePiece-style BPE, write it as a .model and read it back: its merges are then spm's every-split list.
  const trained = await trainTokenizer(text, { model: "char-bpe", vocabSize: 900 });
  const spm = Tokenizer.fromBytes(tokenizerJsonToSentencePiece(trained), { fileName: "mixture.model" });
  assert.ok(spm.model instanceof BpeModel);
  const merges = spm.model.getMerges();
  assert.ok(mergeSteps(merges).length < merges.length, "the converted list has several splits for some pieces");
  const categories = langs.map((l) => ({ name: l, words: preTokenCounts(spm, floresLines(l, "devtest").slice(0, 400).join("\n")) }));
  const result = await inferMixture(merges, categories, { maxMerges: 400 });
  const estimate = langs.map((l) => result.proportions[l]!);
  const mse = estimate.reduce((s, e, i) => s + (e - truth[i]!) ** 2, 0) / langs.length;
  const uniform = truth.reduce((s, t) => s + (1 / 3 - t) ** 2, 0) / langs.length;
  // Held-out samples: within 0.1 of the truth for each language, 5× closer than a uniform guess in squared error.
  const shown = `estimate ${estimate.map((e) => e.toFixed(3))} vs truth ${truth.map((t) => t.toFixed(3))}`;
  assert.ok(estimate.every((e, i) => Math.abs(e - truth[i]!) < 0.1) && mse < uniform / 5, shown);
  assert.ok(result.relativeSlack < RELATIVE_SLACK_WARNING, `relative slack ${result.relativeSlack}`);
  assert.equal(result.warning, null);
  assert.equal(result.steps, 400);
  assert.ok(result.mergesUsed > 400);
  // The converted list, read by training step, says exactly what the trainer's own list says.
  const direct = Tokenizer.fromJSON(trained);
  const own = await inferMixture((direct.model as BpeModel).getMerges(), langs.map((l) => ({ name: l, words: preTokenCounts(direct, floresLines(l, "devtest").slice(0, 400).join("\n")) })), { maxMerges: 400 });
  for (const l of langs) assert.ok(Math.abs(own.proportions[l]! - result.proportions[l]!) < 1e-9, `${l}: ${own.proportions[l]} vs ${result.proportions[l]}`);
});

test("samples that cannot explain the merges: large relative slack and a warning", async () => {
  // Trained on Russian and Spanish, asked about English and Chinese.
  const text = floresMixture(["rus_Cyrl", "spa_Latn"], [0.5, 0.5], 60_000).parts.join("");
  const trained = await trainTokenizer(text, { model: "bpe", vocabSize: 256 + 300 });
  const tokenizer = Tokenizer.fromJSON(trained);
  const merges = (tokenizer.model as BpeModel).getMerges();
  const categories = ["eng_Latn", "zho_Hans"].map((l) => ({ name: l, words: preTokenCounts(tokenizer, floresLines(l, "devtest").slice(0, 300).join("\n")) }));
  const result = await inferMixture(merges, categories, { maxMerges: 300 });
  assert.ok(result.relativeSlack > RELATIVE_SLACK_WARNING, `relative slack ${result.relativeSlack}`);
  assert.ok(result.stepsWithSlack > 30, `${result.stepsWithSlack} steps with slack`);
  assert.match(result.warning ?? "", /^unreliable estimate: the estimate has to excuse \d+\.\d% of the chosen merges' frequency/);
});

test("preTokenCounts cuts a converted SentencePiece text (no pre-tokenizer) into words as spm's trainer does: lines without breaks", async () => {
  const llama = await Tokenizer.fromFile(`${TOKENIZERS}/llama.json`);
  assert.deepEqual(Object.fromEntries(preTokenCounts(llama, "the cat  the\nthe\r\n")), { "▁the": 3, "▁cat": 1, "▁": 1 });
  // A byte-level tokenizer keeps its line breaks: they are pre-tokens it was trained on.
  const gpt2 = await Tokenizer.fromFile(`${TOKENIZERS}/gpt-2.json`);
  assert.deepEqual(Object.fromEntries(preTokenCounts(gpt2, "the cat\nthe\n")), { the: 2, "Ġcat": 1, "Ċ": 2 });
});
