// The converted files through retoken's own Tokenizer (src/tokenize/tokenizer.ts), against the same references as
// the oracle tests. Skipped until that module exists.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { get_encoding } from "tiktoken";
import { tiktokenToTokenizerJson } from "../../src/formats/tiktoken.js";
import { parseSentencePieceModel, sentencePieceToTokenizerJson } from "../../src/formats/sentencepiece.js";
import type { JsonObject } from "../../src/tokenize/types.js";
import { floresSample, HARD_STRINGS } from "./data.js";
import { rankFileText } from "./rank-files.js";
import { isViterbiTie, readGolden, SPM_MODELS } from "./spm-reference.js";

const TOKENIZER_MODULE = new URL("../../src/tokenize/tokenizer.ts", import.meta.url).pathname;
const skip = existsSync(TOKENIZER_MODULE) ? false : "src/tokenize/tokenizer.ts does not exist yet";

async function ourIds(json: JsonObject): Promise<(text: string) => number[]> {
  const { Tokenizer } = (await import(TOKENIZER_MODULE)) as { Tokenizer: { fromJSON(j: JsonObject): { encode(t: string, o: { addSpecialTokens: boolean }): { ids: ArrayLike<number> } } } };
  const t = Tokenizer.fromJSON(json);
  return (text) => Array.from(t.encode(text, { addSpecialTokens: false }).ids);
}

for (const name of ["cl100k_base", "o200k_base"] as const) {
  test(`retoken Tokenizer on converted ${name} gives tiktoken's ids`, { skip }, async () => {
    const encode = await ourIds(tiktokenToTokenizerJson(rankFileText(name)));
    const enc = get_encoding(name);
    try {
      for (const text of [...floresSample(2), ...HARD_STRINGS]) assert.deepEqual(encode(text), [...enc.encode(text, "all")], JSON.stringify(text.slice(0, 60)));
    } finally {
      enc.free();
    }
  });
}

test("retoken Tokenizer on converted SentencePiece models gives spm_encode's ids (golden)", { skip }, async () => {
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
