// replaceAllLiteral: every occurrence, the replacement taken literally (a `$` pattern in it is text, not a pattern).
import { test } from "node:test";
import assert from "node:assert/strict";
import { replaceAllLiteral } from "../../src/util/replace-literal.js";
import tk from "tokenizers";
import { Tokenizer } from "../../src/index.js";

test("replaceAllLiteral replaces every occurrence and reads $ patterns as text", () => {
  assert.equal(replaceAllLiteral("a b  c", " ", "\u2581"), "a\u2581b\u2581\u2581c");
  assert.equal(replaceAllLiteral("a b", " ", "$&$1$$"), "a$&$1$$b");
  assert.equal(replaceAllLiteral("", " ", "x"), "");
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
