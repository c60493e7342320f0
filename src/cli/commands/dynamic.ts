// `retoken dynamic FILE`: dynamic tokenization of a text's lines (per-batch merges, hypernetwork embeddings for the
// merged tokens) and its bits per byte against the model's own tokenization of the same bytes; `--sweep` writes the
// reduction → bits-per-byte curve per boundary mode (JSON and an HTML chart), with static transfers beside it.
import type { Command } from "commander";
import { basename } from "node:path";
import { readTextFile, writeFileAtomic } from "../../node/files.js";
import { emitJson, labelled, positiveIntFlag } from "./shared.js";
import type { DynamicBoundary, DynamicScore } from "../../decode/index.js";

interface DynamicFlags {
  model?: string;
  hypernet?: string;
  merges?: string;
  reduction?: string;
  boundary?: string;
  batchLines?: string;
  lines?: string;
  sweep?: string;
  static?: string;
  control?: boolean;
  cacheSize?: string;
  mergesFrom?: string;
  json?: string | true;
  html?: string;
  allowBinary?: boolean;
}

/** One point of the curve: a boundary mode at a target reduction, a static transfer (its reduction is what the
 * target tokenizer gives), or the control (the model's own tokenization with every row predicted by the
 * hypernetwork: its embedding error without merging). `relative` is bitsPerByte / baseline − 1. */
export interface DynamicCurvePoint {
  kind: "dynamic" | "static" | "control";
  boundary: DynamicBoundary | null;
  tokenizer: string | null;
  targetReduction: number | null;
  reduction: number;
  merges: number;
  bitsPerByte: number;
  relative: number;
  /** Bits per byte with the merges' description charged (decode/dynamic/score.ts), and its change. */
  bitsPerByteWithVocabulary: number;
  relativeWithVocabulary: number;
  seconds: number;
}

function fraction(flag: string, v: string): number {
  const n = Number(v);
  if (!(v.trim() !== "" && Number.isFinite(n) && n >= 0 && n < 1)) throw new Error(`dynamic: ${flag} takes a fraction in [0, 1) (0.15 = 15% shorter), got "${v}"`);
  return n;
}

const percent = (x: number) => `${(100 * x).toFixed(1)}%`;
const signed = (x: number) => (x >= 0 ? "+" : "") + percent(x);

export function register(program: Command): void {
  program
    .command("dynamic")
    .description("dynamic tokenization: merge tokens per batch of lines, embed the merged tokens with the hypernetwork, and score bits per byte against the model's own tokenization")
    .argument("<file>", "UTF-8 text; each non-empty line is scored as one document")
    .option("-m, --model <dir>", "model folder (default: the bundled model)")
    .option("--hypernet <dir>", "hypernetwork folder (default: the bundled one, trained for the bundled model)")
    .option("--merges <n>", "merges per batch")
    .option("--reduction <r>", "merge each batch until it is this much shorter (0.15 = 15%)")
    .option("--boundary <mode>", "pretokens (merged bytes stay one pre-token), word or sentence", "pretokens")
    .option("--batch-lines <n>", "lines merged together", "32")
    .option("--lines <n>", "only the first N non-empty lines")
    .option("--sweep <r,r,…>", "target reductions: the reduction → bits-per-byte curve for every boundary mode (or the one --boundary names explicitly)")
    .option("--static <tokenizer.json,…>", "with --sweep: static transfers (hypernetwork embeddings for a whole new tokenizer) scored on the same lines")
    .option("--control", "with --sweep: also score the model's own tokenization with every row predicted by the hypernetwork (the anchor's control), and --boundary's merges on top of it")
    .option("--merges-from <file>", "learn the merges once on this file's lines (same target) and apply them to every batch: a held-out vocabulary")
    .option("--cache-size <n>", "merged-token rows kept in the LRU cache (0: off)", "8192")
    .option("--json [file]", "print a JSON object, or write it to a file")
    .option("--html <file>", "with --sweep: an HTML report with the curve as a chart")
    .option("--allow-binary", "read the file even if it looks binary")
    .action(async (file: string, opts: DynamicFlags, cmd: Command) => {
      const boundaryGiven = cmd.getOptionValueSource("boundary") === "cli";
      const result = await runDynamic(file, opts, boundaryGiven);
      if (!(await emitJson(opts.json, result))) process.stdout.write(describe(result));
    });
}

