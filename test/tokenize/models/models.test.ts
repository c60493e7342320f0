// The models alone (no normalizer or pre-tokenizer) against the HF binding, on real vocabularies and their options.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import tk from "tokenizers";
import { Tokenizer } from "../../../src/index.js";
import { BpeModel, modelFromJSON } from "../../../src/tokenize/models/index.js";
import type { JsonObject } from "../../../src/tokenize/types.js";
import { floresSlice } from "../../support/corpora.js";
import { byteLevelAlphabet } from "../../../src/tokenize/byte-vocabulary.js";

const llama = JSON.parse(readFileSync("../shared/data/tokenizers/llama.json", "utf8")) as JsonObject;
const gpt2 = JSON.parse(readFileSync("../shared/data/tokenizers/gpt-2.json", "utf8")) as JsonObject;
const words = [...new Set(floresSlice(3).flatMap((l) => l.split(" ")))].slice(0, 600);

/** A tokenizer.json with only this model behind a whitespace split. */
function modelOnly(model: JsonObject): string {
  return JSON.stringify({ version: "1.0", added_tokens: [], normalizer: null, pre_tokenizer: { type: "WhitespaceSplit" }, post_processor: null, decoder: null, model });
}

async function sameAsOracle(model: JsonObject, texts: string[]): Promise<void> {
  const json = modelOnly(model);
  const ours = Tokenizer.fromJSON(json);
  const oracle = tk.Tokenizer.fromString(json);
  for (const t of texts) {
    const r = await oracle.encode(t, null, { addSpecialTokens: false });
    const e = ours.encode(t, { addSpecialTokens: false });
    assert.deepEqual([e.ids, e.tokens, e.codePointOffsets], [r.getIds(), r.getTokens(), r.getOffsets()], JSON.stringify(t));
  }
}

test("BPE options match HF: no byte fallback (unk), fuse_unk on and off, no unk at all", async () => {
  const base = llama.model as JsonObject;
  const texts = [...words, "日本語😀x", "ÿ€𝄞", "a\u0378b"];
  await sameAsOracle({ ...base, byte_fallback: false }, texts);
  await sameAsOracle({ ...base, byte_fallback: false, fuse_unk: false }, texts);
  // Without an unknown token HF drops the character (and its offsets shift; only BMP characters are compared here).
  await sameAsOracle({ ...base, byte_fallback: false, unk_token: null }, [...words, "日本語\u0378x", "ÿ€"]);
  await sameAsOracle(base, texts);
});

// Byte fallback where some bytes have no token: a character with such a byte becomes the unknown token, the others
// around it their bytes or their own ids (👩 ends in 0xA9, 👨 in 0xA8; 日 and 本 are tokens), in short words and in
// pieces long enough for the long-run merge.
test("BPE byte fallback with some byte tokens missing matches HF (unknown runs among bytes, fused and not)", async () => {
  const base = llama.model as JsonObject;
  const vocab = { ...(base.vocab as Record<string, number>) };
  for (const b of ["<0xA9>", "<0xE6>"]) delete vocab[b];
  const family = "\u{1F468}\u200D\u{1F469}\u200D\u{1F467}";
  const texts = [`x${family}y`, `${family}日本\u6f6d\u6f6d語`, "a😀😀\u{1F469}b", `ÿ€𝄞\u0378${family}`, family.repeat(300), `${"日\u6f6d😀".repeat(200)}x`, ...words.slice(0, 100)];
  await sameAsOracle({ ...base, vocab }, texts);
  await sameAsOracle({ ...base, vocab, fuse_unk: false }, texts);
});

test("BPE continuing_subword_prefix and end_of_word_suffix match HF", async () => {
  // A vocabulary where continuation pieces carry "##" and word ends "</w>" (as BERT-style and original BPE spell them).
  const vocab: Record<string, number> = {};
  const merges: [string, string][] = [];
  const add = (t: string) => (vocab[t] ??= Object.keys(vocab).length);
  for (const c of "abcdehlortw") {
    add(c);
    add("##" + c);
    add(c + "</w>");
    add("##" + c + "</w>");
  }
  for (const [a, b] of [["h", "##e"], ["he", "##l"], ["##l", "##o</w>"], ["w", "##o"], ["wo", "##r"]] as [string, string][]) {
    add(a + b.slice(2)); // HF names a merge left + right without the prefix
    merges.push([a, b]);
  }
  add("[UNK]");
  const model = { type: "BPE", dropout: null, unk_token: "[UNK]", continuing_subword_prefix: "##", end_of_word_suffix: "</w>", fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges };
  await sameAsOracle(model, ["hello world", "hel", "word", "xyz hello", "a", "helo"]);
});

