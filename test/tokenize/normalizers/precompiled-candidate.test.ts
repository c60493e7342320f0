// PrecompiledCharsmap.firstCandidate (the loop that skips to where a rule may start) against the walk it stands in
// for: longestAt at every character. On real charsmaps (nmt_nfkc of the .model files), FLORES lines, and arbitrary
// text mixing ASCII, characters that start rules, surrogate pairs and lone surrogates.

import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { test } from "node:test";
import fc from "fast-check";
import { parseSentencePieceModel } from "../../../src/formats/sentencepiece.js";
import { PrecompiledCharsmap } from "../../../src/tokenize/normalizers/precompiled.js";
import { cpLen } from "../../../src/tokenize/normalized.js";

const SPM = "../shared/data/tokenizers/sentencepiece";
const maps = readdirSync(SPM)
  .filter((f) => f.endsWith(".model"))
  .map((f) => ({ name: f, map: new PrecompiledCharsmap(parseSentencePieceModel(readFileSync(`${SPM}/${f}`)).normalizerSpec.precompiledCharsmap) }));

/** The first position from `from` where longestAt matches a rule, stepping by whole characters. */
function firstMatchByWalk(map: PrecompiledCharsmap, text: string, from: number): number {
  for (let i = from; i < text.length; i += cpLen(text, i)) if (map.longestAt(text, i) > 0) return i;
  return text.length;
}

/** firstCandidate may stop early (a rule may start there), never late: the walk from its answer finds the same match. */
function assertNoMatchSkipped(map: PrecompiledCharsmap, text: string): void {
  for (let from = 0; from < text.length; from += cpLen(text, from)) {
    const candidate = map.firstCandidate(text, from);
    assert.ok(candidate >= from && candidate <= text.length);
    assert.equal(firstMatchByWalk(map, text, candidate), firstMatchByWalk(map, text, from), `${JSON.stringify(text)} from ${from}`);
  }
}

test("the .model files have charsmaps", () => {
  assert.ok(maps.length >= 4);
  for (const { name, map } of maps) assert.ok(map.firstCandidate("x\u00be", 0) <= 1, name);
});

test("firstCandidate skips no match on FLORES lines", () => {
  const F = "../shared/data/flores200/devtest";
  const lines = readdirSync(F).flatMap((f) => readFileSync(`${F}/${f}`, "utf8").split("\n").filter(Boolean).slice(0, 25));
  lines.push("Add ¾ cup, ½ of x² and a\u200bzero-width space; ＡＢＣ full-width, ﬁ ligature, ①, Å");
  for (const { map } of maps) for (const line of lines) assertNoMatchSkipped(map, line);
});

test("firstCandidate skips no match on arbitrary text", () => {
  const pieces = ["a", " ", "b.", "\u00be", "\u00bd", "\u00b2", "\u200b", "\uff21", "\ufb01", "\u2460", "A\u030a", "\u00e9", "😀", "\ud800", "\udc00", "\u3000", "\t", "\u00a0"];
  const text = fc.array(fc.oneof(fc.constantFrom(...pieces), fc.string({ maxLength: 3 }), fc.string({ unit: "grapheme", maxLength: 2 })), { maxLength: 24 }).map((p) => p.join(""));
  for (const { map } of maps) fc.assert(fc.property(text, (t) => assertNoMatchSkipped(map, t)), { numRuns: 300, seed: 20 });
});
