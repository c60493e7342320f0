import { isWhitespace, splitText } from "../normalized.js";
import type { PreTokenizedString } from "../pretokenized.js";
import { compilePattern } from "../regex.js";
import type { JsonObject, PreTokenizer } from "../types.js";
import { splitEach } from "./util.js";

/** Words and runs of punctuation: the matches of `\w+|[^\w\s]+` are the pieces, everything else goes. */
export class WhitespacePreTokenizer implements PreTokenizer {
  readonly type = "Whitespace";
  private readonly re = compilePattern("\\w+|[^\\w\\s]+");
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
