// Vocabulary audit and canonical overlap on real tokenizers.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Tokenizer } from "../../src/index.js";
import { auditVocabulary, vocabularyOverlap } from "../../src/analyze/audit.js";
import { bertUncasedJson } from "../support/corpora.js";
import { readFileSync } from "node:fs";
import { canonicality } from "../../src/decode/index.js";
import { compareTokenizers, formatCompareTable } from "../../src/analyze/compare.js";

test("GPT-2's audit: every token decodable to full UTF-8 is reachable; partial-UTF-8 byte tokens are undecodable", async () => {
  const gpt2 = await Tokenizer.fromFile("../shared/data/tokenizers/gpt-2.json");
  const a = auditVocabulary(gpt2);
  assert.equal(a.counts.special, 1);
  assert.equal(a.classes[50256], "special");
  assert.equal(a.classes[gpt2.tokenToId("Ġthe")!], "reachable");
  assert.equal(a.classes[gpt2.tokenToId("Ã")!], "undecodable", "a lone UTF-8 lead byte");
  assert.equal(a.counts.reachable + a.counts.undecodable + a.counts.special + a.counts["unreachable-single"] + a.counts["unreachable-multi"], 50257);
  assert.ok(a.counts.undecodable > 200 && a.counts.undecodable < 500, `undecodable ${a.counts.undecodable}`);
});

test("Llama 2's audit finds unreachable tokens (pieces that merges never build)", async () => {
  const llama = await Tokenizer.fromFile("../shared/data/tokenizers/llama.json");
  const a = auditVocabulary(llama);
  assert.equal(a.counts.special, 3);
  assert.equal(a.counts.undecodable, 128, "the <0x80>…<0xFF> byte pieces");
  assert.ok(a.counts["unreachable-single"] + a.counts["unreachable-multi"] > 0);
  for (const t of a.examples["unreachable-single"]) {
    const id = llama.tokenToId(t)!;
    assert.notDeepEqual(llama.encode(t.replace(/▁/g, " ").replace(/^ /, ""), { addSpecialTokens: false }).ids, [id]);
  }
  // The tokens no text produces at all (compare's `unreachable`): the audit's unreachable ones, and byte pieces of
  // bytes the byte fallback never needs (C0, C1, F5–FF are in no UTF-8 text) — which the audit files as undecodable.
  const none = canonicality(llama).unreachable();
  a.classes.forEach((cls, id) => {
    if (cls === "unreachable-single" || cls === "unreachable-multi") assert.ok(none.has(id), `${llama.idToToken(id)}: the audit finds it unreachable`);
  });
  for (const id of none) if (!a.classes[id]!.startsWith("unreachable")) assert.equal(a.classes[id], "undecodable", llama.idToToken(id));
  for (const b of ["C0", "C1", "F5", "FF"]) assert.ok(none.has(llama.tokenToId(`<0x${b}>`)!), b);
});

test("compare's audit reports the tokens no text produces (retoken/decode canonicality)", () => {
  const tok = Tokenizer.fromJSON(readFileSync("test/fixtures/decode/bpe.json", "utf8"));
  const report = compareTokenizers([{ name: "bpe", tokenizer: tok }], [{ name: "x", text: "the cat sat\non the mat" }], { digits: false });
  const want = canonicality(tok).unreachable().size;
  assert.equal(report.summaries[0]!.unreachable, want);
  assert.match(formatCompareTable(report), new RegExp(`produced by no text ${want}`));
});

test("canonical overlap matches Ġx, ▁x and WordPiece word-initial x as the same bytes", async () => {
  const gpt2 = await Tokenizer.fromFile("../shared/data/tokenizers/gpt-2.json");
  const llama = await Tokenizer.fromFile("../shared/data/tokenizers/llama.json");
  const bert = Tokenizer.fromJSON(JSON.stringify(bertUncasedJson()));
  const o = vocabularyOverlap(gpt2, llama);
  const pair = o.pairs.find((p) => p[0] === "Ġthe");
  assert.deepEqual(pair && [pair[0], pair[2]], ["Ġthe", "▁the"]);
  assert.ok(o.shared > 5000 && o.jaccard > 0 && o.jaccard < 1);
  const ob = vocabularyOverlap(bert, gpt2);
  const the = ob.pairs.find((p) => p[0] === "the");
  assert.equal(the?.[2], "Ġthe");
  const ing = ob.pairs.find((p) => p[0] === "##ing");
  assert.equal(ing?.[2], "ing");
});
