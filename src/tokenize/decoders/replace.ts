// Replace decoder: a String or Regex pattern replaced by `content` in every token.

import { TokenizerError, type Decoder, type JsonObject } from "../types.js";
import { rustReplace, str } from "./util.js";

export type ReplacePattern = { String: string } | { Regex: string };

export class ReplaceDecoder implements Decoder {
  readonly type = "Replace";
  private readonly regex: RegExp | null;

  constructor(
    readonly pattern: ReplacePattern,
    readonly content: string,
    path = "Replace",
  ) {
    if ("Regex" in pattern) {
      try {
        this.regex = new RegExp(pattern.Regex, "gu");
      } catch (e) {
        throw new TokenizerError(`invalid regular expression ${JSON.stringify(pattern.Regex)}: ${(e as Error).message}`, `${path}.pattern.Regex`);
      }
    } else this.regex = null;
  }

  static fromJSON(json: JsonObject, path: string): ReplaceDecoder {
    const p = json.pattern;
    let pattern: ReplacePattern;
    if (p && typeof p === "object" && !Array.isArray(p) && typeof p.String === "string") pattern = { String: p.String };
    else if (p && typeof p === "object" && !Array.isArray(p) && typeof p.Regex === "string") pattern = { Regex: p.Regex };
    else throw new TokenizerError(`expected {"String": …} or {"Regex": …}, got ${JSON.stringify(p)}`, `${path}.pattern`);
    return new ReplaceDecoder(pattern, str(json, "content", path), path);
  }

  decodeChain(tokens: string[]): string[] {
    const content = this.content;
    if (this.regex) {
      const re = this.regex;
      return tokens.map((t) => t.replace(re, () => content));
    }
    const s = (this.pattern as { String: string }).String;
    // Matches HF: an empty pattern matches at every character boundary of a non-empty token.
    return tokens.map((t) => (t === "" || (s !== "" && !t.includes(s)) ? t : rustReplace(t, s, content)));
  }

  toJSON(): JsonObject {
    return { type: this.type, pattern: { ...this.pattern }, content: this.content };
  }
}
