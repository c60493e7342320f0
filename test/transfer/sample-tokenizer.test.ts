// ZeTT-style tokenizer sampling: a noisy UnigramLM tokenizer over the source's byte alphabet and pre-tokenizer.
import { test } from "node:test";
import assert from "node:assert/strict";
import tk from "tokenizers";
import { Tokenizer, PreTokenizedString } from "../../src/index.js";
import { parseSampleModel, sampleBpeTokenizer, sampleUnigramTokenizer, substringCounts } from "../../src/transfer/hypernet/sample-tokenizer.js";
import { byteLevelAlphabet } from "../../src/tokenize/byte-vocabulary.js";
import type { JsonObject } from "../../src/tokenize/types.js";
import { floresLines } from "../support/corpora.js";

function preTokens(tokenizer: Tokenizer, lines: string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of lines) {
    const p = new PreTokenizedString(line);
    tokenizer.preTokenizer?.preTokenize(p);
    for (const s of p.splits) out.set(s.normalized.normalized, (out.get(s.normalized.normalized) ?? 0) + 1);
  }
  return out;
}

test("substring counts weight every substring by its word's count", () => {
  const c = substringCounts(new Map([["abab", 2]]), 3);
  assert.equal(c.get("ab"), 4);
  assert.equal(c.get("aba"), 2);
  assert.equal(c.get("abab"), undefined, "longer than maxLen");
});

test("a sampled tokenizer covers every byte, differs per seed, and encodes like the HF binding", async () => {
  const gpt2 = await Tokenizer.fromFile("../shared/data/tokenizers/gpt-2.json");
  const json = gpt2.toJSON();
  const words = preTokens(gpt2, [...floresLines("eng_Latn").slice(0, 300), ...floresLines("deu_Latn").slice(0, 300)]);
  const template = { pre_tokenizer: json.pre_tokenizer as JsonObject, decoder: json.decoder as JsonObject };
  const a = sampleUnigramTokenizer(words, byteLevelAlphabet(), template, { vocabSize: 2000, seed: 1 });
  const b = sampleUnigramTokenizer(words, byteLevelAlphabet(), template, { vocabSize: 2000, seed: 2 });
  const va = (a.model as JsonObject).vocab as [string, number][];
  assert.equal(va.length, 2000);
  assert.notDeepEqual(va.map((p) => p[0]), ((b.model as JsonObject).vocab as [string, number][]).map((p) => p[0]));
  const ours = Tokenizer.fromJSON(a);
  const oracle = tk.Tokenizer.fromString(JSON.stringify(a));
  for (const text of [...floresLines("fra_Latn").slice(0, 20), "日本語 🙂 \u0000"]) {
    const ids = ours.encode(text).ids;
    assert.deepEqual(ids, (await oracle.encode(text, null, { addSpecialTokens: true })).getIds());
    assert.equal(ours.decode(ids), text, "every byte is in the alphabet, so any text round-trips");
  }
});

test("sampled from a SentencePiece-style source (the companion model's Unigram): characters seen + byte fallback, as the HF binding encodes it", async () => {
  const companion = await Tokenizer.fromFile("assets/companion-model/tokenizer.json");
  const json = companion.toJSON();
  const words = preTokens(companion, floresLines("eng_Latn").slice(0, 200));
  const alphabet = [...new Set([...words.keys()].flatMap((w) => [...w]))].sort();
  const template = { pre_tokenizer: json.pre_tokenizer as JsonObject, decoder: json.decoder as JsonObject, added_tokens: json.added_tokens as JsonObject[] };
  const sampled = sampleUnigramTokenizer(words, alphabet, template, { vocabSize: 1500, seed: 3, byteFallback: { unkToken: "<unk>" } });
  const ours = Tokenizer.fromJSON(sampled);
  const oracle = tk.Tokenizer.fromString(JSON.stringify(sampled));
  // Cyrillic, CJK, an emoji and NBSP never occur in the English lines it was sampled from: they are spelled in bytes.
  for (const text of [...floresLines("eng_Latn").slice(300, 310), "Привет, 日本語 🙂 a\u00a0b"]) {
    const ids = ours.encode(text, { addSpecialTokens: false }).ids;
    assert.deepEqual(ids, (await oracle.encode(text, null, { addSpecialTokens: false })).getIds(), text);
    assert.equal(ours.decode(ids), text);
  }
  const unk = ours.tokenToId("<unk>")!;
  assert.ok(!ours.encode("Привет 🙂", { addSpecialTokens: false }).ids.includes(unk), "no character ends as the unknown piece");
});

test("a BPE-sampled tokenizer: byte-level, the template's specials first, its vocabulary from the window's text, encoded like the HF binding", async () => {
  const template = { added_tokens: [{ content: "<|begin_of_text|>" }, { content: "<|end_of_text|>" }] as JsonObject[] };
  const german = floresLines("deu_Latn").slice(0, 400);
  const json = sampleBpeTokenizer(german, template, 3000);
  const ours = Tokenizer.fromJSON(json);
  assert.equal(ours.vocabSize(true), 3000);
  assert.equal(ours.tokenToId("<|begin_of_text|>"), 0);
  assert.equal(ours.tokenToId("<|end_of_text|>"), 1);
  assert.ok(ours.spelling().byteLevel, "byte-level spelling");
  // Drawn from German text: German words are single tokens, and other text draws other merges.
  assert.equal(ours.encodeIds(" und", { addSpecialTokens: false }).length, 1);
  const french = Tokenizer.fromJSON(sampleBpeTokenizer(floresLines("fra_Latn").slice(0, 400), template, 3000));
  const germanText = floresLines("deu_Latn").slice(450, 500).join("\n");
  assert.ok(french.encodeIds(germanText).length > 1.2 * ours.encodeIds(germanText).length, "a French-drawn vocabulary cuts German text into more tokens");
  const oracle = tk.Tokenizer.fromString(JSON.stringify(json));
  for (const text of [...floresLines("deu_Latn").slice(500, 520), "日本語 🙂 \u0000"]) {
    const ids = ours.encode(text).ids;
    assert.deepEqual(ids, (await oracle.encode(text, null, { addSpecialTokens: true })).getIds());
    assert.equal(ours.decode(ids), text, "byte-level: any text round-trips");
  }
  assert.throws(() => parseSampleModel("wordpiece", "--sample-model"), /--sample-model "wordpiece": expected one of unigram, bpe/);
});
