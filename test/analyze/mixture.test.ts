// Data mixture inference recovers a known mixture from a BPE merge list (a small version of
// scripts/mixture-experiment.ts), and refuses what it cannot do.
import { test } from "node:test";
import assert from "node:assert/strict";
import { inferMixture } from "../../src/analyze/mixture.js";
import { WordCounter } from "../../src/train/corpus.js";
import { planPreTokenizer } from "../../src/train/pretokenize.js";
import { trainFromCounts } from "../../src/train/train.js";
import { readMerges } from "../../src/train/continue.js";
import type { JsonObject } from "../../src/tokenize/types.js";
import { floresLines, floresMixture } from "./flores.js";

function words(text: string): Map<string, number> {
  const c = new WordCounter(planPreTokenizer({ kind: "byte-level" }));
  c.addText(text);
  return c.words();
}

test("recovers a 3-language mixture from 400 merges far better than a uniform guess", async () => {
  const langs = ["eng_Latn", "rus_Cyrl", "spa_Latn"];
  const shares = [0.6, 0.3, 0.1];
  const budget = 100_000;
  const { parts, truth } = floresMixture(langs, shares, budget);
  const counter = new WordCounter(planPreTokenizer({ kind: "byte-level" }));
  for (const p of parts) counter.addText(p);
  const json = trainFromCounts(counter, { model: "bpe", vocabSize: 256 + 400 });
  const merges = readMerges((json.model as JsonObject).merges!, "model.merges");
  const categories = langs.map((l) => ({ name: l, words: words(floresLines(l, "devtest").slice(0, 400).join("\n")) }));
  const result = await inferMixture(merges, categories, { maxMerges: 400 });
  const estimate = langs.map((l) => result.proportions[l]!);
  const mse = estimate.reduce((s, e, i) => s + (e - truth[i]!) ** 2, 0) / langs.length;
  const uniform = truth.reduce((s, t) => s + (1 / 3 - t) ** 2, 0) / langs.length;
  assert.ok(Math.abs(estimate.reduce((a, b) => a + b, 0) - 1) < 1e-9, "proportions sum to 1");
  assert.ok(Math.log10(mse) < Math.log10(uniform) - 1, `log10 MSE ${Math.log10(mse).toFixed(2)} vs uniform ${Math.log10(uniform).toFixed(2)}`);
  assert.equal(result.violatedSteps, 0);
});

test("mixture inference refuses an empty merge list, one category and empty samples", async () => {
  const w = new Map([["Ġthe", 3]]);
  await assert.rejects(inferMixture([], [{ name: "a", words: w }, { name: "b", words: w }]), /has no merges/);
  await assert.rejects(inferMixture([["Ġ", "t"]], [{ name: "a", words: w }]), /at least two categories/);
  await assert.rejects(inferMixture([["Ġ", "t"]], [{ name: "a", words: w }, { name: "b", words: new Map() }]), /category "b" has no text/);
});
