// Trains retoken's default model: a small Llama-family decoder on the man-page / fortune / code corpus of
// fetch-corpus.sh, with the byte-level BPE tokenizer trained on the same text. Resumable: rerun the same command and it
// continues from the last checkpoint, bit for bit (batches are a function of the step number).
//
//   node --import tsx scripts/default-model/train-model.ts --corpus tmp/corpus/text --tokenizer tmp/dm/tokenizer.json \
//     --checkpoint tmp/dm/ckpt --out assets/default-model --steps 1400
//
// Each language file is tokenized once (documents joined by the end-of-text token); the last 2% of every file is held
// out for the validation loss. A batch draws each row's language with probability ∝ size^0.5 (small languages are
// seen more than their share) and a random window of seq+1 tokens in it.
import "../../src/tensor/install-node-shims.js";
import { readdirSync, readFileSync, appendFileSync, existsSync, mkdirSync, copyFileSync } from "node:fs";
import { join, basename } from "node:path";
import { scriptArgs } from "../script-args.js";
import { initBackend } from "../../src/tensor/backend.js";
import { Tokenizer } from "../../src/index.js";
import { parseModelConfig } from "../../src/lm/config.js";
import { LanguageModelTrainer, cpuLossAndGradients, toParams, type LossAndGradients, type Shapes } from "../../src/lm/train.js";
import { loadOpenBlas } from "../../src/node/openblas.js";
import { loadTrainingCheckpoint, saveTrainingCheckpoint } from "../../src/lm/checkpoint.js";
import { loadModelFolder, saveModelFolder } from "../../src/lm/folder.js";
import { crossEntropy, disposeCache, forward } from "../../src/lm/model.js";
import { toFloat32 } from "../../src/tensor/backend.js";
import { warmupCosine, type Arrays } from "../../src/tensor/optim.js";
import { mulberry32, gaussian } from "../../src/util/random.js";
import { documentStream, WindowSampler } from "../../src/lm/corpus.js";

const { values: args } = scriptArgs(import.meta.url, {
  options: {
    corpus: { type: "string", default: "tmp/corpus/text" },
    tokenizer: { type: "string", default: "tmp/dm/tokenizer.json" },
    checkpoint: { type: "string", default: "tmp/dm/ckpt" },
    out: { type: "string", default: "assets/default-model" },
    steps: { type: "string", default: "1400" },
    batch: { type: "string", default: "8" },
    seq: { type: "string", default: "256" },
    lr: { type: "string", default: "3e-3" },
    seed: { type: "string", default: "1" },
    "checkpoint-every": { type: "string", default: "50" },
    "stop-after-minutes": { type: "string" },
    // Continued training: start from a saved model folder (same architecture and tokenizer) with a fresh optimizer and
    // schedule, instead of the random initialisation. Its tokens are counted in totalTokens.
    init: { type: "string" },
    // jax: the tensor backend (how the shipped model was trained); blas: the hand-written CPU path over OpenBLAS,
    // ~1.8× faster a step here (docs/measured.md), equal up to float rounding.
    backend: { type: "string", default: "jax" },
    // Sampling factors on a corpus file's √size weight, "en=2,en-prose=2": the languages the model is judged on drawn
    // more often than their share.
    boost: { type: "string", default: "" },
  },
});
const STEPS = Number(args.steps);
const BATCH = Number(args.batch);
const SEQ = Number(args.seq);
const SEED = Number(args.seed);
const EVERY = Number(args["checkpoint-every"]);
let lossAndGradients: LossAndGradients | undefined;
if (args.backend === "blas") {
  const blas = loadOpenBlas();
  if (!("gemm" in blas)) throw new Error(`--backend blas: ${blas.error}`);
  lossAndGradients = cpuLossAndGradients(blas.gemm);
} else if (args.backend !== "jax") throw new Error(`--backend ${args.backend}: expected jax or blas`);
const deadline = args["stop-after-minutes"] ? Date.now() + Number(args["stop-after-minutes"]) * 60_000 : Infinity;

await initBackend();
const tokenizer = await Tokenizer.fromFile(args.tokenizer!);
const BOS = tokenizer.tokenToId("<|begin_of_text|>");
const EOS = tokenizer.tokenToId("<|end_of_text|>");
if (BOS === undefined || BOS === null || EOS === undefined || EOS === null) throw new Error(`${args.tokenizer}: needs <|begin_of_text|> and <|end_of_text|>`);
const V = tokenizer.vocabSize();

