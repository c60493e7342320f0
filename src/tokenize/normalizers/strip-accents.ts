import type { NormalizedString } from "../normalized.js";
import type { JsonObject, Normalizer } from "../types.js";

const MARK = /\p{M}/u;
const MARKS = /\p{M}/gu;

/** Removes combining marks (General_Category Mark); usually follows NFD. */
export class StripAccentsNormalizer implements Normalizer {
  readonly type = "StripAccents";
  normalize(s: NormalizedString): void {
    if (!MARK.test(s.normalized)) return;
    s.filter((c) => !MARK.test(String.fromCodePoint(c)));
  }
  normalizeText(text: string): string {
    return text.replace(MARKS, "");
  }
  toJSON(): JsonObject {
    return { type: this.type };
  }
}
