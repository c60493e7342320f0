// The converted files through retoken's own pipeline (src/tokenize), against the same references as the oracle
// tests.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { get_encoding } from "tiktoken";
import { tiktokenToTokenizerJson } from "../../src/formats/tiktoken.js";
import { parseSentencePieceModel, sentencePieceToTokenizerJson } from "../../src/formats/sentencepiece.js";
import type { JsonObject } from "../../src/tokenize/types.js";
import { Tokenizer } from "../../src/index.js";
import { decoderFromJSON } from "../../src/tokenize/decoders/index.js";
import { floresSample, HARD_STRINGS } from "./data.js";
import { llama3RankText, rankFileText } from "./rank-files.js";
import { isViterbiTie, readGolden, SPM_MODELS } from "./spm-reference.js";

test("retoken decoders on converted SentencePiece models give spm_decode's text (golden)", async () => {
  const golden = readGolden();
  for (const m of SPM_MODELS) {
    const bytes = new Uint8Array(readFileSync(m.path));
    const model = parseSentencePieceModel(bytes);
    const json = sentencePieceToTokenizerJson(bytes, { fileName: m.name });
    const decoder = decoderFromJSON(json.decoder as JsonObject, `${m.name}: decoder`);
    golden.texts.forEach((text, i) => {
      if (text.trimStart().startsWith("\u2581")) return; // see sentencepiece.test.ts
      const tokens = golden.ids[m.name]![i]!.map((id) => model.pieces[id]!.piece);
      assert.equal(decoder.decodeChain(tokens).join(""), golden.decoded[m.name]![i], `${m.name}: ${JSON.stringify(text.slice(0, 60))}`);
    });
  }
});

test("retoken's ByteLevel decoder on converted Llama 3 restores the text", async () => {
  const json = tiktokenToTokenizerJson(llama3RankText()) as any;
  const byId: string[] = [];
  for (const [token, id] of Object.entries(json.model.vocab as Record<string, number>)) byId[id] = token;
  const decoder = decoderFromJSON(json.decoder, "llama3: decoder");
  const enc = get_encoding("cl100k_base"); // Llama 3's first 100,256 ranks are cl100k_base's
  try {
    // A leading U+FEFF is text like any other (TextDecoder drops it unless told ignoreBOM).
    for (const text of [...floresSample(1), "\ufeffBOM first", "x\ufeff"]) assert.equal(decoder.decodeChain([...enc.encode(text)].map((id) => byId[id]!)).join(""), text, JSON.stringify(text.slice(0, 40)));
  } finally {
    enc.free();
  }
});

async function ourIds(json: JsonObject): Promise<(text: string) => number[]> {
  const t = Tokenizer.fromJSON(json);
  return (text) => Array.from(t.encode(text, { addSpecialTokens: false }).ids);
}

for (const name of ["cl100k_base", "o200k_base"] as const) {
  test(`retoken Tokenizer on converted ${name} gives tiktoken's ids`, async () => {
    const encode = await ourIds(tiktokenToTokenizerJson(rankFileText(name)));
    const enc = get_encoding(name);
    try {
      for (const text of [...floresSample(2), ...HARD_STRINGS]) assert.deepEqual(encode(text), [...enc.encode(text, "all")], JSON.stringify(text.slice(0, 60)));
    } finally {
      enc.free();
    }
  });
}

test("retoken Tokenizer on converted SentencePiece models gives spm_encode's ids (golden)", async () => {
  const golden = readGolden();
  for (const m of SPM_MODELS) {
    const bytes = new Uint8Array(readFileSync(m.path));
    const model = parseSentencePieceModel(bytes);
    const encode = await ourIds(sentencePieceToTokenizerJson(bytes, { fileName: m.name }));
    golden.texts.forEach((text, i) => {
      const got = encode(text);
      const want = golden.ids[m.name]![i]!;
      if (!isViterbiTie(model, got, want)) assert.deepEqual(got, want, `${m.name}: ${JSON.stringify(text.slice(0, 60))}`);
    });
  }
});

test("Tokenizer.fromBytes sniffs and converts rank files and .model files", async () => {
  const llama3 = Tokenizer.fromBytes(new Uint8Array(readFileSync("../shared/data/tokenizers/llama3.tiktoken")), { fileName: "llama3.tiktoken" });
  assert.deepEqual(Array.from(llama3.encode("Hello world").ids), [128000, 9906, 1917]);
  const golden = readGolden();
  const en = SPM_MODELS.find((m) => m.name === "en-unigram")!;
  const spm = Tokenizer.fromBytes(new Uint8Array(readFileSync(en.path)), { fileName: "en-unigram.model" });
  const model = parseSentencePieceModel(new Uint8Array(readFileSync(en.path)));
  golden.texts.forEach((text, i) => {
    const got = Array.from(spm.encode(text, { addSpecialTokens: false }).ids);
    if (!isViterbiTie(model, got, golden.ids["en-unigram"]![i]!)) assert.deepEqual(got, golden.ids["en-unigram"]![i], JSON.stringify(text.slice(0, 60)));
  });
});
