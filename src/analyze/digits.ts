// How numbers of 1–6 digits split into tokens (Singh & Strouse 2024, "Tokenization counts"): left-to-right groups
// of three hurt arithmetic, right-to-left groups help. Each number is encoded alone, without special tokens.

import type { MeasurableTokenizer } from "./metrics.js";

export interface DigitTokenizer extends MeasurableTokenizer {
  encode(text: string, options?: { addSpecialTokens?: boolean }): { ids: ArrayLike<number>; offsets: [number, number][]; tokens: string[] };
}
import { mulberry32 } from "../util/random.js";

export interface DigitLengthStats {
  digits: number;
  samples: number;
  /** Partition pattern (digit counts of the tokens, e.g. "3+1") → how many numbers split that way. */
  patterns: Record<string, number>;
  /** Share split exactly as left-to-right groups of three (e.g. 1234 → 123|4). */
  leftToRightShare: number;
  /** Share split exactly as right-to-left groups of three (e.g. 1234 → 1|234). */
  rightToLeftShare: number;
  /** Share encoded as single digits. */
  singleDigitShare: number;
  meanTokens: number;
}

function groups(n: number, fromRight: boolean): string {
  const parts: number[] = [];
  const head = n % 3;
  if (fromRight) {
    if (head) parts.push(head);
    for (let i = 0; i < Math.floor(n / 3); i++) parts.push(3);
  } else {
    for (let i = 0; i < Math.floor(n / 3); i++) parts.push(3);
    if (head) parts.push(head);
  }
  return parts.join("+");
}

/** Splits of the numbers with `digits` digits: all of them up to 3 digits, a seeded sample beyond. */
export function digitPartitionStats(tokenizer: DigitTokenizer, digits: number, sample = 1000, seed = 1): DigitLengthStats {
  const numbers: string[] = [];
  const lo = digits === 1 ? 0 : 10 ** (digits - 1);
  const hi = 10 ** digits;
  if (hi - lo <= sample) for (let n = lo; n < hi; n++) numbers.push(String(n));
  else {
    const rand = mulberry32(seed + digits);
    for (let i = 0; i < sample; i++) numbers.push(String(lo + Math.floor(rand() * (hi - lo))));
  }
  const patterns: Record<string, number> = {};
  let tokensTotal = 0;
  for (const text of numbers) {
    const enc = tokenizer.encode(text, { addSpecialTokens: false });
    // Count the digits each token spells (its own string: a SentencePiece "▁" token spells none, and ASCII digits
    // look the same in every token alphabet).
    const parts: number[] = [];
    for (const token of enc.tokens) {
      const digitsIn = (token.match(/[0-9]/g) ?? []).length;
      if (digitsIn > 0) parts.push(digitsIn);
    }
    tokensTotal += enc.ids.length;
    const key = parts.join("+");
    patterns[key] = (patterns[key] ?? 0) + 1;
  }
  const share = (key: string) => (patterns[key] ?? 0) / numbers.length;
  return {
    digits,
    samples: numbers.length,
    patterns,
    leftToRightShare: share(groups(digits, false)),
    rightToLeftShare: share(groups(digits, true)),
    singleDigitShare: share(Array(digits).fill(1).join("+")),
    meanTokens: tokensTotal / numbers.length,
  };
}

export function digitReport(tokenizer: DigitTokenizer, maxDigits = 6): DigitLengthStats[] {
  const out: DigitLengthStats[] = [];
  for (let d = 1; d <= maxDigits; d++) out.push(digitPartitionStats(tokenizer, d));
  return out;
}
