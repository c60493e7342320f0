import { test } from "node:test";
import assert from "node:assert/strict";
import { Tokenizer, type Encoding } from "../../src/index.js";
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

test("TokenizerPool.encodeBatch gives tokenizer.encodeBatch's encodings (pairs, padding, per-call options) on worker threads", async () => {
  const tokenizer = await Tokenizer.fromFile("../shared/data/tokenizers/llama.json");
  const texts = floresSlice(3);
  const inputs: (string | [string, string])[] = texts.map((t, i) => (i % 3 === 0 ? [t, texts[(i + 1) % texts.length]!] : t));
  const pool = new TokenizerPool(tokenizer, { workers: 2 });
  try {
    for (const options of [{}, { padding: { padToMultipleOf: 8 }, truncation: { maxLength: 40, stride: 4 } }, { addSpecialTokens: false, allowedSpecial: [] as string[] }]) {
      const got = await pool.encodeBatch(inputs, options);
      const want = tokenizer.encodeBatch(inputs, options);
      assert.equal(got.length, want.length);
      got.forEach((e, i) => {
        for (const k of ["ids", "tokens", "offsets", "wordIds", "attentionMask", "specialTokensMask", "sequenceIds", "typeIds"] as const) assert.deepEqual(e[k], want[i]![k], `${k} of ${i}`);
        assert.deepEqual(e.overflowing.map((o) => o.ids), want[i]!.overflowing.map((o) => o.ids));
        assert.deepEqual(e.overflowing.map((o) => [o.tokens, o.offsets, o.sequenceIds]), want[i]!.overflowing.map((o) => [o.tokens, o.offsets, o.sequenceIds]));
        assert.deepEqual(e.codePointOffsets, want[i]!.codePointOffsets);
      });
    }
    // The caller's tokenizer changed after the pool was made (another model: other spellings of the same ids): the pool still spells tokens as its workers encode.
    const before = tokenizer.encodeBatch(texts.slice(0, 20));
    tokenizer.model = (await Tokenizer.fromFile("../shared/data/tokenizers/gpt-2.json")).model;
    const after = await pool.encodeBatch(texts.slice(0, 20));
    after.forEach((e, i) => assert.deepEqual([e.ids, e.tokens], [before[i]!.ids, before[i]!.tokens], `after a model swap: ${i}`));
    // A failing input rejects its call and leaves the workers running.
    await assert.rejects(() => pool.encodeBatch(["x <s> y"], { allowedSpecial: [], disallowedSpecial: "all" }), /special token "<s>" at position 2, which is disallowed/);
    assert.deepEqual(await pool.encodeIdsBatch(["x the"]), [(await Tokenizer.fromFile("../shared/data/tokenizers/llama.json")).encodeIds("x the")]);
  } finally {
    await pool.close();
  }
});

test("TokenizerPool.encodeBatch keeps fields in the workers until read: read late, after the worker dropped them, or after close, they equal tokenizer.encodeBatch's", async () => {
  const tokenizer = await Tokenizer.fromFile("../shared/data/tokenizers/llama.json");
  const texts = floresSlice(4);
  const want = tokenizer.encodeBatch(texts);
  const fields = (e: Encoding) => [e.ids, e.tokens, e.offsets, e.wordIds, e.specialTokensMask, e.attentionMask, e.sequenceIds, e.typeIds, e.inputs];
  const tokens = want.reduce((k, e) => k + e.ids.length, 0);
  // Room for about one call's chunks per worker: the second call drops the first call's.
  const pool = new TokenizerPool(tokenizer, { workers: 2, keptTokens: Math.ceil(tokens / 2) + 50 });
  try {
    const first = await pool.encodeBatch(texts);
    const second = await pool.encodeBatch(texts);
    first.forEach((e, i) => assert.deepEqual(e.ids, want[i]!.ids, `ids of ${i}`));
    // Read from the end: the last chunk's worker answers first; the first chunk's was asked at the same time.
    for (let i = second.length - 1; i >= 0; i--) assert.deepEqual(fields(second[i]!), fields(want[i]!), `kept fields of ${i}`);
    assert.equal(pool.chunksDerivedHere, 0, "the second call's fields came from the workers");
    // The first call's chunks were dropped by the workers: derived here, the same.
    first.forEach((e, i) => assert.deepEqual(fields(e), fields(want[i]!), `dropped fields of ${i}`));
    assert.equal(pool.chunksDerivedHere, 2, "the first call's two chunks were derived here");
    const third = await pool.encodeBatch([...texts.slice(0, 5), "lone \ud800 surrogate"]);
    await pool.close();
    const local = tokenizer.encodeBatch([...texts.slice(0, 5), "lone \ud800 surrogate"]);
    third.forEach((e, i) => assert.deepEqual(fields(e), fields(local[i]!), `fields read after close: ${i}`));
    assert.equal(pool.chunksDerivedHere, 4);
    await assert.rejects(() => pool.encodeBatch(texts), /TokenizerPool is closed/);
  } finally {
    await pool.close();
  }
});
