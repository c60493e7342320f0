// The hand-written split scanners must find exactly the matches of the regexes they replace.

import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { findAll, compilePattern } from "../../../src/tokenize/regex.js";
import { GPT2_PATTERN_SOURCE, LLAMA3_PATTERN_SOURCE, O200K_PATTERN_SOURCE, QWEN_PATTERN_SOURCE } from "../../../src/tokenize/pretokenizers/patterns.js";
import { gpt2Scanner, llama3Scanner, o200kScanner, qwenScanner, scannerClassTables, type SpanScanner } from "../../../src/tokenize/pretokenizers/scanners.js";
import { floresSample, HARD_STRINGS } from "./flores.js";

// Characters chosen to hit every branch: contractions in both cases, spaces of several kinds, newlines, letters
// (BMP and astral), digits of several scripts, combining marks, punctuation, emoji, lone surrogates.
// o200k_base also needs title case (ǅ), modifier letters (ʰ, ー), other letters (中), marks (\u0301, \u0903) in every
// position, and an astral lower-case letter (𝐚).
const ALPHABET = [..."'sStTrReEvVmMlLdDſK aA \t\n\r\u00a0\u3000\u2009\u0085\u000b0129٣①½.,!?-()\"/é\u0301ßΣ中ーǅʰ\u0903", "😀", "𝐀", "𝐚", "\ud800", "\udc00", "👍🏽", "\u200d"];

const CASES: [string, SpanScanner, string][] = [
  ["GPT-2", gpt2Scanner, GPT2_PATTERN_SOURCE],
  ["Llama 3", llama3Scanner, LLAMA3_PATTERN_SOURCE],
  ["Qwen", qwenScanner, QWEN_PATTERN_SOURCE],
  ["o200k_base", o200kScanner, O200K_PATTERN_SOURCE],
];

for (const [name, scanner, pattern] of CASES) {
  const re = compilePattern(pattern);
  const scan = (s: string) => {
    const out: number[] = [];
    scanner.scan(s, out);
    return out;
  };
  test(`${name} scanner finds the regex's matches`, () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...ALPHABET), { maxLength: 40 }), (chars) => {
        const s = chars.join("");
        assert.deepEqual(scan(s), findAll(re, s), JSON.stringify(s));
      }),
      { numRuns: 3000 },
    );
    for (const s of [...HARD_STRINGS, ...floresSample(4)]) assert.deepEqual(scan(s), findAll(re, s), JSON.stringify(s.slice(0, 60)));
  });
}

test("the scanners' BMP class tables, filled from regex runs, classify every code point as its one-character test does", () => {
  for (const { name, bmp, classify } of scannerClassTables()) {
    const wrong: string[] = [];
    for (let c = 0; c < 0x10000; c++) {
      if (c >= 0xd800 && c <= 0xdfff) continue;
      const k = classify(String.fromCharCode(c));
      if (bmp[c] !== k && wrong.length < 5) wrong.push(`U+${c.toString(16).padStart(4, "0")}: table ${bmp[c]}, test ${k}`);
    }
    assert.deepEqual(wrong, [], name);
  }
});
