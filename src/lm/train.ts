// Training small causal LMs: the loss and its gradient through the tensor backend, AdamW on plain arrays, a step
// function that returns what the loss log records. Browser-safe; checkpoints on disk live in ./checkpoint.ts.
import { fromFloat32, fromInt32, jit, toFloat32, valueAndGrad, tree, type Tensor } from "../tensor/backend.js";
import { AdamW, clippingScale, type AdamWOptions, type Arrays } from "../tensor/optim.js";
import type { ModelConfig } from "./config.js";
import { crossEntropy, disposeCache, forward, type Params } from "./model.js";
import { CpuWorkspace, llamaLossAndGradientsCpu } from "./llama-cpu.js";
import { platformCoworker } from "./coworker.js";
import { sharedCopy } from "./cpu-path.js";
import type { Gemm } from "../tensor/gemm.js";

export type Shapes = Record<string, number[]>;

/** Loads plain arrays into backend tensors (copies). */
export function toParams(arrays: Arrays, shapes: Shapes): Params {
  const p: Params = {};
  for (const name of Object.keys(arrays).sort()) p[name] = fromFloat32(arrays[name]!, shapes[name]!);
  return p;
}

/** Reads backend tensors back into plain arrays (consumes them). */
export async function toArrays(params: Params): Promise<{ arrays: Arrays; shapes: Shapes }> {
  const arrays: Arrays = {};
  const shapes: Shapes = {};
  for (const name of Object.keys(params).sort()) {
    shapes[name] = [...params[name]!.shape];
    arrays[name] = await toFloat32(params[name]!);
  }
  return { arrays, shapes };
}

/**
 * Mean next-token cross-entropy (nats) of a batch and its gradient for every parameter, as plain arrays.
 * `ids` rows all have one length L; positions 0..L-2 predict 1..L-1.
 */
type LossAndGrad = (params: Params, embeddings: Tensor, targets: Tensor) => [Tensor, [Params, Tensor]];
const compiled = new WeakMap<ModelConfig, LossAndGrad>();

/**
 * valueAndGrad of the batch loss with respect to the parameters and the input embeddings, jit-compiled once per
 * model config (jit re-traces per input shape by itself). The embedding lookup stays outside: the gradient of a
 * gather is a scatter, which jit cannot compile, so rows are gathered and their gradients scattered in plain JS.
 */
function lossAndGradFunction(config: ModelConfig): LossAndGrad {
  let f = compiled.get(config);
  if (!f) {
    const lossOf = (p: Params, embeddings: Tensor, targets: Tensor): Tensor => {
      const { logits, cache } = forward(config, p, { embeddings });
      disposeCache(cache);
      const loss = crossEntropy(logits, targets);
      tree.dispose(p); // forward only borrowed the parameters; the function owns them
      return loss;
    };
    f = jit(valueAndGrad(lossOf, { argnums: [0, 1] })) as unknown as LossAndGrad;
    compiled.set(config, f);
  }
  return f;
}

/** Name of the input embedding table. */
export function inputEmbeddingName(config: ModelConfig): string {
  return config.arch === "gpt2" ? "wte.weight" : "model.embed_tokens.weight";
}

/** Rows of ids [B][L] as inputs (positions 0..L-2) and targets (1..L-1), [B·(L-1)] each, validated. */
export function nextTokenBatch(config: ModelConfig, ids: number[][]): { inputs: Int32Array; targets: Int32Array; batch: number; len: number } {
  const b = ids.length;
  const len = ids[0]?.length ?? 0;
  if (b === 0 || len < 2) throw new Error("lossAndGradients: need at least one row of two or more ids");
  const t = len - 1;
  const inputs = new Int32Array(b * t);
  const targets = new Int32Array(b * t);
  ids.forEach((row, r) => {
    if (row.length !== len) throw new Error(`lossAndGradients: row ${r} has ${row.length} ids, row 0 has ${len}`);
    for (let i = 0; i < len; i++) {
      const id = row[i]!;
      if (!Number.isInteger(id) || id < 0 || id >= config.vocabSize) throw new Error(`lossAndGradients: id ${id} at row ${r}, position ${i} is outside the vocabulary`);
      if (i < t) inputs[r * t + i] = id;
      if (i > 0) targets[r * t + i - 1] = id;
    }
  });
  return { inputs, targets, batch: b, len: t };
}

export type LossAndGradients = (config: ModelConfig, arrays: Arrays, shapes: Shapes, ids: number[][]) => Promise<{ loss: number; grads: Arrays }>;

/**
 * lossAndGradients on the hand-written CPU Llama (./llama-cpu.ts) with `gemm` for the matrix products — OpenBLAS
 * on Node (src/node/openblas.ts) is ~3× faster a step than the tensor backend on a CPU. Llama family only. The
 * gradients it returns are overwritten by its next call (the trainer applies them first).
 */
