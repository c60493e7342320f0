import { splitText, type SplitDelimiterBehavior } from "../normalized.js";
import type { PreTokenizedString } from "../pretokenized.js";
import type { JsonObject, PreTokenizer } from "../types.js";
import { behaviorToJSON, isPunctuation, readBehavior, splitEach } from "./util.js";

/** Splits on punctuation characters (ASCII punctuation and Unicode category P). */
export class PunctuationPreTokenizer implements PreTokenizer {
  readonly type = "Punctuation";
  constructor(readonly behavior: SplitDelimiterBehavior = "isolated") {}
  static fromJSON(json: JsonObject, path: string): PunctuationPreTokenizer {
    return new PunctuationPreTokenizer(readBehavior(json, "behavior", path, "isolated"));
  }
  preTokenize(p: PreTokenizedString): void {
    splitEach(p, isPunctuation, this.behavior);
  }
  preTokenizeText(piece: string, _atStart: boolean, out: string[]): void {
    splitText(piece, isPunctuation, this.behavior, false, out);
  }
  toJSON(): JsonObject {
    return { type: this.type, behavior: behaviorToJSON(this.behavior) };
  }
}
