// rank-tables.wat against the JavaScript rank parser it stands in for: on every real rank file and on hand-made
// corner cases it either reads the text exactly as the parser does (the same bytes for every rank, the same rank for
// every token's bytes) or gives the text up (null), never a third answer.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { readRankTables, type RankLayout } from "../../src/formats/rank-tables.js";
import { PackedRanks, packagedTiktokenBytesToTokenizerJson, packagedTiktokenToTokenizerJson, parseRanksInJs, type IndexedRanks } from "../../src/formats/tiktoken.js";
import { GPT2_PATTERN_SOURCE } from "../../src/tokenize/pretokenizers/patterns.js";
import { ByteStringTable } from "../../src/util/byte-string-table.js";
import { Tokenizer } from "../../src/index.js";
import { assemble, WASM_MODULES, wasmModuleSource } from "../../scripts/build-wasm.mjs";
import { llama3RankText, packagedEncoding, rankFileText, type PackagedEncoding, type PackagedName } from "./rank-files.js";

const require = createRequire(import.meta.url);

/** The wasm reader's tables as the loader builds them, or null where it gave the text up. */
function wasmRanks(text: string, layout: RankLayout): (IndexedRanks & { table: ByteStringTable }) | null {
  const t = readRankTables(text, layout);
  return t && { ranks: PackedRanks.fromTables(t.bytes, t.startAt, t.endAt, t.rankLimit), table: ByteStringTable.fromParts({ ...t, data: t.bytes }) };
}

/** Every rank's bytes, and every token's rank by its bytes, equal in both. */
function assertSameRanks(a: IndexedRanks & { table: ByteStringTable }, b: IndexedRanks & { table: ByteStringTable }, label: string): void {
  assert.equal(a.ranks.length, b.ranks.length, `${label}: rank count`);
  for (let r = 0; r < a.ranks.length; r++) {
    assert.equal(a.ranks.has(r), b.ranks.has(r), `${label}: rank ${r} present`);
    if (!a.ranks.has(r)) continue;
    const bytes = a.ranks.bytes.subarray(a.ranks.start(r), a.ranks.end(r));
    assert.deepEqual(bytes, b.ranks.bytes.subarray(b.ranks.start(r), b.ranks.end(r)), `${label}: bytes of rank ${r}`);
    assert.equal(a.table.get(bytes, 0, bytes.length), r, `${label}: rank of ${r}'s bytes (wasm)`);
    assert.equal(b.table.get(bytes, 0, bytes.length), r, `${label}: rank of ${r}'s bytes (JS)`);
  }
  assert.equal(a.table.size, b.table.size, `${label}: table size`);
}

/** The wasm reader on `text`: null, or the JS parser's answer; and where the JS parser throws, null. */
function assertAgrees(text: string, groups: boolean, label: string): "read" | "given up" {
  const ours = wasmRanks(text, groups ? "groups" : "lines");
  let reference: (IndexedRanks & { table: ByteStringTable }) | null = null;
  try {
    reference = parseRanksInJs(text, "t", groups);
  } catch {
    assert.equal(ours, null, `${label}: the wasm read what the parser refuses`);
    return "given up";
  }
  if (ours === null) return "given up";
  assertSameRanks(ours, reference, label);
  return "read";
}

test("rank tables: the committed wasm is rank-tables.wat's", async () => {
  const module = WASM_MODULES.find((m) => m.name === "rankTablesWasm")!;
  assert.equal(readFileSync(module.ts, "utf8"), wasmModuleSource(await assemble(module.wat), module), "rerun node scripts/build-wasm.mjs");
});

test("rank tables: every real rank file is read by the wasm, exactly as the JavaScript parser reads it", () => {
  for (const name of ["cl100k_base", "o200k_base", "p50k_base", "gpt2"] as PackagedName[]) {
    const packaged = packagedEncoding(name).bpe_ranks;
    assert.equal(assertAgrees(packaged, true, `${name} (packaged)`), "read", `${name} (packaged) was given up`);
    assert.equal(assertAgrees(rankFileText(name), false, `${name} (rank lines)`), "read", `${name} (rank lines) was given up`);
  }
  assert.equal(assertAgrees(llama3RankText(), false, "llama3.tiktoken"), "read", "llama3.tiktoken was given up");
  // p50k_base leaves a hole (rank 50256, <|endoftext|>'s id): the by-rank arrays are built, not views of `at`.
  const p50k = readRankTables(packagedEncoding("p50k_base").bpe_ranks, "groups")!;
  assert.equal(p50k.endAt[50256], -1);
  const cl100k = readRankTables(packagedEncoding("cl100k_base").bpe_ranks, "groups")!;
  assert.equal(cl100k.startAt.buffer, cl100k.at.buffer);
  assert.equal(cl100k.startAt.byteOffset, cl100k.at.byteOffset);
});

