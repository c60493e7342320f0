// `retoken convert` and `retoken view` (issue 14 item 4): formats chosen by the output's extension, each written file
// checked against the reference that reads it (tiktoken's own rank file, spm_encode); the coloured token view.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Tokenizer } from "../../src/index.js";
import { convertFormatOf, convertTokenizer } from "../../src/cli/commands/convert.js";
import { renderPieces, viewPieces } from "../../src/cli/commands/view.js";
import { spmEncode } from "../formats/spm-reference.js";
import { floresSlice, TOKENIZERS } from "../support/corpora.js";

const dir = mkdtempSync(join(tmpdir(), "retoken-convert-"));
const texts = floresSlice(2).filter((t) => !/[\r\n]/.test(t));

function retoken(args: string[], input = ""): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { input, encoding: "utf8", timeout: 120_000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

test("convert: the output's extension chooses the format; others are refused by name", () => {
  assert.equal(convertFormatOf("x/tokenizer.json"), "tokenizer.json");
  assert.equal(convertFormatOf("a.TIKTOKEN"), "tiktoken");
  assert.equal(convertFormatOf("m.model"), "sentencepiece");
  assert.throws(() => convertFormatOf("out.txt"), /out\.txt: unknown output extension "\.txt"/);
});

test("convert: Llama 3's rank file → tokenizer.json → .tiktoken gives Meta's file back byte for byte (CLI)", () => {
  const json = join(dir, "llama3.json");
  const back = join(dir, "llama3.tiktoken");
  const a = retoken(["convert", `${TOKENIZERS}/llama3.tiktoken`, "--out", json]);
  assert.equal(a.code, 0, a.err);
  assert.match(a.out, /^wrote:\s+\S+llama3\.json \(tokenizer\.json, \d+ bytes\)/m);
  const b = retoken(["convert", json, "--out", back, "--json"]);
  assert.equal(b.code, 0, b.err);
  assert.equal(JSON.parse(b.out).format, "tiktoken");
  assert.ok(readFileSync(back).equals(readFileSync(`${TOKENIZERS}/llama3.tiktoken`)));
  // A folder that does not exist is an error, not created.
  const missing = retoken(["convert", json, "--out", join(dir, "nope", "x.json")]);
  assert.equal(missing.code, 1);
  assert.match(missing.err, /nope\/x\.json: cannot write: the folder \S+nope does not exist/);
});

test("convert: GPT-2's tokenizer.json (no model type) → .tiktoken is recognised as r50k_base and encodes FLORES as GPT-2", async () => {
  const gpt2 = await Tokenizer.fromFile(`${TOKENIZERS}/gpt-2.json`);
  const { bytes } = convertTokenizer(gpt2, "tiktoken", "gpt2.tiktoken");
  const back = Tokenizer.fromBytes(bytes, { fileName: "gpt2.tiktoken" });
  assert.equal(back.vocabSize(true), 50257);
  for (const t of texts) assert.deepEqual(back.encodeIds(t, { addSpecialTokens: false }), gpt2.encodeIds(t, { addSpecialTokens: false }), t);
  // It cannot be a .model (byte-level BPE): refused, with the file and the field named.
  assert.throws(() => convertTokenizer(gpt2, "sentencepiece", "gpt2.model"), /gpt2\.model/);
});

test("convert: a rank file cannot hold a tokenizer whose pattern is no known encoding's: refused, nothing written", async () => {
  writeFileSync(join(dir, "corpus.txt"), texts.join("\n"));
  const trained = retoken(["train", "--vocab-size", "400", "--no-progress", "--out", join(dir, "small.json"), join(dir, "corpus.txt")]);
  assert.equal(trained.code, 0, trained.err);
  const r = retoken(["convert", join(dir, "small.json"), "--out", join(dir, "small.tiktoken")]);
  assert.equal(r.code, 1);
  assert.match(r.err, /^retoken: \S+small\.tiktoken: this tokenizer does not fit a tiktoken rank file: written, it reads back as: .*unrecognised rank file.*\(write \.json instead\)\n$/);
  assert.equal(spawnSync("test", ["-e", join(dir, "small.tiktoken")]).status, 1);
});

test("convert: SentencePiece → tokenizer.json → .model, and Llama 2's tokenizer.json → .model, run by spm_encode as the input runs", async () => {
  const spmTexts = texts.filter((t) => !t.includes("<"));
  const original = `${TOKENIZERS}/sentencepiece/de-unigram.model`;
  const de = await Tokenizer.fromFile(original);
  const json = join(dir, "de.json");
  writeFileSync(json, new TextDecoder().decode(convertTokenizer(de, "tokenizer.json", json).bytes));
  const model = join(dir, "de.model");
  writeFileSync(model, convertTokenizer(await Tokenizer.fromFile(json), "sentencepiece", model).bytes);
  assert.deepEqual(spmEncode(model, spmTexts), spmEncode(original, spmTexts));
  // Llama 2: a .model has no post-processor, so <s> is left to spm_encode's --add_bos (a note says so).
  const llama = await Tokenizer.fromFile(`${TOKENIZERS}/llama.json`);
  const written = convertTokenizer(llama, "sentencepiece", "llama.model");
  assert.match(written.notes.join(" "), /post-processor is not kept/);
  const llamaModel = join(dir, "llama.model");
  writeFileSync(llamaModel, written.bytes);
  assert.deepEqual(spmEncode(llamaModel, spmTexts), spmTexts.map((t) => llama.encodeIds(t, { addSpecialTokens: false })));
});

test("view: pieces cover the text exactly, split characters grouped (byte fallback, byte-level); colour only when asked", async () => {
  const llama = await Tokenizer.fromFile(`${TOKENIZERS}/llama.json`);
  const text = "Hi 🙂 日本語\nnext";
  const pieces = viewPieces(llama, text, true);
  assert.deepEqual(pieces[0], { text: "", ids: [1], tokens: ["<s>"] });
  assert.equal(pieces.map((p) => p.text).join(""), text);
  assert.deepEqual(pieces.flatMap((p) => p.ids), llama.encodeIds(text, { addSpecialTokens: true }));
  assert.deepEqual(pieces.find((p) => p.text === "🙂")!.tokens, ["<0xF0>", "<0x9F>", "<0x99>", "<0x82>"]);
  const gpt2 = await Tokenizer.fromFile(`${TOKENIZERS}/gpt-2.json`);
  const g = viewPieces(gpt2, text, false);
  assert.equal(g.map((p) => p.text).join(""), text);
  assert.deepEqual(g.flatMap((p) => p.ids), gpt2.encodeIds(text, { addSpecialTokens: false }));
  assert.ok(g.some((p) => p.text === " 日" && p.ids.length === 3), JSON.stringify(g));
  const plain = renderPieces(pieces, { color: false, ids: true });
  assert.match(plain, /^\[<s>\|1\]\[Hi\|6324\]/);
  assert.ok(plain.includes("[🙂|243,162,156,133]"));
  assert.doesNotMatch(plain, /\x1b/);
  const coloured = renderPieces(pieces, { color: true, ids: false });
  assert.match(coloured, /\x1b\[48;5;\d+m\x1b\[30mHi\x1b\[0m/);
  // The CLI: not a terminal → no colour unless --color always; --json gives the pieces.
  const r = retoken(["view", "-t", `${TOKENIZERS}/llama.json`, "--ids"], text + "\n");
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, plain);
  assert.equal(r.err, `${pieces.flatMap((p) => p.ids).length} tokens, ${[...text].length} characters\n`);
  assert.match(retoken(["view", "--color", "always", "Hello world"]).out, /\x1b\[48;5;/);
  assert.deepEqual(JSON.parse(retoken(["view", "--json", "Hello world"]).out), [
    { text: "Hello", ids: [15496], tokens: ["Hello"] },
    { text: " world", ids: [995], tokens: ["Ġworld"] },
  ]);
});
