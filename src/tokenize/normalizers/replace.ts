import { isUnitForUnit, type NormalizedString } from "../normalized.js";
import { compilePattern } from "../regex.js";
import type { JsonObject, Normalizer } from "../types.js";
import { readPattern, reqStr, type PatternJson } from "./util.js";
import { LiteralReplacer, replaceAllLiteral } from "../../util/replace-literal.js";

/** Replaces every match of a literal string or a regex by `content`. */
export class ReplaceNormalizer implements Normalizer {
  readonly type = "Replace";
  private readonly re: RegExp | null;
  /** For a one-unit-for-one literal (" " → "▁"), shared by both paths so that the fields' pass reuses the ids'. */
  private readonly unitReplacer: LiteralReplacer | null;
  constructor(readonly pattern: PatternJson, readonly content: string, path = "Replace") {
    this.re = pattern.kind === "Regex" ? compilePattern(pattern.value, `${path}.pattern.Regex`) : null;
    this.unitReplacer = !this.re && isUnitForUnit(pattern.value, content) ? new LiteralReplacer(pattern.value, content) : null;
  }
  static fromJSON(json: JsonObject, path: string): ReplaceNormalizer {
    return new ReplaceNormalizer(readPattern(json, "pattern", path), reqStr(json, "content", path), path);
  }
  normalize(s: NormalizedString): void {
    if (this.unitReplacer) s.replaceUnits(this.unitReplacer);
    else s.replace(this.re ?? this.pattern.value, this.content);
  }
  normalizeText(text: string): string {
    if (this.unitReplacer) return this.unitReplacer.apply(text);
    if (this.re) return text.replace(this.re, () => this.content);
    return this.pattern.value.length === 0 ? text : replaceAllLiteral(text, this.pattern.value, this.content);
  }
  toJSON(): JsonObject {
    return { type: this.type, pattern: { [this.pattern.kind]: this.pattern.value }, content: this.content };
  }
}
