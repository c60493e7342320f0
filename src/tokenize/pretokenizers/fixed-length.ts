import { codePoints } from "../normalized.js";
import type { PreTokenizedString } from "../pretokenized.js";
import { TokenizerError, type JsonObject, type PreTokenizer } from "../types.js";
import { nonNegativeInt } from "../json-fields.js";

/** Cuts each piece into chunks of `length` characters. */
export class FixedLengthPreTokenizer implements PreTokenizer {
  readonly type = "FixedLength";
  constructor(readonly length = 5) {}
  static fromJSON(json: JsonObject, path: string): FixedLengthPreTokenizer {
    return new FixedLengthPreTokenizer(nonNegativeInt(json.length ?? 5, `${path}.length`, 0xffffffff, 1));
  }
  private bounds(s: string): number[] {
    const out: number[] = [];
    let pos = 0;
    let k = 0;
    for (const ch of codePoints(s)) {
      if (k % this.length === 0) out.push(pos);
      pos += ch.length;
      k++;
    }
    out.push(pos);
    return out;
  }
  preTokenize(p: PreTokenizedString): void {
    p.split((_, n) => {
      const b = this.bounds(n.normalized);
      const parts = [];
      for (let i = 0; i + 1 < b.length; i++) parts.push(n.slice(b[i]!, b[i + 1]!));
      return parts;
    });
  }
  preTokenizeText(piece: string, _atStart: boolean, out: string[]): void {
    const b = this.bounds(piece);
    for (let i = 0; i + 1 < b.length; i++) out.push(piece.slice(b[i], b[i + 1]));
  }
  toJSON(): JsonObject {
    return { type: this.type, length: this.length };
  }
}
