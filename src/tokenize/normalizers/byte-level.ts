import { byteLevelAlphabet } from "../byte-vocabulary.js";
import type { NormalizedString } from "../normalized.js";
import type { JsonObject, Normalizer } from "../types.js";

const ALPHABET = byteLevelAlphabet();
const utf8 = new TextEncoder();

/** Each character becomes the GPT-2 alphabet characters of its UTF-8 bytes. */
export function byteLevelChars(ch: string): string {
  const c = ch.charCodeAt(0);
  if (ch.length === 1 && c < 0x80) return ALPHABET[c]!;
  let out = "";
  for (const b of utf8.encode(ch)) out += ALPHABET[b]!;
  return out;
}

/** Maps text to the byte-level alphabet (the pre-tokenizer of the same name also splits). */
export function byteLevelText(text: string): string {
  let out = "";
  for (const b of utf8.encode(text)) out += ALPHABET[b]!;
  return out;
}

export class ByteLevelNormalizer implements Normalizer {
  readonly type = "ByteLevel";
  normalize(s: NormalizedString): void {
    s.mapChars(byteLevelChars);
  }
  normalizeText(text: string): string {
    return byteLevelText(text);
  }
  toJSON(): JsonObject {
    return { type: this.type };
  }
}
