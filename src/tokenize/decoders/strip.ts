// Strip: removes up to `start` leading and `stop` trailing copies of `content` from every token.

import type { Decoder, JsonObject } from "../types.js";
import { char, uint } from "./util.js";

export class StripDecoder implements Decoder {
  readonly type = "Strip";
  constructor(
    readonly content = " ",
    readonly start = 0,
    readonly stop = 0,
  ) {}

  static fromJSON(json: JsonObject, path: string): StripDecoder {
    return new StripDecoder(char(json, "content", path, " "), uint(json, "start", path, 0), uint(json, "stop", path, 0));
  }

  decodeChain(tokens: string[]): string[] {
    const c = this.content;
    const w = c.length;
    return tokens.map((t) => {
      // Walks code points from each end only (tokens may be the whole fused text).
      let a = 0;
      for (let k = 0; k < this.start && t.startsWith(c, a); k++) a += w;
      let b = t.length;
      for (let k = 0; k < this.stop && b - w >= a && t.startsWith(c, b - w); k++) b -= w;
      return a === 0 && b === t.length ? t : t.slice(a, b);
    });
  }

  toJSON(): JsonObject {
    return { type: this.type, content: this.content, start: this.start, stop: this.stop };
  }
}
