import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { detectTokenizerFormat, tokenizerJsonFromBytes } from "../../src/formats/index.js";
import { tiktokenToTokenizerJson } from "../../src/formats/tiktoken.js";
import { LLAMA3_TIKTOKEN, rankFileText } from "./rank-files.js";

const read = (p: string) => new Uint8Array(readFileSync(p));

test("detects tokenizer.json, tiktoken ranks and SentencePiece models from bytes", () => {
  assert.equal(detectTokenizerFormat(read("../shared/data/tokenizers/gpt-2.json")), "tokenizer.json");
  assert.equal(detectTokenizerFormat(new TextEncoder().encode('\ufeff\n  {"model": {}}')), "tokenizer.json");
  assert.equal(detectTokenizerFormat(read(LLAMA3_TIKTOKEN)), "tiktoken");
  assert.equal(detectTokenizerFormat(read("../shared/data/tokenizers/sentencepiece/en-unigram.model")), "sentencepiece");
  assert.equal(detectTokenizerFormat(new TextEncoder().encode("just some text\n")), null);
  assert.equal(detectTokenizerFormat(new Uint8Array([0x0a, 0x03, 0x01, 0x02, 0x03])), null);
});

test("tokenizerJsonFromBytes converts each format and names the file in errors", () => {
  const gpt2 = tokenizerJsonFromBytes(read("../shared/data/tokenizers/gpt-2.json")) as any;
  assert.equal(Object.keys(gpt2.model.vocab).length, 50257);
  const spm = tokenizerJsonFromBytes(read("../shared/data/tokenizers/sentencepiece/fi-unigram.model"), { fileName: "fi.model" }) as any;
  assert.equal(spm.model.type, "Unigram");
  assert.equal(spm.model.vocab.length, 32768);
  const llama = tokenizerJsonFromBytes(read(LLAMA3_TIKTOKEN)) as any;
  assert.equal(llama.added_tokens.length, 256);
  assert.throws(() => tokenizerJsonFromBytes(new TextEncoder().encode("{ nope"), { fileName: "t.json" }), /^TokenizerError: t\.json: not valid JSON/);
  assert.throws(() => tokenizerJsonFromBytes(new TextEncoder().encode("hello"), { fileName: "x.bin" }), /x\.bin: unrecognised format/);
});

test("the JSON rank form shipped by the tiktoken / js-tiktoken packages converts too", async () => {
  const { createRequire } = await import("node:module");
  const require = createRequire(import.meta.url);
  const bytes = read(require.resolve("tiktoken/encoders/p50k_base.json"));
  assert.equal(detectTokenizerFormat(bytes), "tokenizer.json");
  const json = tokenizerJsonFromBytes(bytes, { fileName: "p50k_base.json" }) as any;
  const fromRanks = tiktokenToTokenizerJson(rankFileText("p50k_base")) as any;
  assert.deepEqual(json.model.vocab, fromRanks.model.vocab);
  assert.deepEqual(json.model.merges, fromRanks.model.merges);
  assert.deepEqual(json.pre_tokenizer, fromRanks.pre_tokenizer);
  assert.deepEqual(json.added_tokens, fromRanks.added_tokens);
  const bad = new TextEncoder().encode(JSON.stringify({ pat_str: "x", bpe_ranks: "! 0 IQ== I!==" }));
  assert.throws(() => tokenizerJsonFromBytes(bad, { fileName: "b.json" }), /b\.json: bpe_ranks line 1: invalid base64 token "I!=="/);
});

