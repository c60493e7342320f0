import { test } from "node:test";
import assert from "node:assert/strict";
import { Tokenizer } from "../../src/index.js";
import { TokenizerPool } from "../../src/node/tokenizer-pool.js";
import { floresSlice } from "../support/corpora.js";

test("TokenizerPool encodes a batch on worker threads exactly as encodeIds does, in order", async () => {
  const tokenizer = await Tokenizer.fromFile("../shared/data/tokenizers/llama.json");
  const texts = floresSlice(10);
  const pool = new TokenizerPool(tokenizer, { workers: 2 });
  try {
    const ids = await pool.encodeIdsBatch(texts);
    assert.equal(ids.length, texts.length);
    texts.forEach((t, i) => assert.deepEqual(ids[i], tokenizer.encodeIds(t)));
    assert.deepEqual(await pool.encodeIdsBatch([]), []);
  } finally {
    await pool.close();
  }
});