const rawConfig = {
  architectures: ["LlamaForCausalLM"],
  model_type: "llama",
  vocab_size: V,
  hidden_size: 256,
  intermediate_size: 688,
  num_hidden_layers: 4,
  num_attention_heads: 8,
  num_key_value_heads: 4,
  head_dim: 32,
  max_position_embeddings: 512,
  rms_norm_eps: 1e-5,
  rope_theta: 10000,
  tie_word_embeddings: true,
  attention_bias: false,
  mlp_bias: false,
  bos_token_id: BOS,
  eos_token_id: EOS,
  torch_dtype: "float32",
};
const config = parseModelConfig(rawConfig);

// ---- data
const files = readdirSync(args.corpus!).filter((f) => f.endsWith(".txt")).sort();
if (files.length === 0) throw new Error(`${args.corpus}: no .txt files (run scripts/default-model/fetch-corpus.sh)`);
interface Stream { name: string; train: Int32Array; valid: Int32Array }
const streams: Stream[] = [];
const t0 = Date.now();
for (const f of files) {
  const text = readFileSync(join(args.corpus!, f), "utf8");
  const ids = documentStream(tokenizer, text, EOS);
  const cut = Math.floor(ids.length * 0.98);
  streams.push({ name: basename(f, ".txt"), train: ids.slice(0, cut), valid: ids.slice(cut) });
}
process.stderr.write(`tokenized ${files.length} files in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${streams.map((s) => `${s.name} ${s.train.length}`).join(", ")}\n`);

const boostOf = new Map<string, number>();
for (const part of args.boost!.split(",").filter(Boolean)) {
  const [name, factor] = part.split("=");
  if (!streams.some((s) => s.name === name) || !(Number(factor) > 0)) throw new Error(`--boost ${part}: expected NAME=FACTOR with NAME one of the corpus files (${streams.map((s) => s.name).join(", ")}) and FACTOR > 0`);
  boostOf.set(name!, Number(factor));
}
const sampler = new WindowSampler(streams.map((s) => s.train), { batch: BATCH, seq: SEQ, seed: SEED, startId: BOS, boost: streams.map((s) => boostOf.get(s.name) ?? 1) });

/** Validation loss: a fixed window from each language's held-out tail. */
async function validationLoss(arrays: Arrays, shapes: Shapes): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const s of streams) {
    if (s.valid.length < SEQ + 1) continue;
    const row = [BOS, ...s.valid.subarray(0, SEQ)];
    const params = toParams(arrays, shapes);
    const { logits, cache } = forward(config, params, [row.slice(0, -1)]);
    disposeCache(cache);
    out[s.name] = +(await toFloat32(crossEntropy(logits, [row.slice(1)])))[0]!.toFixed(4);
    for (const t of Object.values(params)) t.dispose();
  }
  return out;
}

// ---- model
function initialParams(): { arrays: Arrays; shapes: Shapes } {
  const normal = gaussian(mulberry32(SEED));
  const d = 256;
  const shapes: Shapes = { "model.embed_tokens.weight": [V, d], "model.norm.weight": [d] };
  for (let l = 0; l < config.numLayers; l++) {
    const p = `model.layers.${l}`;
    Object.assign(shapes, {
      [`${p}.input_layernorm.weight`]: [d], [`${p}.post_attention_layernorm.weight`]: [d],
      [`${p}.self_attn.q_proj.weight`]: [d, d], [`${p}.self_attn.k_proj.weight`]: [128, d], [`${p}.self_attn.v_proj.weight`]: [128, d], [`${p}.self_attn.o_proj.weight`]: [d, d],
      [`${p}.mlp.gate_proj.weight`]: [688, d], [`${p}.mlp.up_proj.weight`]: [688, d], [`${p}.mlp.down_proj.weight`]: [d, 688],
    });
  }
  const arrays: Arrays = {};
  for (const name of Object.keys(shapes).sort()) {
    const size = shapes[name]!.reduce((a, b) => a * b, 1);
    // GPT-2 style: N(0, 0.02), residual projections scaled by 1/sqrt(2·layers); norms start at 1.
    const std = name.endsWith("o_proj.weight") || name.endsWith("down_proj.weight") ? 0.02 / Math.sqrt(2 * config.numLayers) : 0.02;
    arrays[name] = name.includes("norm") ? new Float32Array(size).fill(1) : Float32Array.from({ length: size }, () => normal() * std);
  }
  return { arrays, shapes };
}

