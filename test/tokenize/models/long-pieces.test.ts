// Long unsplit pieces (one letter, digits, no spaces, emoji chains, byte fallback) take the heap merge (over 256
// symbols), pieces of 32-256 symbols the block merge: ids, tokens and offsets must equal the HF binding's, through
// encode() and encodeIds(); tiktoken's rank files must equal tiktoken on real unspaced scripts.
import { test } from "node:test";
import { readFileSync } from "node:fs";
import assert from "node:assert/strict";
import tk from "tokenizers";
import { Tokenizer } from "../../../src/index.js";
import { mulberry32 } from "../../../src/util/random.js";
import { rankFileText } from "../../formats/rank-files.js";

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
    // Under 256 units but over 256 symbols where characters fall back to bytes (Llama, Mistral): a cached run that
    // still takes the heap.
    "ꯃꯩꯇꯩ".repeat(60),
    "x" + "𝔘𝔫𝔦".repeat(40) + " y",
  ];
}

/** Single pieces at and around the block merge's bounds (32 and 256 symbols, its block width change at 128). */
function midPieces(): string[] {
  const rand = mulberry32(11);
  const out: string[] = [];
  for (const n of [31, 32, 33, 47, 64, 100, 127, 128, 129, 200, 255, 256, 257]) {
    for (const alphabet of ["aabbbcdeeeeflmnoprst", "абвгдеёжзийклмнопрс", "eeeeettaaoinshrdlu"]) {
      out.push(Array.from({ length: n }, () => alphabet[Math.floor(rand() * alphabet.length)]).join(""));
    }
  }
  return out;
}

/** Each text through encode() and encodeIds() of `file` against the HF binding: ids, tokens and offsets. */
async function assertMatchesBinding(file: string, texts: string[]): Promise<void> {
  const path = `../shared/data/tokenizers/${file}`;
  const ours = await Tokenizer.fromFile(path);
  const oracle = tk.Tokenizer.fromFile(path);
  for (const text of texts) {
    const ref = await oracle.encode(text, null, { addSpecialTokens: false });
    const enc = ours.encode(text, { addSpecialTokens: false });
    const label = `${file}: ${JSON.stringify(text.slice(0, 12))}… (${text.length} units)`;
    assert.deepEqual(enc.ids, ref.getIds(), label);
    assert.deepEqual(enc.tokens, ref.getTokens(), label);
    assert.deepEqual(enc.codePointOffsets, ref.getOffsets(), label);
    assert.deepEqual(ours.encodeIds(text, { addSpecialTokens: false }), ref.getIds(), label);
  }
}

for (const file of files) {
  test(`pieces of 32-256 symbols match the HF binding: ${file}`, () => assertMatchesBinding(file, midPieces()));
  test(`long unsplit pieces match the HF binding: ${file}`, () => assertMatchesBinding(file, longPieces()));
}

test("o200k on unspaced scripts (Thai, Burmese, Khmer, Japanese, Chinese FLORES lines) matches tiktoken", async () => {
  const { get_encoding } = await import("tiktoken");
  const oracle = get_encoding("o200k_base");
  const ours = Tokenizer.fromBytes(new TextEncoder().encode(rankFileText("o200k_base")));
  for (const lang of ["tha_Thai", "mya_Mymr", "khm_Khmr", "jpn_Jpan", "zho_Hans"]) {
    const text = readFileSync(`../shared/data/flores200/devtest/${lang}.devtest`, "utf8").split("\n").filter(Boolean).slice(0, 60);
    for (const line of text) {
      const ref = Array.from(oracle.encode(line));
      assert.deepEqual(ours.encodeIds(line, { addSpecialTokens: false }), ref, `${lang}: ${line.slice(0, 30)}`);
      assert.deepEqual(ours.encode(line, { addSpecialTokens: false }).ids, ref, `${lang}: ${line.slice(0, 30)}`);
    }
  }
  oracle.free();
});

