// A language model over a dynamic vocabulary: per batch of lines, the merged tokens (decode/dynamic/merge.ts) get
// embedding rows from a provider (a hypernetwork, transfer/hypernet/dynamic-rows.ts) and are appended to the model's
// tables, so the input embeds them and the output softmax runs over base + the batch's merged tokens. Used for bits
// per byte of text under the merged tokenization, and for prefilling a prompt with merged tokens before ordinary
// decoding. Llama-family models, on the hand-written CPU path (OpenBLAS where installed, plain JS otherwise).

import type { ModelConfig, LlamaConfig } from "../../lm/config.js";
import type { Params } from "../../lm/model.js";
import { CpuKVCache, llamaLogitsCpu, outputHeadName } from "../../lm/llama-cpu.js";
import { cpuWeights, cpuWorkspace } from "../../lm/cpu-path.js";
import { documentStartId, endTokenIds } from "../../lm/token-lm.js";
import { sampleFromLogits, seededRandom, type SamplingOptions } from "../../lm/generate.js";
import { scoringWindow, scoringWindows } from "../../lm/bpb.js";
import { fromFloat32 } from "../../tensor/backend.js";
import { platformGemm, jsGemm } from "../../tensor/gemm.js";
import type { Arrays } from "../../tensor/optim.js";
import type { DynamicBatch, DynamicMergeOptions, DynamicMerger } from "./merge.js";

/** Embedding rows for tokens the model does not have, given by their bytes: [n, slices · d] (input ‖ output slice
 * for untied models, as in the [V, 2, d] embedding view). */
export interface MergedTokenRows {
  readonly slices: 1 | 2;
  rows(tokens: readonly Uint8Array[]): Promise<Float32Array>;
}

export interface DynamicModel {
  config: ModelConfig;
  params: Params;
}

export interface DynamicScoreOptions extends DynamicMergeOptions {
  /** Lines merged together as one batch (default 32). */
  batchLines?: number;
  /** Learn the merges once on these lines (one batch, the same target) and apply them to every batch of the scored
   * text: a held-out vocabulary, so the model is not told which strings the text contains. */
  mergesFrom?: readonly string[];
  /** Sliding windows for lines longer than the model's positions (lm/bpb.ts's options and defaults). */
  window?: number;
  stride?: number;
}

export interface DynamicScore {
  bitsPerByte: number;
  /** Σ −log p in nats over every scored token. */
  nll: number;
  bytes: number;
  /** Tokens scored under the base tokenization and under the merged one (start tokens not counted). */
  baseTokens: number;
  tokens: number;
  /** 1 − tokens / baseTokens over all lines. */
  reduction: number;
  /**
   * Bits to name every batch's merges (each as its two parts, out of the vocabulary so far: Σ 2·log2(base + k)), and
   * bits per byte with them added. The merges are learned on the very text that is scored, so the extended softmax
   * knows which strings occur in it; this charge is what a code would pay to tell a reader that vocabulary. Merges
   * learned on other text (`mergesFrom`) are a fixed vocabulary, like a static tokenizer's, and are not charged.
   */
  vocabularyBits: number;
  bitsPerByteWithVocabulary: number;
  /** Merges learned, summed over batches (each batch's softmax is extended by all of its merged tokens). */
  merges: number;
  batches: number;
  lines: number;
}

/** The model with `extra` rows appended to its tables: a config with the larger vocabulary and plain-array weights. */
interface ExtendedModel {
  config: LlamaConfig;
  weights: Arrays;
  baseVocab: number;
}

function llamaConfig(model: DynamicModel): LlamaConfig {
  if (model.config.arch !== "llama") throw new Error(`dynamic tokenization: runs Llama-family models (this model is ${model.config.arch})`);
  return model.config;
}

