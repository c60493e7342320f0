// BertProcessing: [CLS] A [SEP] (B [SEP]).

import type { Encoding } from "../encoding.js";
import type { JsonObject } from "../types.js";
import { BasePostProcessor, tokenPair, wrap } from "./base.js";

export class BertProcessing extends BasePostProcessor {
  readonly type = "BertProcessing";
  constructor(
    readonly sep: [string, number] = ["[SEP]", 102],
    readonly cls: [string, number] = ["[CLS]", 101],
  ) {
    super();
  }

  static fromJSON(json: JsonObject, path: string): BertProcessing {
    return new BertProcessing(tokenPair(json, "sep", path), tokenPair(json, "cls", path));
  }

  addedTokens(isPair: boolean): number {
    return isPair ? 3 : 2;
  }

  processEncodings(encodings: Encoding[], addSpecialTokens: boolean): Encoding[] {
    if (!addSpecialTokens) return encodings;
    // Matches HF: the second sequence keeps its own type ids (1 from the tokenizer) and its [SEP] is type 1.
    return encodings.map((e, i) => (i === 0 ? wrap(e, this.cls, this.sep, 0, 0) : wrap(e, null, this.sep, 1, 1)));
  }

  toJSON(): JsonObject {
    return { type: this.type, sep: [...this.sep], cls: [...this.cls] };
  }
}