test("ignore_merges emits an in-vocabulary piece whole (Llama 3), otherwise merges as usual", async () => {
  const base = gpt2.model as JsonObject;
  // Spell the words in GPT-2's byte alphabet, as its ByteLevel pre-tokenizer hands them to the model.
  const alphabet = byteLevelAlphabet();
  const spelled = words.map((w) => Array.from(new TextEncoder().encode(" " + w), (b) => alphabet[b]).join(""));
  await sameAsOracle({ ...base, ignore_merges: true }, spelled);
  await sameAsOracle({ ...base, ignore_merges: false }, spelled);
});

test("merges in both JSON shapes load and serialise back in the shape they came in", () => {
  const fromFile = modelFromJSON(gpt2.model as JsonObject, "model") as BpeModel;
  const pairs = modelFromJSON({ ...(gpt2.model as JsonObject), merges: fromFile.getMerges() }, "model") as BpeModel;
  const strings = modelFromJSON({ ...(gpt2.model as JsonObject), merges: fromFile.getMerges().map(([a, b]) => `${a} ${b}`) }, "model") as BpeModel;
  assert.deepEqual(strings.tokenize("Ġhello"), pairs.tokenize("Ġhello"));
  assert.equal(typeof (strings.toJSON().merges as unknown[])[0], "string");
  assert.ok(Array.isArray((pairs.toJSON().merges as unknown[])[0]));
  assert.throws(() => modelFromJSON({ ...(gpt2.model as JsonObject), merges: ["Ġ q", "qqqqzz Ġ"] }, "x.json: model"), /x\.json: model\.merges\[1\]: .*"qqqqzz" is not in the vocabulary/);
  assert.throws(() => modelFromJSON({ type: "Bogus" }, "x.json: model"), /x\.json: model\.type: unknown model type "Bogus"/);
  // The merges are held as ids and spelled back for toJSON: exactly the file's, in its order.
  assert.deepEqual(fromFile.toJSON().merges, (gpt2.model as JsonObject).merges);
});

test("a vocabulary where two tokens share an id keeps the merges as written (ids could not spell them back)", () => {
  const model = { type: "BPE", vocab: { a: 0, b: 1, ab: 2, "a-alias": 0 }, merges: ["a b"] };
  const bpe = modelFromJSON(model, "model") as BpeModel;
  assert.deepEqual(bpe.toJSON().merges, ["a b"]);
  assert.deepEqual(bpe.getMerges(), [["a", "b"]]);
  assert.deepEqual(bpe.tokenize("ab").map((t) => t.id), [2]);
});

test("BPE dropout: deterministic for a seed, 0 equals no dropout, 1 keeps single characters", () => {
  const json = gpt2.model as JsonObject;
  const v = (json.vocab as Record<string, number>);
  const vocab = new Map(Object.entries(v));
  const merges = (modelFromJSON(json, "m") as BpeModel).getMerges();
  const { Vocabulary } = { Vocabulary: (modelFromJSON(json, "m") as BpeModel).vocab.constructor as new (e: Iterable<[string, number]>) => BpeModel["vocab"] };
  const make = (dropout: number, seed: number) => new BpeModel(new Vocabulary(vocab), merges, { dropout, seed });
  const text = "Ġinternationalization";
  const a = make(0.3, 7).tokenize(text).map((t) => t.value);
  assert.deepEqual(make(0.3, 7).tokenize(text).map((t) => t.value), a);
  assert.deepEqual(make(0, 1).tokenize(text).map((t) => t.id), (modelFromJSON(json, "m") as BpeModel).tokenize(text).map((t) => t.id));
  assert.deepEqual(make(1, 1).tokenize(text).map((t) => t.value), Array.from(text));
  const seen = new Set<string>();
  // HF retries a dropped merge after the next one succeeds, so variation needs a high rate.
  for (let s = 0; s < 20; s++) seen.add(make(0.7, s).tokenize(text).map((t) => t.value).join("|"));
  assert.ok(seen.size > 3, "different seeds give different segmentations");
});

test("BPE dropout through the tokenizer: each call draws anew (no piece cache), and encode()'s tokens and offsets spell its own ids", () => {
  for (const file of [llama, gpt2]) {
    const t = Tokenizer.fromJSON({ ...file, model: { ...(file.model as JsonObject), dropout: 0.5 } } as never);
    const text = "Internationalization of unbelievable tokenization, again and again";
    const seen = new Set<string>();
    for (let i = 0; i < 10; i++) seen.add(t.encodeIds(text, { addSpecialTokens: false }).join(","));
    assert.ok(seen.size > 1, "encodeIds repeats one draw");
    for (let i = 0; i < 5; i++) {
      const e = t.encode(text, { addSpecialTokens: false });
      assert.deepEqual(e.tokens.map((tok) => t.tokenToId(tok)), e.ids);
      // ASCII text: the tokens' spans tile it, each as long as its token.
      assert.equal(e.offsets.map(([a, b]) => text.slice(a, b)).join(""), text);
      e.offsets.forEach(([a, b], k) => assert.equal(b - a, e.tokens[k]!.length - (k === 0 && file === llama ? 1 : 0)));
    }
  }
});

