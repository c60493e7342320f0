// WordPiece decoder: "##" continuations join the previous token, other tokens get a space; optional cleanup.

import type { Decoder, JsonObject } from "../types.js";
import { bool, str } from "./util.js";

/** HF's clean-up of tokenization spaces (WordPiece and CTC decoders), applied to one token string. */
export function cleanupTokenizationSpaces(s: string): string {
  return s
    .replaceAll(" .", ".")
    .replaceAll(" ?", "?")
    .replaceAll(" !", "!")
    .replaceAll(" ,", ",")
    .replaceAll(" ' ", "'")
    .replaceAll(" n't", "n't")
    .replaceAll(" 'm", "'m")
    .replaceAll(" do not", " don't")
    .replaceAll(" 's", "'s")
    .replaceAll(" 've", "'ve")
    .replaceAll(" 're", "'re");
}

export class WordPieceDecoder implements Decoder {
  readonly type = "WordPiece";
  constructor(
    readonly prefix = "##",
    readonly cleanup = true,
  ) {}

  static fromJSON(json: JsonObject, path: string): WordPieceDecoder {
    return new WordPieceDecoder(str(json, "prefix", path, "##"), bool(json, "cleanup", path, true));
  }

  decodeChain(tokens: string[]): string[] {
    return tokens.map((t, i) => {
      let s = t;
      if (i !== 0) s = s.startsWith(this.prefix) ? s.slice(this.prefix.length) : " " + s;
      return this.cleanup ? cleanupTokenizationSpaces(s) : s;
    });
  }

  toJSON(): JsonObject {
    return { type: this.type, prefix: this.prefix, cleanup: this.cleanup };
  }
}
