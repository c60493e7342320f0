// Property tests on random Unicode built from the strings that break tokenizers: lone surrogates, stacked combining
// marks, ZWJ emoji chains, NUL and control characters, CJK runs, digit runs, any code point. Parity with the
// references (HF binding, tiktoken) and decode(encode(x)) round trips; a fixed seed keeps the run repeatable.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import tk from "tokenizers";
import { get_encoding } from "tiktoken";
import { Tokenizer } from "../../src/index.js";
import { rankFileText } from "../formats/rank-files.js";

const SEED = 16;
const RUNS = 120;

const marks = fc.array(fc.integer({ min: 0x300, max: 0x36f }), { minLength: 1, maxLength: 12 }).map((cs) => String.fromCodePoint(...cs));
const emoji = fc.constantFrom("👩", "👨", "👧", "👦", "🏳", "❤", "🔥", "🧑", "🏽", "\ufe0f", "🇩🇪");
const piece = fc.oneof(
  fc.constantFrom("\ud800", "\udfff", "\udbff\ud800", "\u0000", "\u0001", "\t", "\n", "\r\n", " ", "  ", "\u00a0", "\u3000", "\u200b", "\ufeff", "\u2028", "\u0085"),
  fc.tuple(fc.constantFrom("a", "e", "Z", "ß", "ı", "ᄀ", "ก", "ज", " "), marks).map(([b, m]) => b + m),
  fc.array(emoji, { minLength: 2, maxLength: 6 }).map((es) => es.join("\u200d")),
  fc.array(fc.integer({ min: 0x4e00, max: 0x9fff }), { minLength: 1, maxLength: 8 }).map((cs) => String.fromCodePoint(...cs)),
  fc.stringMatching(/^[0-9]{1,40}$/),
  fc.stringMatching(/^[0-9٠-٩०-९]{1,12}$/),
  fc.constantFrom("Hello", " world", "Straße", "İstanbul", "ﬁ", "①", "’s", "'ll", "<s>", "</s>", "<|endoftext|>", "[CLS]"),
  fc.integer({ min: 0, max: 0x10ffff }).filter((c) => c < 0xd800 || c > 0xdfff).map((c) => String.fromCodePoint(c)),
  fc.string({ unit: "binary", maxLength: 6 }),
);
const text = fc.array(piece, { maxLength: 14 }).map((ps) => ps.join(""));

/** A JS string as UTF-8 carries it: lone surrogates become U+FFFD. */
const wellFormed = (s: string) => new TextDecoder("utf-8", { ignoreBOM: true }).decode(new TextEncoder().encode(s));

for (const [name, path] of [["gpt-2", "../shared/data/tokenizers/gpt-2.json"], ["llama", "../shared/data/tokenizers/llama.json"], ["de-8k (retoken-trained)", "assets/tokenizers/de-8k.json"]] as const) {
  test(`random Unicode: ${name} gives the HF binding's ids, offsets and decoded text`, async () => {
    const ours = await Tokenizer.fromFile(path);
    const ref = tk.Tokenizer.fromFile(path);
    await fc.assert(
      fc.asyncProperty(text, async (s) => {
        const r = await ref.encode(s, null, { addSpecialTokens: true });
        const e = ours.encode(s, { addSpecialTokens: true });
        assert.deepEqual(Array.from(e.ids), r.getIds(), `ids of ${JSON.stringify(s)}`);
        assert.deepEqual(e.codePointOffsets, r.getOffsets(), `offsets of ${JSON.stringify(s)}`);
        assert.equal(ours.decode(r.getIds()), await ref.decode(r.getIds(), false), `decode of ${JSON.stringify(s)}`);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
}

test("random Unicode: a cl100k_base rank file gives tiktoken's ids, and every byte-level tokenizer decodes back the text", async () => {
  const cl100k = Tokenizer.fromBytes(new TextEncoder().encode(rankFileText("cl100k_base")), { fileName: "cl100k_base.tiktoken" });
  const gpt2 = await Tokenizer.fromFile("../shared/data/tokenizers/gpt-2.json");
  const llama = await Tokenizer.fromFile("../shared/data/tokenizers/llama.json");
  const enc = get_encoding("cl100k_base");
  try {
    fc.assert(
      fc.property(text, (s) => {
        const ids = cl100k.encode(s, { addSpecialTokens: false }).ids;
        assert.deepEqual(Array.from(ids), Array.from(enc.encode(s, "all")), `ids of ${JSON.stringify(s)}`);
        // Byte-level BPE and byte fallback lose nothing: the text comes back as UTF-8 carried it.
        assert.equal(cl100k.decode(ids), wellFormed(s), `cl100k round trip of ${JSON.stringify(s)}`);
        assert.equal(gpt2.decode(gpt2.encode(s).ids), wellFormed(s), `gpt-2 round trip of ${JSON.stringify(s)}`);
        // (Llama's added tokens typed in the text split it, and each part gets its own "▁" prefix: not a round trip.)
        const plain = s.replace(/<\/?s>|<unk>/g, "");
        assert.equal(llama.decode(llama.encode(plain, { addSpecialTokens: false }).ids), wellFormed(plain), `llama round trip of ${JSON.stringify(plain)}`);
      }),
      { seed: SEED, numRuns: RUNS * 2 },
    );
  } finally {
    enc.free();
  }
});
