// Metrics on real tokenizers and FLORES: Petrov et al.'s published English counts, formulas on known inputs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Tokenizer } from "../../src/index.js";
import { countText, efficiency, metricsFromCounts, renyiEntropy, unigramBitsPerByte, wordSpans } from "../../src/analyze/metrics.js";
import { digitPartitionStats } from "../../src/analyze/digits.js";
import { compareTokenizers, formatCompareTable } from "../../src/analyze/compare.js";
import { rankFileText } from "../formats/rank-files.js";
import { floresCorpus, petrovText } from "./flores.js";

test("English FLORES token counts equal Petrov et al.'s published table", async () => {
  const text = petrovText("eng_Latn");
  const gpt2 = await Tokenizer.fromFile("../shared/data/tokenizers/gpt-2.json");
  const llama = await Tokenizer.fromFile("../shared/data/tokenizers/llama.json");
  const cl100k = Tokenizer.fromBytes(new TextEncoder().encode(rankFileText("cl100k_base")));
  assert.equal(gpt2.encode(text, { addSpecialTokens: false }).ids.length, 52567);
  assert.equal(llama.encode(text, { addSpecialTokens: false }).ids.length, 60621);
  assert.equal(cl100k.encode(text, { addSpecialTokens: false }).ids.length, 52835);
});

test("Rényi entropy: uniform distributions give log n for every order; efficiency normalises by log |V|", () => {
  for (const alpha of [0.5, 1, 2.5]) assert.ok(Math.abs(renyiEntropy([5, 5, 5, 5], alpha) - Math.log(4)) < 1e-12);
  assert.ok(renyiEntropy([97, 1, 1, 1], 2.5) < renyiEntropy([97, 1, 1, 1], 1));
  assert.ok(Math.abs(efficiency(new Map([[0, 1], [1, 1]]), 4, { alpha: 2.5 }) - 0.5) < 1e-12);
  assert.ok(Math.abs(efficiency(new Map([[0, 1], [1, 1]]), 4, { vocabularyConvention: "observed" }) - 1) < 1e-12);
});

test("unigram bits per byte: add-one smoothing over |V|", () => {
  // fit: token 0 ×3, token 1 ×1; |V| = 4 → p(0) = 4/8, p(2) = 1/8; measure [0, 2] over 2 bytes → (1 + 3) / 2 bits.
  assert.equal(unigramBitsPerByte(new Map([[0, 3], [1, 1]]), [0, 2], 2, 4), 2);
});

test("fertility and continued words follow word boundaries (Intl.Segmenter, also for Thai and Japanese)", async () => {
  const gpt2 = await Tokenizer.fromFile("../shared/data/tokenizers/gpt-2.json");
  const c = countText(gpt2, "Hello unbelievably", "en");
  assert.equal(c.words, 2);
  const enc = gpt2.encode("Hello unbelievably", { addSpecialTokens: false });
  assert.equal(c.tokens, enc.ids.length);
  assert.equal(c.continuedWords, enc.ids.length > 2 ? 1 : 0);
  assert.equal(wordSpans("ภาษาไทยง่ายนิดเดียว", "th").length > 2, true, "Thai words are found without spaces");
  const m = metricsFromCounts(c, gpt2.vocabSize());
  assert.equal(m.fertility, c.tokens / 2);
  assert.equal(m.bytesPerToken, 18 / c.tokens);
});

test("digit partitions: cl100k groups 1-3 digits left to right; Llama 2 splits every digit", async () => {
  const cl100k = Tokenizer.fromBytes(new TextEncoder().encode(rankFileText("cl100k_base")));
  const four = digitPartitionStats(cl100k, 4, 200);
  assert.equal(four.leftToRightShare, 1);
  assert.deepEqual(Object.keys(four.patterns), ["3+1"]);
  const llama = await Tokenizer.fromFile("../shared/data/tokenizers/llama.json");
  assert.equal(digitPartitionStats(llama, 5, 100).singleDigitShare, 1);
});