type DynamicReport = Awaited<ReturnType<typeof runDynamic>>;

function pointLabel(p: DynamicCurvePoint): string {
  if (p.kind === "static") return `static ${p.tokenizer}`;
  if (p.kind === "control") return p.boundary === null ? "control (hypernet rows)" : `control + ${p.boundary} @ ${percent(p.targetReduction!)}`;
  return `${p.boundary} @ ${percent(p.targetReduction!)}`;
}

function describe(r: DynamicReport): string {
  if ("points" in r) {
    const rows = r.points.map((p) => `${pointLabel(p).padEnd(28)} ${percent(p.reduction).padStart(7)} shorter  ${p.bitsPerByte.toFixed(4)} bits/byte  ${signed(p.relative)}  (merges charged: ${signed(p.relativeWithVocabulary)})\n`);
    return `baseline: ${r.baselineBitsPerByte.toFixed(4)} bits/byte over ${r.lines} lines (${r.baselineTokens} tokens)\n` + rows.join("");
  }
  return labelled([
    ["reduction", `${percent(r.reduction)} (${r.baseTokens} → ${r.tokens} tokens)`],
    ["merges per batch", r.merges.toFixed(1)],
    ["bits per byte", `${r.bitsPerByte.toFixed(4)} (model's own tokenization: ${r.baselineBitsPerByte.toFixed(4)})`],
    ["with merges charged", r.bitsPerByteWithVocabulary.toFixed(4)],
    ["boundary", r.boundary],
    ["lines", `${r.lines} in ${r.batches} batches`],
    ["cache", `${r.cacheHits} hits, ${r.cacheMisses} misses`],
    ["time", `${r.seconds.toFixed(1)} s (model's own tokenization: ${r.baselineSeconds.toFixed(1)} s)`],
  ]);
}

