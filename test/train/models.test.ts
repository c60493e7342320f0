import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, mkdtempSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { trainTokenizer } from "../../src/train/train.js";
import { digamma } from "../../src/train/unigram.js";
import { runTrain, type TrainCliOptions } from "../../src/cli/commands/train.js";
import { trainFromFiles } from "../../src/node/index.js";
import { writeFileSync } from "node:fs";
import type { JsonObject } from "../../src/tokenize/types.js";

const tk = createRequire(import.meta.url)("tokenizers");
const FLORES = "../shared/data/flores200";
const engDev = readFileSync(`${FLORES}/dev/eng_Latn.dev`, "utf8");
const heldAll = readFileSync(`${FLORES}/devtest/eng_Latn.devtest`, "utf8").split("\n").filter(Boolean);
const held = heldAll.slice(0, 300);

async function encodeAll(json: JsonObject, lines: string[]): Promise<{ ids: number[][]; tokens: string[][] }> {
  const t = tk.Tokenizer.fromString(JSON.stringify(json));
  const ids: number[][] = [];
  const tokens: string[][] = [];
  for (const l of lines) {
    const e = await t.encode(l);
    ids.push(e.getIds());
    tokens.push(e.getTokens());
  }
  return { ids, tokens };
}
const bytesPerToken = (lines: string[], ids: number[][]): number =>
  lines.reduce((s, l) => s + Buffer.byteLength(l), 0) / ids.reduce((s, x) => s + x.length, 0);

test("digamma matches known values", () => {
  assert.ok(Math.abs(digamma(1) + 0.5772156649) < 1e-9);
  assert.ok(Math.abs(digamma(0.5) + 1.9635100260) < 1e-9);
  assert.ok(Math.abs(digamma(10) - 2.2517525891) < 1e-9);
});

test("WordPiece: ## continuation pieces, [UNK] present, decodes held-out text", async () => {
  const json = await trainTokenizer(engDev, { model: "wordpiece", vocabSize: 2000, specialTokens: ["[PAD]", "[CLS]", "[SEP]"] });
  const model = json.model as { vocab: Record<string, number>; unk_token: string };
  assert.equal(model.unk_token, "[UNK]");
  assert.deepEqual([model.vocab["[PAD]"], model.vocab["[CLS]"], model.vocab["[SEP]"], model.vocab["[UNK]"]], [0, 1, 2, 3]);
  assert.ok(Object.keys(model.vocab).filter((t) => t.startsWith("##")).length > 100);
  const { tokens } = await encodeAll(json, ["Unbelievably, the researchers 测 arrived."]);
  assert.ok(tokens[0]!.some((t) => t.startsWith("##")));
  assert.ok(tokens[0]!.includes("[UNK]"));
  const t = tk.Tokenizer.fromString(JSON.stringify(json));
  const e = await t.encode(held[0]!);
  assert.equal(e.getTokens()[0], "[CLS]");
  assert.equal(e.getTokens().at(-1), "[SEP]");
  const decoded = await t.decode(e.getIds(), true);
  assert.ok(!decoded.includes("##"));
  assert.equal(decoded.replace(/\s+/g, ""), held[0]!.replace(/\s+/g, ""));
});

test("Unigram: compression on heldAll-out English within 1% of spm_train (or better)", async (t) => {
  const json = await trainTokenizer(engDev, { model: "unigram", vocabSize: 2000 });
  const model = json.model as { vocab: [string, number][]; unk_id: number };
  assert.equal(model.vocab.length, 2000);
  assert.equal(model.vocab[0]![0], "<unk>");
  for (let i = 4; i < model.vocab.length; i++) assert.ok(model.vocab[i - 1]![1] >= model.vocab[i]![1] || i <= 3, "scores sorted");
  const ours = bytesPerToken(heldAll, (await encodeAll(json, heldAll)).ids);
  if (!existsSync("/usr/bin/spm_train")) {
    t.diagnostic("spm_train missing; checked only that Unigram beats 3 bytes/token");
    assert.ok(ours > 3);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), "retoken-uni-"));
  const r = spawnSync("spm_train", [`--input=${FLORES}/dev/eng_Latn.dev`, `--model_prefix=${dir}/m`, "--vocab_size=2000", "--model_type=unigram", "--minloglevel=2"]);
  assert.equal(r.status, 0, r.stderr?.toString());
  const enc = spawnSync("spm_encode", [`--model=${dir}/m.model`], { input: heldAll.join("\n") + "\n" });
  const spmTokens = enc.stdout.toString().split(/\s+/).filter(Boolean).length;
  const spm = heldAll.reduce((s, l) => s + Buffer.byteLength(l), 0) / spmTokens;
  t.diagnostic(`bytes/token retoken ${ours.toFixed(3)} spm ${spm.toFixed(3)}`);
  assert.ok(ours >= spm * 0.99, `retoken ${ours} vs spm ${spm}`);
});

