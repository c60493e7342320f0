// Every normalizer and pre-tokenizer (and added-token matching) against the HF oracle: same pieces, same
// code-point offsets into the input, on FLORES sentences in 42 languages and hard strings.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import fc from "fast-check";
import { sentencePieceToTokenizerJson } from "../../../src/formats/sentencepiece.js";
import type { JsonObject } from "../../../src/tokenize/types.js";
import { floresSample, HARD_STRINGS } from "./flores.js";
import { comparePieces, type Stages } from "./stage-harness.js";

const TEXTS = [...HARD_STRINGS, ...floresSample(2)];

const LLAMA3_PATTERN =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const O200K_PATTERN =
  "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

const spm = (name: string): Stages => {
  const j = sentencePieceToTokenizerJson(new Uint8Array(readFileSync(`../shared/data/tokenizers/sentencepiece/${name}.model`)), { spmEncode: false });
  return { normalizer: j.normalizer as JsonObject, pre_tokenizer: j.pre_tokenizer as JsonObject };
};

const special = (id: number, content: string, o: Partial<Record<string, boolean>> = {}): JsonObject => ({
  id,
  content,
  single_word: false,
  lstrip: false,
  rstrip: false,
  normalized: false,
  special: true,
  ...o,
});

const CASES: [string, Stages][] = [
  ["NFC", { normalizer: { type: "NFC" } }],
  ["NFD", { normalizer: { type: "NFD" } }],
  ["NFKC", { normalizer: { type: "NFKC" } }],
  ["NFKD", { normalizer: { type: "NFKD" } }],
  ["Lowercase", { normalizer: { type: "Lowercase" } }],
  ["Strip", { normalizer: { type: "Strip", strip_left: true, strip_right: true } }],
  ["Strip right", { normalizer: { type: "Strip", strip_left: false, strip_right: true } }],
  ["NFD+StripAccents", { normalizer: { type: "Sequence", normalizers: [{ type: "NFD" }, { type: "StripAccents" }] } }],
  ["Replace string", { normalizer: { type: "Replace", pattern: { String: " " }, content: "▁" } }],
  ["Replace regex", { normalizer: { type: "Replace", pattern: { Regex: " {2,}" }, content: " " } }],
  ["Replace to nothing", { normalizer: { type: "Replace", pattern: { Regex: "[aeiou]" }, content: "" } }],
  ["Prepend+Replace (Llama)", { normalizer: { type: "Sequence", normalizers: [{ type: "Prepend", prepend: "▁" }, { type: "Replace", pattern: { String: " " }, content: "▁" }] } }],
  ["BertNormalizer", { normalizer: { type: "BertNormalizer", clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true } }],
  ["BertNormalizer cased", { normalizer: { type: "BertNormalizer", clean_text: true, handle_chinese_chars: true, strip_accents: false, lowercase: false } }],
  ["ByteLevel normalizer", { normalizer: { type: "ByteLevel" } }],
  ["ByteLevel", { pre_tokenizer: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true } }],
  ["ByteLevel no regex", { pre_tokenizer: { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: false } }],
  ["Whitespace", { pre_tokenizer: { type: "Whitespace" } }],
  ["WhitespaceSplit", { pre_tokenizer: { type: "WhitespaceSplit" } }],
  ["Metaspace always", { pre_tokenizer: { type: "Metaspace", replacement: "▁", prepend_scheme: "always", split: true } }],
  ["Metaspace first", { pre_tokenizer: { type: "Metaspace", replacement: "▁", prepend_scheme: "first", split: true }, added_tokens: [special(0, "<s>")] }],
  ["Metaspace never nosplit", { pre_tokenizer: { type: "Metaspace", replacement: "▁", prepend_scheme: "never", split: false } }],
  ["Metaspace legacy", { pre_tokenizer: { type: "Metaspace", replacement: "▁", add_prefix_space: true } }],
  ["Punctuation", { pre_tokenizer: { type: "Punctuation", behavior: "Isolated" } }],
  ["Punctuation contiguous", { pre_tokenizer: { type: "Punctuation", behavior: "Contiguous" } }],
  ["Digits individual", { pre_tokenizer: { type: "Digits", individual_digits: true } }],
  ["Digits", { pre_tokenizer: { type: "Digits", individual_digits: false } }],
  ["BertPreTokenizer", { pre_tokenizer: { type: "BertPreTokenizer" } }],
  ["CharDelimiterSplit", { pre_tokenizer: { type: "CharDelimiterSplit", delimiter: " " } }],
  ["UnicodeScripts", { pre_tokenizer: { type: "UnicodeScripts" } }],
  ["FixedLength", { pre_tokenizer: { type: "FixedLength", length: 4 } }],
  ["Split removed", { pre_tokenizer: { type: "Split", pattern: { String: " " }, behavior: "Removed", invert: false } }],
  ["Split merged previous", { pre_tokenizer: { type: "Split", pattern: { Regex: "\\s+" }, behavior: "MergedWithPrevious", invert: false } }],
  ["Split merged next", { pre_tokenizer: { type: "Split", pattern: { Regex: "\\p{P}" }, behavior: "MergedWithNext", invert: false } }],
  ["Split invert", { pre_tokenizer: { type: "Split", pattern: { Regex: "\\w+" }, behavior: "Removed", invert: true } }],
  ["Split anchors", { pre_tokenizer: { type: "Split", pattern: { Regex: "^ +| +$|\\d\\d" }, behavior: "Isolated", invert: false } }],
  ["Llama 3 split", { pre_tokenizer: { type: "Sequence", pretokenizers: [{ type: "Split", pattern: { Regex: LLAMA3_PATTERN }, behavior: "Isolated", invert: false }, { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: false }] } }],
  ["o200k split", { pre_tokenizer: { type: "Split", pattern: { Regex: O200K_PATTERN }, behavior: "Isolated", invert: false } }],
  ["Sequence WhitespaceSplit+Metaspace", { pre_tokenizer: { type: "Sequence", pretokenizers: [{ type: "WhitespaceSplit" }, { type: "Metaspace", replacement: "▁", prepend_scheme: "first", split: true }] } }],
  ["SentencePiece en (Precompiled)", spm("en-unigram")],
  ["SentencePiece hi (Precompiled)", spm("hi-unigram")],
  [
    "added tokens",
    {
      normalizer: { type: "Lowercase" },
      added_tokens: [
        special(0, "<s>"),
        special(1, "</s>"),
        special(2, "<mask>", { lstrip: true, rstrip: true }),
        special(3, "<|endoftext|>"),
        special(4, "[CLS]", { single_word: true }),
        { id: 5, content: "Spaces", single_word: false, lstrip: false, rstrip: false, normalized: true, special: false },
        { id: 6, content: "the", single_word: true, lstrip: false, rstrip: false, normalized: true, special: false },
      ],
    },
  ],
];