async function extendModel(model: DynamicModel, rows: Float32Array, count: number, slices: 1 | 2): Promise<ExtendedModel> {
  const config = llamaConfig(model);
  const base = await cpuWeights(model.params);
  const V = config.vocabSize;
  const d = config.hiddenSize;
  if (rows.length !== count * slices * d) throw new Error(`dynamic tokenization: ${count} rows of ${slices}×${d} expected, got ${rows.length} values`);
  const head = outputHeadName(config, base);
  const tied = head === "model.embed_tokens.weight";
  // With no merged tokens there is nothing to append (the baseline of an untied model needs no row provider).
  if (!tied && slices !== 2 && count > 0) throw new Error("dynamic tokenization: the model has a separate output head, so merged tokens need output rows too (an untied hypernetwork, 2 slices)");
  const grow = (table: Float32Array, slice: number): Float32Array => {
    const out = new Float32Array((V + count) * d);
    out.set(table.subarray(0, V * d));
    for (let k = 0; k < count; k++) out.set(rows.subarray((k * slices + slice) * d, (k * slices + slice + 1) * d), (V + k) * d);
    return out;
  };
  const weights: Arrays = { ...base, "model.embed_tokens.weight": grow(base["model.embed_tokens.weight"]!, 0) };
  if (!tied) weights[head] = grow(base[head]!, 1);
  return { config: { ...config, vocabSize: V + count }, weights, baseVocab: V };
}

/** Every merged token of a batch (intermediate merges too: a reader who knows the merge list knows them all, so the
 * softmax may not depend on which ones the text ends up using), renumbered after the model's vocabulary. */
function mergedTokens(batch: DynamicBatch, modelVocab: number): { remap: (id: number) => number; bytes: Uint8Array[] } {
  const bytes = batch.merges.map((_, k) => batch.bytes(batch.baseSize + k));
  return { remap: (id) => (id >= batch.baseSize ? id - batch.baseSize + modelVocab : id), bytes };
}

const gemm = () => platformGemm() ?? jsGemm;

/** Σ −log p(ids[i] | ids[<i]) for i ≥ 1 under the extended model: one forward pass when the sequence fits the
 * window, else lm/bpb.ts's sliding windows (each token scored once, with up to window − stride tokens of context). */
function sequenceNll(m: ExtendedModel, ids: Int32Array, workspace: ReturnType<typeof cpuWorkspace>, window: number, stride: number): number {
  const V = m.config.vocabSize;
  let nll = 0;
  for (const { begin, from, end } of scoringWindows(ids.length, window, stride)) {
    // Inputs ids[begin, end − 1); logits from the position that predicts ids[from].
    const logits = llamaLogitsCpu(m.config, m.weights, ids.subarray(begin, end - 1), 1, end - 1 - begin, gemm(), { workspace, logitsFrom: from - 1 - begin });
    for (let r = 0; r < end - from; r++) {
      const row = logits.subarray(r * V, (r + 1) * V);
      let max = -Infinity;
      for (let i = 0; i < V; i++) if (row[i]! > max) max = row[i]!;
      let sum = 0;
      for (let i = 0; i < V; i++) sum += Math.exp(row[i]! - max);
      nll += max + Math.log(sum) - row[ids[from + r]!]!;
    }
  }
  return nll;
}

/**
 * Merges `lines` batch by batch and scores each line as a document (the model's start token, then its tokens; bits
 * over the line's UTF-8 bytes — lm/bpb.ts's convention per line). With `merges: 0` this is the model's own
 * tokenization, the baseline. A line longer than the model's positions is scored with lm/bpb.ts's sliding windows
 * (`window`, `stride`; default the model's positions up to 512, and half of that), as bitsPerByte scores it.
 */
