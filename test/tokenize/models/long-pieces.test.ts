// Long unsplit pieces (one letter, digits, no spaces, emoji chains, byte fallback) take the long-piece merge (over 256
// symbols), pieces of 32-256 symbols the block merge: ids, tokens and offsets must equal the HF binding's, through
// encode() and encodeIds(); tiktoken's rank files must equal tiktoken on real unspaced scripts.
import { test } from "node:test";
import { readFileSync } from "node:fs";
import assert from "node:assert/strict";
import tk from "tokenizers";
import { Tokenizer } from "../../../src/index.js";
import { mergeLongPiecesInWasm } from "../../../src/tokenize/models/bpe.js";
import { FULL, RankMergeInstance, WasmRankMerge, mergeIn } from "../../../src/tokenize/models/rank-merge.js";
import type { MergeTable } from "../../../src/tokenize/models/merge-table.js";
import { assemble, wasmModuleSource, WASM_MODULES } from "../../../scripts/build-wasm.mjs";
import { NO_RANK } from "../../../src/tokenize/models/merge-table.js";
import { mulberry32 } from "../../../src/util/random.js";
import { byteLevelAlphabet } from "../../../src/tokenize/byte-vocabulary.js";
import { PASS_CHUNK } from "../../../src/util/grow.js";
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

// Characters past the BMP: a byte-fallback model looks each up once by its code point (a map it empties at 4096) and
// spells the missing ones' bytes from the code point. More distinct ones than the map keeps, met twice (after it was
// emptied), some in the vocabulary (Llama 2: 𝕜 🌍 𝓝; Mistral: ~60 emoji), in long runs and in words.
test("characters past the BMP, more than the model's map of them keeps, match the HF binding", async () => {
  const rand = mulberry32(23);
  const astral = (n: number) => Array.from({ length: n }, () => String.fromCodePoint(rand() < 0.5 ? 0x1f300 + Math.floor(rand() * 0x700) : 0x20000 + Math.floor(rand() * 0x5000))).join("");
  const many = astral(6000);
  const known = "𝕜🌍𝓝😂🙂🤣😉🚀👍🤔";
  const texts = [many + known + many, `a ${known} b ${astral(300)} c${known}d`, astral(200).replace(/(..)/g, "$1 x")];
  for (const file of ["llama.json", "mistral.json"]) await assertMatchesBinding(file, texts);
});

// Pieces longer than a pass chunk (PASS_CHUNK, 64k units: the long-piece passes run a chunk per call), with a
// surrogate pair across the chunk's end or not, an unknown run across it, and cuts before "▁" in a long Llama piece.
test("pieces longer than a pass chunk match the HF binding", async () => {
  const past = PASS_CHUNK + 4000;
  const pieces = [
    "x" + "😀".repeat(past / 2),
    "😀".repeat(past / 2),
    "abcdefghij".repeat(past / 10),
    " ".repeat(past) + "x",
    "word ".repeat(past / 5),
    "1234567890".repeat(past / 10),
  ];
  for (const file of ["gpt-2.json", "llama.json"]) await assertMatchesBinding(file, pieces);
  // An unknown run (fused into one <unk>, no byte fallback) open across the chunk's end.
  const json = JSON.stringify({ ...JSON.parse(abcTokenizer(["a b", "ab c"])), model: { ...JSON.parse(abcTokenizer(["a b", "ab c"])).model, unk_token: "<unk>", fuse_unk: true } });
  const unk = JSON.parse(json);
  unk.model.vocab["<unk>"] = Object.keys(unk.model.vocab).length;
  const withUnk = JSON.stringify(unk);
  const ours = Tokenizer.fromJSON(withUnk);
  const oracle = tk.Tokenizer.fromString(withUnk);
  for (const text of ["ab".repeat(PASS_CHUNK / 2 - 50) + "z".repeat(200) + "abc".repeat(500), "abc".repeat(PASS_CHUNK / 3) + "a" + "zy".repeat(99) + "c"]) {
    const ref = await oracle.encode(text, null, { addSpecialTokens: false });
    const enc = ours.encode(text, { addSpecialTokens: false });
    assert.deepEqual(enc.ids, ref.getIds(), `unknown run: ${text.length} units`);
    assert.deepEqual(enc.codePointOffsets, ref.getOffsets(), `unknown run: ${text.length} units`);
    assert.deepEqual(ours.encodeIds(text, { addSpecialTokens: false }), ref.getIds(), `unknown run: ${text.length} units`);
    assert.ok(ref.getTokens().includes("<unk>"));
  }
});

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


