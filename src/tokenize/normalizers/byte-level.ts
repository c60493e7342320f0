import { byteLevelAlphabet } from "../byte-vocabulary.js";
import type { NormalizedString } from "../normalized.js";
import type { JsonObject, Normalizer } from "../types.js";

const ALPHABET = byteLevelAlphabet();

/** Each character becomes the GPT-2 alphabet characters of its UTF-8 bytes. */
export function byteLevelChars(ch: string): string {
  const c = ch.charCodeAt(0);
  if (ch.length === 1 && c < 0x80) return ALPHABET[c]!;
  return byteLevelText(ch);
}

/** Maps text to the byte-level alphabet (the pre-tokenizer of the same name also splits). UTF-8 is written by hand:
 * a TextEncoder call per short piece costs more than the whole mapping. A lone surrogate becomes U+FFFD's bytes. */
export function byteLevelText(text: string): string {
  const A = ALPHABET;
  let out = "";
  let start = 0; // printable ASCII maps to itself: copy such runs in one slice
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x21 && c <= 0x7e) continue;
    if (i > start) out += text.slice(start, i);
    if (c < 0x80) out += A[c]!;
    else if (c < 0x800) out += A[0xc0 | (c >> 6)]! + A[0x80 | (c & 63)]!;
    else if (c >= 0xd800 && c <= 0xdfff) {
      const d = text.charCodeAt(i + 1);
      if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
        const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        out += A[0xf0 | (cp >> 18)]! + A[0x80 | ((cp >> 12) & 63)]! + A[0x80 | ((cp >> 6) & 63)]! + A[0x80 | (cp & 63)]!;
        i++;
      } else out += A[0xef]! + A[0xbf]! + A[0xbd]!;
    } else out += A[0xe0 | (c >> 12)]! + A[0x80 | ((c >> 6) & 63)]! + A[0x80 | (c & 63)]!;
    start = i + 1;
  }
  return start === 0 ? text : out + text.slice(start);
}

export class ByteLevelNormalizer implements Normalizer {
  readonly type = "ByteLevel";
  normalize(s: NormalizedString): void {
    s.mapUtf8Bytes(byteLevelText(s.normalized));
  }
  normalizeText(text: string): string {
    return byteLevelText(text);
  }
  toJSON(): JsonObject {
    return { type: this.type };
  }
}
