// Trains a residual hypernetwork for a model (default: the bundled default model) on the default-model corpus, with a
// fresh sampled UnigramLM tokenizer every few steps (ZeTT), checkpoints that resume, a JSONL loss log and periodic
// evaluation on fixed target tokenizers (bits per byte of the transferred model vs FVT on held-out text).
//
//   node --import tsx scripts/train-hypernet.ts --model assets/default-model --corpus tmp/corpus/text \
//     --out assets/hypernet --checkpoint tmp/hn/ckpt --steps 600 \
//     --eval de=assets/tokenizers/de-8k.json:assets/text/de-heldout.txt
//
// --template mixed alternates sampled tokenizers in the source's spelling with byte-level (GPT-2-spelled) ones, per
// resampling window; --init DIR starts from a saved hypernetwork (same shape) instead of FVT. --sample-model bpe
// trains each window's tokenizer as byte-level BPE on the window's text (with --template byte-level; --sample-rows
// rows of 2,000 characters of it, language mode) instead of sampling a Unigram one.
// Rerunning the same command resumes from the checkpoint (batches and sampled tokenizers are functions of the step).
import "../src/tensor/install-node-shims.js";
import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, copyFileSync } from "node:fs";
import { join } from "node:path";
import { scriptArgs } from "./script-args.js";
import { loadLanguageModel } from "../src/lm/node.js";
import { Tokenizer } from "../src/index.js";
import { warmupCosine } from "../src/tensor/optim.js";
import { mulberry32 } from "../src/util/random.js";
import { bitsPerByte } from "../src/lm/bpb.js";
import { modelEmbeddings, mapSpecialIds, withEmbeddings } from "../src/transfer/evaluate.js";
import { buildVocabularyMap } from "../src/transfer/vocabulary-map.js";
import { transferEmbeddings } from "../src/transfer/methods.js";
import { pinSpecialTokens } from "../src/transfer/special-tokens.js";
import { DEFAULT_HYPERNET, initHypernet, predictEmbeddings } from "../src/transfer/hypernet/residual.js";
import { DEFAULT_TRAIN, HypernetTrainer } from "../src/transfer/hypernet/train.js";
import { loadHypernet, saveHypernet } from "../src/transfer/hypernet/index.js";
import { parseSampleModel, parseSampleTemplate } from "../src/transfer/hypernet/sample-tokenizer.js";
import { loadTrainingCheckpoint, saveTrainingCheckpoint } from "../src/lm/checkpoint.js";
import { loadOpenBlas } from "../src/node/openblas.js";
import type { Gemm } from "../src/tensor/gemm.js";

const { values: args } = scriptArgs(import.meta.url, {
  options: {
    model: { type: "string" },
    corpus: { type: "string", default: "tmp/corpus/text" },
    out: { type: "string", default: "assets/hypernet" },
    checkpoint: { type: "string", default: "tmp/hn/ckpt" },
    steps: { type: "string", default: "600" },
    lr: { type: "string", default: "1e-3" },
    seed: { type: "string", default: "0" },
    "eval-every": { type: "string", default: "50" },
    "eval-lines": { type: "string", default: "20" },
    eval: { type: "string", multiple: true, default: [] },
    "stop-after-minutes": { type: "string" },
    // language: every tokenizer-sampling window (DEFAULT_TRAIN.resampleEvery steps) reads one corpus file, and its
    // tokenizer is drawn from that file's text (ZeTT's multilingual recipe); mixed: rows from any file, tokenizers
    // from recent batches.
    "sample-by": { type: "string", default: "mixed" },
    // Tokens per step's softmax: the batch's own plus random negatives of the sampled vocabulary (default 1,024; the
    // sampled vocabulary's size makes it the full softmax that evaluation uses).
    "token-set": { type: "string" },
    // Shared tokens keep their true rows during training too (HypernetTrainOptions.keepShared).
    "keep-shared": { type: "boolean", default: false },
    // Spelling of the sampled tokenizers: source (the source tokenizer's), byte-level (GPT-2's), mixed (alternating).
    template: { type: "string", default: "source" },
    "sample-model": { type: "string", default: "unigram" },
    "sample-rows": { type: "string", default: "64" },
    // A saved hypernetwork (assets/companion-hypernet) to start from; only for a fresh run (a checkpoint wins).
    init: { type: "string" },
    // Also write the network at every evaluation to OUT-stepN, so the step with the best validation score can ship
    // without a rerun (the checkpoint keeps only the latest step).
    "keep-evaluated": { type: "boolean", default: false },
    // blas: the hand-written CPU step over OpenBLAS (src/transfer/hypernet/cpu-step.ts; Llama-family models); jax:
    // the tensor backend (how the networks before session 11 were trained). Same loss and gradients up to rounding.
    backend: { type: "string", default: "blas" },
  },
});
const STEPS = Number(args.steps);
let gemm: Gemm | undefined;
if (args.backend === "blas") {
  const blas = loadOpenBlas();
  if (!("gemm" in blas)) throw new Error(`--backend blas: ${blas.error} (or --backend jax)`);
  gemm = blas.gemm;
} else if (args.backend !== "jax") throw new Error(`--backend ${args.backend}: expected blas or jax`);
const tokenSet = args["token-set"] === undefined ? DEFAULT_TRAIN.tokenSet : Number(args["token-set"]);
if (!Number.isInteger(tokenSet) || tokenSet < 1) throw new Error(`--token-set ${args["token-set"]}: expected a positive whole number`);
const TRAIN = { ...DEFAULT_TRAIN, tokenSet, keepShared: args["keep-shared"] === true, template: parseSampleTemplate(args.template!, "--template"), sampleModel: parseSampleModel(args["sample-model"]!, "--sample-model"), gemm };
const SAMPLE_ROWS = Number(args["sample-rows"]);
if (!(Number.isInteger(SAMPLE_ROWS) && SAMPLE_ROWS >= 1)) throw new Error(`--sample-rows ${args["sample-rows"]}: expected a positive integer`);
const SEED = Number(args.seed);
const deadline = args["stop-after-minutes"] ? Date.now() + Number(args["stop-after-minutes"]) * 60_000 : Infinity;
const { folder, tokenizer: source, dir: modelDir } = await loadLanguageModel(args.model);
const sourceView = await modelEmbeddings(folder);