export async function dynamicBitsPerByte(model: DynamicModel, merger: DynamicMerger, rows: MergedTokenRows | null, lines: readonly string[], options: DynamicScoreOptions): Promise<DynamicScore> {
  const config = llamaConfig(model);
  const batchLines = options.batchLines ?? 32;
  if (!(Number.isInteger(batchLines) && batchLines >= 1)) throw new Error(`dynamic tokenization: batchLines must be a positive integer, got ${batchLines}`);
  const start = documentStartId(config);
  if (start === null) throw new Error("dynamic tokenization: the model has no BOS or EOS token to start a line from");
  const encoder = new TextEncoder();
  const { window, stride } = scoringWindow(config.maxPositions, options);
  const workspace = cpuWorkspace(model.params);
  const out: DynamicScore = { bitsPerByte: 0, nll: 0, vocabularyBits: 0, bitsPerByteWithVocabulary: 0, bytes: 0, baseTokens: 0, tokens: 0, reduction: 0, merges: 0, batches: 0, lines: 0 };
  lines.forEach((line, i) => {
    if (line.length === 0) throw new Error(`dynamic tokenization: line ${i + 1} is empty`);
  });
  const encode = (l: string) => merger.tokenizer.encodeIds(l, { addSpecialTokens: false });
  const heldOut = options.mergesFrom ? merger.mergeBatch(options.mergesFrom.map(encode), options) : null;
  for (let from = 0; from < lines.length; from += batchLines) {
    const chunk = lines.slice(from, from + batchLines);
    const encoded = chunk.map(encode);
    encoded.forEach((ids, i) => {
      for (const id of ids) if (id >= config.vocabSize) throw new Error(`dynamic tokenization: token id ${id} (line ${from + i + 1}) is outside the model's vocabulary of ${config.vocabSize} (does the tokenizer belong to this model?)`);
    });
    const batch = heldOut ? merger.applyMerges(encoded, heldOut) : merger.mergeBatch(encoded, options);
    const added = mergedTokens(batch, config.vocabSize);
    if (added.bytes.length > 0 && !rows) throw new Error("dynamic tokenization: merged tokens need embedding rows (a hypernetwork)");
    const extra = added.bytes.length > 0 ? await rows!.rows(added.bytes) : new Float32Array();
    const m = await extendModel(model, extra, added.bytes.length, rows?.slices ?? 1);
    for (let i = 0; i < chunk.length; i++) {
      const seq = batch.sequences[i]!;
      const ids = new Int32Array(seq.length + 1);
      ids[0] = start;
      for (let k = 0; k < seq.length; k++) ids[k + 1] = added.remap(seq[k]!);
      out.nll += sequenceNll(m, ids, workspace, window, stride);
      out.bytes += encoder.encode(chunk[i]!).length;
    }
    out.baseTokens += batch.tokensBefore;
    out.tokens += batch.tokensAfter;
    out.merges += batch.merges.length;
    if (!heldOut) for (let k = 0; k < batch.merges.length; k++) out.vocabularyBits += 2 * Math.log2(batch.baseSize + k);
    out.batches++;
    out.lines += chunk.length;
  }
  out.bitsPerByte = out.nll / (Math.LN2 * out.bytes);
  out.bitsPerByteWithVocabulary = out.bitsPerByte + out.vocabularyBits / out.bytes;
  out.reduction = out.baseTokens === 0 ? 0 : 1 - out.tokens / out.baseTokens;
  return out;
}

export interface DynamicGenerateOptions extends DynamicMergeOptions, SamplingOptions {
  /** New tokens per prompt (default 32). */
  maxTokens?: number;
  /** Stop after any of these ids (default: the config's eos_token_id). */
  stopIds?: number[];
}

export interface DynamicGeneration {
  /** The continuation in the model's own ids (ordinary decoding) and its text. */
  ids: number[];
  text: string;
  /** Prompt positions prefilled: the start token and the merged prompt, against the base tokenization's count. */
  promptPositions: number;
  basePromptPositions: number;
}

/**
 * Prefills each prompt with its merged tokens (the prompts are merged as one batch), then decodes ordinarily: one base
 * token at a time, sampled (greedy by default) from the base vocabulary's slice of the softmax. Stops at an end token.
 */
