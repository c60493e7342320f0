import type { NormalizedString } from "../normalized.js";
import type { JsonObject, Normalizer } from "../types.js";
import { reqStr } from "./util.js";

/** Adds a string in front of non-empty text (SentencePiece's dummy prefix "▁"). */
export class PrependNormalizer implements Normalizer {
  readonly type = "Prepend";
  constructor(readonly prepend: string) {}
  static fromJSON(json: JsonObject, path: string): PrependNormalizer {
    return new PrependNormalizer(reqStr(json, "prepend", path));
  }
  normalize(s: NormalizedString): void {
    s.prepend(this.prepend);
  }
  normalizeText(text: string): string {
    return text.length === 0 ? text : this.prepend + text;
  }
  toJSON(): JsonObject {
    return { type: this.type, prepend: this.prepend };
  }
}
