import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, mkdtempSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRequire } from "node:module";
import { trainTokenizer, planFor, trainFromCounts } from "../../src/train/train.js";
import { WordCounter } from "../../src/train/corpus.js";
import { countFiles } from "../../src/train/node-corpus.js";
import { countFilesInWorkers } from "../../src/train/workers.js";
import { continueBpe } from "../../src/train/continue.js";
import { pruneTokenizerJson } from "../../src/train/prune.js";
import { toByteLevel } from "../../src/train/pretokenize.js";
import type { JsonObject } from "../../src/tokenize/types.js";
import { Tokenizer } from "../../src/index.js";

const tk = createRequire(import.meta.url)("tokenizers");
const FLORES = "../shared/data/flores200";
const engDev = readFileSync(`${FLORES}/dev/eng_Latn.dev`, "utf8");
const deuDev = readFileSync(`${FLORES}/dev/deu_Latn.dev`, "utf8");
const engHeld = readFileSync(`${FLORES}/devtest/eng_Latn.devtest`, "utf8").split("\n").slice(0, 200);

type Model = { vocab: Record<string, number>; merges: [string, string][] };
const modelOf = (j: JsonObject): Model => j.model as unknown as Model;

async function hfIds(json: JsonObject, lines: string[]): Promise<number[][]> {
  const t = tk.Tokenizer.fromString(JSON.stringify(json));
  const out: number[][] = [];
  for (const l of lines) out.push((await t.encode(l)).getIds());
  return out;
}

test("byte-level BPE: merges and ids identical to the HF trainer on FLORES English", async () => {
  const dir = mkdtempSync(join(tmpdir(), "retoken-train-"));
  const file = join(dir, "eng.txt");
  writeFileSync(file, engDev);
  const ours = await trainTokenizer(engDev, { model: "bpe", vocabSize: 3000, initialAlphabet: [] });
  // The npm binding trains with the model's default trainer (30,000 tokens); BPE is greedy, so its first merges
  // are what a 3,000-token run would learn.
  const empty = { ...ours, model: { ...(ours.model as JsonObject), vocab: {}, merges: [] } };
  const hf = tk.Tokenizer.fromString(JSON.stringify(empty));
  hf.train([file]);
  hf.save(join(dir, "hf.json"));
  const hfModel = modelOf(JSON.parse(readFileSync(join(dir, "hf.json"), "utf8")));
  const ourModel = modelOf(ours);
  assert.deepEqual(ourModel.merges, hfModel.merges.slice(0, ourModel.merges.length));
  for (const [t, id] of Object.entries(ourModel.vocab)) assert.equal(hfModel.vocab[t], id, t);
});

