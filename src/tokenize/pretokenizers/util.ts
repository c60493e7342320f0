// Shared by the pre-tokenizer files: the split behaviors as tokenizer.json spells them, and a split-each helper.

import type { NormalizedString, SplitDelimiterBehavior, SplitPattern } from "../normalized.js";
import type { PreTokenizedString } from "../pretokenized.js";
import { TokenizerError, type JsonObject } from "../types.js";

const BEHAVIORS: Record<string, SplitDelimiterBehavior> = {
  Removed: "removed",
  Isolated: "isolated",
  MergedWithPrevious: "merged_with_previous",
  MergedWithNext: "merged_with_next",
  Contiguous: "contiguous",
};

export function readBehavior(o: JsonObject, key: string, path: string, fallback?: SplitDelimiterBehavior): SplitDelimiterBehavior {
  const v = o[key];
  if ((v === undefined || v === null) && fallback) return fallback;
  const b = typeof v === "string" ? BEHAVIORS[v] : undefined;
  if (!b) throw new TokenizerError(`expected one of ${Object.keys(BEHAVIORS).join(", ")}, got ${JSON.stringify(v)}`, `${path}.${key}`);
  return b;
}

export function behaviorToJSON(b: SplitDelimiterBehavior): string {
  for (const [k, v] of Object.entries(BEHAVIORS)) if (v === b) return k;
  return "Isolated";
}

/** Splits every piece by the pattern. */
export function splitEach(p: PreTokenizedString, pattern: SplitPattern, behavior: SplitDelimiterBehavior, invert = false): void {
  p.split((_, n: NormalizedString) => n.split(pattern, behavior, invert));
}

/** Unicode punctuation as Rust's char::is_ascii_punctuation || char::is_punctuation (general category P). */
const PUNCT = /[\p{P}]/u;
export function isPunctuation(c: number): boolean {
  if (c < 0x80) return (c >= 0x21 && c <= 0x2f) || (c >= 0x3a && c <= 0x40) || (c >= 0x5b && c <= 0x60) || (c >= 0x7b && c <= 0x7e);
  return PUNCT.test(String.fromCodePoint(c));
}
