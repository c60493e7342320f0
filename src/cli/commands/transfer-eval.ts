// `retoken transfer-eval`: bits per byte and sequence length of the original model and of each transfer method, per
// target tokenizer and language, as a terminal table, JSON and a self-contained HTML report with charts.
import type { Command } from "commander";
import { basename } from "node:path";
import { readTextFile, writeFileAtomic } from "../../node/files.js";
import { collect, emitJson, positiveIntFlag } from "./shared.js";
import { TRANSFER_METHODS, type MethodInputs, type TransferMethod } from "../../transfer/methods.js";

/** `LANG=FILE` or a bare `FILE` (no language). */
export function parseSpec(spec: string, option: string): { language: string | null; file: string } {
  const eq = spec.indexOf("=");
  if (eq === 0) throw new Error(`${option}: "${spec}" has an empty language before "="`);
  if (eq < 0) return { language: null, file: spec };
  return { language: spec.slice(0, eq), file: spec.slice(eq + 1) };
}

async function readText(file: string, option: string, allowBinary: boolean | undefined, lines?: number): Promise<string> {
  let text = await readTextFile(file, { allowBinary });
  if (lines !== undefined) text = text.split("\n").slice(0, lines).join("\n");
  if (!text.trim()) throw new Error(`${file}: empty (${option})`);
  return text;
}

export interface TransferEvalCliOptions {
  allowBinary?: boolean;
  model?: string;
  target: string[];
  text: string[];
  methods: string;
  lines?: string;
  auxText: string[];
  hypernet?: string;
  donor?: string;
  window?: string;
  stride?: string;
  json?: string | true;
  html?: string;
  quiet?: boolean;
  addSpecialTokens?: boolean;
}

