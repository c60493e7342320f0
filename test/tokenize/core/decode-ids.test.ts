// decode() of ids that name no token: an error naming the id, its position and the file (HF skips them silently),
// the same from the library, the stream decoder and the CLI (one function: Tokenizer.unknownIdError).

import assert from "node:assert/strict";
import { test } from "node:test";
import tk from "tokenizers";
import { Tokenizer, TokenizerError } from "../../../src/index.js";

const GPT2 = "../shared/data/tokenizers/gpt-2.json";
const LLAMA = "../shared/data/tokenizers/llama.json";

test("decode throws on an id outside the vocabulary, naming the id, its position and the file", async () => {
  for (const path of [GPT2, LLAMA]) {
    const t = await Tokenizer.fromFile(path);
    const ref = await tk.Tokenizer.fromFile(path);
    const ids = t.encode("Hello world, wie geht's? 😀").ids;
    // In-range ids decode as HF decodes them.
    assert.equal(t.decode(ids), await ref.decode(ids, false));
    const size = t.vocabSize();
    for (const bad of [size, size + 7, 1e9, -1, 1.5, Number.NaN]) {
      for (const at of [0, 3, ids.length]) {
        const withBad = [...ids.slice(0, at), bad, ...ids.slice(at)];
        for (const skipSpecialTokens of [false, true]) {
          assert.throws(
            () => t.decode(withBad, { skipSpecialTokens }),
            (e: unknown) =>
              e instanceof TokenizerError &&
              e.message.includes(`id ${bad} at position ${at} `) &&
              e.message.includes(path) &&
              e.message.includes(`${size} tokens`),
            `${path} id ${bad} at ${at}`,
          );
        }
        assert.throws(() => t.decodeBatch([ids, withBad]), /at position/);
      }
    }
    // The highest id decodes; one past it does not.
    const top = Math.max(...t.getVocab().values());
    assert.equal(typeof t.decode([top]), "string");
    assert.throws(() => t.decode([top + 1]), new RegExp(`id ${top + 1} at position 0 .*highest id ${top}\\)`));
  }
});

test("the stream decoder rejects an unknown id at push, naming its position in the stream, and goes on", async () => {
  const t = await Tokenizer.fromFile(LLAMA);
  const ids = t.encode("Grüße, 世界!").ids;
  const s = t.createStreamDecoder();
  let out = "";
  for (const id of ids.slice(0, 4)) out += s.push(id);
  assert.throws(() => s.push(99_999_999), (e: unknown) => e instanceof TokenizerError && /id 99999999 at position 4 /.test(e.message));
  for (const id of ids.slice(4)) out += s.push(id);
  out += s.flush();
  assert.equal(out, t.decode(ids), "the rejected id left the stream as it was");
});
