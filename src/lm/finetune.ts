// Continued training of a model folder on new text (Node only; `retoken finetune`): the embeddings alone (input and
// output rows, the cheap recipe after a tokenizer transfer) or every weight, AdamW with warm-up + cosine, checkpoints
// that resume bit for bit (batches are a function of the step number; the checkpoint holds the weights, the optimizer
// moments and the log so far), and a complete model folder written atomically at the end.
import { createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { readTextFile } from "../node/files.js";
import { warmupCosine, type Arrays } from "../tensor/optim.js";
import { bitsPerByte, type TextTokenizer } from "./bpb.js";
import type { ModelConfig } from "./config.js";
import { loadTrainingCheckpoint, saveTrainingCheckpoint } from "./checkpoint.js";
import { documentStream, WindowSampler } from "./corpus.js";
import { cpuPath } from "./cpu-path.js";
import { checkTokenizerFits, saveModelFolder } from "./folder.js";
import { embeddingNames } from "./model.js";
import { loadLanguageModel } from "./node.js";
import { documentStartId, endTokenIds } from "./token-lm.js";
import { cpuLossAndGradients, LanguageModelTrainer, lossAndGradients, toArrays, toParams, type Shapes } from "./train.js";

export interface FinetuneEval {
  /** A label for the progress lines and the log (e.g. a language code). */
  name: string;
  /** A UTF-8 text file, scored in bits per byte by the model's own tokenizer. */
  file: string;
}

export interface FinetuneOptions {
  /** The model folder to continue training (config.json, safetensors, tokenizer.json). */
  modelDir: string;
  /** UTF-8 training text files; documents are separated by blank lines. Each file is one stream of windows. */
  texts: string[];
  /** Where the trained model folder is written (atomically, at the end). */
  out: string;
  /** Optimizer steps (default 200); or give `tokens`. */
  steps?: number;
  /** Tokens to train on: steps = ⌈tokens / (batch · seq)⌉. */
  tokens?: number;
  /** Train the input and output embeddings only; every other tensor stays bit for bit as it was. */
  embeddingsOnly?: boolean;
  /** Peak learning rate (default 1e-3). */
  lr?: number;
  /** Warm-up steps (default min(100, steps / 10)); cosine decay to lr / 10 after. */
  warmup?: number;
  /** AdamW's decoupled weight decay on matrices (default 0: a short run should not shrink rows it never sees). */
  weightDecay?: number;
  /** Global gradient-norm clipping (default 1; 0 = none). */
  clipNorm?: number;
  /** Rows per batch (default 8). */
  batch?: number;
  /** Tokens per row (default min(256, max positions)). */
  seq?: number;
  /** Seed of the batch sampling (default 1). */
  seed?: number;
  /** Held-out texts scored in bits per byte before training, every `evalEvery` steps and at the end. */
  eval?: FinetuneEval[];
  /** Steps between evaluations (default: checkpointEvery). */
  evalEvery?: number;
  /** Further steps to evaluate at, besides every `evalEvery` (a curve wants a finer grid early, where it falls fastest). */
  evalAt?: number[];
  /** The checkpoint folder (default: `<out>.checkpoint`); when it holds a checkpoint of the same run, training resumes. */
  checkpoint?: string;
  /** Steps between checkpoints (default 50). */
  checkpointEvery?: number;
  /** Replace `out` if it exists (else: an error before anything runs). */
  overwrite?: boolean;
  /** When aborted: the current step finishes, a checkpoint is written, and finetuneModelFolder rejects with FinetuneInterrupted. */
  signal?: AbortSignal;
  /** Called with each log entry (step 0 is the evaluation before training). */
  onProgress?: (entry: FinetuneLogEntry, totalSteps: number) => void;
}

export interface FinetuneLogEntry {
  /** Steps done (0: before training). */
  step: number;
  /** This step's mean next-token loss (nats), learning rate and gradient norm before clipping. */
  loss?: number;
  lr?: number;
  gradNorm?: number;
  /** Training tokens seen so far (predicted positions). */
  tokens: number;
  /** Seconds spent in training steps so far (not counting evaluation; differs between runs). */
  seconds: number;
  /** Bits per byte of each eval text after this step. */
  eval?: Record<string, number>;
}

export interface FinetuneResult {
  out: string;
  checkpoint: string;
  steps: number;
  tokens: number;
  /** The step a checkpoint resumed from (null: a fresh run). */
  resumedFrom: number | null;
  /** Every entry of the run, those before a resume included. */
  log: FinetuneLogEntry[];
  /** The tensors that were trained. */
  trained: string[];
}

/** The run was stopped through `signal`; its checkpoint resumes it. */
export class FinetuneInterrupted extends Error {
  constructor(
    readonly step: number,
    readonly checkpoint: string,
  ) {
    super(`finetune: interrupted after step ${step}; the checkpoint ${checkpoint} resumes it (run the same command again)`);
    this.name = "FinetuneInterrupted";
  }
}

/** Everything a checkpoint's numbers depend on: a checkpoint resumes only a run with the same settings. */
interface RunSettings {
  model: string;
  texts: string[];
  eval: string[];
  steps: number;
  batch: number;
  seq: number;
  seed: number;
  lr: number;
  warmup: number;
  weightDecay: number;
  clipNorm: number;
  embeddingsOnly: boolean;
  evalEvery: number;
  evalAt: number[];
}

interface RunState {
  settings: RunSettings;
  log: FinetuneLogEntry[];
}

const sha256 = (...parts: (string | Uint8Array)[]) => {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest("hex").slice(0, 16);
};

function positiveInt(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!(Number.isInteger(v) && v >= 1)) throw new Error(`finetune: ${name} must be a positive integer, got ${value}`);
  return v;
}

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!(Number.isFinite(v) && v >= 0)) throw new Error(`finetune: ${name} must be a number ≥ 0, got ${value}`);
  return v;
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

