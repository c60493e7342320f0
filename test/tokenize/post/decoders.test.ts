// Decoders against the oracle: the same tokens decoded by HF and by decodeChain(...).join("").

import test from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { decoderFromJSON } from "../../../src/tokenize/decoders/index.js";
import type { Decoder, JsonObject } from "../../../src/tokenize/types.js";
import { mixedLines, oracle, REAL, tokenizerJson, wordLevelWith } from "./oracle.js";

/** Decodes each token list with the oracle (one WordLevel tokenizer knowing all their tokens) and with ours. */
async function compare(decoderJson: JsonObject, lists: string[][], label: string): Promise<void> {
  const { json, ids } = wordLevelWith(lists.flat(), decoderJson);
  const o = oracle(json);
  const ours: Decoder = decoderFromJSON(decoderJson, "decoder");
  for (const tokens of lists) {
    const want = await o.decode(tokens.map((t) => ids.get(t)!), false);
    const got = ours.decodeChain(tokens).join("");
    assert.equal(got, want, `${label}: ${JSON.stringify(tokens).slice(0, 300)}`);
  }
}

/** Token lists the oracle produces for many FLORES lines with a real tokenizer. */
async function realTokens(path: string, lines: string[]): Promise<string[][]> {
  const o = oracle(tokenizerJson(path));
  const out: string[][] = [];
  for (const l of lines) out.push((await o.encode(l, undefined, { addSpecialTokens: false })).getTokens());
  return out;
}

const LINES = mixedLines(3);

test("real decoders (GPT-2, Llama, Gemma 3, Qwen 3, Llama 3) decode FLORES tokens in many scripts as HF does", async () => {
  for (const [name, path] of Object.entries(REAL)) {
    const json = tokenizerJson(path);
    const lists = await realTokens(path, LINES);
    // Cut token lists in the middle of characters too (a byte-level token alone, a byte-fallback run cut short).
    const cuts = lists.flatMap((l) => [l.slice(0, Math.ceil(l.length / 3)), l.slice(1, 7), l.slice(-5)]);
    await compare(json.decoder as JsonObject, [...lists, ...cuts], name);
    // Round trip of the decoder JSON.
    assert.deepEqual(decoderFromJSON(json.decoder as JsonObject, "decoder").toJSON(), json.decoder, `${name} toJSON`);
  }
});

/** Turns a line into WordPiece-like pieces: words split in random places, continuations with the prefix. */
function wordPieces(line: string, prefix: string, seed: number): string[] {
  const out: string[] = [];
  let x = seed;
  for (const w of line.split(/\s+/).filter(Boolean)) {
    const chars = Array.from(w);
    let i = 0;
    let first = true;
    while (i < chars.length) {
      x = (x * 1103515245 + 12345) >>> 0;
      const n = 1 + (x % 4);
      const piece = chars.slice(i, i + n).join("");
      out.push(first ? piece : prefix + piece);
      first = false;
      i += n;
    }
  }
  return out;
}

test("WordPiece decoder (prefix, cleanup) matches HF", async () => {
  const lists = LINES.map((l, i) => wordPieces(l, "##", i));
  lists.push(["Hello", ",", "I", "do", "not", "'", "m", "n't", "it", "'s", "?", "!", ".", "##s", "'", "re"]);
  lists.push(["##start", "do not", " ' ", " n't"]);
  await compare({ type: "WordPiece", prefix: "##", cleanup: true }, lists, "wordpiece cleanup");
  await compare({ type: "WordPiece", prefix: "##", cleanup: false }, lists, "wordpiece");
  await compare({ type: "WordPiece", prefix: "@@", cleanup: true }, LINES.map((l, i) => wordPieces(l, "@@", i)), "wordpiece @@");
});

test("Metaspace decoder (prepend schemes, legacy add_prefix_space) matches HF on Llama tokens", async () => {
  const lists = await realTokens(REAL.llama, LINES);
  lists.push(["▁▁a", "▁b", "▁▁"], ["▁"], ["a▁b▁", "▁"], []);
  for (const scheme of ["always", "first", "never"]) {
    await compare({ type: "Metaspace", replacement: "▁", prepend_scheme: scheme, split: true }, lists, `metaspace ${scheme}`);
  }
  // HF refuses add_prefix_space false without prepend_scheme "never"; we read it as "never".
  await compare({ type: "Metaspace", replacement: "▁", add_prefix_space: false, prepend_scheme: "never" }, lists, "metaspace legacy false");
  const legacy = decoderFromJSON({ type: "Metaspace", replacement: "▁", add_prefix_space: false }, "d");
  assert.equal(legacy.decodeChain(["▁a", "▁b"]).join(""), " a b");
  await compare({ type: "Metaspace", replacement: "▁", add_prefix_space: true }, lists, "metaspace legacy true");
  const lists2 = lists.map((l) => l.map((t) => t.replaceAll("▁", "_")));
  await compare({ type: "Metaspace", replacement: "_", prepend_scheme: "always", split: false }, lists2, "metaspace _");
});

