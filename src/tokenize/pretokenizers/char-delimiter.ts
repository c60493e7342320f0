import { reqChar } from "../normalizers/util.js";
import { splitText } from "../normalized.js";
import type { PreTokenizedString } from "../pretokenized.js";
import type { JsonObject, PreTokenizer } from "../types.js";
import { splitEach } from "./util.js";

/** Splits on one delimiter character, dropping it. */
export class CharDelimiterSplitPreTokenizer implements PreTokenizer {
  readonly type = "CharDelimiterSplit";
  constructor(readonly delimiter: string) {}
  static fromJSON(json: JsonObject, path: string): CharDelimiterSplitPreTokenizer {
    return new CharDelimiterSplitPreTokenizer(reqChar(json, "delimiter", path));
  }
  preTokenize(p: PreTokenizedString): void {
    splitEach(p, this.delimiter, "removed");
  }
  preTokenizeText(piece: string, _atStart: boolean, out: string[]): void {
    splitText(piece, this.delimiter, "removed", false, out);
  }
  toJSON(): JsonObject {
    return { type: this.type, delimiter: this.delimiter };
  }
}
