// Every tokenizer file format becomes tokenizer.json content; the one pipeline then runs it. `Tokenizer.fromBytes`
// calls tokenizerJsonFromBytes, which sniffs the format.

import { parseJsonBytes, parseTokenizerJsonBytes } from "../tokenize/tokenizer-json.js";
import type { JsonObject } from "../tokenize/types.js";
import { TokenizerError } from "../tokenize/types.js";
import { isSentencePieceModel, parseSentencePieceModel, sentencePieceModelToTokenizerJson, type SentencePieceModel } from "./sentencepiece.js";
import { isCompressed, sniffFormat } from "../util/magic.js";
import { sniffNotText } from "../util/sniff.js";
import { isPackagedTiktokenJson, isTiktokenRanks, packagedTiktokenBytesToTokenizerJson, packagedTiktokenToTokenizerJson, tiktokenToTokenizerJson, type TiktokenOptions } from "./tiktoken.js";

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

/** Whether JSON bytes start like tiktoken's packaged ranks (a first key pat_str, bpe_ranks or special_tokens). Only
 * a shortcut: a file that starts so but is not one still reads right. */
function looksPackagedTiktoken(bytes: Uint8Array): boolean {
  return /^(\ufeff)?\s*\{\s*"(pat_str|bpe_ranks|special_tokens)"/.test(utf8.decode(bytes.subarray(0, 64)));
}

/** tokenizer.json content from any supported file's bytes. */
export function tokenizerJsonFromBytes(bytes: Uint8Array, options: TiktokenOptions = {}): JsonObject {
  return readTokenizerFile(bytes, options).json;
}

/**
 * A tokenizer file's content as tokenizer.json, sniffed and parsed once; for a SentencePiece .model also the parsed
 * model (Tokenizer.fromBytes uses it to run the file as spm_encode does).
 */
export function readTokenizerFile(bytes: Uint8Array, options: TiktokenOptions = {}): { json: JsonObject; sentencePiece: SentencePieceModel | null } {
  const fileName = options.fileName ?? "tokenizer file";
  // Sniffed by content, whatever the name: a compressed tokenizer is refused rather than parsed as garbage.
  const format = sniffFormat(bytes);
  if (isCompressed(format)) throw new TokenizerError(`the file is ${sniffNotText(bytes)!.reason}`, fileName);
  switch (detectTokenizerFormat(bytes)) {
    case "tokenizer.json": {
      // tiktoken's packaged ranks are JSON with no model: not worth a scan for one, but their bpe_ranks can be read in place.
      const packaged = looksPackagedTiktoken(bytes);
      const inPlace = packaged ? packagedTiktokenBytesToTokenizerJson(bytes, options) : null;
      if (inPlace) return { json: inPlace, sentencePiece: null };
      const json = packaged ? parseJsonBytes(bytes, fileName) : parseTokenizerJsonBytes(bytes, fileName);
      return { json: isPackagedTiktokenJson(json) ? packagedTiktokenToTokenizerJson(json, options) : json, sentencePiece: null };
    }
    case "sentencepiece": {
      const model = parseSentencePieceModel(bytes, fileName);
      // The one setting the pipeline cannot run as spm does (▁ at the ends of words): refused rather than encoded differently.
      if (model.trainerSpec.treatWhitespaceAsSuffix) throw new TokenizerError("true is not supported: spm puts the whitespace marker at the end of words, which the converted pipeline cannot", `${fileName}: trainer_spec.treat_whitespace_as_suffix`);
      return { json: sentencePieceModelToTokenizerJson(model, { fileName }), sentencePiece: model };
    }
    case "tiktoken":
      return { json: tiktokenToTokenizerJson(bytes, options), sentencePiece: null };
    default:
      const notText = sniffNotText(bytes);
      if (notText) throw new TokenizerError(`unrecognised format: ${notText.reason}, and not a SentencePiece .model either`, fileName);
      throw new TokenizerError("unrecognised format: expected a tokenizer.json, a tiktoken rank file (\"<base64> <rank>\" lines) or a SentencePiece .model", fileName);
  }
}
