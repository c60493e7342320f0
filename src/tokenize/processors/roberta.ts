// RobertaProcessing: <s> A </s> (</s> B </s>), every type id 0, optional offset trimming as ByteLevel does.

import type { Encoding } from "../encoding.js";
import type { JsonObject } from "../types.js";
import { boolAllowingNull } from "../json-fields.js";
import { BasePostProcessor, tokenPair, trimByteLevelOffsets, wrap } from "./base.js";

export class RobertaProcessing extends BasePostProcessor {
  readonly type = "RobertaProcessing";
  constructor(
    readonly sep: [string, number] = ["</s>", 2],
    readonly cls: [string, number] = ["<s>", 0],
    readonly trimOffsets = true,
    readonly addPrefixSpace = true,
  ) {
    super();
  }

  static fromJSON(json: JsonObject, path: string): RobertaProcessing {
    return new RobertaProcessing(
      tokenPair(json, "sep", path),
      tokenPair(json, "cls", path),
      boolAllowingNull(json, "trim_offsets", path, true),
      boolAllowingNull(json, "add_prefix_space", path, true),
    );
  }

  addedTokens(isPair: boolean): number {
    return isPair ? 4 : 2;
  }

  processEncodings(encodings: Encoding[], addSpecialTokens: boolean): Encoding[] {
    for (const e of encodings) {
      if (this.trimOffsets) {
        trimByteLevelOffsets(e, this.addPrefixSpace);
        for (const o of e.overflowing) trimByteLevelOffsets(o, this.addPrefixSpace);
      }
      // Matches HF: RoBERTa has no segment embeddings, so every type id is 0.
      e.typeIds = new Array<number>(e.ids.length).fill(0);
    }
    if (!addSpecialTokens) return encodings;
    return encodings.map((e, i) => (i === 0 ? wrap(e, this.cls, this.sep, 0, 0, true) : wrap(e, this.sep, this.sep, 0, 1, true)));
  }

  toJSON(): JsonObject {
    return {
      type: this.type,
      sep: [...this.sep],
      cls: [...this.cls],
      trim_offsets: this.trimOffsets,
      add_prefix_space: this.addPrefixSpace,
    };
  }
}
