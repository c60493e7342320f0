import { bool } from "../json-fields.js";
import type { NormalizedString } from "../normalized.js";
import { isWhitespace } from "../normalized.js";
import type { JsonObject, Normalizer } from "../types.js";

const OTHER = /[\p{Cc}\p{Cf}\p{Cn}\p{Co}]/u;
const MN = /\p{Mn}/u;
const MN_ALL = /\p{Mn}/gu;

/** BERT's control-character test: \t \n \r count as whitespace, other Cc/Cf/Cn/Co characters are dropped. */
function isBertControl(c: number): boolean {
  if (c === 9 || c === 10 || c === 13) return false;
  return OTHER.test(String.fromCodePoint(c));
}

export function isChineseChar(c: number): boolean {
  return (
    (c >= 0x4e00 && c <= 0x9fff) ||
    (c >= 0x3400 && c <= 0x4dbf) ||
    (c >= 0x20000 && c <= 0x2a6df) ||
    (c >= 0x2a700 && c <= 0x2b73f) ||
    (c >= 0x2b740 && c <= 0x2b81f) ||
    (c >= 0x2b920 && c <= 0x2ceaf) ||
    (c >= 0xf900 && c <= 0xfaff) ||
    (c >= 0x2f800 && c <= 0x2fa1f)
  );
}

/** BERT's normalizer: clean control characters, space out CJK ideographs, strip accents, lowercase. */
export class BertNormalizer implements Normalizer {
  readonly type = "BertNormalizer";
  constructor(
    readonly cleanText = true,
    readonly handleChineseChars = true,
    /** null: follows `lowercase` (as in HF). */
    readonly stripAccents: boolean | null = null,
    readonly lowercase = true,
  ) {}

  static fromJSON(json: JsonObject, path: string): BertNormalizer {
    const sa = json.strip_accents;
    return new BertNormalizer(
      bool(json, "clean_text", path, true),
      bool(json, "handle_chinese_chars", path, true),
      sa === undefined || sa === null ? null : bool(json, "strip_accents", path, false),
      bool(json, "lowercase", path, true),
    );
  }

  normalize(s: NormalizedString): void {
    if (this.cleanText) {
      s.filter((c) => !(c === 0 || c === 0xfffd || isBertControl(c)));
      s.mapChars((ch) => (isWhitespace(ch.charCodeAt(0)) ? " " : ch));
    }
    if (this.handleChineseChars) s.mapChars((ch) => (isChineseChar(ch.codePointAt(0)!) ? ` ${ch} ` : ch));
    if (this.stripAccents ?? this.lowercase) {
      s.unicodeNormalize("NFD");
      if (MN.test(s.normalized)) s.filter((c) => !MN.test(String.fromCodePoint(c)));
    }
    if (this.lowercase) s.lowercase();
  }

  normalizeText(text: string): string {
    if (this.cleanText) {
      let out = "";
      for (const ch of text) {
        const c = ch.codePointAt(0)!;
        if (c === 0 || c === 0xfffd || isBertControl(c)) continue;
        out += isWhitespace(c) ? " " : ch;
      }
      text = out;
    }
    if (this.handleChineseChars) {
      let out = "";
      for (const ch of text) out += isChineseChar(ch.codePointAt(0)!) ? ` ${ch} ` : ch;
      text = out;
    }
    if (this.stripAccents ?? this.lowercase) text = text.normalize("NFD").replace(MN_ALL, "");
    if (this.lowercase) {
      let out = "";
      for (const ch of text) out += ch.toLowerCase();
      text = out;
    }
    return text;
  }

  toJSON(): JsonObject {
    return {
      type: this.type,
      clean_text: this.cleanText,
      handle_chinese_chars: this.handleChineseChars,
      strip_accents: this.stripAccents,
      lowercase: this.lowercase,
    };
  }
}
