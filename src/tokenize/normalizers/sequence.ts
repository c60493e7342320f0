import type { NormalizedString } from "../normalized.js";
import type { JsonObject, Normalizer } from "../types.js";

/** Applies normalizers in order. */
export class SequenceNormalizer implements Normalizer {
  readonly type = "Sequence";
  constructor(readonly normalizers: Normalizer[]) {}
  normalize(s: NormalizedString): void {
    for (const n of this.normalizers) n.normalize(s);
  }
  /** Present only when every member has a text-only fast path. */
  get normalizeText(): ((text: string) => string) | undefined {
    if (!this.normalizers.every((n) => n.normalizeText)) return undefined;
    return (text: string) => {
      for (const n of this.normalizers) text = n.normalizeText!(text);
      return text;
    };
  }
  toJSON(): JsonObject {
    return { type: this.type, normalizers: this.normalizers.map((n) => n.toJSON()) };
  }
}