test("a 200,000-character piece without spaces tokenizes in linear-ish time", () => {
  const model = modelFromJSON(llama.model as JsonObject, "m");
  const piece = (s: number, unit: string) => "▁" + unit.repeat(s / 10);
  // Warm-up on other letters: the model keeps the last long piece's merges, so a repeat would measure nothing.
  const time = (n: number, unit = "abcdefghij") => {
    const t0 = performance.now();
    const ids: number[] = [];
    model.tokenizeIds!(piece(n, unit), ids);
    return performance.now() - t0;
  };
  time(20_000, "klmnopqrst");
  const small = time(20_000);
  const big = time(200_000);
  assert.ok(big < small * 40, `10× longer took ${(big / small).toFixed(1)}× as long`);
});

test("Unigram (converted SentencePiece vocabulary), WordPiece and WordLevel match HF", async () => {
  const { Tokenizer: T } = await import("../../../src/index.js");
  const spm = await T.fromFile("../shared/data/tokenizers/sentencepiece/en-unigram.model");
  const unigram = spm.toJSON().model as JsonObject;
  await sameAsOracle(unigram, words.map((w) => "▁" + w).concat(["▁日本語", "▁x\u0378y"]));
  await sameAsOracle({ ...unigram, byte_fallback: true, vocab: [...(unigram.vocab as [string, number][]), ...Array.from({ length: 256 }, (_, b) => [`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`, -20] as [string, number])] }, ["▁日本語", "▁abc"]);
  const vocab: Record<string, number> = { "[UNK]": 0, un: 1, "##believ": 2, "##able": 3, "##ly": 4, a: 5 };
  await sameAsOracle({ type: "WordPiece", unk_token: "[UNK]", continuing_subword_prefix: "##", max_input_chars_per_word: 12, vocab }, ["unbelievably", "unbelievable", "unbelievablyyyyyyy", "a", "xyz"]);
  await sameAsOracle({ type: "WordLevel", vocab, unk_token: "[UNK]" }, ["un a", "zzz"]);
});

test("Unigram: unknown runs take HF's spans and text where pieces start with characters the model has no piece for alone", async () => {
  // X and Y have no single-character piece (an unknown there), but pieces start with them ("Xa", "XY", "YX"): the
  // spelling that places an unknown run must find where the next token starts inside such a run, or ask the model.
  const vocab: [string, number][] = [["<unk>", 0], ["a", -2], ["b", -2], ["Xa", -1], ["XY", -3], ["YX", -3], ["ab", -2.5], ["aX", -4]];
  const model: JsonObject = { type: "Unigram", unk_id: 0, vocab };
  const texts: string[] = [];
  const alphabet = ["X", "Y", "Z", "a", "b", "é"];
  let seed = 28;
  for (let n = 0; n < 400; n++) {
    let t = "";
    for (let k = 0; k < 1 + (n % 9); k++) t += alphabet[(seed = (seed * 1103515245 + 12345) >>> 0) % alphabet.length];
    texts.push(t);
  }
  texts.push("XXXa", "XaXa", "YXYXa", "ZZXYb", "aXXa", "XYXYX");
  await sameAsOracle(model, texts);
});

test("a vocabulary token named __proto__ survives toJSON (HF reads it as a token like any other)", async () => {
  const json = JSON.parse('{"version":"1.0","model":{"type":"WordLevel","vocab":{"[UNK]":0,"__proto__":1,"a":2},"unk_token":"[UNK]"},"pre_tokenizer":{"type":"WhitespaceSplit"}}');
  const ours = Tokenizer.fromJSON(json);
  assert.deepEqual(ours.encode("__proto__ a").ids, [1, 2]);
  const vocab = (modelFromJSON(json.model, "model").toJSON() as { vocab: Record<string, number> }).vocab;
  assert.ok(Object.hasOwn(vocab, "__proto__"));
  assert.equal(JSON.stringify(vocab), '{"[UNK]":0,"__proto__":1,"a":2}');
  const again = Tokenizer.fromJSON(JSON.stringify({ ...json, model: { ...json.model, vocab } }));
  assert.deepEqual(again.encode("__proto__ a").ids, [1, 2]);
  const hf = tk.Tokenizer.fromString(JSON.stringify(json));
  assert.deepEqual(Array.from((await hf.encode("__proto__ a")).getIds()), [1, 2]);
});
