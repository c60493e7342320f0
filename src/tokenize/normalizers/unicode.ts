// NFC, NFD, NFKC, NFKD: Unicode normalization forms, aligned to the original characters.

import type { NormalizedString } from "../normalized.js";
import type { JsonObject, Normalizer } from "../types.js";

export type UnicodeForm = "NFC" | "NFD" | "NFKC" | "NFKD";

export class UnicodeNormalizer implements Normalizer {
  constructor(readonly type: UnicodeForm) {}
  normalize(s: NormalizedString): void {
    s.unicodeNormalize(this.type);
  }
  normalizeText(text: string): string {
    return text.normalize(this.type);
  }
  toJSON(): JsonObject {
    return { type: this.type };
  }
}
