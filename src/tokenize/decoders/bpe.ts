// BPEDecoder: the end-of-word suffix ("</w>") becomes a space, except on the last token.

import type { Decoder, JsonObject } from "../types.js";
import { rustReplace, str } from "./util.js";

export class BPEDecoder implements Decoder {
  readonly type = "BPEDecoder";
  constructor(readonly suffix = "</w>") {}

  static fromJSON(json: JsonObject, path: string): BPEDecoder {
    return new BPEDecoder(str(json, "suffix", path, "</w>"));
  }

  decodeChain(tokens: string[]): string[] {
    const last = tokens.length - 1;
    return tokens.map((t, i) => rustReplace(t, this.suffix, i === last ? "" : " "));
  }

  toJSON(): JsonObject {
    return { type: this.type, suffix: this.suffix };
  }
}
