// Long unsplit pieces (one letter, digits, no spaces, emoji chains, byte fallback) take the heap merge (over 256
// symbols): ids, tokens and offsets must equal the HF binding's, through encode() and encodeIds().
import { test } from "node:test";
import assert from "node:assert/strict";
import tk from "tokenizers";
import { Tokenizer } from "../../../src/index.js";
import { mulberry32 } from "../../../src/util/random.js";

const files = ["gpt-2.json", "llama.json", "mistral.json"];

function longPieces(): string[] {
  const rand = mulberry32(7);
  const randomLetters = (n: number, alphabet: string) => Array.from({ length: n }, () => alphabet[Math.floor(rand() * alphabet.length)]).join("");
  return [
    "a".repeat(3001),
    "ab".repeat(700),
    "1234567890".repeat(300) + "7",
    "abcdefghij".repeat(250),
    "👨‍👩‍👧‍👦".repeat(90),
    "漢字".repeat(400),
    randomLetters(2500, "aabbbcdeeeeflmnoprst"),
    randomLetters(1200, "абвгдеёжзийклмнопрс"),
    " ".repeat(1000) + "x",
    "x" + "\u0301".repeat(600),
  ];
}

for (const file of files) {
  test(`long unsplit pieces match the HF binding: ${file}`, async () => {
    const path = `../shared/data/tokenizers/${file}`;
    const ours = await Tokenizer.fromFile(path);
    const oracle = tk.Tokenizer.fromFile(path);
    for (const text of longPieces()) {
      const ref = await oracle.encode(text, null, { addSpecialTokens: false });
      const enc = ours.encode(text, { addSpecialTokens: false });
      const label = `${file}: ${JSON.stringify(text.slice(0, 12))}… (${text.length} units)`;
      assert.deepEqual(enc.ids, ref.getIds(), label);
      assert.deepEqual(enc.tokens, ref.getTokens(), label);
      assert.deepEqual(enc.codePointOffsets, ref.getOffsets(), label);
      assert.deepEqual(ours.encodeIds(text, { addSpecialTokens: false }), ref.getIds(), label);
    }
  });
}