test("compare: parity premium, normalised sequence length and clear errors", async () => {
  const gpt2 = await Tokenizer.fromFile("../shared/data/tokenizers/gpt-2.json");
  const llama = await Tokenizer.fromFile("../shared/data/tokenizers/llama.json");
  const corpus = floresCorpus(["eng_Latn", "rus_Cyrl", "hin_Deva"], 30);
  const report = compareTokenizers([{ name: "gpt-2", tokenizer: gpt2 }, { name: "llama", tokenizer: llama }], corpus, { audit: false, digits: false });
  assert.equal(report.pivot, "eng_Latn");
  const r = (tok: string, text: string) => report.results.find((x) => x.tokenizer === tok && x.text === text)!;
  assert.equal(r("gpt-2", "eng_Latn").parityPremium, 1);
  assert.equal(r("gpt-2", "hin_Deva").parityPremium, r("gpt-2", "hin_Deva").tokens / r("gpt-2", "eng_Latn").tokens);
  assert.ok(r("gpt-2", "hin_Deva").parityPremium! > 3, "GPT-2 is known to need several times more tokens for Hindi");
  assert.equal(r("llama", "rus_Cyrl").normalisedSequenceLength, r("llama", "rus_Cyrl").tokens / r("gpt-2", "rus_Cyrl").tokens);
  assert.match(formatCompareTable(report), /hin_Deva/);
  assert.throws(() => compareTokenizers([{ name: "gpt-2", tokenizer: gpt2 }], [{ name: "x", text: "" }]), /corpus text "x" is empty/);
  assert.throws(() => compareTokenizers([{ name: "gpt-2", tokenizer: gpt2 }], corpus, { pivot: "fra_Latn" }), /pivot text "fra_Latn" is not in the corpus/);
});

test("word spans do not depend on the chunk size the text is segmented in (FLORES, spaced and unspaced scripts)", () => {
  for (const [lang, locale] of [["eng_Latn", "en"], ["tha_Thai", "th"], ["jpn_Jpan", "ja"], ["khm_Khmr", "km"]] as const) {
    const text = petrovText(lang).slice(0, 60_000);
    assert.deepEqual(wordSpans(text, locale), wordSpans(text, locale, 8192), lang);
  }
});

test("countText reads Llama 2's offsets and ids in one pass: the same counts as ids and offsets of separate encodes", async () => {
  const llama = await Tokenizer.fromFile("../shared/data/tokenizers/llama.json");
  for (const lang of ["eng_Latn", "amh_Ethi", "zho_Hans"]) {
    const text = petrovText(lang).slice(0, 40_000);
    const counts = countText(llama, text, undefined, wordSpans(text));
    // Ids first (the text-only path), then offsets of another encode (the pipeline): what countText must agree with.
    const ids = llama.encode(text, { addSpecialTokens: false }).ids;
    const both = llama.encode(text, { addSpecialTokens: false });
    const spans = Array.from(both.offsetSpans);
    assert.deepEqual(both.ids, ids, `${lang}: ids read after offsets`);
    assert.equal(counts.tokens, ids.length);
    const tally = new Map<number, number>();
    for (const id of ids) tally.set(id, (tally.get(id) ?? 0) + 1);
    assert.deepEqual([...counts.tokenCounts].sort((a, b) => a[0] - b[0]), [...tally].sort((a, b) => a[0] - b[0]));
    let continued = 0;
    for (const [ws, we] of wordSpans(text)) {
      let covering = 0;
      for (let k = 0; k < ids.length; k++) if (spans[2 * k]! < we && spans[2 * k + 1]! > ws) covering++;
      if (covering >= 2) continued++;
    }
    assert.equal(counts.continuedWords, continued, lang);
    assert.deepEqual(both.sequenceRanges, new Map([[0, [0, ids.length]]]));
  }
});
