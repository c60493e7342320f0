// CTC decoder: collapses repeated tokens, drops the pad token, word delimiter to space (speech models).

import type { Decoder, JsonObject } from "../types.js";
import { bool, rustReplace, str } from "./util.js";
import { cleanupTokenizationSpaces } from "./wordpiece.js";

export class CTCDecoder implements Decoder {
  readonly type = "CTC";
  constructor(
    readonly padToken = "<pad>",
    readonly wordDelimiterToken = "|",
    readonly cleanup = true,
  ) {}

  static fromJSON(json: JsonObject, path: string): CTCDecoder {
    return new CTCDecoder(str(json, "pad_token", path, "<pad>"), str(json, "word_delimiter_token", path, "|"), bool(json, "cleanup", path, true));
  }

  decodeChain(tokens: string[]): string[] {
    const out: string[] = [];
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i]!;
      if (i > 0 && tokens[i - 1] === t) continue;
      let s = rustReplace(t, this.padToken, "");
      if (this.cleanup) s = rustReplace(cleanupTokenizationSpaces(s), this.wordDelimiterToken, " ");
      if (s !== "") out.push(s);
    }
    return out;
  }

  toJSON(): JsonObject {
    return { type: this.type, pad_token: this.padToken, word_delimiter_token: this.wordDelimiterToken, cleanup: this.cleanup };
  }
}