test("Unigram and char-BPE byte fallback: unseen characters become <0xNN> pieces", async () => {
  for (const model of ["unigram", "char-bpe"] as const) {
    const json = await trainTokenizer(engDev, { model, vocabSize: 1200, byteFallback: true });
    const { tokens } = await encodeAll(json, ["snow ☃ man"]);
    assert.deepEqual(tokens[0]!.filter((x) => x.startsWith("<0x")), ["<0xE2>", "<0x98>", "<0x83>"], model);
    const t = tk.Tokenizer.fromString(JSON.stringify(json));
    assert.equal(await t.decode((await t.encode("snow ☃ man")).getIds(), false), "snow ☃ man");
  }
});

test("CLI: trains, writes atomically, errors on bad options", async () => {
  const dir = mkdtempSync(join(tmpdir(), "retoken-cli-"));
  const base: TrainCliOptions = { model: "bpe", vocabSize: 600, out: join(dir, "tok.json"), specialToken: ["<|endoftext|>"], forceToken: [], progress: false, pattern: "llama3", digits: "ltr3" };
  const json = await runTrain([`${FLORES}/dev/eng_Latn.dev`], base);
  const written = JSON.parse(readFileSync(base.out, "utf8"));
  assert.deepEqual(written, json);
  assert.equal((written.pre_tokenizer as { type: string }).type, "Sequence");
  await assert.rejects(runTrain([], base), /no input files/);
  // A stream is refused by name (units are byte ranges, read more than once), not taken for "no input".
  const fifo = join(dir, "pipe");
  if (spawnSync("mkfifo", [fifo]).status !== 0) throw new Error("mkfifo (coreutils) is needed by this test");
  await assert.rejects(runTrain([fifo], base), new RegExp(`${fifo}: a pipe; corpora are read as files`));
  await assert.rejects(runTrain(["-"], base), /-: standard input is not read/);
  await assert.rejects(runTrain([`${FLORES}/dev/eng_Latn.dev`], { ...base, vocabSize: 10 }), /smaller than the 256-character alphabet/);
  await runTrain([`${FLORES}/dev/deu_Latn.dev`], { ...base, vocabSize: 900, continueFrom: base.out, out: join(dir, "more.json") });
  const more = JSON.parse(readFileSync(join(dir, "more.json"), "utf8"));
  for (const [k, v] of Object.entries(written.model.vocab)) assert.equal(more.model.vocab[k], v);
  assert.equal(Object.keys(more.model.vocab).length, 900);
  // The CLI is the API call plus an atomic write: same options, same bytes.
  const api = await trainFromFiles({ files: [`${FLORES}/dev/eng_Latn.dev`], model: "bpe", vocabSize: 600, specialTokens: ["<|endoftext|>"], pattern: "llama3", digits: "ltr3" });
  assert.equal(JSON.stringify(api), JSON.stringify(json));
  // A forced-tokens file is read line by line; a bad line is named.
  const forcedFile = join(dir, "forced.jsonl");
  writeFileSync(forcedFile, '"Hallo Welt"\n\n" zusammen"\n');
  const forced = await trainFromFiles({ files: [`${FLORES}/dev/deu_Latn.dev`], model: "bpe", vocabSize: 600, forcedTokensFile: forcedFile, forcedTokens: ["xyzzy"] });
  for (const t of ["Ġzusammen", "HalloĠWelt", "xyzzy"]) assert.ok(t in (forced.model as { vocab: Record<string, number> }).vocab, t);
  writeFileSync(forcedFile, '"ok"\nnot json\n');
  await assert.rejects(trainFromFiles({ files: [`${FLORES}/dev/deu_Latn.dev`], model: "bpe", vocabSize: 600, forcedTokensFile: forcedFile }), /forced\.jsonl: line 2: expected one JSON string per line/);
  writeFileSync(forcedFile, "3\n");
  await assert.rejects(trainFromFiles({ files: [`${FLORES}/dev/deu_Latn.dev`], model: "bpe", vocabSize: 600, forcedTokensFile: forcedFile }), /forced\.jsonl: line 1: expected a JSON string, got 3/);
  await assert.rejects(trainFromFiles({ files: [`${FLORES}/dev/deu_Latn.dev`], counts: ["x.cnt"], model: "bpe", vocabSize: 600 }), /either input files or counts, not both/);
  await assert.rejects(trainFromFiles({ files: [`${FLORES}/dev/deu_Latn.dev`], model: "bpe", vocabSize: 600, workers: 0 }), /workers must be a positive integer/);
});

test("determinism: every model gives a byte-identical tokenizer.json on a rerun", async () => {
  const text = engDev.slice(0, 60000);
  for (const model of ["bpe", "char-bpe", "wordpiece", "unigram"] as const) {
    const a = JSON.stringify(await trainTokenizer(text, { model, vocabSize: 900 }));
    const b = JSON.stringify(await trainTokenizer(text, { model, vocabSize: 900 }));
    assert.equal(a, b, model);
  }
});
