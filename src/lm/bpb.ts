// Bits per byte of a causal LM on a text: Σ token NLL / (ln 2 · UTF-8 bytes of the text).
// Convention (so that different tokenizers are comparable): the text is tokenized without special tokens and every
// token is predicted, the first one from a start token — the model's BOS, else its EOS (GPT-2's <|endoftext|>
// doubles as a document separator). With neither, the first token is charged log2(V) bits (a uniform guess).
// Long texts are scored with a sliding window: windows of `window` tokens advance by `stride`; each token is scored
// once, in the first window that reaches it, with up to window − stride tokens of context before it (as in HF's
// perplexity guide).
import { np, nn, fromInt32, jit, toFloat32, tree, type Tensor } from "../tensor/backend.js";
import type { LlamaConfig, ModelConfig } from "./config.js";
import { forward, disposeCache, type Params } from "./model.js";
import type { Gemm } from "../tensor/gemm.js";
import { llamaLogitsCpu } from "./llama-cpu.js";
import { cpuPath, cpuWeights, cpuWorkspace } from "./cpu-path.js";
import { vectorKernels } from "../tensor/vector-kernels.js";
import { documentStartId, endTokenIds } from "./token-lm.js";

export interface TextTokenizer {
  encode(text: string, options?: { addSpecialTokens?: boolean }): { ids: ArrayLike<number> };
}

export interface BitsPerByteOptions {
  /** Tokens per forward pass (default: min(max positions, 512)). */
  window?: number;
  /** Advance between windows (default: window / 2). */
  stride?: number;
  /** Override the start token (default: BOS, else EOS from config.json). */
  startId?: number | null;
  /** Also return each text token's NLL (for intervals over lines). */
  perToken?: boolean;
}

export interface BitsPerByteResult {
  bitsPerByte: number;
  /** Σ NLL in nats over all scored tokens. */
  nll: number;
  tokens: number;
  bytes: number;
  startId: number | null;
  window: number;
  stride: number;
  /** NLL in nats of each text token (with `perToken`). */
  tokenNll?: Float64Array;
}


type TokenLogProbs = (params: Params, inputs: Tensor, targets: Tensor) => Tensor;
const compiled = new WeakMap<ModelConfig, TokenLogProbs>();

/** log p(target_t | inputs_≤t) for every position, jit-compiled once per config (and shape). */
function tokenLogProbs(config: ModelConfig): TokenLogProbs {
  let f = compiled.get(config);
  if (!f) {
    f = jit((params: Params, inputs: Tensor, targets: Tensor): Tensor => {
      const { logits, cache } = forward(config, params, inputs);
      disposeCache(cache);
      tree.dispose(params);
      const vocab = logits.shape[logits.shape.length - 1]!;
      const mask = np.equal(targets.reshape([...targets.shape, 1]), np.arange(vocab).astype(np.int32)).astype(np.float32);
      return nn.logSoftmax(logits, -1).mul(mask).sum(-1);
    }) as unknown as TokenLogProbs;
    compiled.set(config, f);
  }
  return f;
}

/**
 * Σ −log p(target) over positions [from, end) of `ids` given everything before, in one forward pass. Windows are
 * padded at the end to `width` tokens, so every window has one shape and the compiled pass is reused (causal
 * attention: padding after a position cannot change its prediction).
 */
async function windowNll(config: ModelConfig, params: Params, ids: number[], from: number, width: number, out: Float64Array | null, at: number): Promise<number> {
  const n = ids.length - 1;
  const inputs = new Int32Array(width - 1);
  const targets = new Int32Array(width - 1);
  for (let i = 0; i < n; i++) {
    inputs[i] = ids[i]!;
    targets[i] = ids[i + 1]!;
  }
  const picked = await toFloat32(tokenLogProbs(config)(tree.ref(params), fromInt32(inputs, [1, width - 1]), fromInt32(targets, [1, width - 1])));
  let s = 0;
  for (let i = from - 1; i < n; i++) {
    s -= picked[i]!;
    if (out) out[at + i - (from - 1)] = -picked[i]!;
  }
  return s;
}