test("ByteFallback, Fuse, Strip, Replace, BPEDecoder, CTC and Sequence match HF on edge cases", async () => {
  const bytes = (s: string): string[] => Array.from(new TextEncoder().encode(s), (b) => `<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`);
  const fallback = [
    bytes("中"),
    bytes("中").slice(0, 2),
    ["a", ...bytes("é"), "b", ...bytes("😀").slice(1), "c"],
    [...bytes("中"), "<0xFF>", ...bytes("x")],
    ["<0xC3>", "<0xA9>", "<0xC3>"],
    ["<0x+F>", "<0x41>", "<0xzz>", "<0x4>", "<0x41 >"],
    ["<0xed>", "<0xa0>", "<0x80>"],
  ];
  await compare({ type: "ByteFallback" }, fallback, "bytefallback");
  await compare({ type: "Sequence", decoders: [{ type: "ByteFallback" }, { type: "Fuse" }] }, fallback, "bytefallback+fuse");
  // HF panics when `stop` exceeds a token's length or the cuts cross; those cases are only checked on ours below.
  const words = [["  a  ", "b   ", "    ", "   c"], ["xxxx", "xaxx"], ["ééé", "éaé"]];
  await compare({ type: "Strip", content: " ", start: 1, stop: 2 }, words, "strip");
  await compare({ type: "Strip", content: "x", start: 1, stop: 1 }, words, "strip x");
  await compare({ type: "Strip", content: "é", start: 2, stop: 0 }, words, "strip é");
  const long = decoderFromJSON({ type: "Strip", content: " ", start: 5, stop: 5 }, "d");
  assert.deepEqual(long.decodeChain(["", " ", "  a  ", "b"]), ["", "", "a", "b"]);
  await compare({ type: "Replace", pattern: { String: "▁" }, content: " " }, [["▁a▁▁b", "▁"], ["x"]], "replace");
  await compare({ type: "Replace", pattern: { Regex: "\\s+" }, content: "_" }, [["a  b\tc", " "], ["x"]], "replace regex");
  await compare({ type: "Replace", pattern: { String: "aa" }, content: "b" }, [["aaa", "aaaa"]], "replace overlapping");
  await compare({ type: "BPEDecoder", suffix: "</w>" }, [["hel", "lo</w>", "wor", "ld</w>"], ["a</w>b</w>"], ["x"], []], "bpe");
  await compare({ type: "BPEDecoder", suffix: "" }, [["hel", "lo"], ["é😀", ""]], "bpe empty suffix");
  await compare({ type: "Replace", pattern: { String: "" }, content: "-" }, [["ab", ""]], "replace empty");
  await compare({ type: "CTC", pad_token: "<pad>", word_delimiter_token: "", cleanup: true }, [["ab", "c"]], "ctc empty delimiter");
  const ctc = [["<pad>", "h", "h", "e", "<pad>", "l", "l", "<pad>", "l", "o", "|", "|", "w", "o", "|", "do not", " .", "<pad>"], []];
  await compare({ type: "CTC", pad_token: "<pad>", word_delimiter_token: "|", cleanup: true }, ctc, "ctc");
  await compare({ type: "CTC", pad_token: "<pad>", word_delimiter_token: "|", cleanup: false }, ctc, "ctc no cleanup");
});

test("ByteLevel decoder matches HF on random byte-alphabet strings (incomplete and invalid UTF-8)", async () => {
  const alphabet = Object.keys((tokenizerJson(REAL.gpt2).model as JsonObject).vocab as JsonObject).filter((t) => Array.from(t).length === 1);
  const tok = fc.array(fc.constantFrom(...alphabet), { minLength: 1, maxLength: 4 }).map((a) => a.join(""));
  const lists = fc.sample(fc.array(fc.oneof(tok, fc.constantFrom("<|endoftext|>", "é", "日本")), { maxLength: 12 }), { numRuns: 300, seed: 42 });
  await compare({ type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true }, lists, "bytelevel random");
});

test("decoder JSON errors name the field", () => {
  assert.throws(() => decoderFromJSON({ type: "Nope" }, "tokenizer.json: decoder"), /tokenizer\.json: decoder\.type: unknown decoder type "Nope"/);
  assert.throws(() => decoderFromJSON({ type: "Sequence", decoders: [{ type: "Strip", content: "ab", start: 1, stop: 0 }] }, "d"), /d\.decoders\[0\]\.content: expected a single character/);
  assert.throws(() => decoderFromJSON({ type: "Replace", pattern: { Regex: "(" }, content: "" }, "d"), /d\.pattern\.Regex: invalid regular expression/);
  const all: JsonObject[] = [
    { type: "WordPiece", prefix: "##", cleanup: true },
    { type: "Metaspace", replacement: "▁", prepend_scheme: "first", split: false },
    { type: "Strip", content: " ", start: 1, stop: 0 },
    { type: "CTC", pad_token: "<pad>", word_delimiter_token: "|", cleanup: true },
    { type: "BPEDecoder", suffix: "</w>" },
    { type: "Replace", pattern: { Regex: "a+" }, content: "b" },
  ];
  for (const j of all) assert.deepEqual(decoderFromJSON(j, "d").toJSON(), j);
});