// Characters whose Unicode properties changed after the oracle's tables (Node 20 has Unicode 17): U+0589 ARMENIAN
// FULL STOP is Armenian script here, Common there.
const NEWER_UNICODE = /\u0589/;

for (const [name, stages] of CASES) {
  test(`${name} matches the oracle`, async () => {
    for (const text of TEXTS) {
      if (name === "UnicodeScripts" && NEWER_UNICODE.test(text)) continue;
      const { ours, theirs } = await comparePieces(stages, text);
      assert.deepEqual(
        ours.map((p) => [p.token, p.offsets]),
        theirs.map((p) => [p.token, p.offsets]),
        `text ${JSON.stringify(text.slice(0, 80))}`,
      );
    }
  });
}

// Random strings over an alphabet of troublemakers, through stage combinations that transform text heavily.
const FUZZ_ALPHABET = ["ab", "'ſ", "'LL", ..."aZ  \t\n\r\u00a0\u3000\u200b\u200d\ufeff\u0000\u0085'sé\u0301\u0308ßİΣςﬁ①½٣中ｶﾞ한\u1100\u1161.-!<>", "😀", "𝐀", "\ud800", "👍🏽", "<s>", "<mask>", "  "];
const FUZZ: [string, Stages][] = [
  ["NFKC+Lowercase+ByteLevel", { normalizer: { type: "Sequence", normalizers: [{ type: "NFKC" }, { type: "Lowercase" }] }, pre_tokenizer: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true }, added_tokens: [special(0, "<s>"), { id: 1, content: "ab", single_word: true, lstrip: false, rstrip: false, normalized: true, special: false }] }],
  ["NFD+StripAccents+Whitespace", { normalizer: { type: "Sequence", normalizers: [{ type: "NFD" }, { type: "StripAccents" }, { type: "Strip", strip_left: true, strip_right: true }] }, pre_tokenizer: { type: "Whitespace" } }],
  ["Bert", { normalizer: { type: "BertNormalizer", clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true }, pre_tokenizer: { type: "BertPreTokenizer" }, added_tokens: [special(0, "<mask>", { lstrip: true, rstrip: true })] }],
  ["Precompiled+Metaspace", { ...spm("en-unigram"), added_tokens: [special(0, "<s>")] }],
  ["Llama 3 split", CASES.find(([n]) => n === "Llama 3 split")![1]],
];
for (const [name, stages] of FUZZ) {
  test(`${name}: random strings match the oracle`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom(...FUZZ_ALPHABET), { maxLength: 24 }), async (chars) => {
        const text = chars.join("");
        const { ours, theirs } = await comparePieces(stages, text);
        assert.deepEqual(
          ours.map((p) => [p.token, p.offsets]),
          theirs.map((p) => [p.token, p.offsets]),
          JSON.stringify(text),
        );
      }),
      { numRuns: 300 },
    );
  });
}