test("rank files (cl100k, o200k) on long unsplit pieces match tiktoken", async () => {
  const { get_encoding } = await import("tiktoken");
  for (const name of ["cl100k_base", "o200k_base"] as const) {
    const oracle = get_encoding(name);
    const ours = Tokenizer.fromBytes(new TextEncoder().encode(rankFileText(name)));
    for (const text of longPieces()) {
      const ref = Array.from(oracle.encode(text));
      const label = `${name}: ${JSON.stringify(text.slice(0, 12))}… (${text.length} units)`;
      assert.deepEqual(ours.encodeIds(text, { addSpecialTokens: false }), ref, label);
      assert.deepEqual(ours.encode(text, { addSpecialTokens: false }).ids, ref, label);
    }
    oracle.free();
  }
});

/** A BPE over a, b, c with the given merges (in rank order) and no pre-tokenizer: a text is one piece. `byteLevel`:
 * over the 256 byte-level characters instead, behind a ByteLevel pre-tokenizer without its regex (still one piece,
 * merged from its UTF-8 bytes by the byte-level path). */
function abcTokenizer(merges: string[], byteLevel = false): string {
  const vocab: Record<string, number> = {};
  for (const t of byteLevel ? byteLevelAlphabet() : ["a", "b", "c"]) vocab[t] = Object.keys(vocab).length;
  for (const m of merges) vocab[m.replace(" ", "")] ??= Object.keys(vocab).length;
  const preTokenizer = byteLevel ? { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: false } : null;
  return JSON.stringify({ version: "1.0", added_tokens: [], normalizer: null, pre_tokenizer: preTokenizer, post_processor: null, decoder: null, model: { type: "BPE", dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, vocab, merges } });
}

// The long-piece merge takes one list per rank while merges only make pairs ranked above their own (as trained merges
// do) and HF's heap once one does not: "aa a" ranks below "a a", whose merge makes it, so HF merges "aa a" at the start
// before "a a" further on ("aaa aaa …", where rank lists alone would give "aa aa …").
test("long pieces whose merges make lower-ranked pairs match the HF binding", async () => {
  const mergeLists = [["aa a", "a a"], ["ab c", "a b"], ["a b", "ab c", "c ab", "abc abc", "b c", "abcabc abcabc"], ["b c", "a bc", "c a", "a b", "abc a", "abc ab"]];
  // The pieces of the pipeline (a run of symbols copied out of the piece's) and of the byte-level path (symbols from
  // the piece's UTF-8 bytes) fall back to the heap from different buffers.
  for (const [merges, byteLevel] of [...mergeLists.map((m) => [m, false] as const), ...mergeLists.map((m) => [m, true] as const)]) {
    const json = abcTokenizer(merges, byteLevel);
    const ours = Tokenizer.fromJSON(json);
    const oracle = tk.Tokenizer.fromString(json);
    const rand = mulberry32(3);
    // The same tokenizer twice over: the first long piece may switch it to the heap for the rest.
    for (const text of ["a".repeat(600), "abc".repeat(200), "ab".repeat(150) + "c".repeat(300), Array.from({ length: 900 }, () => "abc"[Math.floor(rand() * 3)]).join(""), "abc".repeat(201)]) {
      const ref = await oracle.encode(text, null, { addSpecialTokens: false });
      const label = `${byteLevel ? "byte-level " : ""}${merges.join(" | ")}: ${text.slice(0, 12)}… (${text.length})`;
      assert.deepEqual(ours.encodeIds(text, { addSpecialTokens: false }), ref.getIds(), label);
      const enc = ours.encode(text, { addSpecialTokens: false });
      assert.deepEqual(enc.ids, ref.getIds(), label);
      assert.deepEqual(enc.codePointOffsets, ref.getOffsets(), label);
    }
  }
});