export async function runTransferEval(opts: TransferEvalCliOptions, out: (s: string) => void): Promise<unknown> {
  const { loadLanguageModel } = await import("../../lm/node.js");
  const { Tokenizer } = await import("../../platform/node-tokenizer.js");
  const { evaluateTransfer, formatTransferTable, transferCharts, methodAverages, modelEmbeddings } = await import("../../transfer/evaluate.js");
  const { staticEmbeddingsFromText } = await import("../../transfer/static-embeddings.js");
  const int = (v: string | undefined, name: string) => positiveIntFlag("transfer-eval", name, v);
  const lines = int(opts.lines, "lines");
  const methods = opts.methods.split(",").map((m) => m.trim()).filter(Boolean) as TransferMethod[];
  for (const m of methods) if (!TRANSFER_METHODS.includes(m)) throw new Error(`transfer-eval: unknown method "${m}" (one of ${TRANSFER_METHODS.join(", ")})`);
  if (methods.length === 0) throw new Error("transfer-eval: --methods is empty");
  if (methods.includes("hypernet") && !opts.hypernet) throw new Error("transfer-eval: --methods hypernet needs --hypernet DIR");
  if (methods.includes("omp") && !opts.donor) throw new Error("transfer-eval: --methods omp needs --donor DIR (a model that already uses the target tokenizer)");
  if (opts.target.length === 0) throw new Error("transfer-eval: give at least one --target [LANG=]FILE");
  if (opts.text.length === 0) throw new Error("transfer-eval: give at least one --text LANG=FILE");

  const texts: { language: string; text: string }[] = [];
  for (const spec of opts.text) {
    const { language, file } = parseSpec(spec, "--text");
    texts.push({ language: language ?? basename(file).replace(/\.[^.]*$/, ""), text: await readText(file, "--text", opts.allowBinary, lines) });
  }
  const auxTexts = new Map<string | null, string>();
  for (const spec of opts.auxText) {
    const { language, file } = parseSpec(spec, "--aux-text");
    auxTexts.set(language, await readText(file, "--aux-text", opts.allowBinary));
  }
  const { folder, tokenizer: source, dir } = await loadLanguageModel(opts.model);
  const donor = opts.donor ? await loadLanguageModel(opts.donor) : null;
  // The hypernetwork module is loaded only when asked for (it pulls in the encoder and its weights).
  // (A literal specifier, so that the bundle in dist/bundle/ carries the module as a chunk of its own.)
  const hypernet = opts.hypernet ? await import("../../transfer/hypernet/index.js") : null;
  const targets = [];
  for (const spec of opts.target) {
    const { language, file } = parseSpec(spec, "--target");
    const tokenizer = await Tokenizer.fromFile(file);
    const languages = language ? language.split(",") : null;
    if (languages) for (const l of languages) if (!texts.some((t) => t.language === l)) throw new Error(`transfer-eval: --target ${spec} names language "${l}" but no --text ${l}=FILE is given`);
    const name = basename(file).replace(/\.json$/, "");
    targets.push({
      name,
      tokenizer,
      languages,
      addMissingSpecials: opts.addSpecialTokens,
      inputs: async (method: TransferMethod): Promise<MethodInputs> => {
        if (method === "aux") {
          const auxText = (languages ? languages.map((l) => auxTexts.get(l)).filter((t) => t !== undefined).join("\n") : "") || auxTexts.get(null);
          if (!auxText) throw new Error(`transfer-eval: --methods aux needs target-language text for ${name}: --aux-text ${languages?.[0] ?? "LANG"}=FILE`);
          return { auxSpace: staticEmbeddingsFromText(auxText, tokenizer) };
        }
        if (method === "omp") return { donor: await modelEmbeddings(donor!.folder) };
        if (method === "hypernet") return { predicted: await hypernet!.predictEmbeddingsWithHypernet({ model: folder, sourceTokenizer: source, targetTokenizer: tokenizer, hypernetDir: opts.hypernet! }) };
        return {};
      },
    });
  }
  const progress = opts.quiet ? undefined : (done: number, total: number, what: string) => process.stderr.write(`\r[${done}/${total}] ${what}`.padEnd(60));
  const report = await evaluateTransfer({ ...folder, name: dir }, source, targets, texts, methods, { window: int(opts.window, "window"), stride: int(opts.stride, "stride"), onProgress: progress });
  if (progress) process.stderr.write("\n");
  const json = { ...report, averages: methodAverages(report) };
  if (opts.json !== true) out(formatTransferTable(report));
  await emitJson(opts.json, json);
  if (typeof opts.json === "string") {
    const { toCsv } = await import("../../analyze/report-html.js");
    const { csvBeside } = await import("./compare.js");
    const csvRows = report.rows.map((r) => [r.target, r.language, r.method, r.bitsPerByte, r.interval?.[0] ?? null, r.interval?.[1] ?? null, r.tokens, r.bytes, r.lengthRatio]);
    await writeFileAtomic(csvBeside(opts.json), toCsv(["target", "language", "method", "bitsPerByte", "intervalLow", "intervalHigh", "tokens", "bytes", "lengthRatio"], csvRows));
  }
  if (opts.html) {
    const { renderChartsPage, htmlTable, escapeHtml } = await import("../../analyze/report-html.js");
    const avg = methodAverages(report);
    const range = (i: [number, number] | null) => (i ? `${i[0].toFixed(3)}–${i[1].toFixed(3)}` : "–");
    const intro = `<p>Model: ${escapeHtml(dir)}. Bits per byte on held-out text (lower is better); sequence length relative to the model's own tokenizer.</p>${htmlTable(
      ["method", "mean bits per byte", "95% interval", "mean length ratio", "pairs"],
      avg.map((a) => [a.method, a.bitsPerByte.toFixed(4), range(a.interval), a.lengthRatio.toFixed(3), a.pairs]),
    )}`;
    const rows = report.rows.map((r) => [r.target, r.language, r.method, r.bitsPerByte.toFixed(4), range(r.interval), r.tokens, r.bytes, r.lengthRatio.toFixed(3)]);
    const corpus = `held-out text per language: ${opts.text.join(", ")}${lines ? ` (first ${lines} lines of each)` : ""}; every token scored once, in sliding windows.`;
    await writeFileAtomic(opts.html, renderChartsPage({ title: "retoken transfer-eval", corpus, intro, charts: transferCharts(report), outro: `<h2>All results</h2>${htmlTable(["target", "language", "method", "bits/byte", "95% interval", "tokens", "bytes", "length ratio"], rows)}` }));
  }
  return json;
}

export function register(program: Command): void {
  program
    .command("transfer-eval")
    .description("bits per byte and sequence length of the original model and of each transfer method, per target tokenizer and language")
    .option("-m, --model <dir>", "model folder (default: the bundled model)")
    .option("--target <spec>", "target tokenizer, [LANG[,LANG]=]FILE; with languages it is evaluated on those texts only (repeatable)", collect, [])
    .option("--text <spec>", "held-out text, LANG=FILE (repeatable)", collect, [])
    .option("--methods <list>", `comma-separated methods (${TRANSFER_METHODS.join(", ")})`, "copy,fvt,aux")
    .option("--lines <n>", "use only the first n lines of each text")
    .option("--aux-text <spec>", "target-language text for aux's static embeddings, LANG=FILE (repeatable)", collect, [])
    .option("--hypernet <dir>", "trained hypernetwork folder (for --methods hypernet)")
    .option("--donor <dir>", "donor model that already uses the target tokenizer (for --methods omp)")
    .option("--window <n>", "tokens per forward pass")
    .option("--stride <n>", "tokens between windows")
    .option("--json [file]", "write the results as JSON to a file (and the rows as CSV beside it), or print them instead of the table")
    .option("--html <file>", "write a self-contained HTML report with charts")
    .option("--add-special-tokens", "append the model's special tokens to a target that lacks them (else an error)")
    .option("--allow-binary", "read text files even if they look binary (compressed files are refused regardless)")
    .option("-q, --quiet", "no progress output")
    .action(async (opts: TransferEvalCliOptions) => {
      await runTransferEval(opts, (s) => process.stdout.write(s));
    });
}
