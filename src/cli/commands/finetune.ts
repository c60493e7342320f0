// `retoken finetune --model DIR --text FILE… --out DIR [--steps N | --tokens N] [--embeddings-only] [--lr X]
// [--eval LANG=FILE]`: continued training of a model folder (a thin layer over finetuneModelFolder). Ctrl-C stops
// after the current step with a checkpoint written; the same command resumes from it.
import type { Command } from "commander";
import type { FinetuneLogEntry, FinetuneOptions, FinetuneResult } from "../../lm/finetune.js";
import { collect, labelled, numberFlag as number, printJson } from "./shared.js";

export interface FinetuneCliOptions {
  model?: string;
  text: string[];
  out: string;
  steps?: string;
  tokens?: string;
  embeddingsOnly?: boolean;
  lr?: string;
  warmup?: string;
  weightDecay?: string;
  batch?: string;
  seq?: string;
  seed?: string;
  eval: string[];
  evalEvery?: string;
  checkpoint?: string;
  checkpointEvery?: string;
  force?: boolean;
  json?: boolean;
}

// Only that each is a number is checked here; finetuneModelFolder checks the values (its API callers get the same).
const numberFlag = (flag: string, value: string | undefined) => number("finetune", flag, value);

/** One progress line: step, loss, learning rate, tokens seen, the eval texts' bits per byte. */
export function progressLine(e: FinetuneLogEntry, total: number): string {
  const parts = [`step ${e.step}/${total}`];
  if (e.loss !== undefined) parts.push(`loss ${e.loss.toFixed(4)}`, `lr ${e.lr!.toExponential(2)}`);
  parts.push(`tokens ${e.tokens}`);
  for (const [name, bpb] of Object.entries(e.eval ?? {})) parts.push(`${name} ${bpb.toFixed(4)} bits/byte`);
  if (e.step > 0) parts.push(`${(e.seconds / e.step).toFixed(2)} s/step`);
  return parts.join("  ");
}

/** The library options from the flags (exported for tests); the library checks their values. */
export function finetuneOptions(opts: FinetuneCliOptions): FinetuneOptions {
  const evals = opts.eval.map((spec) => {
    const at = spec.indexOf("=");
    if (at < 1 || at === spec.length - 1) throw new Error(`finetune: --eval takes LANG=FILE, got "${spec}"`);
    return { name: spec.slice(0, at), file: spec.slice(at + 1) };
  });
  return {
    modelDir: opts.model ?? "",
    texts: opts.text,
    out: opts.out,
    steps: numberFlag("steps", opts.steps),
    tokens: numberFlag("tokens", opts.tokens),
    embeddingsOnly: opts.embeddingsOnly,
    lr: numberFlag("lr", opts.lr),
    warmup: numberFlag("warmup", opts.warmup),
    weightDecay: numberFlag("weight-decay", opts.weightDecay),
    batch: numberFlag("batch", opts.batch),
    seq: numberFlag("seq", opts.seq),
    seed: numberFlag("seed", opts.seed),
    eval: evals,
    evalEvery: numberFlag("eval-every", opts.evalEvery),
    checkpoint: opts.checkpoint,
    checkpointEvery: numberFlag("checkpoint-every", opts.checkpointEvery),
    overwrite: opts.force,
  };
}

/** Runs the command (exported for tests): progress on stderr; Ctrl-C (or SIGTERM) stops after the current step. */
export async function runFinetune(opts: FinetuneCliOptions, log: (s: string) => void = (s) => process.stderr.write(s + "\n")): Promise<FinetuneResult> {
  const options = finetuneOptions(opts);
  if (!options.modelDir) {
    const { DEFAULT_MODEL_DIR } = await import("../../lm/node.js");
    options.modelDir = DEFAULT_MODEL_DIR;
  }
  const { finetuneModelFolder, FinetuneInterrupted } = await import("../../lm/finetune.js");
  const controller = new AbortController();
  let caught: NodeJS.Signals | null = null;
  // The first signal asks for a clean stop (checkpoint, no output folder); a second one ends the process at once.
  const onSignal = (signal: NodeJS.Signals) => {
    caught = signal;
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    log(`finetune: ${signal}: stopping after this step and writing a checkpoint (again to quit at once)`);
    controller.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    return await finetuneModelFolder({ ...options, signal: controller.signal, onProgress: (e, total) => log(progressLine(e, total)) });
  } catch (e) {
    if (e instanceof FinetuneInterrupted && caught) {
      log(`retoken: ${e.message}`);
      // Ends the process by the signal it got, as an uncaught Ctrl-C would (exit status 130 for SIGINT).
      process.kill(process.pid, caught);
      await new Promise((later) => setTimeout(later, 1000));
      process.exit(128 + (caught === "SIGINT" ? 2 : 15));
    }
    throw e;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

export function register(program: Command): void {
  program
    .command("finetune")
    .description("continue training a model folder on new text (the embeddings only, or every weight), resumable, written atomically")
    .requiredOption("--text <files...>", "UTF-8 training text (documents separated by blank lines; one stream per file)")
    .requiredOption("-o, --out <dir>", "folder to write the trained model to")
    .option("-m, --model <dir>", "model folder (config.json, safetensors, tokenizer.json); default: the bundled model")
    .option("--steps <n>", "optimizer steps (default 200)")
    .option("--tokens <n>", "train on this many tokens instead: steps = ⌈tokens / (batch · seq)⌉")
    .option("--embeddings-only", "train the input and output embeddings only; every other tensor stays byte for byte")
    .option("--lr <x>", "peak learning rate, warm-up then cosine to a tenth (default 1e-3)")
    .option("--warmup <n>", "warm-up steps (default min(100, steps / 10))")
    .option("--weight-decay <x>", "AdamW weight decay on matrices (default 0)")
    .option("--batch <n>", "rows per batch (default 8)")
    .option("--seq <n>", "tokens per row (default min(256, the model's positions))")
    .option("--seed <n>", "seed of the batch sampling (default 1)")
    .option("--eval <spec>", "held-out text scored in bits per byte, LANG=FILE (repeatable)", collect, [])
    .option("--eval-every <n>", "steps between evaluations (default: --checkpoint-every)")
    .option("--checkpoint <dir>", "checkpoint folder (default: OUT.checkpoint); a checkpoint of the same run resumes it")
    .option("--checkpoint-every <n>", "steps between checkpoints (default 50)")
    .option("-f, --force", "replace --out if it exists")
    .option("--json", "print the result (log included) as JSON on stdout")
    .action(async (opts: FinetuneCliOptions) => {
      const r = await runFinetune(opts);
      const last = r.log[r.log.length - 1]!;
      const first = r.log[0]!;
      if (opts.json) printJson(r);
      else
        process.stdout.write(
          labelled([
            ["wrote", r.out],
            ["steps", `${r.steps}${r.resumedFrom !== null ? ` (resumed from step ${r.resumedFrom})` : ""}`],
            ["tokens", r.tokens],
            ["trained", r.trained.length > 2 ? `all ${r.trained.length} tensors` : r.trained.join(", ")],
            ...Object.keys(last.eval ?? {}).map((name) => [`${name} bits/byte`, `${first.eval![name]!.toFixed(4)} → ${last.eval![name]!.toFixed(4)}`] as const),
            ["checkpoint", r.checkpoint],
          ]),
        );
    });
}
