// Sequence of decoders: each one's output fragments are the next one's input tokens.

import { TokenizerError, type Decoder, type JsonObject } from "../types.js";

export class SequenceDecoder implements Decoder {
  readonly type = "Sequence";
  constructor(readonly decoders: Decoder[]) {}

  static fromJSON(json: JsonObject, path: string, build: (j: JsonObject, p: string) => Decoder): SequenceDecoder {
    const list = json.decoders;
    if (!Array.isArray(list)) throw new TokenizerError("expected a list of decoders", `${path}.decoders`);
    return new SequenceDecoder(
      list.map((d, i) => {
        const at = `${path}.decoders[${i}]`;
        if (!d || typeof d !== "object" || Array.isArray(d)) throw new TokenizerError("expected a decoder object", at);
        return build(d, at);
      }),
    );
  }

  decodeChain(tokens: string[]): string[] {
    let list = tokens;
    for (const d of this.decoders) list = d.decodeChain(list);
    return list;
  }

  toJSON(): JsonObject {
    return { type: this.type, decoders: this.decoders.map((d) => d.toJSON()) };
  }
}
