import { isWhitespace, splitText } from "../normalized.js";
import type { PreTokenizedString } from "../pretokenized.js";
import type { JsonObject, PreTokenizer } from "../types.js";
import { splitEach } from "./util.js";

const W = "\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\p{Join_Control}";

/** Words and runs of punctuation: the matches of `\w+|[^\w\s]+` are the pieces, everything else goes. */
export class WhitespacePreTokenizer implements PreTokenizer {
  readonly type = "Whitespace";
  // Rust's regex crate (not Oniguruma) runs this one: its \w is Alphabetic + Mark + Nd + Pc + Join_Control.
  private readonly re = new RegExp(`[${W}]+|[^${W}\\p{White_Space}]+`, "gu");
  preTokenize(p: PreTokenizedString): void {
    splitEach(p, this.re, "removed", true);
  }
  preTokenizeText(piece: string, _atStart: boolean, out: string[]): void {
    splitText(piece, this.re, "removed", true, out);
  }
  toJSON(): JsonObject {
    return { type: this.type };
  }
}

/** Splits on Unicode whitespace, dropping it. */
export class WhitespaceSplitPreTokenizer implements PreTokenizer {
  readonly type = "WhitespaceSplit";
  preTokenize(p: PreTokenizedString): void {
    splitEach(p, isWhitespace, "removed");
  }
  preTokenizeText(piece: string, _atStart: boolean, out: string[]): void {
    splitText(piece, isWhitespace, "removed", false, out);
  }
  toJSON(): JsonObject {
    return { type: this.type };
  }
}
