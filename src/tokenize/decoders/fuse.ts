// Fuse: all tokens into one string (so later decoders see the whole text).

import type { Decoder, JsonObject } from "../types.js";

export class FuseDecoder implements Decoder {
  readonly type = "Fuse";

  static fromJSON(): FuseDecoder {
    return new FuseDecoder();
  }

  decodeChain(tokens: string[]): string[] {
    return [tokens.join("")];
  }

  toJSON(): JsonObject {
    return { type: this.type };
  }
}
