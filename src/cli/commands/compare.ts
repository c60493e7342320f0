// `retoken compare TOKENIZERS... --corpus DIR | --flores DIR | --counts FILE... [--json OUT] [--html OUT]`
import type { Command } from "commander";
import { readdir, readFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { Tokenizer } from "../../platform/node-tokenizer.js";
import { compareTokenizers, formatCompareTable, type CorpusText, type NamedTokenizer } from "../../analyze/compare.js";
import { petrovFloresText } from "../../analyze/flores.js";
import { readTextFile, readTextFolder, writeFileAtomic } from "../../node/files.js";
import { measureCounts, type CountsMetrics } from "../../analyze/count-metrics.js";
import { mergeCountFiles, missingUnits } from "../../train/counts.js";
import type { JsonObject } from "../../tokenize/types.js";
import { emitJson, numberFlag, v8FlagUnlessGiven } from "./shared.js";

/** Names tokenizers by file name, disambiguating equal names with their folder. */
function tokenizerName(path: string, all: string[]): string {
  const name = basename(path).replace(/\.(json|model|tiktoken)$/, "").replace(/^tokenizer$/, basename(join(path, "..")));
  const same = all.filter((p) => basename(p) === basename(path));
  return same.length > 1 ? `${basename(join(path, ".."))}/${name}` : name;
}

export async function readFloresFolder(dir: string): Promise<CorpusText[]> {
  const devDir = join(dir, "dev");
  let files: string[];
  try {
    files = (await readdir(devDir)).filter((f) => f.endsWith(".dev")).sort();
  } catch {
    throw new Error(`${dir}: not a FLORES-200 folder (expected ${devDir}/<lang>.dev and devtest/<lang>.devtest)`);
  }
  if (files.length === 0) throw new Error(`${devDir}: no <lang>.dev files`);
  const out: CorpusText[] = [];
  for (const f of files) {
    const lang = f.slice(0, -4);
    const devtestPath = join(dir, "devtest", `${lang}.devtest`);
    const dev = await readTextFile(join(devDir, f));
    const devtest = await readTextFile(devtestPath).catch((e: Error) => {
      throw new Error(e.message.endsWith("no such file or directory") ? `${devtestPath}: missing (every language needs dev and devtest)` : e.message);
    });
    // Counts on Petrov et al.'s joined text; unigram bits per byte fitted on dev, measured on devtest.
    out.push({ name: lang, text: petrovFloresText(dev, devtest), fit: dev, heldOut: devtest });
  }
  return out;
}

/** Key order does not matter when comparing pipeline stages. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v !== null && typeof v === "object") {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as JsonObject)[k])}`).join(",")}}`;
  }
  return JSON.stringify(v ?? null);
}

/** Measures tokenizers on merged count files; each must pre-tokenize as the counts were made (else it is refused). */
export async function compareOnCounts(files: string[], countFiles: string[]): Promise<(CountsMetrics & { tokenizer: string })[]> {
  const table = await mergeCountFiles(countFiles);
  const missing = missingUnits(table);
  if (missing.length > 0) throw new Error(`${countFiles.join(", ")}: the counts miss units ${missing.slice(0, 5).join(", ")} of the corpus: give every shard's count file`);
  const want = canonical({ normalizer: table.meta.pipeline.normalizer, pre_tokenizer: table.meta.pipeline.pre_tokenizer });
  const out: (CountsMetrics & { tokenizer: string })[] = [];
  for (const f of files) {
    const tokenizer = await Tokenizer.fromFile(f);
    const json = tokenizer.toJSON();
    if (canonical({ normalizer: json.normalizer ?? null, pre_tokenizer: json.pre_tokenizer ?? null }) !== want) {
      throw new Error(`${f}: its normalizer/pre-tokenizer differ from the ones the counts were made with, so counts cannot measure it exactly (count the corpus with its settings, or use --corpus)`);
    }
    out.push({ tokenizer: tokenizerName(f, files), ...measureCounts(tokenizer, table.counts, table.meta.bytes) });
  }
  return out;
}

/** The CSV written beside a JSON output: same name, .csv extension. */
export const csvBeside = (jsonPath: string) => jsonPath.replace(/(\.json)?$/i, ".csv");

export function register(program: Command): void {
  program
    .command("compare")
    .description("measure tokenizers on a corpus: bytes/token, fertility, parity premium, efficiency, vocabulary audit")
    .argument("<tokenizers...>", "tokenizer files (tokenizer.json, .tiktoken, SentencePiece .model)")
    .option("--corpus <dir>", "folder with one text file per language or domain (<name>.<ext>, each measured whole)")
    .option("--flores <dir>", "a FLORES-200 folder (dev/, devtest/), prepared as Petrov et al. 2023")
    .option("--counts <files...>", "count files (retoken count): bytes/token, fertility, unigram entropy from pre-token counts")
    .option("--reference <name>", "tokenizer that normalised sequence length is relative to (default: the first)")
    .option("--pivot <name>", "text that parity premium is relative to (default: English if present)")
    .option("--alpha <number>", "Rényi efficiency order", "2.5")
    .option("--no-audit", "skip the vocabulary audit")
    .option("--json [file]", "write the full results as JSON to a file (and the per-text rows as CSV beside it), or print them instead of the table")
    .option("--html <file>", "write a self-contained HTML report with charts")
    .action(async (files: string[], opts: { corpus?: string; flores?: string; counts?: string[]; reference?: string; pivot?: string; alpha: string; audit: boolean; json?: string | true; html?: string }) => {
      if ([opts.corpus, opts.flores, opts.counts].filter((x) => x !== undefined).length !== 1) throw new Error("compare: give exactly one of --corpus DIR, --flores DIR or --counts FILE...");
      if (opts.counts) {
        const rows = await compareOnCounts(files, opts.counts);
        if (opts.json !== true) process.stdout.write(
          ["tokenizer\tbytes/token\tfertility\tunigram entropy (bits)\trenyi efficiency", ...rows.map((r) => `${r.tokenizer}\t${r.bytesPerToken.toFixed(3)}\t${r.fertility.toFixed(3)}\t${r.unigramEntropyBits.toFixed(3)}\t${r.renyiEfficiency.toFixed(4)}`)].join("\n") + "\n",
        );
        await emitJson(opts.json, rows);
        return;
      }
      const alpha = numberFlag("compare", "alpha", opts.alpha, { min: 0, above: true })!;
      // The heap grows by half at most after a full collection (V8's default lets it grow several-fold): the texts
      // are measured one after another, so what is live stays small while the garbage of each text is large. GPT-2
      // and Llama 2 over FLORES: peak 551-640 -> 366-418 MB, CPU time within its run-to-run spread (session 14). V8 reads
      // the factor at every collection, so setting it here takes effect; a value given to node wins.
      v8FlagUnlessGiven("heap-growing-percent", 50);
      const texts: CorpusText[] = opts.corpus ? await readTextFolder(opts.corpus) : await readFloresFolder(opts.flores!);
      const tokenizers: NamedTokenizer[] = [];
      for (const f of files) tokenizers.push({ name: tokenizerName(f, files), tokenizer: await Tokenizer.fromFile(f) });
      const report = compareTokenizers(tokenizers, texts, {
        reference: opts.reference,
        pivot: opts.pivot,
        alpha,
        audit: opts.audit,
        onProgress: (m) => process.stderr.write(`\r\x1b[K${m}`),
      });
      process.stderr.write("\r\x1b[K");
      if (opts.json !== true) process.stdout.write(formatCompareTable(report) + "\n");
      await emitJson(opts.json, report);
      // The report module pulls in the DOM and plotting libraries: loaded only when a file asks for it.
      const reports = typeof opts.json === "string" || opts.html ? await import("../../analyze/report-html.js") : null;
      if (typeof opts.json === "string") await writeFileAtomic(csvBeside(opts.json), reports!.compareCsv(report));
      const corpus = opts.flores
        ? `FLORES-200 at ${opts.flores}: counts on dev + devtest joined as Petrov et al. 2023 prepare them; unigram bits per byte fitted on dev, measured on devtest (${texts.length} languages: ${texts.map((c) => c.name).join(", ")})`
        : `the text files of ${opts.corpus} (${texts.map((c) => c.name).join(", ")}), each measured whole`;
      if (opts.html) await writeFileAtomic(opts.html, reports!.renderCompareHtml(report, corpus));
    });
}
