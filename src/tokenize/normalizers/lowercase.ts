import type { NormalizedString } from "../normalized.js";
import type { JsonObject, Normalizer } from "../types.js";

/** Lowercases each character on its own (Rust's char::to_lowercase, no context rules such as final sigma). */
export class LowercaseNormalizer implements Normalizer {
  readonly type = "Lowercase";
  normalize(s: NormalizedString): void {
    s.lowercase();
  }
  normalizeText(text: string): string {
    return lowercaseText(text);
  }
  toJSON(): JsonObject {
    return { type: this.type };
  }
}

/** Lowercase without context rules: String.toLowerCase maps a final Σ to ς, Rust does not. */
export function lowercaseText(text: string): string {
  const lower = text.toLowerCase();
  if (!text.includes("\u03a3")) return lower;
  let out = "";
  for (const ch of text) out += ch.toLowerCase();
  return out;
}
