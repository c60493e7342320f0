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
    return tokens.map((t) => {
      const chars = Array.from(t);
      let a = 0;
      while (a < this.start && a < chars.length && chars[a] === this.content) a++;
      let b = chars.length;
      while (chars.length - b < this.stop && b > a && chars[b - 1] === this.content) b--;
      return a === 0 && b === chars.length ? t : chars.slice(a, b).join("");
    });
  }

  toJSON(): JsonObject {
    return { type: this.type, content: this.content, start: this.start, stop: this.stop };
  }
}
