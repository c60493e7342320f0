// Every tokenizer file format becomes tokenizer.json content; the one pipeline then runs it. `Tokenizer.fromBytes`
// calls tokenizerJsonFromBytes, which sniffs the format.

import type { JsonObject } from "../tokenize/types.js";
import { TokenizerError } from "../tokenize/types.js";
import { isSentencePieceModel, sentencePieceToTokenizerJson } from "./sentencepiece.js";
import { isPackagedTiktokenJson, isTiktokenRanks, packagedTiktokenToTokenizerJson, tiktokenToTokenizerJson, type TiktokenOptions } from "./tiktoken.js";

export * from "./tiktoken.js";
export * from "./sentencepiece.js";
export * from "./sentencepiece-write.js";

export type TokenizerFormat = "tokenizer.json" | "tiktoken" | "sentencepiece";

const utf8 = new TextDecoder("utf-8");

/** Which format these bytes are in, or null. A tokenizer.json starts with "{" (after an optional BOM/whitespace). */
export function detectTokenizerFormat(bytes: Uint8Array): TokenizerFormat | null {
  let i = 0;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) i = 3;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x09 || bytes[i] === 0x0a || bytes[i] === 0x0d)) i++;
  if (bytes[i] === 0x7b) return "tokenizer.json";
  if (isSentencePieceModel(bytes)) return "sentencepiece";
  if (isTiktokenRanks(utf8.decode(bytes.subarray(0, 4096)))) return "tiktoken";
  return null;
}

/** tokenizer.json content from any supported file's bytes. */
export function tokenizerJsonFromBytes(bytes: Uint8Array, options: TiktokenOptions = {}): JsonObject {
  const fileName = options.fileName ?? "tokenizer file";
  switch (detectTokenizerFormat(bytes)) {
    case "tokenizer.json": {
      let json: unknown;
      try {
        json = JSON.parse(utf8.decode(bytes).replace(/^\ufeff/, ""));
      } catch (e) {
        throw new TokenizerError(`not valid JSON: ${(e as Error).message}`, fileName);
      }
      if (!json || typeof json !== "object" || Array.isArray(json)) throw new TokenizerError("expected a JSON object", fileName);
      if (isPackagedTiktokenJson(json)) return packagedTiktokenToTokenizerJson(json, options);
      return json as JsonObject;
    }
    case "sentencepiece":
      return sentencePieceToTokenizerJson(bytes, { fileName });
    case "tiktoken":
      return tiktokenToTokenizerJson(utf8.decode(bytes), options);
    default:
      throw new TokenizerError("unrecognised format: expected a tokenizer.json, a tiktoken rank file (\"<base64> <rank>\" lines) or a SentencePiece .model", fileName);
  }
}