export async function dynamicGenerate(model: DynamicModel, merger: DynamicMerger, rows: MergedTokenRows | null, prompts: readonly string[], options: DynamicGenerateOptions): Promise<DynamicGeneration[]> {
  const config = llamaConfig(model);
  const start = documentStartId(config);
  const stop = new Set(options.stopIds ?? endTokenIds(config));
  const maxTokens = options.maxTokens ?? 32;
  const encoded = prompts.map((p) => merger.tokenizer.encodeIds(p, { addSpecialTokens: false }));
  const batch = merger.mergeBatch(encoded, options);
  const added = mergedTokens(batch, config.vocabSize);
  if (added.bytes.length > 0 && !rows) throw new Error("dynamic tokenization: merged tokens need embedding rows (a hypernetwork)");
  const m = await extendModel(model, added.bytes.length > 0 ? await rows!.rows(added.bytes) : new Float32Array(), added.bytes.length, rows?.slices ?? 1);
  const workspace = cpuWorkspace(model.params);
  const V = config.vocabSize;
  const random = seededRandom(options.seed ?? 0);
  const inputs = batch.sequences.map((seq, p) => {
    const merged = Array.from(seq, added.remap);
    const input = start === null ? merged : [start, ...merged];
    if (input.length === 0) throw new Error(`dynamic tokenization: prompt ${p + 1} has no tokens and the model no start token`);
    // Prefill needs the whole prompt in the model's positions (there is no window to slide while generating).
    if (input.length > config.maxPositions) throw new Error(`dynamic tokenization: prompt ${p + 1} takes ${input.length} positions after merging${start === null ? "" : " (start token included)"}, more than the model's ${config.maxPositions}`);
    return input;
  });
  const results: DynamicGeneration[] = [];
  for (let p = 0; p < prompts.length; p++) {
    let input = inputs[p]!;
    const cache = new CpuKVCache(m.config);
    const ids: number[] = [];
    const promptPositions = input.length;
    for (let step = 0; step < maxTokens && cache.length + input.length <= config.maxPositions; step++) {
      const logits = llamaLogitsCpu(m.config, m.weights, Int32Array.from(input), 1, input.length, gemm(), { workspace, cache, logitsFrom: input.length - 1 });
      // Ordinary decoding: only the model's own tokens are produced.
      const id = sampleFromLogits(logits.subarray(0, V), options, random);
      ids.push(id);
      if (stop.has(id)) break;
      input = [id];
    }
    results.push({ ids, text: merger.tokenizer.decode(ids.filter((id) => !stop.has(id))), promptPositions, basePromptPositions: encoded[p]!.length + (start === null ? 0 : 1) });
  }
  return results;
}

/**
 * The anchor's control (Feher et al. score the original tokenization with hypernetwork embeddings too): the model
 * with the row of every base token that has bytes, specials excepted, replaced by the hypernetwork's prediction from
 * those bytes (input and, for untied models, output rows). Scored with no merges it measures the hypernetwork's
 * embedding error alone, apart from the effect of merging.
 */
export async function withPredictedBaseRows(model: DynamicModel, merger: DynamicMerger, rows: MergedTokenRows): Promise<DynamicModel> {
  const config = llamaConfig(model);
  const base = await cpuWeights(model.params);
  const V = config.vocabSize;
  const d = config.hiddenSize;
  const head = outputHeadName(config, base);
  const tied = head === "model.embed_tokens.weight";
  if (!tied && rows.slices !== 2) throw new Error("dynamic tokenization: the model has a separate output head, so predicted rows need output rows too (an untied hypernetwork, 2 slices)");
  const ids: number[] = [];
  for (let id = 0; id < Math.min(V, merger.table.size); id++) if (!merger.table.isSpecial(id) && merger.table.bytes(id).length > 0) ids.push(id);
  const predicted = await rows.rows(ids.map((id) => merger.table.bytes(id)));
  const replace = (name: string, slice: number) => {
    const table = Float32Array.from(base[name]!);
    ids.forEach((id, k) => table.set(predicted.subarray((k * rows.slices + slice) * d, (k * rows.slices + slice + 1) * d), id * d));
    return fromFloat32(table, [V, d]);
  };
  const params: Params = { ...model.params, "model.embed_tokens.weight": replace("model.embed_tokens.weight", 0) };
  if (!tied) params[head] = replace(head, 1);
  return { config, params };
}
