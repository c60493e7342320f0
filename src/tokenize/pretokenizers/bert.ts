import { isWhitespace, splitText } from "../normalized.js";
import type { PreTokenizedString } from "../pretokenized.js";
import type { JsonObject, PreTokenizer } from "../types.js";
import { isPunctuation, splitEach } from "./util.js";

/** BERT's pre-tokenizer: split on whitespace (dropped), then isolate each punctuation character. */
export class BertPreTokenizer implements PreTokenizer {
  readonly type = "BertPreTokenizer";
  preTokenize(p: PreTokenizedString): void {
    splitEach(p, isWhitespace, "removed");
    splitEach(p, isPunctuation, "isolated");
  }
  preTokenizeText(piece: string, _atStart: boolean, out: string[]): void {
    const words: string[] = [];
    splitText(piece, isWhitespace, "removed", false, words);
    for (const w of words) splitText(w, isPunctuation, "isolated", false, out);
  }
  toJSON(): JsonObject {
    return { type: this.type };
  }
}