// ---- text: the first 98% of every corpus file (the model's training share), languages ∝ size^0.5
const texts = readdirSync(args.corpus!).filter((f) => f.endsWith(".txt")).sort().map((f) => {
  const t = readFileSync(join(args.corpus!, f), "utf8");
  return { name: f.slice(0, -4), text: t.slice(0, Math.floor(t.length * 0.98)) };
});
if (texts.length === 0) throw new Error(`${args.corpus}: no .txt files`);
const weights = texts.map((t) => Math.sqrt(t.text.length));
const totalW = weights.reduce((a, b) => a + b, 0);
const ROW_CHARS = 2000;
const byLanguage = args["sample-by"] === "language";
if (!byLanguage && args["sample-by"] !== "mixed") throw new Error(`--sample-by ${args["sample-by"]}: expected language or mixed`);
/** A corpus file drawn ∝ weight. */
function pickText(rand: () => number): string {
  let u = rand() * totalW;
  let k = 0;
  while (k < texts.length - 1 && u >= weights[k]!) u -= weights[k++]!;
  return texts[k]!.text;
}
function chunks(t: string, n: number, rand: () => number): string[] {
  return Array.from({ length: n }, () => {
    const start = Math.floor(rand() * Math.max(1, t.length - ROW_CHARS));
    return t.slice(start, start + ROW_CHARS);
  });
}
/** The file of a sampling window (language mode): a function of the window, so a resumed run reads the same. */
const windowText = (step: number) => pickText(mulberry32(SEED * 999_983 + (step - (step % DEFAULT_TRAIN.resampleEvery)) + 5));
function textsAt(step: number): string[] {
  const rand = mulberry32(SEED * 1_000_003 + step + 17);
  if (byLanguage) return chunks(windowText(step), DEFAULT_TRAIN.batch, rand);
  return Array.from({ length: DEFAULT_TRAIN.batch }, () => chunks(pickText(rand), 1, rand)[0]!);
}
/** Text the window's tokenizer is drawn from (language mode): --sample-rows rows of the window's file. */
function samplingTextAt(step: number): string[] | undefined {
  if (!byLanguage) return undefined;
  return chunks(windowText(step), SAMPLE_ROWS, mulberry32(SEED * 7_777_777 + step - (step % DEFAULT_TRAIN.resampleEvery)));
}

// ---- evaluation targets: LANG=TOKENIZER:TEXT
const evals = await Promise.all(
  (args.eval as string[]).map(async (spec) => {
    const m = /^([^=]+)=([^:]+):(.+)$/.exec(spec);
    if (!m) throw new Error(`--eval ${spec}: expected LANG=TOKENIZER.json:TEXT`);
    const tokenizer = await Tokenizer.fromFile(m[2]!);
    const text = readFileSync(m[3]!, "utf8").split("\n").slice(0, Number(args["eval-lines"])).join("\n");
    const specials = mapSpecialIds(folder.config, source, tokenizer, m[2]!);
    const map = buildVocabularyMap(source, tokenizer);
    pinSpecialTokens(map, specials.remap);
    return { lang: m[1]!, tokenizer, text, specials, map };
  }),
);

