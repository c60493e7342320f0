import type { NormalizedString } from "../normalized.js";
import { compilePattern } from "../regex.js";
import type { JsonObject, Normalizer } from "../types.js";
import { readPattern, reqStr, type PatternJson } from "./util.js";
import { replaceAllLiteral } from "../../util/replace-literal.js";

/** Replaces every match of a literal string or a regex by `content`. */
export class ReplaceNormalizer implements Normalizer {
  readonly type = "Replace";
  private readonly re: RegExp | null;
  constructor(readonly pattern: PatternJson, readonly content: string, path = "Replace") {
    this.re = pattern.kind === "Regex" ? compilePattern(pattern.value, `${path}.pattern.Regex`) : null;
  }
  static fromJSON(json: JsonObject, path: string): ReplaceNormalizer {
    return new ReplaceNormalizer(readPattern(json, "pattern", path), reqStr(json, "content", path), path);
  }
  normalize(s: NormalizedString): void {
    s.replace(this.re ?? this.pattern.value, this.content);
  }
  normalizeText(text: string): string {
    if (this.re) return text.replace(this.re, () => this.content);
    return this.pattern.value.length === 0 ? text : replaceAllLiteral(text, this.pattern.value, this.content);
  }
  toJSON(): JsonObject {
    return { type: this.type, pattern: { [this.pattern.kind]: this.pattern.value }, content: this.content };
  }
}
