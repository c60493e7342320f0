// `npm run bench:dynamic`: scoring speed of dynamic tokenization (per-batch merges + hypernetwork rows + the softmax
// over base + merged tokens) against static scoring (the model's own tokenization) on the same lines, one process.
// Warm-up on FLORES dev (first pass: jit of the hypernetwork, row cache filling), timing on FLORES devtest: first pass
// (cold cache) and steady state (second pass, warm cache) apart. CPU seconds (process.cpuUsage) beside wall seconds:
// on a shared machine the wall clock measures the neighbours too. FLORES from $RETOKEN_SHARED (default ../shared).
//   node --import tsx bench/dynamic.ts [lines per language=16] [reduction=0.15] [boundary=pretokens]
import { readFileSync } from "node:fs";
import { loadLanguageModel } from "../src/lm/node.js";

const lineCount = Number(process.argv[2] ?? 16);
const reduction = Number(process.argv[3] ?? 0.15);
const boundary = (process.argv[4] ?? "pretokens") as "pretokens" | "word" | "sentence";
const { folder, tokenizer } = await loadLanguageModel(undefined);
const { DynamicMerger, dynamicBitsPerByte } = await import("../src/decode/index.js");
const { loadHypernet, DEFAULT_HYPERNET_DIR, HypernetTokenRows } = await import("../src/transfer/hypernet/index.js");
const { modelEmbeddings } = await import("../src/transfer/evaluate.js");

const shared = process.env.RETOKEN_SHARED ?? "../shared";
const flores = (split: "dev" | "devtest", lang: string) => readFileSync(`${shared}/data/flores200/${split}/${lang}.${split}`, "utf8").split("\n").filter((l) => l.length > 0);
const langs = ["deu_Latn", "spa_Latn", "fra_Latn", "pol_Latn", "rus_Cyrl"];
const pick = (split: "dev" | "devtest") => langs.flatMap((l) => flores(split, l).slice(0, lineCount));
const merger = new DynamicMerger(tokenizer);
const rows = new HypernetTokenRows(await loadHypernet(DEFAULT_HYPERNET_DIR), await modelEmbeddings(folder), tokenizer);

async function timed(lines: string[], dynamic: boolean) {
  const t = performance.now();
  const c = process.cpuUsage();
  const r = await dynamicBitsPerByte(folder, merger, dynamic ? rows : null, lines, dynamic ? { boundary, reduction } : { merges: 0 });
  const seconds = (performance.now() - t) / 1000;
  const used = process.cpuUsage(c);
  const cpuSeconds = (used.user + used.system) / 1e6;
  return {
    seconds, cpuSeconds, tokensPerSecond: r.tokens / seconds, tokensPerCpuSecond: r.tokens / cpuSeconds, bytesPerSecond: r.bytes / seconds, bytesPerCpuSecond: r.bytes / cpuSeconds,
    tokens: r.tokens, bytes: r.bytes, reduction: r.reduction, bitsPerByte: r.bitsPerByte,
  };
}

await timed(pick("dev"), false);
await timed(pick("dev"), true);
const test = pick("devtest");
const staticRun = await timed(test, false);
const misses = rows.misses;
const firstPass = await timed(test, true);
const firstMisses = rows.misses - misses;
const steady = await timed(test, true);
const result = {
  lines: test.length,
  boundary,
  targetReduction: reduction,
  static: staticRun,
  dynamicFirstPass: { ...firstPass, cacheMisses: firstMisses },
  dynamicSteady: { ...steady, cacheMisses: rows.misses - misses - firstMisses },
  // Above 1: dynamic scoring reads the same bytes faster than static scoring (per CPU second: what the code costs;
  // per wall second: what this machine gave it).
  bytesPerCpuSecondRatioSteady: steady.bytesPerCpuSecond / staticRun.bytesPerCpuSecond,
  bytesPerCpuSecondRatioFirstPass: firstPass.bytesPerCpuSecond / staticRun.bytesPerCpuSecond,
  bytesPerSecondRatioSteady: steady.bytesPerSecond / staticRun.bytesPerSecond,
  bytesPerSecondRatioFirstPass: firstPass.bytesPerSecond / staticRun.bytesPerSecond,
};
console.log(JSON.stringify(result, null, 1));