/** Bits per byte of each eval text under the current weights. */
async function evaluate(config: ModelConfig, arrays: Arrays, shapes: Shapes, tokenizer: TextTokenizer, texts: { name: string; text: string }[]): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const params = toParams(arrays, shapes);
  try {
    for (const { name, text } of texts) out[name] = (await bitsPerByte({ config, params }, tokenizer, text)).bitsPerByte;
  } finally {
    for (const t of Object.values(params)) t.dispose();
  }
  return out;
}

/** Continues training the model folder `modelDir` on `texts` and writes the result to `out`. */
export async function finetuneModelFolder(options: FinetuneOptions): Promise<FinetuneResult> {
  // 1. Every option and input is checked before any training.
  const out = resolve(options.out);
  if (resolve(options.modelDir) === out) throw new Error(`finetune: --out ${options.out} is the model folder itself; write the trained model somewhere else`);
  if (!options.overwrite && (await exists(out))) throw new Error(`finetune: ${options.out} already exists (remove it, or overwrite it with --force)`);
  if (!(await stat(dirname(out)).then((s) => s.isDirectory(), () => false))) throw new Error(`finetune: cannot write ${options.out}: the folder ${dirname(out)} does not exist`);
  if (options.texts.length === 0) throw new Error("finetune: no training text (give --text FILE)");
  if (options.steps !== undefined && options.tokens !== undefined) throw new Error("finetune: give --steps or --tokens, not both");
  const checkpointDir = resolve(options.checkpoint ?? `${out}.checkpoint`);
  const checkpointEvery = positiveInt("--checkpoint-every", options.checkpointEvery, 50);
  const evalEvery = positiveInt("--eval-every", options.evalEvery, checkpointEvery);
  const evalAt = [...new Set((options.evalAt ?? []).map((s) => positiveInt("evalAt", s, 1)))].sort((a, b) => a - b);
  const batch = positiveInt("--batch", options.batch, 8);
  const seed = options.seed ?? 1;
  if (!Number.isInteger(seed)) throw new Error(`finetune: --seed must be an integer, got ${seed}`);
  const lr = options.lr ?? 1e-3;
  if (!(Number.isFinite(lr) && lr > 0)) throw new Error(`finetune: --lr must be a positive number, got ${options.lr}`);
  const weightDecay = nonNegative("--weight-decay", options.weightDecay, 0);
  const clipNorm = nonNegative("clipNorm", options.clipNorm, 1);
  const evalNames = new Set<string>();
  for (const e of options.eval ?? []) {
    if (!e.name) throw new Error(`finetune: --eval ${e.file} needs a name (NAME=FILE)`);
    if (evalNames.has(e.name)) throw new Error(`finetune: two --eval texts are named "${e.name}"`);
    evalNames.add(e.name);
  }

  const { folder, tokenizer, dir } = await loadLanguageModel(options.modelDir);
  const { config } = folder;
  checkTokenizerFits(config, tokenizer, dir);
  const seq = positiveInt("--seq", options.seq, Math.min(256, config.maxPositions));
  if (seq > config.maxPositions) throw new Error(`finetune: --seq ${seq} is longer than the model's ${config.maxPositions} positions (config.json "max_position_embeddings")`);
  const steps = options.tokens !== undefined ? Math.ceil(positiveInt("--tokens", options.tokens, 1) / (batch * seq)) : positiveInt("--steps", options.steps, 200);
  const warmup = options.warmup ?? Math.min(100, Math.floor(steps / 10));
  if (!(Number.isInteger(warmup) && warmup >= 0)) throw new Error(`finetune: --warmup must be an integer ≥ 0, got ${options.warmup}`);
  const startId = documentStartId(config);
  const endId = endTokenIds(config)[0];
  if (startId === null || endId === undefined) throw new Error(`${join(dir, "config.json")}: finetune needs "bos_token_id" or "eos_token_id" (a row's start and the end of each document)`);

  const textContents: string[] = [];
  const streams: Int32Array[] = [];
  for (const file of options.texts) {
    const text = await readTextFile(file);
    const ids = documentStream(tokenizer, text, endId);
    if (ids.length < seq + 1) throw new Error(`${file}: ${ids.length} tokens, too few for one window of --seq ${seq} (give more text or a smaller --seq)`);
    textContents.push(text);
    streams.push(ids);
  }
  const evalTexts: { name: string; text: string }[] = [];
  for (const e of options.eval ?? []) evalTexts.push({ name: e.name, text: await readTextFile(e.file) });
  const sampler = new WindowSampler(streams, { batch, seq, seed, startId });

  const tokenizerJson = await readFile(join(dir, "tokenizer.json"), "utf8");
  const settings: RunSettings = {
    model: sha256(JSON.stringify(config.raw), tokenizerJson),
    texts: textContents.map((t) => sha256(t)),
    eval: evalTexts.map((e) => `${e.name}=${sha256(e.text)}`),
    steps,
    batch,
    seq,
    seed,
    lr,
    warmup,
    weightDecay,
    clipNorm,
    embeddingsOnly: options.embeddingsOnly === true,
    evalEvery,
    evalAt,
  };

  // 2. The trainer, from the checkpoint when it holds this run, else from the folder's weights.
  const loaded = await toArrays(folder.params);
  const names = embeddingNames(config, loaded.arrays);
  const trainable = options.embeddingsOnly ? new Set([names.input, names.output]) : null;
  const cpu = cpuPath(config);
  const trainerOptions = {
    schedule: warmupCosine({ peak: lr, warmup, total: steps, minRatio: 0.1 }),
    clipNorm,
    adamw: { weightDecay },
    lossAndGradients: cpu ? cpuLossAndGradients(cpu.gemm) : lossAndGradients,
    ...(trainable ? { trainable: (name: string) => trainable.has(name) } : {}),
  };
  let trainer: LanguageModelTrainer;
  let log: FinetuneLogEntry[];
  let resumedFrom: number | null = null;
  if (await exists(join(checkpointDir, "state.json"))) {
    const ck = await loadTrainingCheckpoint<RunState>(checkpointDir);
    const saved = ck.state.settings;
    for (const key of Object.keys(settings) as (keyof RunSettings)[])
      if (JSON.stringify(saved?.[key]) !== JSON.stringify(settings[key]))
        throw new Error(`${join(checkpointDir, "state.json")}: the checkpoint is of another run ("${key}" was ${JSON.stringify(saved?.[key])}, now ${JSON.stringify(settings[key])}); rerun with the same model, texts and options, or give another --checkpoint`);
    for (const name of Object.keys(loaded.shapes))
      if (JSON.stringify(ck.shapes[name]) !== JSON.stringify(loaded.shapes[name])) throw new Error(`${join(checkpointDir, "params.safetensors")}: tensor "${name}" does not match the model folder's`);
    trainer = new LanguageModelTrainer(config, ck.arrays, ck.shapes, trainerOptions);
    trainer.optimizer.state = ck.optimizer;
    log = ck.state.log;
    resumedFrom = trainer.stepsDone;
  } else {
    trainer = new LanguageModelTrainer(config, loaded.arrays, loaded.shapes, trainerOptions);
    log = [];
  }
  const saveCheckpoint = () => saveTrainingCheckpoint<RunState>(checkpointDir, { arrays: trainer.params, shapes: trainer.shapes, optimizer: trainer.optimizer.state, state: { settings, log } });
  const report = (entry: FinetuneLogEntry) => {
    log.push(entry);
    options.onProgress?.(entry, steps);
  };

  // 3. Training.
  if (log.length === 0) report({ step: 0, tokens: 0, seconds: 0, ...(evalTexts.length ? { eval: await evaluate(config, trainer.params, trainer.shapes, tokenizer, evalTexts) } : {}) });
  let savedAt = resumedFrom;
  while (trainer.stepsDone < steps) {
    // A step awaits only settled promises, so without this turn of the event loop a signal handler would never run.
    await new Promise((next) => setImmediate(next));
    if (options.signal?.aborted) {
      if (savedAt !== trainer.stepsDone) await saveCheckpoint();
      throw new FinetuneInterrupted(trainer.stepsDone, checkpointDir);
    }
    const s = await trainer.step(sampler.batchAt(trainer.stepsDone));
    const done = trainer.stepsDone;
    const last = log[log.length - 1]!;
    const entry: FinetuneLogEntry = { step: done, loss: s.loss, lr: s.lr, gradNorm: s.gradNorm, tokens: last.tokens + s.tokens, seconds: last.seconds + s.seconds };
    if (evalTexts.length && (done % evalEvery === 0 || done === steps || evalAt.includes(done))) entry.eval = await evaluate(config, trainer.params, trainer.shapes, tokenizer, evalTexts);
    report(entry);
    if (done % checkpointEvery === 0 || done === steps) {
      await saveCheckpoint();
      savedAt = done;
    }
  }

  // 4. The model folder: the trained weights, the source's tokenizer and configs, the run's log.
  const extraFiles: Record<string, string> = { "train-log.jsonl": log.map((e) => JSON.stringify(e)).join("\n") + "\n" };
  for (const name of ["tokenizer_config.json", "special_tokens_map.json"])
    if (await exists(join(dir, name))) extraFiles[name] = await readFile(join(dir, name), "utf8");
  const params = toParams(trainer.params, trainer.shapes);
  try {
    await saveModelFolder(out, config, params, { dtype: folder.dtype ?? "F32", tokenizerJson, generationConfig: folder.generationConfig ?? undefined, extraFiles, signal: options.signal });
  } catch (e) {
    if (options.signal?.aborted) throw new FinetuneInterrupted(trainer.stepsDone, checkpointDir);
    throw e;
  } finally {
    for (const t of Object.values(params)) t.dispose();
  }
  const final = log[log.length - 1]!;
  return { out, checkpoint: checkpointDir, steps, tokens: final.tokens, resumedFrom, log, trained: trainable ? [...trainable].sort() : Object.keys(trainer.params).sort() };
}
