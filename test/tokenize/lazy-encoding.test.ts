// encode() computes tokens, offsets and the other fields on first read (issue 15). These tests pin what that must
// not change: the fields are those of the tokenizer as it was at encode() time, whatever is added or swapped before
// they are read; a field set by the caller is kept; every path (byte-level, SentencePiece-style, WordPiece, with and
// without special tokens) gives the same fields as the HF binding.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import tk from "tokenizers";
import { Tokenizer } from "../../src/index.js";
import { Encoding } from "../../src/tokenize/encoding.js";
import { TOKENIZERS, floresSlice } from "../support/corpora.js";

const FILES = ["gpt-2.json", "llama.json", "mistral.json"];
const TEXTS = ["Hello world, how are you?", "Émile a vu 3 éléphants — naïve café! 👨‍👩‍👧", ...floresSlice(1).slice(0, 12)];

const fields = (e: Encoding) => ({ ids: e.ids, tokens: e.tokens, offsets: e.offsets, wordIds: e.wordIds, typeIds: e.typeIds, specialTokensMask: e.specialTokensMask, attentionMask: e.attentionMask, sequenceIds: e.sequenceIds });

for (const file of FILES) {
  test(`${file}: fields read after the tokenizer changed are those of encode() time, and equal HF's`, async () => {
    const path = `${TOKENIZERS}/${file}`;
    const ref = tk.Tokenizer.fromString(readFileSync(path, "utf8"));
    for (const add of [true, false]) {
      const ours = await Tokenizer.fromFile(path);
      const pending = TEXTS.map((t) => ours.encode(t, { addSpecialTokens: add }));
      // Added tokens that occur in the texts: had they been used, ids and tokens would differ.
      ours.addTokens(["world", "café", "the"]);
      ours.addSpecialTokens(["<extra>"]);
      for (let i = 0; i < TEXTS.length; i++) {
        const e = pending[i]!;
        const want = await ref.encode(TEXTS[i]!, null, { addSpecialTokens: add });
        // The flat offsets, read before the pairs are made and after: the same numbers.
        const flat = Array.from(e.offsetSpans);
        assert.deepEqual(flat, e.offsets.flat(), `${file} offsetSpans ${TEXTS[i]}`);
        assert.deepEqual(Array.from(e.offsetSpans), flat);
        assert.deepEqual(e.ids, want.getIds(), `${file} ids ${TEXTS[i]}`);
        assert.deepEqual(e.tokens, want.getTokens(), `${file} tokens ${TEXTS[i]}`);
        assert.deepEqual(e.codePointOffsets, want.getOffsets(), `${file} offsets ${TEXTS[i]}`);
        assert.deepEqual(e.wordIds, want.getWordIds().map((w) => (w === undefined ? null : w)), `${file} word ids`);
        assert.deepEqual(e.specialTokensMask, want.getSpecialTokensMask(), `${file} special mask`);
        assert.deepEqual(e.attentionMask, want.getAttentionMask(), `${file} attention`);
        assert.deepEqual(e.typeIds, want.getTypeIds(), `${file} type ids`);
      }
      // And the changed tokenizer uses what was added, as HF does.
      const changed = tk.Tokenizer.fromString(readFileSync(path, "utf8"));
      changed.addTokens(["world", "café", "the"]);
      changed.addSpecialTokens(["<extra>"]);
      for (const text of TEXTS) assert.deepEqual(ours.encode(text, { addSpecialTokens: add }).tokens, (await changed.encode(text, null, { addSpecialTokens: add })).getTokens(), `${file} after adding: ${text}`);
      if (file === "gpt-2.json") assert.notDeepEqual(ours.encode(TEXTS[0]!).ids, pending[0]!.ids);
    }
  });
}

test("a field set before the others are read is kept; toJSON and a copy through the constructor carry every field", async () => {
  const t = await Tokenizer.fromFile(`${TOKENIZERS}/gpt-2.json`);
  const text = "The quick brown fox";
  const e = t.encode(text);
  e.tokens = e.ids.map(String);
  assert.deepEqual(e.tokens, e.ids.map(String));
  assert.deepEqual(e.offsets, [[0, 3], [3, 9], [9, 15], [15, 19]]);
  const json = JSON.parse(JSON.stringify(e));
  assert.deepEqual(json.offsets, e.offsets);
  assert.deepEqual(json.tokens, e.tokens);
  const copy = new Encoding(e.toJSON());
  assert.deepEqual(fields(copy), fields(e));
  // Changed in place, like any array.
  e.offsets[0]![1] = 2;
  assert.deepEqual(e.offsets[0], [0, 2]);
});

test("the model swapped after encode(): fields still come from the model that made the ids", async () => {
  const a = await Tokenizer.fromFile(`${TOKENIZERS}/llama.json`);
  const b = await Tokenizer.fromFile(`${TOKENIZERS}/mistral.json`);
  const text = "Tokenizers differ in their vocabularies and merges.";
  const want = fields(a.encode(text));
  const e = a.encode(text);
  a.model = b.model;
  assert.deepEqual(fields(e), want);
});

test("a stage whose text-only path disagrees with its aligned one: the fields are the aligned pipeline's, not spelled from ids of another piece", async () => {
  // The ids come from normalizeText (every "a" an "e" here), the fields from normalize (the file's own): the pieces
  // differ in text, not in length or token count, so only comparing the piece strings tells that the ids do not spell
  // them (without it the tokens would read "▁cet", "▁set", "▁met").
  const t = await Tokenizer.fromFile(`${TOKENIZERS}/llama.json`);
  const own = t.normalizer!;
  const text = "the cat sat on the mat";
  t.normalizer = { type: "Custom", normalize: (s) => own.normalize(s), toJSON: () => own.toJSON() };
  const want = t.encode(text); // no text-only path: the aligned pipeline gives ids and fields
  t.normalizer = { ...t.normalizer, normalizeText: (x: string) => own.normalizeText!(x.replaceAll("a", "e")) };
  const e = t.encode(text);
  assert.notDeepEqual(e.ids, want.ids);
  assert.equal(e.ids.length, want.ids.length);
  assert.deepEqual(e.tokens, want.tokens);
  assert.deepEqual(e.offsets, want.offsets);
});