async function runDynamic(file: string, opts: DynamicFlags, boundaryGiven: boolean) {
  const { DYNAMIC_BOUNDARIES } = await import("../../decode/dynamic/merge.js");
  const boundary = (opts.boundary ?? "pretokens") as DynamicBoundary;
  if (!DYNAMIC_BOUNDARIES.includes(boundary)) throw new Error(`dynamic: --boundary must be one of ${DYNAMIC_BOUNDARIES.join(", ")}, got "${opts.boundary}"`);
  const sweep = opts.sweep?.split(",").map((s) => fraction("--sweep", s));
  if (sweep && (opts.merges !== undefined || opts.reduction !== undefined)) throw new Error("dynamic: --sweep replaces --merges and --reduction");
  if (!sweep && (opts.merges === undefined) === (opts.reduction === undefined)) throw new Error("dynamic: give exactly one of --merges N and --reduction R (or --sweep)");
  if ((opts.static || opts.html || opts.control) && !sweep) throw new Error("dynamic: --static, --control and --html go with --sweep");
  const merges = opts.merges === undefined ? undefined : Number(opts.merges);
  if (merges !== undefined && !(Number.isInteger(merges) && merges >= 0)) throw new Error(`dynamic: --merges must be a non-negative integer, got "${opts.merges}"`);
  const reduction = opts.reduction === undefined ? undefined : fraction("--reduction", opts.reduction);
  const batchLines = positiveIntFlag("dynamic", "batch-lines", opts.batchLines)!;
  const maxLines = positiveIntFlag("dynamic", "lines", opts.lines);
  const cacheSize = Number(opts.cacheSize ?? 8192);
  if (!(Number.isInteger(cacheSize) && cacheSize >= 0)) throw new Error(`dynamic: --cache-size must be a non-negative integer, got "${opts.cacheSize}"`);

  let lines = (await readTextFile(file, { allowBinary: opts.allowBinary })).split(/\r?\n/).filter((l) => l.trim().length > 0);
  if (maxLines !== undefined) lines = lines.slice(0, maxLines);
  if (lines.length === 0) throw new Error(`${file}: no non-empty lines`);
  const mergesFrom = opts.mergesFrom ? (await readTextFile(opts.mergesFrom, { allowBinary: opts.allowBinary })).split(/\r?\n/).filter((l) => l.trim().length > 0) : undefined;
  if (mergesFrom && mergesFrom.length === 0) throw new Error(`${opts.mergesFrom}: no non-empty lines (--merges-from)`);

  // lm/node before the scoring code: it installs the Node shims before anything loads jax-js.
  const { loadLanguageModel } = await import("../../lm/node.js");
  const { DynamicMerger, dynamicBitsPerByte, withPredictedBaseRows } = await import("../../decode/index.js");
  const { loadHypernet, DEFAULT_HYPERNET_DIR, HypernetTokenRows } = await import("../../transfer/hypernet/index.js");
  const { modelEmbeddings } = await import("../../transfer/evaluate.js");
  const { folder, tokenizer, dir } = await loadLanguageModel(opts.model);
  const hypernetDir = opts.hypernet ?? DEFAULT_HYPERNET_DIR;
  const net = await loadHypernet(hypernetDir);
  const source = await modelEmbeddings(folder);
  const rows = new HypernetTokenRows(net, source, tokenizer, { cacheSize });
  const merger = new DynamicMerger(tokenizer);
  const timed = async <T>(f: () => Promise<T>): Promise<[T, number]> => {
    const t0 = performance.now();
    const v = await f();
    return [v, (performance.now() - t0) / 1000];
  };
  const [baseline, baselineSeconds] = await timed(() => dynamicBitsPerByte(folder, merger, null, lines, { merges: 0, batchLines }));
  const common = { file, mergesFrom: opts.mergesFrom ?? null, model: dir, hypernet: hypernetDir, lines: lines.length, batchLines, bytes: baseline.bytes, baselineBitsPerByte: baseline.bitsPerByte, baselineTokens: baseline.tokens, baselineSeconds };

  if (!sweep) {
    const [r, seconds] = await timed(() => dynamicBitsPerByte(folder, merger, rows, lines, { boundary, batchLines, mergesFrom, ...(merges !== undefined ? { merges } : { reduction }) }));
    return { ...common, boundary, reduction: r.reduction, merges: r.merges / r.batches, bitsPerByte: r.bitsPerByte, bitsPerByteWithVocabulary: r.bitsPerByteWithVocabulary, seconds, tokens: r.tokens, baseTokens: r.baseTokens, batches: r.batches, cacheHits: rows.hits, cacheMisses: rows.misses };
  }

  const points: DynamicCurvePoint[] = [];
  const point = (p: Omit<DynamicCurvePoint, "relative" | "bitsPerByteWithVocabulary" | "relativeWithVocabulary">, r: DynamicScore) =>
    points.push({ ...p, relative: r.bitsPerByte / baseline.bitsPerByte - 1, bitsPerByteWithVocabulary: r.bitsPerByteWithVocabulary, relativeWithVocabulary: r.bitsPerByteWithVocabulary / baseline.bitsPerByte - 1 });
  for (const b of boundaryGiven ? [boundary] : DYNAMIC_BOUNDARIES)
    for (const target of sweep) {
      const [r, seconds] = await timed(() => dynamicBitsPerByte(folder, merger, rows, lines, { boundary: b, batchLines, mergesFrom, reduction: target }));
      point({ kind: "dynamic", boundary: b, tokenizer: null, targetReduction: target, reduction: r.reduction, merges: r.merges / r.batches, bitsPerByte: r.bitsPerByte, seconds }, r);
    }
  for (const path of opts.static?.split(",").filter(Boolean) ?? []) {
    const { staticHypernetTransfer } = await import("../../transfer/hypernet/index.js");
    const { Tokenizer } = await import("../../platform/node-tokenizer.js");
    const target = await Tokenizer.fromFile(path);
    const transferred = await staticHypernetTransfer(folder, tokenizer, target, hypernetDir);
    const [r, seconds] = await timed(() => dynamicBitsPerByte(transferred, new DynamicMerger(target), null, lines, { merges: 0, batchLines }));
    point({ kind: "static", boundary: null, tokenizer: basename(path).replace(/\.json$/, ""), targetReduction: null, reduction: 1 - r.tokens / baseline.tokens, merges: 0, bitsPerByte: r.bitsPerByte, seconds }, r);
  }
  if (opts.control) {
    // Its own row provider without a cache: the control's 8k-odd rows would only evict the merged tokens' rows.
    const control = await withPredictedBaseRows(folder, merger, new HypernetTokenRows(net, source, tokenizer, { cacheSize: 0 }));
    const [r, seconds] = await timed(() => dynamicBitsPerByte(control, merger, null, lines, { merges: 0, batchLines }));
    point({ kind: "control", boundary: null, tokenizer: null, targetReduction: null, reduction: 0, merges: 0, bitsPerByte: r.bitsPerByte, seconds }, r);
    // Merging on top of it (every row from the hypernetwork, as the anchor runs it): against the control, the effect
    // of merging alone.
    for (const target of sweep) {
      const [m, s] = await timed(() => dynamicBitsPerByte(control, merger, rows, lines, { boundary, batchLines, mergesFrom, reduction: target }));
      point({ kind: "control", boundary, tokenizer: null, targetReduction: target, reduction: m.reduction, merges: m.merges / m.batches, bitsPerByte: m.bitsPerByte, seconds: s }, m);
    }
  }
  const report = { ...common, points };
  if (opts.html) {
    const { renderChartsPage, htmlTable, escapeHtml } = await import("../../analyze/report-html.js");
    const label = (p: DynamicCurvePoint) => (p.kind === "dynamic" ? `target ${percent(p.targetReduction!)}` : pointLabel(p));
    const series = (p: DynamicCurvePoint) => (p.kind === "dynamic" ? p.boundary! : p.kind === "static" ? "static transfer" : "control (every row from the hypernetwork)");
    const rowsOf = (value: (p: DynamicCurvePoint) => number, text: (p: DynamicCurvePoint) => string) => points.map((p) => ({ label: label(p), series: series(p), value: value(p), text: text(p) }));
    const charts = [
      { id: "relative-bpb", title: "Bits per byte against the model's own tokenization, by reduction (lower is better)", axis: "bits per byte, relative change (%)", mark: "dot" as const, rows: rowsOf((p) => 100 * p.relative, (p) => `${signed(p.relative)} at ${percent(p.reduction)} shorter`), sort: "ascending" as const, caption: `${lines.length} lines of ${basename(file)}; baseline ${baseline.bitsPerByte.toFixed(4)} bits/byte. The merges are learned on the scored text itself, so the extended softmax knows which strings occur in it.` },
      { id: "relative-bpb-charged", title: "The same with the merges' description charged (2·log2 of the vocabulary per merge)", axis: "bits per byte, relative change (%)", mark: "dot" as const, rows: rowsOf((p) => 100 * p.relativeWithVocabulary, (p) => `${signed(p.relativeWithVocabulary)} at ${percent(p.reduction)} shorter`), sort: "ascending" as const },
      { id: "reduction", title: "Sequence reduction reached", axis: "shorter than the model's own tokenization (%)", mark: "bar" as const, rows: rowsOf((p) => 100 * p.reduction, (p) => percent(p.reduction)), sort: "ascending" as const },
    ];
    const table = htmlTable(["point", "boundary", "reduction", "merges / batch", "bits/byte", "relative", "merges charged", "seconds"], points.map((p) => [label(p), series(p), percent(p.reduction), p.merges.toFixed(1), p.bitsPerByte.toFixed(4), signed(p.relative), signed(p.relativeWithVocabulary), p.seconds.toFixed(1)]));
    await writeFileAtomic(opts.html, renderChartsPage({ title: "retoken dynamic", corpus: basename(file), intro: `<p>Model: ${escapeHtml(dir)}; hypernetwork: ${escapeHtml(hypernetDir)}. Each line is scored as a document; merges are learned per batch of ${batchLines} lines.</p>`, charts, outro: `<h2>All points</h2>${table}` }));
  }
  return report;
}
