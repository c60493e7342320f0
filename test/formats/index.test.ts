import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { detectTokenizerFormat, tokenizerJsonFromBytes } from "../../src/formats/index.js";
import { LLAMA3_TIKTOKEN } from "./rank-files.js";

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
