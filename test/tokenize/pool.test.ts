import { test } from "node:test";
import assert from "node:assert/strict";
import { Tokenizer } from "../../src/index.js";
import { TokenizerPool } from "../../src/node/tokenizer-pool.js";
import { floresSlice } from "../support/corpora.js";

// One file of each format: tokenizer.json, a tiktoken rank file and a SentencePiece .model.
for (const path of ["../shared/data/tokenizers/llama.json", "../shared/data/tokenizers/llama3.tiktoken", "../shared/data/tokenizers/sentencepiece/de-unigram.model"]) {
  test(`TokenizerPool encodes a batch on worker threads exactly as encodeIds does, in order (${path.split("/").pop()})`, async () => {
    const tokenizer = await Tokenizer.fromFile(path);
    const texts = floresSlice(10);
    const pool = new TokenizerPool(tokenizer, { workers: 2 });
    try {
      const ids = await pool.encodeIdsBatch(texts);
      assert.equal(ids.length, texts.length);
      texts.forEach((t, i) => assert.deepEqual(ids[i], tokenizer.encodeIds(t), `${path}: ${t.slice(0, 40)}`));
      assert.deepEqual(await pool.encodeIdsBatch([]), []);
    } finally {
      await pool.close();
    }
  });
}