export function cpuLossAndGradients(gemm: Gemm): LossAndGradients {
  // Activations, logits and gradients stay allocated from step to step; each step's gradients are consumed (clipped,
  // applied) before the next step overwrites them.
  const workspace = new CpuWorkspace();
  // Where a coworker thread can take half of each forward step, it reads the weights from shared memory: each step
  // copies them there (~15 MB for the 6M-parameter reference model, a few ms against a step's ~0.5 s).
  const sharedWeights = new Map<string, Float32Array>();
  const forCoworker = (arrays: Arrays): Arrays => {
    if (platformCoworker() === null) return arrays;
    const out: Arrays = {};
    for (const [name, a] of Object.entries(arrays)) {
      let copy = sharedWeights.get(name);
      if (copy?.length !== a.length) sharedWeights.set(name, (copy = sharedCopy(a)));
      else copy.set(a);
      out[name] = copy;
    }
    return out;
  };
  return async (config, arrays, _shapes, ids) => {
    if (config.arch !== "llama") throw new Error(`the CPU trainer runs Llama-family models, not ${config.modelType}`);
    const { inputs, targets, batch, len } = nextTokenBatch(config, ids);
    return llamaLossAndGradientsCpu(config, forCoworker(arrays), inputs, targets, batch, len, gemm, { workspace });
  };
}

/**
 * Mean next-token cross-entropy (nats) of a batch and its gradient for every parameter, as plain arrays, through the
 * tensor backend. `ids` rows all have one length L; positions 0..L-2 predict 1..L-1.
 */
export async function lossAndGradients(config: ModelConfig, arrays: Arrays, shapes: Shapes, ids: number[][]): Promise<{ loss: number; grads: Arrays }> {
  const { inputs, targets, batch: b, len: t } = nextTokenBatch(config, ids);
  const d = config.hiddenSize;
  const tableName = inputEmbeddingName(config);
  const table = arrays[tableName];
  if (!table) throw new Error(`lossAndGradients: no parameter "${tableName}"`);
  const embedded = new Float32Array(b * t * d);
  for (let i = 0; i < b * t; i++) embedded.set(table.subarray(inputs[i]! * d, (inputs[i]! + 1) * d), i * d);
  const [loss, [grads, dEmbedded]] = lossAndGradFunction(config)(toParams(arrays, shapes), fromFloat32(embedded, [b, t, d]), fromInt32(targets, [b, t]));
  const value = (await toFloat32(loss))[0]!;
  const out: Arrays = {};
  for (const name of Object.keys(grads).sort()) out[name] = await toFloat32(grads[name]!);
  // Scatter-add the input-embedding gradient into the table's (which already holds the tied head's part).
  const dRows = await toFloat32(dEmbedded);
  const dTable = out[tableName]!;
  for (let i = 0; i < b * t; i++) {
    const row = inputs[i]! * d;
    for (let j = 0; j < d; j++) dTable[row + j]! += dRows[i * d + j]!;
  }
  return { loss: value, grads: out };
}

export interface TrainerOptions {
  adamw?: AdamWOptions;
  /** Learning rate at a step (0-based). */
  schedule: (step: number) => number;
  /** Clip the global gradient norm to this (0 = no clipping; default 1). */
  clipNorm?: number;
  /** How the loss and gradients are computed (default: the tensor backend; cpuLossAndGradients for BLAS). */
  lossAndGradients?: LossAndGradients;
  /** Which parameters are updated (default: all); the others stay bit for bit as they are and get no optimizer state. */
  trainable?: (name: string) => boolean;
}

export interface StepLog {
  step: number;
  loss: number;
  lr: number;
  gradNorm: number;
  tokens: number;
  seconds: number;
}

/** Holds master weights and optimizer state; `step(batch)` does one AdamW update. */
export class LanguageModelTrainer {
  readonly optimizer: AdamW;
  private readonly clipNorm: number;

  constructor(
    readonly config: ModelConfig,
    readonly params: Arrays,
    readonly shapes: Shapes,
    private readonly options: TrainerOptions,
  ) {
    this.optimizer = new AdamW(options.adamw);
    this.clipNorm = options.clipNorm ?? 1;
  }

  get stepsDone(): number {
    return this.optimizer.state.step;
  }

  async step(batch: number[][]): Promise<StepLog> {
    const t0 = performance.now();
    const step = this.optimizer.state.step;
    const { loss, grads: all } = await (this.options.lossAndGradients ?? lossAndGradients)(this.config, this.params, this.shapes, batch);
    if (!Number.isFinite(loss)) throw new Error(`step ${step}: loss is ${loss}`);
    const trainable = this.options.trainable;
    const grads = trainable ? Object.fromEntries(Object.entries(all).filter(([name]) => trainable(name))) : all;
    const { norm: gradNorm, scale } = clippingScale(grads, this.clipNorm);
    const lr = this.options.schedule(step);
    this.optimizer.update(this.params, grads, lr, this.shapes, scale);
    const tokens = batch.reduce((a, r) => a + r.length - 1, 0);
    return { step, loss, lr, gradNorm, tokens, seconds: (performance.now() - t0) / 1000 };
  }
}
