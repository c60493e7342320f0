// `retoken transfer [--model DIR] --tokenizer NEW --method copy|fvt|omp|aux|random|hypernet --out DIR`: the model
// folder, speaking a new tokenizer, written as a complete Hugging Face folder (a thin layer over transferFromFiles).
import type { Command } from "commander";
import cliProgress from "cli-progress";
import { TRANSFER_METHODS, type TransferMethod } from "../../transfer/methods.js";
import type { TransferFolderResult, TransferProgress } from "../../transfer/folder.js";
import { intFlag } from "./shared.js";

export interface TransferCliOptions {
  allowBinary?: boolean;
  model?: string;
  tokenizer: string;
  method: string;
  donor?: string;
  hypernet?: string;
  auxCorpus?: string;
  auxDim?: string;
  out: string;
  addSpecialTokens?: boolean;
  force?: boolean;
  seed?: string;
  json?: boolean;
  progress: boolean;
}

/** Runs the command (exported for tests): the flags mapped onto `transferFromFiles`, with progress bars and a summary. */
export async function runTransfer(opts: TransferCliOptions, log: (s: string) => void = (s) => process.stderr.write(s + "\n")): Promise<TransferFolderResult> {
  const method = opts.method as TransferMethod;
  const auxDim = intFlag("transfer", "aux-dim", opts.auxDim, 1);
  const seed = intFlag("transfer", "seed", opts.seed);
  const { transferFromFiles } = await import("../../transfer/transfer-files.js");

  let bar: cliProgress.SingleBar | null = null;
  let phase: TransferProgress["phase"] | null = null;
  const labels = { read: "reading embeddings", initialize: `new rows (${method})`, write: "writing" } as const;
  const onProgress = (p: TransferProgress) => {
    if (!opts.progress) return;
    const mb = (n: number) => (p.phase === "initialize" ? n : Math.round(n / 2 ** 20));
    if (p.phase !== phase) {
      bar?.stop();
      phase = p.phase;
      bar = new cliProgress.SingleBar(
        { format: `${labels[p.phase].padEnd(20)} |{bar}| {value}/{total}${p.phase === "initialize" ? "" : " MiB"}`, clearOnComplete: false, hideCursor: true, stream: process.stderr },
        cliProgress.Presets.shades_classic,
      );
      bar.start(Math.max(1, mb(p.total)), 0);
    }
    bar?.update(mb(p.done));
  };
  try {
    const result = await transferFromFiles({
      modelDir: opts.model,
      targetTokenizer: opts.tokenizer,
      method,
      donor: opts.donor,
      auxCorpus: opts.auxCorpus,
      auxDim,
      allowBinary: opts.allowBinary,
      hypernet: opts.hypernet,
      seed,
      out: opts.out,
      addMissingSpecialTokens: opts.addSpecialTokens,
      overwrite: opts.force,
      onProgress,
    });
    (bar as cliProgress.SingleBar | null)?.stop();
    const fills = Object.entries(result.counts).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(", ");
    if (result.addedSpecialTokens.length) log(`appended special tokens to the target: ${result.addedSpecialTokens.map((t) => JSON.stringify(t)).join(", ")}`);
    if (result.skipped.length) log(`not carried over (old vocabulary): ${result.skipped.join(", ")}`);
    log(`wrote ${result.out}: vocabulary ${result.vocabSize} (${fills})`);
    return result;
  } finally {
    (bar as cliProgress.SingleBar | null)?.stop();
  }
}

export function register(program: Command): void {
  program
    .command("transfer")
    .description("give a model a new tokenizer zero-shot: new embeddings and head, configs and tokenizer rewritten, other weights copied")
    .requiredOption("-t, --tokenizer <file>", "the new tokenizer (tokenizer.json, tiktoken ranks or SentencePiece .model)")
    .requiredOption("-o, --out <dir>", "folder to write the transferred model to")
    .option("-m, --model <dir>", "model folder (config.json, safetensors, tokenizer.json); default: the bundled model")
    .option("--method <name>", `how new rows are made: ${TRANSFER_METHODS.join(", ")}`, "fvt")
    .option("--donor <dir>", "a model that already uses the new tokenizer (omp; or aux's embedding space)")
    .option("--aux-corpus <file>", "target-language text; aux trains static embeddings on it")
    .option("--allow-binary", "read --aux-corpus even if it looks binary (compressed files are refused regardless)")
    .option("--aux-dim <n>", "dimension of aux's static embeddings", "64")
    .option("--hypernet <dir>", "trained hypernetwork folder (for --method hypernet; default with the bundled model: the bundled hypernetwork)")
    .option("--add-special-tokens", "append the model's special tokens (bos/eos/pad) that the new tokenizer lacks")
    .option("--seed <n>", "seed of the random rows", "0")
    .option("-f, --force", "replace --out if it exists")
    .option("--json", "print the result as JSON on stdout")
    .option("--no-progress", "no progress bars")
    .action(async (opts: TransferCliOptions) => {
      const result = await runTransfer(opts);
      if (opts.json)
        process.stdout.write(JSON.stringify({ ...result, specialIds: Object.fromEntries(result.specialIds) }) + "\n");
    });
}