test("rank tables: corner cases are read as the parser reads them, or given up to it", () => {
  const lines: [string, "read" | "given up" | null][] = [
    ["IQ== 0\nIg== 1\n", "read"],
    ["IQ== 0\nIg== 1", "read"], // no final newline
    ["\n\nIQ== 0\n\nIg== 1\n\n", "read"], // empty lines
    ["IQ== 1\nIg== 0\n", "read"], // ranks out of file order
    ["IQ== 0\nIg== 2\n", "read"], // a hole
    ["IQ== 007\n", "read"],
    ["aGVsbG8= 5\nd29ybGQ= 6\nIQ== 0\n", "read"],
    ["IQ== 0\r\nIg== 1\r\n", null], // CRLF: the parser's
    [" IQ== 0\n", null],
    ["IQ==  0\n", null],
    ["IQ== 0 1\n", null],
    ["IQ== x\n", null],
    ["IQ== -1\n", null],
    ["IQ== 1234567890123\n", null],
    ["IQ== 50000001\n", null],
    ["IQ== 0\nIQ== 1\n", "given up"], // a repeated token: the parser's error
    ["IQ== 0\nIg== 0\n", "given up"], // a repeated rank
    ["I!== 0\n", "given up"],
    ["IQ= 0\n", "given up"],
    ["I=Q= 0\n", "given up"],
    ["=Q== 0\n", "given up"],
    ["IQ=A 0\n", "given up"],
    ["==== 0\n", "given up"],
    ["IR== 0\n", "read"], // non-zero trailing bits: ignored by both
    ["SGk= 0\nSGl= 1\n", "given up"], // the same byte pair twice after the ignored bits
    ["IQ== 0\n\u00e9 1\n", "given up"], // not ASCII
    ["", "given up"],
    ["\n", "given up"],
    ["IQ==\n", "given up"],
  ];
  const groups: [string, "read" | "given up" | null][] = [
    ["! 0 IQ== Ig== Iw==", "read"],
    ["! 0 IQ== Ig==\n! 5 Iw==\n", "read"],
    ["! 3 IQ==\n! 0 Ig==\n", "read"],
    ["! 0 IQ== Ig== ", "read"], // a space at the end
    ["x 0 IQ==", "read"], // the mark is not read
    [" 0 IQ==", "read"],
    ["! 0", "given up"], // no token: the parser finds no ranks later
    ["! 0\n", "given up"],
    ["! 0  IQ==", "given up"], // an empty token
    ["! 0 IQ== IQ==", "given up"],
    ["! 0 IQ==\n! 0 Ig==", "given up"],
    ["! x IQ==", "given up"],
    ["! 1e2 IQ==", null], // Number() reads it: the parser's
    ["! 0 IQ==\r\n", "given up"],
    ["!", "given up"],
    ["! 49999999 IQ== Ig== Iw==", "given up"],
  ];
  // null: either answer will do (the wasm gives up what the parser may still read).
  for (const [cases, asGroups] of [[lines, false], [groups, true]] as const)
    for (const [text, want] of cases) {
      const got = assertAgrees(text, asGroups, JSON.stringify(text));
      if (want) assert.equal(got, want, JSON.stringify(text));
    }
});

test("rank tables: a tokenizer loaded through the wasm tables encodes as one loaded through the JavaScript parser, specials included", () => {
  const text = packagedEncoding("cl100k_base");
  const viaWasm = Tokenizer.fromBytes(new TextEncoder().encode(JSON.stringify(text)));
  const lines = readFileSync("../shared/data/flores200/devtest/eng_Latn.devtest", "utf8").split("\n").slice(0, 50);
  lines.push("<|endoftext|> tail <|fim_prefix|>x", "  \u00e9\u00e8 \u4e2d\u6587 \ud83d\ude00");
  // The same ranks as rank lines with one line in CRLF: the wasm gives that up, and the parser reads it all.
  const crlf = rankFileText("cl100k_base").replace("\n", "\r\n");
  assert.equal(readRankTables(crlf, "lines"), null);
  const viaJs = Tokenizer.fromBytes(new TextEncoder().encode(crlf), { specialTokens: text.special_tokens, pattern: text.pat_str });
  for (const line of lines) {
    assert.deepEqual(viaWasm.encodeIds(line, { addSpecialTokens: false }), viaJs.encodeIds(line, { addSpecialTokens: false }), line);
    const a = viaWasm.encode(line, { addSpecialTokens: false });
    const b = viaJs.encode(line, { addSpecialTokens: false });
    assert.deepEqual(a.tokens, b.tokens, line);
    assert.deepEqual(a.offsets, b.offsets, line);
  }
});