// Long pieces merge by rank lists in wasm (rank-merge.wat), and by HF's heap where wasm cannot run (no WebAssembly:
// the switch below stands for that) or once a model's ranks fail to rise. The tests above run the wasm merge against
// the HF binding and tiktoken; this runs both merges on the same pieces, including ones past the instance kept
// between pieces (its room: 2^16 symbols), merges whose ranks fail to rise (the wasm merge gives up with the caller's
// symbols untouched, and the heap takes them from there) and rank files (merges given as a rule: the module asks for
// each pair as it meets it).
test("the wasm rank merge and the heap give the same ids on the same long pieces", () => {
  const rand = mulberry32(11);
  const big = Array.from({ length: 140_000 }, () => "aabbbcdeeeeflmnoprst"[Math.floor(rand() * 20)]).join("");
  const pieces = [...longPieces(), big, "ab".repeat(70_000), "a".repeat(5000), big.slice(0, 3000)];
  const abcs = [abcTokenizer(["aa a", "a a"]), abcTokenizer(["b c", "a bc", "c a", "a b", "abc a", "abc ab"], true)];
  const rankFiles = [rankFileText("cl100k_base"), rankFileText("o200k_base"), readFileSync("../shared/data/tokenizers/llama3.tiktoken", "utf8")];
  const load = (text: string) => (rankFiles.includes(text) ? Tokenizer.fromBytes(new TextEncoder().encode(text)) : Tokenizer.fromJSON(text));
  for (const text of [...files.map((f) => readFileSync(`../shared/data/tokenizers/${f}`, "utf8")), ...abcs, ...rankFiles]) {
    const inWasm = load(text);
    mergeLongPiecesInWasm(false);
    let inJs: Tokenizer;
    try {
      inJs = load(text);
    } finally {
      mergeLongPiecesInWasm(true);
    }
    for (const piece of abcs.includes(text) ? ["abc".repeat(300), "a".repeat(100_000), "ab".repeat(40_000) + "c".repeat(30_000)] : pieces) {
      const label = `${text.slice(0, 60)}…: ${piece.slice(0, 12)}… (${piece.length})`;
      assert.deepEqual(inWasm.encodeIds(piece, { addSpecialTokens: false }), inJs.encodeIds(piece, { addSpecialTokens: false }), label);
    }
    const models = [inWasm, inJs].map((t) => (t.model as unknown as { rankMerge: unknown }).rankMerge);
    assert.ok(models[0] instanceof WasmRankMerge, "the default merges long pieces in wasm");
    assert.equal(models[1], null, "the switch leaves them to the heap");
  }
});

// The module's table is a cache of the model's: each pair is asked for once while it has room (half its slots), and
// every time it is met once the table is full — the ids the same either way, for a rank file's rule (a merge's id is
// its rank) and for a merges list (its merged ids copied in).
test("the wasm merge asks for each pair once while its table has room, and gives the same ids once it is full", () => {
  const cl100k = Tokenizer.fromBytes(new TextEncoder().encode(rankFileText("cl100k_base")));
  const gpt2 = Tokenizer.fromJSON(readFileSync("../shared/data/tokenizers/gpt-2.json", "utf8"));
  const rand = mulberry32(5);
  // Letters only: one piece for either pre-tokenizer.
  const text = Array.from({ length: 30_000 }, () => "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"[Math.floor(rand() * 52)]).join("");
  for (const tokenizer of [cl100k, gpt2]) {
    const table = (tokenizer.model as unknown as { merges: MergeTable }).merges;
    const mergedIds = table.mergedIdsByRank();
    assert.equal(mergedIds === null, tokenizer === cl100k, "cl100k's merges are a rule, GPT-2's a list");
    const ranks = mergedIds ? mergedIds.length : (tokenizer.model as unknown as { vocab: { idLimit: number } }).vocab.idLimit;
    const expected = tokenizer.encodeIds(text, { addSpecialTokens: false });
    for (const slots of [1 << 17, 64]) {
      const asked = new Map<string, number>();
      const rank = (a: number, b: number) => (asked.set(`${a} ${b}`, (asked.get(`${a} ${b}`) ?? 0) + 1), table.rank(a, b));
      const instance = RankMergeInstance.make({ rank, ranks, mergedIds }, 1 << 15, 3 << 15, slots)!;
      const sym = Int32Array.from(text, (c) => tokenizer.tokenToId(c)!);
      const len = new Int32Array(text.length).fill(1);
      const m = mergeIn(instance, sym, len, text.length);
      const label = `${tokenizer === cl100k ? "cl100k" : "GPT-2"}, ${slots} slots`;
      assert.deepEqual(Array.from(sym.subarray(0, m)), expected, label);
      const most = Math.max(...asked.values());
      if (slots === 64) assert.ok(most > 1 && asked.size > 32, `${label}: a full table asks again (${asked.size} pairs, at most ${most} times)`);
      else assert.equal(most, 1, `${label}: a table with room asks once a pair`);
    }
  }
  // A rank past the module's lists is refused, not written past them, and the lists queued before it are emptied
  // for the instance's next piece.
  let calls = 0;
  const wild = RankMergeInstance.make({ rank: () => (++calls === 1 ? 5 : calls === 2 ? 70_000 : NO_RANK), ranks: 1000, mergedIds: null }, 16, 48)!;
  assert.throws(() => mergeIn(wild, Int32Array.of(1, 2, 3), Int32Array.of(1, 1, 1), 3), /ids must be below 1000/);
  assert.equal(wild.exports.pending.value, 0);
  assert.equal(mergeIn(wild, Int32Array.of(7, 8, 9), Int32Array.of(1, 1, 1), 3), 3);
});

