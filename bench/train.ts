// Trainer benchmarks, side by side with the native trainers.
//   node --import tsx bench/train.ts quality [--sizes 8000,30000]   bytes/token on FLORES devtest (10 languages)
//   node --import tsx bench/train.ts speed [--mb 100] [--vocab 32000] training time and peak memory for BPE
//
// Training text: FLORES-200 dev of 10 languages plus code (commander's and cli-progress's JavaScript sources from
// node_modules). Held out: the same 10 languages' devtest. The HF npm binding trains only with the model's default
// trainer (30,000 tokens, min_frequency 0, alphabet = characters seen); since BPE is greedy, its first N merges are
// exactly what an N-token run learns, so smaller sizes come from truncating its 30k result, and 30k stands in for
// 32k. Unigram is compared with `spm_train` (Debian's sentencepiece) at default settings.

import { readFileSync, writeFileSync, mkdtempSync, existsSync, readdirSync } from "node:fs";
import { execFileSync, spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { trainTokenizer, type TrainOptions } from "../src/train/train.js";
import { pruneTokenizerJson } from "../src/train/prune.js";
import type { JsonObject } from "../src/tokenize/types.js";
import { Tokenizer } from "../src/index.js";

const require = createRequire(import.meta.url);
const tk = require("tokenizers");
const FLORES = "../shared/data/flores200";
const LANGS = ["eng_Latn", "deu_Latn", "fra_Latn", "spa_Latn", "rus_Cyrl", "zho_Hans", "jpn_Jpan", "hin_Deva", "arb_Arab", "tur_Latn"];
const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : dflt;
};

function codeSample(): string {
  const files = ["commander/lib/command.js", "commander/lib/help.js", "commander/lib/option.js", "cli-progress/lib/generic-bar.js"];
  return files.map((f) => readFileSync(require.resolve(f.startsWith("commander") ? "commander" : "cli-progress").replace(/(commander|cli-progress)\/.*$/, "") + f, "utf8")).join("\n");
}

function corpus(dir: string): { train: string; heldOut: string[] } {
  const train = LANGS.map((l) => readFileSync(`${FLORES}/dev/${l}.dev`, "utf8")).join("") + codeSample();
  writeFileSync(join(dir, "train.txt"), train);
  const heldOut = LANGS.flatMap((l) => readFileSync(`${FLORES}/devtest/${l}.devtest`, "utf8").split("\n").filter((x) => x.length > 0));
  writeFileSync(join(dir, "devtest.txt"), heldOut.join("\n") + "\n");
  return { train, heldOut };
}

const parity = { lines: 0, mismatches: 0 };

/** Bytes per token with the oracle; also checks that retoken's runtime gives the same ids on every line. */
async function bytesPerToken(json: JsonObject, lines: string[]): Promise<number> {
  const t = tk.Tokenizer.fromString(JSON.stringify(json));
  const ours = Tokenizer.fromJSON(json);
  let tokens = 0;
  let bytes = 0;
  const batch = 512;
  for (let i = 0; i < lines.length; i += batch) {
    const encs = await t.encodeBatch(lines.slice(i, i + batch));
    encs.forEach((e: { getIds(): number[] }, k: number) => {
      const ids = e.getIds();
      tokens += ids.length;
      parity.lines++;
      const mine = ours.encodeIds(lines[i + k]!);
      if (mine.length !== ids.length || mine.some((x, j) => x !== ids[j])) parity.mismatches++;
    });
  }
  for (const l of lines) bytes += Buffer.byteLength(l);
  return bytes / tokens;
}

function hfTrain(json: JsonObject, file: string, dir: string, extraTokens: string[] = []): JsonObject {
  const model = json.model as JsonObject;
  const empty = { ...json, added_tokens: [], model: { ...model, vocab: model.type === "Unigram" ? [] : {}, ...(model.type === "BPE" ? { merges: [] } : {}) } };
  const t = tk.Tokenizer.fromString(JSON.stringify(empty));
  t.train([file]);
  if (extraTokens.length) t.addSpecialTokens(extraTokens);
  const out = join(dir, "hf.json");
  t.save(out);
  return JSON.parse(readFileSync(out, "utf8")) as JsonObject;
}

