import { bool } from "../json-fields.js";
import type { NormalizedString } from "../normalized.js";
import { isWhitespace } from "../normalized.js";
import type { JsonObject, Normalizer } from "../types.js";

/** Removes leading and/or trailing whitespace (Unicode White_Space). */
export class StripNormalizer implements Normalizer {
  readonly type = "Strip";
  constructor(readonly stripLeft = true, readonly stripRight = true) {}
  static fromJSON(json: JsonObject, path: string): StripNormalizer {
    return new StripNormalizer(bool(json, "strip_left", path, true), bool(json, "strip_right", path, true));
  }
  normalize(s: NormalizedString): void {
    s.strip(this.stripLeft, this.stripRight);
  }
  normalizeText(text: string): string {
    let a = 0;
    let b = text.length;
    if (this.stripLeft) while (a < b && isWhitespace(text.charCodeAt(a))) a++;
    if (this.stripRight) while (b > a && isWhitespace(text.charCodeAt(b - 1))) b--;
    return text.slice(a, b);
  }
  toJSON(): JsonObject {
    return { type: this.type, strip_left: this.stripLeft, strip_right: this.stripRight };
  }
}