test("byte-level BPE: full 256-byte alphabet, loads in the oracle, encodes held-out text, byte-identical reruns", async () => {
  const a = await trainTokenizer(engDev, { model: "bpe", vocabSize: 2000, specialTokens: ["<|endoftext|>"] });
  const b = await trainTokenizer(engDev, { model: "bpe", vocabSize: 2000, specialTokens: ["<|endoftext|>"] });
  assert.equal(JSON.stringify(a), JSON.stringify(b));
  const m = modelOf(a);
  assert.equal(Object.keys(m.vocab).length, 2000);
  assert.equal(m.vocab["<|endoftext|>"], 0);
  assert.ok(m.vocab["Ā"]! > 0 && m.vocab["ÿ"]! > 0); // bytes 0x00 and 0xFF, unseen in the text, still in the alphabet
  assert.deepEqual((a.added_tokens as JsonObject[])[0], { id: 0, content: "<|endoftext|>", single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  const ids = await hfIds(a, ["Ünïcödé ☃ text 😀", ...engHeld.slice(0, 20)]);
  assert.ok(ids[0]!.length > 0);
  const t = tk.Tokenizer.fromString(JSON.stringify(a));
  assert.equal(await t.decode(ids[1]!, false), engHeld[0]);
});

test("retoken runtime encodes trained tokenizers exactly as the oracle", async () => {
  for (const options of [
    { model: "bpe" as const, vocabSize: 1500 },
    { model: "bpe" as const, vocabSize: 1500, pattern: "llama3", digits: "rtl3" as const },
    { model: "wordpiece" as const, vocabSize: 1500 },
    { model: "char-bpe" as const, vocabSize: 1500, byteFallback: true },
    { model: "unigram" as const, vocabSize: 1500 },
  ]) {
    const json = await trainTokenizer(engDev, options);
    const ours = Tokenizer.fromJSON(json);
    const expected = await hfIds(json, engHeld);
    engHeld.forEach((line, i) => assert.deepEqual(Array.from(ours.encode(line).ids), expected[i], `${options.model}: ${line}`));
  }
});

test("options: min frequency, limit alphabet, max token length, special tokens", async () => {
  const base = modelOf(await trainTokenizer(engDev, { model: "bpe", vocabSize: 5000, initialAlphabet: [] }));
  const minf = modelOf(await trainTokenizer(engDev, { model: "bpe", vocabSize: 5000, initialAlphabet: [], minFrequency: 20 }));
  assert.ok(minf.merges.length < base.merges.length);
  assert.deepEqual(minf.merges, base.merges.slice(0, minf.merges.length));
  const limited = modelOf(await trainTokenizer(engDev, { model: "bpe", vocabSize: 500, initialAlphabet: [], limitAlphabet: 40 }));
  const singles = Object.keys(limited.vocab).filter((t) => [...t].length === 1);
  assert.equal(singles.length, 40);
  const short = modelOf(await trainTokenizer(engDev, { model: "bpe", vocabSize: 3000, maxTokenLength: 4 }));
  assert.ok(Object.keys(short.vocab).every((t) => [...t].length <= 4));
  assert.ok(Object.keys(base.vocab).some((t) => [...t].length > 4));
});

test("options: forced tokens, power-of-two padding, NFKC + lowercase", async () => {
  const forced = ["       ", " 2024", "://"];
  const plain = modelOf(await trainTokenizer(engDev, { model: "bpe", vocabSize: 1000 }));
  const json = await trainTokenizer(engDev, { model: "bpe", vocabSize: 1000, forcedTokens: forced, padToPowerOfTwo: true });
  const m = modelOf(json);
  for (const t of forced) {
    assert.equal(plain.vocab[toByteLevel(t)], undefined, t);
    assert.ok(m.vocab[toByteLevel(t)] !== undefined, t);
  }
  const ids = await hfIds(json, ["x        y", " 2024", "://"]);
  assert.deepEqual(ids.map((x) => x.length), [3, 1, 1]);
  assert.equal(Object.keys(m.vocab).length, 1024);
  assert.equal((json.added_tokens as JsonObject[]).at(-1)!.id, 1023);
  const lower = await trainTokenizer("The THE the Ｔｈｅ\n", { model: "bpe", vocabSize: 300, lowercase: true, nfkc: true });
  assert.deepEqual(lower.normalizer, { type: "Sequence", normalizers: [{ type: "NFKC" }, { type: "Lowercase" }] });
  assert.ok(modelOf(lower).vocab["Ġthe"] !== undefined && modelOf(lower).vocab["THE"] === undefined);
});

test("options: digits individual, left-to-right and right-to-left groups of three", async () => {
  const text = "Total 1234567 and 89012 units, 1234567 again 1234567.\n".repeat(50);
  const toks = async (digits: "none" | "individual" | "ltr3" | "rtl3"): Promise<string[]> => {
    const json = await trainTokenizer(text, { model: "bpe", vocabSize: 400, digits });
    const t = tk.Tokenizer.fromString(JSON.stringify(json));
    return (await t.encode("1234567")).getTokens();
  };
  assert.deepEqual(await toks("individual"), ["1", "2", "3", "4", "5", "6", "7"]);
  assert.deepEqual(await toks("ltr3"), ["123", "456", "7"]);
  assert.deepEqual(await toks("rtl3"), ["1", "234", "567"]);
  assert.notDeepEqual(await toks("none"), await toks("rtl3"));
});

test("options: pre-segmentation hook splits words before counting", async () => {
  const text = "Haustür Haustür Haustür Hausbau Haustür\n".repeat(20);
  const plain = modelOf(await trainTokenizer(text, { model: "bpe", vocabSize: 300 }));
  const hooked = modelOf(
    await trainTokenizer(text, { model: "bpe", vocabSize: 300, preSegment: (w) => (w.trim().startsWith("Haus") ? [w.slice(0, w.indexOf("Haus") + 4), w.slice(w.indexOf("Haus") + 4)] : [w]) }),
  );
  assert.ok(plain.vocab[toByteLevel(" Haustür")] !== undefined);
  assert.equal(hooked.vocab[toByteLevel(" Haustür")], undefined);
  assert.ok(hooked.vocab[toByteLevel(" Haus")] !== undefined && hooked.vocab[toByteLevel("tür")] !== undefined);
});

test("continued BPE training keeps every old id and merge, and adds German merges", async () => {
  const base = await trainTokenizer(engDev, { model: "bpe", vocabSize: 2000 });
  const counter = new WordCounter(planFor({ model: "bpe", vocabSize: 3000 }));
  counter.addText(deuDev);
  const extended = continueBpe(base, counter, { model: "bpe", vocabSize: 3000 });
  const bm = modelOf(base);
  const em = modelOf(extended);
  for (const [t, id] of Object.entries(bm.vocab)) assert.equal(em.vocab[t], id);
  assert.deepEqual(em.merges.slice(0, bm.merges.length), bm.merges);
  assert.equal(Object.keys(em.vocab).length, 3000);
  const germanLines = readFileSync(`${FLORES}/devtest/deu_Latn.devtest`, "utf8").split("\n").slice(0, 100);
  const count = async (j: JsonObject): Promise<number> => (await hfIds(j, germanLines)).reduce((s, x) => s + x.length, 0);
  assert.ok((await count(extended)) < (await count(base)) * 0.9);
});

test("pruning a trained BPE to a smaller size equals training to that size", async () => {
  const big = await trainTokenizer(engDev, { model: "bpe", vocabSize: 2000 });
  const small = await trainTokenizer(engDev, { model: "bpe", vocabSize: 1200 });
  assert.deepEqual(pruneTokenizerJson(big, 1200), small);
  const uni = await trainTokenizer(engDev, { model: "unigram", vocabSize: 1500 });
  const pruned = pruneTokenizerJson(uni, 1000);
  assert.equal((pruned.model as { vocab: unknown[] }).vocab.length, 1000);
  await hfIds(pruned, engHeld.slice(0, 5));
});

test("files, folders, JSONL; worker counting gives the same tokenizer", async () => {
  const dir = mkdtempSync(join(tmpdir(), "retoken-train-"));
  writeFileSync(join(dir, "a.txt"), engDev);
  writeFileSync(join(dir, "b.jsonl"), deuDev.split("\n").filter(Boolean).map((l) => JSON.stringify({ text: l })).join("\n"));
  const options = { model: "bpe" as const, vocabSize: 1500 };
  const single = new WordCounter(planFor(options));
  await countFiles(single, [dir], { jsonlField: "text" });
  const parallel = new WordCounter(planFor(options));
  await countFilesInWorkers(parallel, [dir], { jsonlField: "text", workers: 2, setup: options });
  const a = trainFromCounts(single, options);
  assert.equal(JSON.stringify(trainFromCounts(parallel, options)), JSON.stringify(a));
  const direct = await trainTokenizer([engDev, ...deuDev.split("\n").filter(Boolean)], options);
  assert.deepEqual(direct, a);
});

test("bad input: empty corpus, vocab below alphabet, unreadable file, invalid UTF-8", async () => {
  await assert.rejects(trainTokenizer("", { model: "bpe", vocabSize: 1000 }), /empty/);
  await assert.rejects(trainTokenizer("hello", { model: "bpe", vocabSize: 100 }), /smaller than the 256-character alphabet/);
  const dir = mkdtempSync(join(tmpdir(), "retoken-train-"));
  const counter = new WordCounter(planFor({ model: "bpe", vocabSize: 300 }));
  await assert.rejects(countFiles(counter, [join(dir, "missing.txt")]), /missing\.txt: cannot read \(ENOENT\)/);
  const locked = join(dir, "locked.txt");
  writeFileSync(locked, "x");
  chmodSync(locked, 0o000);
  if (process.getuid?.() !== 0) await assert.rejects(countFiles(counter, [locked]), /locked\.txt: cannot read \(EACCES\)/);
  const bad = join(dir, "bad.txt");
  writeFileSync(bad, Buffer.concat([Buffer.from("héllo wörld "), Buffer.from([0xff, 0xc3]), Buffer.from(" end\n")]));
  await assert.rejects(countFiles(new WordCounter(counter.plan), [bad], { strictUtf8: true }), /bad\.txt: invalid UTF-8 at byte 14/);
  const warnings: string[] = [];
  const lenient = new WordCounter(counter.plan);
  await countFiles(lenient, [bad], { onWarning: (w) => warnings.push(w) });
  assert.match(warnings[0]!, /bad\.txt: 2 invalid UTF-8 sequence\(s\) counted as U\+FFFD/);
  assert.ok([...lenient.raw.keys()].some((w) => w.includes("\ufffd")));
});

test("async iterables train the same tokenizer; progress reports bytes read and merges done", async () => {
  const docs = engDev.split("\n").filter(Boolean);
  async function* stream(): AsyncGenerator<string> {
    for (const d of docs) yield d;
  }
  const events: string[] = [];
  let lastBytes = 0;
  let lastMerges = 0;
  const fromAsync = await trainTokenizer(stream(), {
    model: "bpe",
    vocabSize: 1500,
    onProgress: (p) => {
      events.push(p.phase);
      if (p.phase === "count") lastBytes = p.bytesRead;
      if (p.phase === "train") lastMerges = p.stepsDone;
    },
  });
  assert.deepEqual(fromAsync, await trainTokenizer(docs, { model: "bpe", vocabSize: 1500 }));
  assert.ok(events.includes("count") && events.includes("train") && events.at(-1) === "done");
  assert.equal(lastBytes, Buffer.byteLength(docs.join("")));
  assert.ok(lastMerges >= 1000);
});