/** windowNll on the hand-written CPU Llama (no padding needed: nothing is compiled). */
async function cpuWindowNll(config: LlamaConfig, params: Params, ids: number[], from: number, gemm: Gemm, out: Float64Array | null, at: number): Promise<number> {
  const n = ids.length - 1;
  const weights = await cpuWeights(params);
  const workspace = cpuWorkspace(params);
  // Logits of the scored positions only (from − 1 .. n − 1 predict ids from .. n).
  const scored = llamaLogitsCpu(config, weights, Int32Array.from(ids.slice(0, n)), 1, n, gemm, { workspace, logitsFrom: from - 1 });
  const V = config.vocabSize;
  const rows = n - (from - 1);
  let s = 0;
  // Target logits are read before expRows, which overwrites the rows with their exponentials.
  const target = new Float64Array(rows);
  for (let i = 0; i < rows; i++) s -= target[i] = scored[i * V + ids[from + i]!]!;
  const max = new Float32Array(rows);
  const sum = new Float64Array(rows);
  vectorKernels().expRows(scored, rows, V, {}, max, sum);
  for (let i = 0; i < rows; i++) s += max[i]! + Math.log(sum[i]!);
  if (out) for (let i = 0; i < rows; i++) out[at + i] = max[i]! + Math.log(sum[i]!) - target[i]!;
  return s;
}

function checkWindowOptions(options: Pick<BitsPerByteOptions, "window" | "stride">): void {
  for (const key of ["window", "stride"] as const) {
    const v = options[key];
    if (v !== undefined && !(Number.isInteger(v) && v >= 1)) throw new Error(`bitsPerByte: ${key} must be a positive integer, got ${v}`);
  }
}

/** Σ −log p(seq[i] | seq[<i]) for i ≥ 1, by sliding windows. Each window covers [begin, end) and scores positions
 * [scoredUpTo, end). `perPosition` (length seq.length), when given, receives each position's NLL. */
async function sequenceNll(model: { config: ModelConfig; params: Params }, seq: number[], window: number, stride: number, perPosition: Float64Array | null = null): Promise<number> {
  let nll = 0;
  const cpu = cpuPath(model.config);
  for (const { begin, from, end } of scoringWindows(seq.length, window, stride)) {
    const slice = seq.slice(begin, end);
    nll +=
      cpu
        ? await cpuWindowNll(cpu.config, model.params, slice, from - begin, cpu.gemm, perPosition, from)
        : await windowNll(model.config, model.params, slice, from - begin, Math.min(window, seq.length), perPosition, from);
  }
  return nll;
}

/** Window and stride for a model's positions: the options within [2, max positions] (default min(max positions,
 * 512)), stride default window / 2. */
export function scoringWindow(maxPositions: number, options: Pick<BitsPerByteOptions, "window" | "stride"> = {}): { window: number; stride: number } {
  checkWindowOptions(options);
  const window = Math.max(2, Math.min(options.window ?? Math.min(maxPositions, 512), maxPositions));
  const stride = Math.max(1, Math.min(options.stride ?? Math.floor(window / 2), window - 1));
  return { window, stride };
}

/** The forward passes that score positions 1 … length − 1 of a sequence once each: pass [begin, end) scores
 * positions [from, end), the first pass everything up to `window`, every later one `stride` more positions with the
 * tokens before them (up to window − stride) as context. Shared by every scorer (lm/bpb.ts, decode/dynamic). */
export function scoringWindows(length: number, window: number, stride: number): { begin: number; from: number; end: number }[] {
  const out: { begin: number; from: number; end: number }[] = [];
  for (let from = 1; from < length; ) {
    const end = Math.min(length, from + stride + (from === 1 ? window - 1 - stride : 0));
    out.push({ begin: Math.max(0, end - window), from, end });
    from = end;
  }
  return out;
}

/**
 * Bits per byte of `model` on `text`. Llama-family models run on the hand-written CPU path when the platform has a
 * fast Gemm (OpenBLAS on Node: setPlatformGemm), else through the tensor backend; the two agree to float rounding.
 */