test("packaged ranks from a file's bytes: bpe_ranks read where they lie, or the whole file parsed; the same tokenizer and the same errors either way", () => {
  const encode = (s: string) => new TextEncoder().encode(s);
  const lines = readFileSync("../shared/data/flores200/devtest/deu_Latn.devtest", "utf8").split("\n").slice(0, 30);
  lines.push("<|endoftext|> x <|endofprompt|>", "\ud83d\ude00 \u4e2d\u6587\n\n  x");
  for (const name of ["cl100k_base", "o200k_base", "gpt2", "p50k_base"] as PackagedName[]) {
    const file = readFileSync(require.resolve(`tiktoken/encoders/${name}.json`));
    const inPlace = packagedTiktokenBytesToTokenizerJson(file, { fileName: name });
    // p50k_base's bpe_ranks holds a "\n" escape: the whole file is parsed.
    assert.equal(inPlace === null, name === "p50k_base", `${name}: read in place`);
    const whole = Tokenizer.fromJSON(packagedTiktokenToTokenizerJson(JSON.parse(file.toString("utf8")) as PackagedEncoding, { fileName: name }));
    const loaded = Tokenizer.fromBytes(file, { fileName: name });
    for (const line of lines) {
      assert.deepEqual(loaded.encodeIds(line, { addSpecialTokens: false }), whole.encodeIds(line, { addSpecialTokens: false }), `${name}: ${line}`);
      assert.deepEqual(loaded.encode(line, { addSpecialTokens: false }).offsets, whole.encode(line, { addSpecialTokens: false }).offsets, `${name}: ${line}`);
    }
  }
  const pat = JSON.stringify(GPT2_PATTERN_SOURCE);
  const tokens = Array.from({ length: 256 }, (_, b) => Buffer.from([b]).toString("base64"));
  const ranks = `! 0 ${tokens.join(" ")}`;
  const ok = `{"pat_str":${pat},"special_tokens":{"<|x|>":256},"bpe_ranks":"${ranks}"}`;
  assert.notEqual(packagedTiktokenBytesToTokenizerJson(encode(ok)), null);
  assert.notEqual(packagedTiktokenBytesToTokenizerJson(encode(`\ufeff  ${ok}\n`)), null);
  // Laid out otherwise: left to the whole file's parse, which reads it the same.
  for (const other of [
    `{"bpe_ranks":"${ranks}","pat_str":${pat}}`, // bpe_ranks not last
    `{"pat_str":${pat},"special_tokens":{"bpe_ranks":256},"bpe_ranks":"${ranks}"}`, // the key nested first
    `{"pat_str":${pat},"meta":{"bpe_ranks":"x"},"bpe_ranks":"${ranks}"}`,
    `{"pat_str":${pat},"bpe_ranks":"! 0 IQ==","bpe_ranks":"${ranks}"}`, // repeated: JSON.parse keeps the last
    `{"pat_str":${pat},"bpe_ranks":"! 0 ${tokens.slice(0, 128).join(" ")}\\n! 128 ${tokens.slice(128).join(" ")}"}`, // a "\\n" escape
  ]) {
    assert.equal(packagedTiktokenBytesToTokenizerJson(encode(other)), null, other.slice(0, 60));
    const t = Tokenizer.fromBytes(encode(other));
    assert.deepEqual(t.encodeIds("hello world", { addSpecialTokens: false }), Tokenizer.fromBytes(encode(ok)).encodeIds("hello world", { addSpecialTokens: false }));
  }
  // Invalid files keep their errors: a raw newline or other control character in the string, invalid UTF-8 outside
  // it, a repeated token.
  const bad: [Uint8Array, RegExp][] = [
    [encode(`{"pat_str":${pat},"bpe_ranks":"! 0 ${tokens.slice(0, 128).join(" ")}\n! 128 ${tokens.slice(128).join(" ")}"}`), /not valid JSON/],
    [encode(ok.replace("! 0 ", "!\t 0 ")), /not valid JSON/],
    [new Uint8Array([...encode(ok.slice(0, 20)), 0xff, ...encode(ok.slice(20))]), /not valid UTF-8/],
    [encode(ok.replace(" AA==", " AA== AA==")), /duplicate rank 1 or token "AA=="|duplicate/],
  ];
  for (const [bytes, error] of bad) {
    assert.equal(packagedTiktokenBytesToTokenizerJson(bytes), null);
    assert.throws(() => Tokenizer.fromBytes(bytes, { fileName: "p.json" }), error);
  }
});
