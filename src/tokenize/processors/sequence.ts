// Sequence of post-processors: each transforms the list of encodings in turn (HF's Sequence processor).

import type { Encoding } from "../encoding.js";
import { TokenizerError, type JsonObject } from "../types.js";
import { BasePostProcessor } from "./base.js";

export class SequenceProcessor extends BasePostProcessor {
  readonly type = "Sequence";
  constructor(readonly processors: BasePostProcessor[]) {
    super();
  }

  static fromJSON(json: JsonObject, path: string, build: (j: JsonObject, p: string) => BasePostProcessor): SequenceProcessor {
    const list = json.processors;
    if (!Array.isArray(list)) throw new TokenizerError("expected a list of post-processors", `${path}.processors`);
    return new SequenceProcessor(
      list.map((p, i) => {
        const at = `${path}.processors[${i}]`;
        if (!p || typeof p !== "object" || Array.isArray(p)) throw new TokenizerError("expected a post-processor object", at);
        return build(p, at);
      }),
    );
  }

  addedTokens(isPair: boolean): number {
    return this.processors.reduce((n, p) => n + p.addedTokens(isPair), 0);
  }

  processEncodings(encodings: Encoding[], addSpecialTokens: boolean): Encoding[] {
    let list = encodings;
    for (const p of this.processors) list = p.processEncodings(list, addSpecialTokens);
    return list;
  }

  toJSON(): JsonObject {
    return { type: this.type, processors: this.processors.map((p) => p.toJSON()) };
  }
}