async function quality(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "retoken-bench-train-"));
  const { train, heldOut } = corpus(dir);
  const sizes = arg("sizes", "8000,32000").split(",").map(Number);
  console.log(`training text ${(Buffer.byteLength(train) / 1e6).toFixed(2)} MB; held out ${heldOut.length} lines`);
  console.log("| model | vocab | retoken B/tok | reference | reference B/tok | ratio |");
  console.log("|---|---|---|---|---|---|");
  const row = (m: string, v: number, ours: number, ref: string, theirs: number): void =>
    console.log(`| ${m} | ${v} | ${ours.toFixed(4)} | ${ref} | ${theirs ? theirs.toFixed(4) : "-"} | ${theirs ? (ours / theirs).toFixed(4) : "-"} |`);
  // HF references trained once at the binding's default size, truncated per size.
  const bpeRef = await trainTokenizer("a\n", { model: "bpe", vocabSize: 300 });
  const hfBpe = hfTrain(bpeRef, join(dir, "train.txt"), dir);
  const wpRef = await trainTokenizer("a\n", { model: "wordpiece", vocabSize: 300 });
  const hfWp = hfTrain({ ...wpRef, added_tokens: [] }, join(dir, "train.txt"), dir);
  const hfSize = (hfBpe.model as { vocab: object }).vocab ? Object.keys((hfBpe.model as { vocab: object }).vocab).length : 0;
  for (const size of sizes) {
    const refSize = Math.min(size, hfSize);
    const run = async (o: TrainOptions): Promise<JsonObject> => trainTokenizer(train, o);
    // BPE, byte-level GPT-2 setup. Same alphabet setup as the binding's default (characters seen), and our default.
    const hfB = pruneTokenizerJson(hfBpe, refSize);
    const hfBpt = await bytesPerToken(hfB, heldOut);
    const oursSame = await run({ model: "bpe", vocabSize: refSize, initialAlphabet: [] });
    row("BPE byte-level (HF alphabet setup)", refSize, await bytesPerToken(oursSame, heldOut), "HF BpeTrainer", hfBpt);
    const oursFull = await run({ model: "bpe", vocabSize: size });
    row("BPE byte-level (full 256 bytes)", size, await bytesPerToken(oursFull, heldOut), `HF BpeTrainer @${refSize}`, hfBpt);
    // WordPiece, BERT pre-tokenizer, no normalizer; [UNK] appended to HF's vocabulary so unseen characters encode.
    const hfW = pruneTokenizerJson(hfWp, refSize - 1);
    const hfWm = hfW.model as { vocab: Record<string, number> };
    hfWm.vocab["[UNK]"] = Object.keys(hfWm.vocab).length;
    const oursW = await run({ model: "wordpiece", vocabSize: refSize });
    row("WordPiece", refSize, await bytesPerToken(oursW, heldOut), "HF WordPieceTrainer", await bytesPerToken(hfW, heldOut));
    // Unigram vs spm_train.
    const oursU = await run({ model: "unigram", vocabSize: size });
    let spmBpt = 0;
    if (existsSync("/usr/bin/spm_train")) {
      const prefix = join(dir, `spm${size}`);
      const r = spawnSync("spm_train", [`--input=${join(dir, "train.txt")}`, `--model_prefix=${prefix}`, `--vocab_size=${size}`, "--model_type=unigram", "--minloglevel=2"]);
      if (r.status === 0) {
        const out = execFileSync("spm_encode", [`--model=${prefix}.model`, `--input=${join(dir, "devtest.txt")}`], { maxBuffer: 1 << 28 }).toString();
        const toks = out.split(/\s+/).filter((x) => x.length > 0).length;
        spmBpt = heldOut.reduce((s, l) => s + Buffer.byteLength(l), 0) / toks;
      } else console.log(`spm_train failed at ${size}: ${r.stderr.toString().split("\n").slice(-3).join(" ")}`);
    }
    row("Unigram", size, await bytesPerToken(oursU, heldOut), "spm_train", spmBpt);
    const oursC = await run({ model: "char-bpe", vocabSize: size, byteFallback: true });
    row("char BPE + byte fallback", size, await bytesPerToken(oursC, heldOut), "-", 0);
  }
  console.log(`retoken runtime vs oracle on held-out lines: ${parity.lines - parity.mismatches}/${parity.lines} identical ids`);
}

