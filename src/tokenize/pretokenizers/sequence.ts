import type { PreTokenizedString } from "../pretokenized.js";
import type { JsonObject, PreTokenizer } from "../types.js";

/** Applies pre-tokenizers in order. */
export class SequencePreTokenizer implements PreTokenizer {
  readonly type = "Sequence";
  constructor(readonly preTokenizers: PreTokenizer[]) {}
  preTokenize(p: PreTokenizedString): void {
    for (const t of this.preTokenizers) t.preTokenize(p);
  }
  /** Present only when every member has a text-only fast path. */
  get preTokenizeText(): ((piece: string, atStart: boolean, out: string[]) => void) | undefined {
    if (!this.preTokenizers.every((t) => t.preTokenizeText)) return undefined;
    return (piece, atStart, out) => {
      let cur = [piece];
      let starts = [atStart];
      for (const t of this.preTokenizers) {
        const next: string[] = [];
        const nextStarts: boolean[] = [];
        for (let i = 0; i < cur.length; i++) {
          const before = next.length;
          t.preTokenizeText!(cur[i]!, starts[i]!, next);
          for (let k = before; k < next.length; k++) nextStarts.push(starts[i]! && k === before);
        }
        cur = next;
        starts = nextStarts;
      }
      for (const c of cur) out.push(c);
    };
  }
  toJSON(): JsonObject {
    return { type: this.type, pretokenizers: this.preTokenizers.map((t) => t.toJSON()) };
  }
}