export async function bitsPerByte(model: { config: ModelConfig; params: Params }, tokenizer: TextTokenizer, text: string, options: BitsPerByteOptions = {}): Promise<BitsPerByteResult> {
  const { window, stride } = scoringWindow(model.config.maxPositions, options);
  const bytes = new TextEncoder().encode(text).length;
  if (bytes === 0) throw new Error("bitsPerByte: the text is empty");
  const textIds = Array.from(tokenizer.encode(text, { addSpecialTokens: false }).ids);
  const start = options.startId !== undefined ? options.startId : documentStartId(model.config);
  const vocab = model.config.vocabSize;
  for (const id of start === null ? textIds : [start, ...textIds])
    if (!(Number.isInteger(id) && id >= 0 && id < vocab)) throw new Error(`bitsPerByte: token id ${id} is outside the model's vocabulary of ${vocab} (does the tokenizer belong to this model?)`);
  let nll = 0;
  // seq[0] is the start token (or the first text token when there is none, which is then charged log V).
  const seq = start === null ? textIds : [start, ...textIds];
  if (start === null) nll += Math.log(model.config.vocabSize);
  // perPosition[p] is seq position p's NLL: text token k sits at p = k + 1 (at p = k with no start token).
  const perPosition = options.perToken ? new Float64Array(seq.length) : null;
  nll += await sequenceNll(model, seq, window, stride, perPosition);
  if (perPosition && start === null && seq.length) perPosition[0] = Math.log(model.config.vocabSize);
  const tokenNll = perPosition ? (start === null ? perPosition : perPosition.subarray(1)) : null;
  return { bitsPerByte: nll / (Math.LN2 * bytes), nll, tokens: textIds.length, bytes, startId: start, window, stride, ...(tokenNll ? { tokenNll } : {}) };
}

export interface DocumentBitsResult {
  bitsPerByte: number;
  /** Σ NLL in nats over all documents (their tokens and end tokens). */
  nll: number;
  documents: number;
  tokens: number;
  bytes: number;
  /** −log p of each document in nats. */
  perDocument: number[];
}

/**
 * Bits per byte over documents scored one by one: each is the start token, its tokens and the end-of-text token (the
 * first of config.json's eos_token_id), and the end counts as a symbol with no bytes. This is the quantity a
 * byte-level model of the same documents reproduces exactly (decode/byte-lm.ts).
 */
export async function documentBitsPerByte(model: { config: ModelConfig; params: Params }, tokenizer: TextTokenizer, documents: readonly string[], options: Pick<BitsPerByteOptions, "window" | "stride"> = {}): Promise<DocumentBitsResult> {
  const start = documentStartId(model.config);
  const end = endTokenIds(model.config)[0];
  const { window, stride } = scoringWindow(model.config.maxPositions, options);
  if (start === null || end === undefined) throw new Error("bitsPerByte --documents: the model needs a start token (BOS or EOS) and an end-of-text token (eos_token_id in config.json)");
  const vocab = model.config.vocabSize;
  const encoder = new TextEncoder();
  let nll = 0;
  let tokens = 0;
  let bytes = 0;
  const perDocument: number[] = [];
  documents.forEach((doc, i) => {
    if (doc.length === 0) throw new Error(`bitsPerByte --documents: document ${i + 1} is empty`);
  });
  for (const doc of documents) {
    const ids = Array.from(tokenizer.encode(doc, { addSpecialTokens: false }).ids);
    for (const id of ids) if (!(Number.isInteger(id) && id >= 0 && id < vocab)) throw new Error(`bitsPerByte: token id ${id} is outside the model's vocabulary of ${vocab} (does the tokenizer belong to this model?)`);
    const d = await sequenceNll(model, [start, ...ids, end], window, stride);
    perDocument.push(d);
    nll += d;
    tokens += ids.length + 1;
    bytes += encoder.encode(doc).length;
  }
  return { bitsPerByte: nll / (Math.LN2 * bytes), nll, documents: documents.length, tokens, bytes, perDocument };
}
