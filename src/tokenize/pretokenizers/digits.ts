import { bool } from "../json-fields.js";
import { splitText } from "../normalized.js";
import type { PreTokenizedString } from "../pretokenized.js";
import type { JsonObject, PreTokenizer } from "../types.js";
import { splitEach } from "./util.js";

const NUMERIC = /\p{N}/u;
/** Rust's char::is_numeric (general category N). */
export function isNumeric(c: number): boolean {
  if (c < 0x80) return c >= 0x30 && c <= 0x39;
  return NUMERIC.test(String.fromCodePoint(c));
}

/** Splits digits from the rest: each digit alone, or runs of digits together. */
export class DigitsPreTokenizer implements PreTokenizer {
  readonly type = "Digits";
  constructor(readonly individualDigits = false) {}
  static fromJSON(json: JsonObject, path: string): DigitsPreTokenizer {
    return new DigitsPreTokenizer(bool(json, "individual_digits", path, false));
  }
  preTokenize(p: PreTokenizedString): void {
    splitEach(p, isNumeric, this.individualDigits ? "isolated" : "contiguous");
  }
  preTokenizeText(piece: string, _atStart: boolean, out: string[]): void {
    splitText(piece, isNumeric, this.individualDigits ? "isolated" : "contiguous", false, out);
  }
  toJSON(): JsonObject {
    return { type: this.type, individual_digits: this.individualDigits };
  }
}