async function speed(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "retoken-bench-train-"));
  const mb = Number(arg("mb", "100"));
  const vocab = Number(arg("vocab", "32000"));
  // ≥100 MB: all 42 FLORES languages (dev + devtest) plus the code sample, repeated until the size is reached.
  const langs = readdirSync(`${FLORES}/dev`)
    .sort()
    .map((f) => readFileSync(`${FLORES}/dev/${f}`, "utf8") + readFileSync(`${FLORES}/devtest/${f.replace(/\.dev$/, ".devtest")}`, "utf8"))
    .join("");
  const big = join(dir, "big.txt");
  let size: number;
  if (process.argv.includes("--repeat")) {
    // Easy case: the distinct-word table is that of one copy.
    const unit = langs + codeSample();
    const reps = Math.ceil((mb * 1e6) / Buffer.byteLength(unit));
    writeFileSync(big, unit.repeat(reps));
    size = Buffer.byteLength(unit) * reps;
    console.log(`corpus: ${(size / 1e6).toFixed(1)} MB = 42 FLORES languages (dev+devtest) + code, repeated ${reps}×`);
  } else {
    // Default: mostly distinct text. 42 FLORES languages (dev+devtest) + every JS/TS/Markdown file under
    // node_modules (sorted paths), then the same again upper-cased (new words), cut at the size asked for.
    const parts: string[] = [langs];
    let total = Buffer.byteLength(langs);
    const walk = (d: string): void => {
      for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
        if (total >= (mb * 1e6) / 2) return;
        const p = join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (/\.(js|mjs|cjs|ts|md)$/.test(e.name)) {
          const t = readFileSync(p, "utf8");
          if (t.length > 2e6) continue;
          parts.push(t);
          total += Buffer.byteLength(t);
        }
      }
    };
    walk(new URL("../node_modules", import.meta.url).pathname);
    const half = parts.join("\n");
    const text = half + "\n" + half.toUpperCase();
    writeFileSync(big, text);
    size = Buffer.byteLength(text);
    console.log(`corpus: ${(size / 1e6).toFixed(1)} MB = 42 FLORES languages + node_modules JS/TS/Markdown (${((total - Buffer.byteLength(langs)) / 1e6).toFixed(1)} MB), then all of it upper-cased`);
  }
  const measure = (label: string, script: string): void => {
    const r = spawnSync("/usr/bin/time", ["-f", "%e s %M KB", process.execPath, "--import", "tsx", "-e", script], { encoding: "utf8", maxBuffer: 1 << 26 });
    const line = r.stderr.trim().split("\n").at(-1);
    console.log(`${label}: ${line}${r.status !== 0 ? " (failed: " + r.stderr.slice(-300) + ")" : ""}`);
  };
  const here = new URL("..", import.meta.url).pathname;
  measure(
    `retoken BPE ${vocab}`,
    `import("${here}src/train/train.js").then(async (t) => { const { WordCounter } = await import("${here}src/train/corpus.js"); const { countFiles } = await import("${here}src/train/node-corpus.js"); const o = { model: "bpe", vocabSize: ${vocab} }; const c = new WordCounter(t.planFor(o)); await countFiles(c, ["${big}"]); t.trainFromCounts(c, o); })`,
  );
  measure(
    `retoken BPE 30000`,
    `import("${here}src/train/train.js").then(async (t) => { const { WordCounter } = await import("${here}src/train/corpus.js"); const { countFiles } = await import("${here}src/train/node-corpus.js"); const o = { model: "bpe", vocabSize: 30000, initialAlphabet: [] }; const c = new WordCounter(t.planFor(o)); await countFiles(c, ["${big}"]); t.trainFromCounts(c, o); })`,
  );
  measure(
    `retoken BPE ${vocab}, counting in 2 worker threads`,
    `import("${here}src/train/train.js").then(async (t) => { const { WordCounter } = await import("${here}src/train/corpus.js"); const { countFilesInWorkers } = await import("${here}src/train/workers.js"); const o = { model: "bpe", vocabSize: ${vocab} }; const c = new WordCounter(t.planFor(o)); await countFilesInWorkers(c, ["${big}"], { workers: 2, setup: o }); t.trainFromCounts(c, o); })`,
  );
  const bpeRef = JSON.stringify(await trainTokenizer("a\n", { model: "bpe", vocabSize: 300 })).replace(/"vocab":\{[^}]*\},"merges":\[[^\]]*\]/, '"vocab":{},"merges":[]');
  writeFileSync(join(dir, "empty.json"), bpeRef);
  measure(
    `HF BpeTrainer 30000 (npm binding, default trainer)`,
    `const tk = require("${here}node_modules/tokenizers"); const t = tk.Tokenizer.fromFile("${join(dir, "empty.json")}"); t.train(["${big}"]);`,
  );
}

const mode = process.argv[2] ?? "quality";
if (mode === "quality") await quality();
else if (mode === "speed") await speed();
else console.error("usage: bench/train.ts quality|speed");