/** The starting point of --init: its weights, and the tokens it was trained on (the last totalTokens of its log). */
async function initFromFolder(dir: string): Promise<{ arrays: Arrays; shapes: Shapes; tokens: number }> {
  const folder = await loadModelFolder(dir);
  for (const k of ["vocabSize", "hiddenSize", "numLayers"] as const) {
    if (folder.config[k] !== config[k]) throw new Error(`--init ${dir}: config.json ${k} is ${folder.config[k]}, this run needs ${config[k]}`);
  }
  if (folder.tokenizerPath && readFileSync(folder.tokenizerPath, "utf8") !== readFileSync(args.tokenizer!, "utf8")) {
    throw new Error(`--init ${dir}: its tokenizer.json differs from --tokenizer ${args.tokenizer}`);
  }
  const arrays: Arrays = {};
  const shapes: Shapes = {};
  for (const [name, t] of Object.entries(folder.params)) {
    shapes[name] = [...t.shape];
    arrays[name] = await toFloat32(t);
  }
  let tokens = 0;
  const log = join(dir, "train-log.jsonl");
  if (existsSync(log)) {
    for (const line of readFileSync(log, "utf8").split("\n")) {
      const m = /"totalTokens":(\d+)/.exec(line);
      if (m) tokens = Number(m[1]);
    }
  }
  return { arrays, shapes, tokens };
}

interface RunState { elapsedSeconds: number; tokens: number }
let state: RunState = { elapsedSeconds: 0, tokens: 0 };
let trainer: LanguageModelTrainer;
const schedule = warmupCosine({ peak: Number(args.lr), warmup: Math.min(100, Math.floor(STEPS / 10)), total: STEPS, minRatio: 0.1 });
mkdirSync(join(args.checkpoint!, ".."), { recursive: true });
const logPath = join(args.checkpoint!, "..", "train-log.jsonl");
if (existsSync(join(args.checkpoint!, "state.json"))) {
  const ck = await loadTrainingCheckpoint<RunState>(args.checkpoint!);
  trainer = new LanguageModelTrainer(config, ck.arrays, ck.shapes, { schedule, clipNorm: 1, adamw: { weightDecay: 0.1 }, lossAndGradients });
  trainer.optimizer.state = ck.optimizer;
  state = ck.state;
  process.stderr.write(`resumed at step ${trainer.stepsDone}\n`);
  appendFileSync(logPath, JSON.stringify({ event: "resume", step: trainer.stepsDone, steps: STEPS }) + "\n");
} else {
  const init = args.init ? await initFromFolder(args.init) : { ...initialParams(), tokens: 0 };
  state.tokens = init.tokens;
  trainer = new LanguageModelTrainer(config, init.arrays, init.shapes, { schedule, clipNorm: 1, adamw: { weightDecay: 0.1 }, lossAndGradients });
  appendFileSync(logPath, JSON.stringify({ event: "start", config: rawConfig, steps: STEPS, batch: BATCH, seq: SEQ, seed: SEED, lr: Number(args.lr), boost: Object.fromEntries(boostOf), init: args.init ?? null, initTokens: init.tokens, languages: streams.map((s) => [s.name, s.train.length]) }) + "\n");
}

const checkpoint = () => saveTrainingCheckpoint(args.checkpoint!, { arrays: trainer.params, shapes: trainer.shapes, optimizer: trainer.optimizer.state, state });
let lossEma = NaN;
while (trainer.stepsDone < STEPS && Date.now() < deadline) {
  const log = await trainer.step(sampler.batchAt(trainer.stepsDone));
  state.elapsedSeconds += log.seconds;
  state.tokens += log.tokens;
  lossEma = Number.isNaN(lossEma) ? log.loss : 0.95 * lossEma + 0.05 * log.loss;
  const entry: Record<string, unknown> = { ...log, loss: +log.loss.toFixed(4), gradNorm: +log.gradNorm.toFixed(3), seconds: +log.seconds.toFixed(3), totalTokens: state.tokens };
  const done = trainer.stepsDone;
  if (done % EVERY === 0 || done === STEPS) {
    entry.validation = await validationLoss(trainer.params, trainer.shapes);
    await checkpoint();
  }
  appendFileSync(logPath, JSON.stringify(entry) + "\n");
  const eta = ((STEPS - done) * state.elapsedSeconds) / done / 60;
  process.stderr.write(`\rstep ${done}/${STEPS} loss ${lossEma.toFixed(3)} lr ${log.lr.toExponential(2)} ${log.seconds.toFixed(2)} s/step, ${eta.toFixed(1)} min left   `);
}
await checkpoint();
process.stderr.write("\n");

// ---- the model folder
const tokenizerJson = readFileSync(args.tokenizer!, "utf8");
await saveModelFolder(args.out!, config, toParams(trainer.params, trainer.shapes), {
  tokenizerJson,
  generationConfig: { bos_token_id: BOS, eos_token_id: EOS, do_sample: false, max_new_tokens: 64 },
});
copyFileSync(logPath, join(args.out!, "train-log.jsonl"));
process.stderr.write(`wrote ${args.out} after ${trainer.stepsDone} steps, ${state.tokens} tokens, ${(state.elapsedSeconds / 60).toFixed(1)} min\n`);
process.exit(0);