test("the committed rank-merge wasm is rank-merge.wat's", async () => {
  const module = WASM_MODULES.find((m) => m.wat.endsWith("rank-merge.wat"))!;
  assert.equal(readFileSync(module.ts, "utf8"), wasmModuleSource(await assemble(module.wat), module), "rerun node scripts/build-wasm.mjs");
});

test("the wasm rank queue gives each rank's positions in ascending order, lowest rank first, however they were added", () => {
  // A table of no merges and 200,000 ranks (the module's lists are indexed by rank: a merges list's length).
  const instance = RankMergeInstance.make({ rank: () => NO_RANK, ranks: 200_000, mergedIds: new Int32Array(200_000) }, 16, 48)!;
  const x = instance.exports;
  const drain = () => {
    const out: [number, number[]][] = [];
    while (x.pending.value > 0) {
      const count = instance.takeLowest();
      out.push([x.lowest.value as number, Array.from(instance.words.subarray(instance.batch, instance.batch + count))]);
    }
    return out;
  };
  x.reset();
  const adds: [number, number][] = [[7, 40], [7, 50], [3, 9], [7, 10], [7, 45], [3, 2], [5000, 1], [3, 11], [199_999, 0], [199_997, 3]];
  for (const [rank, position] of adds) x.add(rank, position);
  assert.deepEqual(drain(), [[3, [2, 9, 11]], [7, [10, 40, 45, 50]], [5000, [1]], [199_997, [3]], [199_999, [0]]]);
  // A merge that stops early leaves lists waiting: clear empties them, and the next piece's lists start empty.
  x.reset();
  for (const [rank, position] of adds) x.add(rank, position);
  x.clear();
  x.reset();
  x.add(7, 5);
  x.add(7, 4);
  assert.deepEqual(drain(), [[7, [4, 5]]]);
});

// A long piece's instance first has room for 1.5 queue entries a symbol (its memory counts whole against V8's external
// memory); one that needs more says so, the caller's symbols untouched, and the merge runs again with room for 3.
test("a wasm rank merge short of queue entries leaves the symbols as they were, and the merge gives the same ids with room", () => {
  const gpt2 = Tokenizer.fromJSON(readFileSync("../shared/data/tokenizers/gpt-2.json", "utf8"));
  const merges = (gpt2.model as unknown as { merges: MergeTable }).merges;
  const table = { rank: (a: number, b: number) => merges.rank(a, b), ranks: merges.mergedIdsByRank()!.length, mergedIds: merges.mergedIdsByRank() };
  const text = "abcdefghij".repeat(20_000);
  const n = text.length;
  const symbols = () => Int32Array.from(text, (c) => gpt2.tokenToId(c)!);
  const sym = symbols();
  const len = new Int32Array(n).fill(1);
  const short = RankMergeInstance.make(table, 1 << 18, n)!;
  assert.equal(mergeIn(short, sym, len, n), FULL);
  assert.deepEqual(sym, symbols());
  assert.ok(len.every((l) => l === 1));
  const m = mergeIn(RankMergeInstance.make(table, 1 << 18, 3 * n)!, sym, len, n);
  assert.deepEqual(Array.from(sym.subarray(0, m)), gpt2.encodeIds(text, { addSpecialTokens: false }));
  assert.equal(len.subarray(0, m).reduce((a, b) => a + b, 0), n);
});
