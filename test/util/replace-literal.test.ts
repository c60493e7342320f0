// replaceAllLiteral: every occurrence, the replacement taken literally (a `$` pattern in it is text, not a pattern).
import { test } from "node:test";
import assert from "node:assert/strict";
import { LiteralReplacer, replaceAllLiteral, replaceUnit } from "../../src/util/replace-literal.js";
import tk from "tokenizers";
import { Tokenizer } from "../../src/index.js";

test("replaceAllLiteral replaces every occurrence and reads $ patterns as text", () => {
  assert.equal(replaceAllLiteral("a b  c", " ", "\u2581"), "a\u2581b\u2581\u2581c");
  assert.equal(replaceAllLiteral("a b", " ", "$&$1$$"), "a$&$1$$b");
  assert.equal(replaceAllLiteral("", " ", "x"), "");
});

test("replaceUnit gives replaceAll's answer: no match, surrogate pairs, lone surrogates, texts past its buffer", () => {
  const texts = [
    "", "abc", " ", "a b  c ", "\u{1F600} x \u{1F600}", "a \ud800 b", "\udc00 ", " \ud83d", "\u00e9t\u00e9 \u4e2d\u6587 ", "x ".repeat(5000), ("\u{1F600} " + "\ud800").repeat(700),
  ];
  for (const text of texts) {
    assert.equal(replaceUnit(text, " ", "\u2581"), text.replaceAll(" ", "\u2581"), JSON.stringify(text.slice(0, 20)));
    assert.equal(replaceUnit(text, "\u2581", " "), text.replaceAll("\u2581", " "));
  }
  // The unchanged text itself comes back when nothing matches.
  const plain = "no spaces here".replaceAll(" ", "");
  assert.equal(replaceUnit(plain, " ", "\u2581"), plain);
});

test("a Replace normalizer whose content holds $& writes it literally, with offsets, as HF does", async () => {
  const json = {
    version: "1.0", added_tokens: [], normalizer: { type: "Replace", pattern: { String: " " }, content: "$&" }, pre_tokenizer: null, post_processor: null, decoder: null,
    model: { type: "WordLevel", vocab: { "a$&b": 0, "[UNK]": 1 }, unk_token: "[UNK]" },
  };
  const t = Tokenizer.fromJSON(json);
  const e = t.encode("a b");
  const hf = await tk.Tokenizer.fromString(JSON.stringify(json)).encode("a b");
  assert.deepEqual(hf.getIds(), [0]);
  assert.deepEqual(hf.getOffsets(), [[0, 3]]);
  assert.deepEqual(e.ids, [0]);
  assert.deepEqual(e.tokens, ["a$&b"]);
  assert.deepEqual(e.offsets, [[0, 3]]);
  assert.deepEqual(t.encodeIds("a b"), [0]);
});

test("LiteralReplacer gives replaceAllLiteral's answer whatever came before, long texts included", () => {
  const r = new LiteralReplacer(" ", "\u2581");
  const long = "a b ".repeat(40_000); // past what it keeps
  for (const text of ["a b", "a b", "", "x  y", long, long, "a b", "", "a b"]) assert.equal(r.apply(text), replaceAllLiteral(text, " ", "\u2581"));
  const dollar = new LiteralReplacer(" ", "$");
  assert.equal(dollar.apply("a b"), "a$b");
  assert.equal(dollar.apply("a b"), "a$b");
});

test("Llama 2's encode() after encodeIds on the same text: ids, tokens and offsets as HF's", async () => {
  const file = "../shared/data/tokenizers/llama.json";
  const t = await Tokenizer.fromFile(file);
  const hf = tk.Tokenizer.fromFile(file);
  for (const text of ["Hello  world, again", " leading and trailing ", "Hello  world, again", "\u00e9t\u00e9 \u2581 $& x"]) {
    t.encodeIds(text);
    const e = t.encode(text);
    const ref = await hf.encode(text);
    assert.deepEqual(e.ids, ref.getIds(), text);
    assert.deepEqual(e.tokens, ref.getTokens(), text);
    assert.deepEqual(e.offsets, ref.getOffsets(), text);
  }
});