const config = { ...DEFAULT_HYPERNET, slices: sourceView.slices, dim: sourceView.dim };
let net = initHypernet(config, sourceView, SEED);
if (args.init) {
  const start = await loadHypernet(args.init);
  for (const k of ["slices", "dim", "hidden", "layers", "heads", "intermediate", "maxPieces", "base"] as const) {
    if (start.config[k] !== config[k]) throw new Error(`--init ${args.init}: config.json ${k} is ${JSON.stringify(start.config[k])}, this run needs ${JSON.stringify(config[k])}`);
  }
  net = start;
}
const schedule = warmupCosine({ peak: Number(args.lr), warmup: Math.min(50, Math.floor(STEPS / 10)), total: STEPS, minRatio: 0.1 });
let trainer = new HypernetTrainer(net, folder, source, sourceView, TRAIN, schedule);
mkdirSync(join(args.checkpoint!, ".."), { recursive: true });
const logPath = join(args.checkpoint!, "..", "hypernet-log.jsonl");
if (existsSync(join(args.checkpoint!, "state.json"))) {
  const ck = await loadTrainingCheckpoint<{ seconds: number }>(args.checkpoint!);
  net = { ...net, arrays: ck.arrays, shapes: ck.shapes };
  trainer = new HypernetTrainer(net, folder, source, sourceView, TRAIN, schedule);
  trainer.optimizer.state = ck.optimizer;
  for (let s = Math.max(0, trainer.stepsDone - 63); s < trainer.stepsDone; s++) trainer.remember(textsAt(s));
  process.stderr.write(`resumed at step ${trainer.stepsDone}\n`);
  appendFileSync(logPath, JSON.stringify({ event: "resume", step: trainer.stepsDone, steps: STEPS }) + "\n");
} else {
  appendFileSync(logPath, JSON.stringify({ event: "start", model: modelDir, hypernet: config, train: { ...TRAIN, gemm: undefined }, backend: gemm?.name ?? "jax", steps: STEPS, lr: Number(args.lr), sampleBy: args["sample-by"], init: args.init ?? null }) + "\n");
}

async function evaluate(method: "fvt" | "hypernet"): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const e of evals) {
    const predicted = method === "hypernet" ? await predictEmbeddings(net, sourceView, e.map.pieces) : undefined;
    const result = transferEmbeddings(sourceView, e.map, method, { predicted });
    const transferred = withEmbeddings(folder, result.embeddings, e.specials);
    out[e.lang] = +(await bitsPerByte(transferred, e.tokenizer, e.text)).bitsPerByte.toFixed(4);
    for (const [k, t] of Object.entries(transferred.params)) if (folder.params[k] !== t) t.dispose();
  }
  return out;
}

if (evals.length && trainer.stepsDone === 0) appendFileSync(logPath, JSON.stringify({ event: "baseline", fvt: await evaluate("fvt"), hypernetAtInit: await evaluate("hypernet") }) + "\n");
let seconds = 0;
let ema = NaN;
const saveNetwork = (dir: string) =>
  saveHypernet(dir, net, { trainedFor: modelDir, steps: trainer.stepsDone, sampleVocab: TRAIN.sampleVocab, tokenSet: TRAIN.tokenSet, keepShared: TRAIN.keepShared, sampleBy: args["sample-by"], template: TRAIN.template, sampleModel: TRAIN.sampleModel, ...(args.init ? { initFrom: args.init } : {}) });
const checkpoint = () => saveTrainingCheckpoint(args.checkpoint!, { arrays: net.arrays, shapes: net.shapes, optimizer: trainer.optimizer.state, state: { seconds } });
while (trainer.stepsDone < STEPS && Date.now() < deadline) {
  const log = await trainer.trainStep(textsAt(trainer.stepsDone), samplingTextAt(trainer.stepsDone));
  seconds += log.seconds;
  ema = Number.isNaN(ema) ? log.loss : 0.95 * ema + 0.05 * log.loss;
  const entry: Record<string, unknown> = { ...log, loss: +log.loss.toFixed(4), gradNorm: +log.gradNorm.toFixed(3), seconds: +log.seconds.toFixed(3) };
  const done = trainer.stepsDone;
  if (evals.length && (done % Number(args["eval-every"]) === 0 || done === STEPS)) {
    entry.eval = await evaluate("hypernet");
    await checkpoint();
    if (args["keep-evaluated"]) await saveNetwork(`${args.out}-step${done}`);
  }
  appendFileSync(logPath, JSON.stringify(entry) + "\n");
  process.stderr.write(`\rstep ${done}/${STEPS} loss ${ema.toFixed(3)} lr ${log.lr.toExponential(2)} ${log.seconds.toFixed(2)} s/step${entry.eval ? ` eval ${JSON.stringify(entry.eval)}` : ""}   `);
}
await checkpoint();
await saveNetwork(args.out!);
copyFileSync(logPath, join(args.out!, "train-log.jsonl"));
process.stderr.write(`\nwrote ${args.out} after ${trainer.stepsDone} steps (${(seconds / 60).toFixed(1)} min)\n`);
process.exit(0);
