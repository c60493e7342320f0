// `retoken transfer [--model DIR] --tokenizer NEW --method copy|fvt|omp|aux|random|hypernet --out DIR`: the model
// folder, speaking a new tokenizer, written as a complete Hugging Face folder (a thin layer over transferModelFolder).
import type { Command } from "commander";
import cliProgress from "cli-progress";
import { readTextFile } from "../../node/files.js";
import { TRANSFER_METHODS, type MethodInputs, type TransferMethod } from "../../transfer/methods.js";
import type { EmbeddingView } from "../../transfer/embedding-view.js";
import type { TransferFolderResult, TransferInputsContext, TransferProgress } from "../../transfer/folder.js";

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

/** What src/transfer/hypernet/ provides for `--method hypernet` (the same call transfer-eval makes). */
type HypernetModule = {
  DEFAULT_HYPERNET_DIR: string;
  predictEmbeddingsWithHypernet(args: { model: unknown; sourceTokenizer: unknown; targetTokenizer: unknown; hypernetDir: string }): Promise<EmbeddingView>;
};

async function loadHypernet(): Promise<HypernetModule> {
  // A variable specifier: the module is optional at build time and heavy at run time.
  const path = "../../transfer/hypernet/index.js";
  let mod: Partial<HypernetModule>;
  try {
    mod = (await import(path)) as Partial<HypernetModule>;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ERR_MODULE_NOT_FOUND") throw e;
    mod = {};
  }
  if (typeof mod.predictEmbeddingsWithHypernet !== "function") throw new Error("transfer: --method hypernet is not available yet (src/transfer/hypernet/ does not provide predictEmbeddingsWithHypernet)");
  return mod as HypernetModule;
}

/** Builds the method's extra inputs once the target tokenizer is final. */
function methodInputs(method: TransferMethod, opts: TransferCliOptions, modelDir: string, seed: number) {
  return async (ctx: TransferInputsContext): Promise<MethodInputs> => {
    const { readInputEmbeddings } = await import("../../transfer/folder.js");
    const vocab = ctx.map.targetSize;
    if (method === "omp") {
      if (!opts.donor) throw new Error("transfer: --method omp needs --donor DIR, a model that already uses the target tokenizer");
      return { donor: await readInputEmbeddings(opts.donor, vocab), seed };
    }
    if (method === "aux") {
      if (opts.auxCorpus) {
        const { staticEmbeddingsFromText } = await import("../../transfer/static-embeddings.js");
        let text: string;
        try {
          text = await readTextFile(opts.auxCorpus, { allowBinary: opts.allowBinary });
        } catch (e) {
          throw new Error(`transfer: --aux-corpus ${(e as Error).message}`);
        }
        const dim = opts.auxDim === undefined ? 64 : Number(opts.auxDim);
        if (!Number.isInteger(dim) || dim < 1) throw new Error(`transfer: --aux-dim must be a positive integer, got "${opts.auxDim}"`);
        return { auxSpace: staticEmbeddingsFromText(text, ctx.target, { dim, seed }), seed };
      }
      if (opts.donor) {
        const donor = await readInputEmbeddings(opts.donor, vocab);
        return { auxSpace: { space: donor.data, dim: donor.dim }, seed };
      }
      throw new Error("transfer: --method aux needs --aux-corpus FILE (target-language text for static embeddings) or --donor DIR");
    }
    if (method === "hypernet") {
      const hypernet = await loadHypernet();
      const { loadLanguageModel } = await import("../../lm/node.js");
      const { folder } = await loadLanguageModel(modelDir);
      const hypernetDir = opts.hypernet ?? hypernet.DEFAULT_HYPERNET_DIR;
      return { predicted: await hypernet.predictEmbeddingsWithHypernet({ model: folder, sourceTokenizer: ctx.source, targetTokenizer: ctx.target, hypernetDir }), seed };
    }
    return { seed };
  };
}

/** Runs the command (exported for tests). */
export async function runTransfer(opts: TransferCliOptions, log: (s: string) => void = (s) => process.stderr.write(s + "\n")): Promise<TransferFolderResult> {
  const method = opts.method as TransferMethod;
  if (!TRANSFER_METHODS.includes(method)) throw new Error(`transfer: unknown --method "${opts.method}" (one of ${TRANSFER_METHODS.join(", ")})`);
  // Inputs a method needs are checked before any model is read.
  if (method === "omp" && !opts.donor) throw new Error("transfer: --method omp needs --donor DIR, a model that already uses the target tokenizer");
  if (method === "aux" && !opts.auxCorpus && !opts.donor) throw new Error("transfer: --method aux needs --aux-corpus FILE (target-language text for static embeddings) or --donor DIR");
  // The bundled hypernetwork is trained for the bundled model's embeddings only: another model needs its own.
  if (method === "hypernet") {
    if (!opts.hypernet && opts.model) throw new Error("transfer: --method hypernet needs --hypernet DIR with --model (a hypernetwork trained for that model; the bundled one fits the bundled model only)");
    await loadHypernet();
  }
  const seed = opts.seed === undefined ? 0 : Number(opts.seed);
  if (!Number.isInteger(seed)) throw new Error(`transfer: --seed must be an integer, got "${opts.seed}"`);
  let modelDir = opts.model;
  if (!modelDir) {
    const { DEFAULT_MODEL_DIR } = await import("../../lm/node.js");
    const { stat } = await import("node:fs/promises");
    if (!(await stat(DEFAULT_MODEL_DIR).then((s) => s.isDirectory(), () => false)))
      throw new Error(`transfer: no --model given and the default model folder ${DEFAULT_MODEL_DIR} does not exist (pass --model DIR)`);
    modelDir = DEFAULT_MODEL_DIR;
  }
  const { transferModelFolder } = await import("../../transfer/folder.js");

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
    const result = await transferModelFolder({
      modelDir,
      targetTokenizer: opts.tokenizer,
      method,
      inputs: methodInputs(method, opts, modelDir, seed),
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
