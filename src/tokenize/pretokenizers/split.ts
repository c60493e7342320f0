import { bool } from "../json-fields.js";
import { readPattern, type PatternJson } from "../normalizers/util.js";
import { splitText, type SplitDelimiterBehavior, type SpanScanner } from "../normalized.js";
import type { PreTokenizedString } from "../pretokenized.js";
import { compilePattern } from "../regex.js";
import type { JsonObject, PreTokenizer } from "../types.js";
import { scannerFor } from "./scanners.js";
import { behaviorToJSON, readBehavior, splitEach } from "./util.js";

/** Splits on a literal string or a regex with a delimiter behavior, optionally inverted (matches are the pieces). */
export class SplitPreTokenizer implements PreTokenizer {
  readonly type = "Split";
  readonly matcher: string | RegExp | SpanScanner;
  constructor(
    readonly pattern: PatternJson,
    readonly behavior: SplitDelimiterBehavior,
    readonly invert = false,
    path = "Split",
  ) {
    this.matcher =
      pattern.kind === "Regex" ? (scannerFor(pattern.value) ?? compilePattern(pattern.value, `${path}.pattern.Regex`)) : pattern.value;
  }

  static fromJSON(json: JsonObject, path: string): SplitPreTokenizer {
    return new SplitPreTokenizer(readPattern(json, "pattern", path), readBehavior(json, "behavior", path), bool(json, "invert", path, false), path);
  }

  preTokenize(p: PreTokenizedString): void {
    splitEach(p, this.matcher, this.behavior, this.invert);
  }

  preTokenizeText(piece: string, _atStart: boolean, out: string[]): void {
    splitText(piece, this.matcher, this.behavior, this.invert, out);
  }

  toJSON(): JsonObject {
    return { type: this.type, pattern: { [this.pattern.kind]: this.pattern.value }, behavior: behaviorToJSON(this.behavior), invert: this.invert };
  }
}
