// Training the residual hypernetwork as ZeTT does: at every resampling a fresh UnigramLM tokenizer is drawn from the
// substring counts of recent text with log-normal noise; text is tokenized with it; the network predicts embeddings
// for the tokens of the batch (plus random other tokens of the sampled vocabulary as negatives); the FROZEN base model
// runs on those embeddings and the loss is its next-token cross-entropy over that token set (a sampled softmax), plus
// 0.5 × an auxiliary MSE keeping predictions for tokens that exist in the source vocabulary near their true rows.
// Only the hypernetwork gets gradients. The sampled tokenizers are spelled like the source, like GPT-2 (byte-level), or
// alternately (HypernetTrainOptions.template), so a source of one family can learn targets of the other.
// Browser-safe: the text source and checkpoints are the caller's.
import { np, nn, fromFloat32, fromInt32, jit, toFloat32, tree, valueAndGrad, type Tensor } from "../../tensor/backend.js";
import { AdamW, clippingScale, type Arrays } from "../../tensor/optim.js";
import type { ModelConfig } from "../../lm/config.js";
import { hiddenStates, type Params } from "../../lm/model.js";
import { Tokenizer } from "../../tokenize/tokenizer.js";
import { PreTokenizedString } from "../../tokenize/pretokenized.js";
import type { JsonObject, Normalizer, PreTokenizer } from "../../tokenize/types.js";
import { byteLevelAlphabet } from "../../tokenize/byte-vocabulary.js";
import { EmbeddingView } from "../embedding-view.js";
import { buildVocabularyMap, type VocabularyMap } from "../vocabulary-map.js";
import { preTokenizerFromJSON } from "../../tokenize/pretokenizers/index.js";
import { byteLevelTemplate, sampleBpeTokenizer, sampleUnigramTokenizer, windowSpelling, type SampleModel, type SampleSpelling, type SampleTemplate } from "./sample-tokenizer.js";
import { hypernetForward, pieceBatch, rescalerTensors, type ResidualHypernet, type RescalerTensors } from "./residual.js";
import { mulberry32 } from "../../util/random.js";
import type { Gemm } from "../../tensor/gemm.js";
import { cpuWeights } from "../../lm/cpu-path.js";
import { HypernetCpuWorkspace, hypernetLossAndGradientsCpu, type HypernetStepArrays } from "./cpu-step.js";

export interface HypernetTrainOptions {
  /** Rows per batch and tokens per row (of the sampled tokenizer). */
  batch: number;
  seqLen: number;
  /** Token set per step (batch tokens + negatives); fixed so the compiled step is reused. */
  tokenSet: number;
  /** Sampled vocabulary size, noise std of log counts, and how often (steps) a new tokenizer is drawn. */
  sampleVocab: number;
  noiseStd: number;
  resampleEvery: number;
  auxWeight: number;
  /**
   * Shared tokens (those the source has) take their true rows in the step, as the hypernet method does at transfer
   * time (it copies them): the network then learns only the rows of new tokens, and the auxiliary loss has nothing
   * left to do. Off: every row but the specials is predicted (ZeTT).
   */
  keepShared: boolean;
  clipNorm: number;
  seed: number;
  /** Spelling of the sampled tokenizers: the source's, GPT-2's byte-level, or the two alternating by window. */
  template: SampleTemplate;
  /**
   * The model of the sampled tokenizers. "unigram": ZeTT's (substring counts with noise). "bpe": byte-level BPE
   * trained on the window's text with the Llama 3 split pattern, as most released tokenizers (and this project's
   * transfer targets) are made: their tokens follow BPE's merge order, which a Unigram sample does not imitate.
   * Byte-level windows only.
   */
  sampleModel?: SampleModel;
  /**
   * Runs the step by hand on the CPU (./cpu-step.ts) with this Gemm (OpenBLAS on Node) instead of through the tensor
   * backend; Llama-family source models only. The same loss and gradients up to float rounding.
   */
  gemm?: Gemm;
}

export const DEFAULT_TRAIN: HypernetTrainOptions = { batch: 8, seqLen: 128, tokenSet: 1024, sampleVocab: 8192, noiseStd: 1, resampleEvery: 5, auxWeight: 0.5, keepShared: false, clipNorm: 1, seed: 0, template: "source" };

type StepFn = (hp: Params, r: RescalerTensors, base: Params, data: StepData) => [Tensor, Params];
interface StepData {
  pieces: Tensor;
  mask: Tensor;
  baseRows: Tensor;
  /** [U, 1] 1 where the row is fixed to a true source row (specials). */
  keep: Tensor;
  trueRows: Tensor;
  /** [U, 1] 1 where the token exists in the source vocabulary (auxiliary loss). */
  auxMask: Tensor;
  inputs: Tensor;
  targets: Tensor;
}

/** The step's loss as a function of the hypernetwork's weights (everything else is data). Consumes hp, r, base, data. */
function stepLoss(config: ModelConfig, net: ResidualHypernet, auxWeight: number, hp: Params, r: RescalerTensors, base: Params, d: StepData): Tensor {
  const U = d.keep.shape[0]!;
  let pred = hypernetForward(net.config, hp, r, d.pieces, d.mask, d.baseRows);
  pred = pred.mul(d.keep.ref.neg().add(1)).add(d.trueRows.ref.mul(d.keep));
  // Auxiliary loss: mean squared error (in units of the source's per-dimension std) on tokens the source has.
  const diff = pred.ref.sub(d.trueRows).div(r.outScale.ref);
  const nAux = d.auxMask.ref.sum().add(1e-6);
  const aux = np.square(diff).mean(-1).reshape([U, 1]).mul(d.auxMask).sum().div(nAux);
  const w = net.config.dim;
  const [input, output] = net.config.slices === 2 ? np.split(pred, 2, -1) : [pred.ref, pred];
  const [B, T] = d.inputs.shape as [number, number];
  const onehot = (ids: Tensor) => np.equal(ids.reshape([B, T, 1]), np.arange(U).astype(np.int32)).astype(np.float32);
  const embeddings = np.matmul(onehot(d.inputs), input);
  const { hidden, cache } = hiddenStates(config, base, { embeddings: embeddings.reshape([B, T, w]) });
  for (const t of cache.keys) t.dispose();
  for (const t of cache.values) t.dispose();
  tree.dispose(base);
  tree.dispose(hp);
  tree.dispose(r);
  const logits = np.matmul(hidden, output.transpose());
  const picked = nn.logSoftmax(logits, -1).mul(onehot(d.targets)).sum(-1);
  return picked.mean().neg().add(aux.mul(auxWeight));
}

export interface HypernetStepLog {
  step: number;
  loss: number;
  gradNorm: number;
  lr: number;
  tokens: number;
  uniqueTokens: number;
  /** The spelling of this step's sampled tokenizer. */
  spelling: SampleSpelling;
  seconds: number;
}

/** What sampling in one spelling needs: the template of the sampled tokenizer.json, the stages that cut text into
 * pre-tokens in that spelling, and (character-level spellings) the unknown piece that falls back to bytes. */
interface Spelling {
  template: { normalizer?: JsonObject | null; pre_tokenizer?: JsonObject | null; decoder?: JsonObject | null; added_tokens?: JsonObject[] };
  normalizer: Normalizer | null;
  preTokenizer: PreTokenizer | null;
  byteFallback?: { unkToken: string };
}

/** A running training: sampled tokenizers, the compiled step and AdamW state. */
export class HypernetTrainer {
  readonly optimizer: AdamW;
  private readonly step: StepFn;
  private readonly baseParams: Params;
  private readonly rescalers: RescalerTensors;
  private sampled: { tokenizer: Tokenizer; map: VocabularyMap; spelling: SampleSpelling } | null = null;
  private recentText: string[] = [];
  private readonly spellings: Partial<Record<SampleSpelling, Spelling>> = {};
  private readonly bosSource: number | null;
  private readonly cpuWorkspace = new HypernetCpuWorkspace();

  constructor(
    readonly net: ResidualHypernet,
    readonly model: { config: ModelConfig; params: Params },
    readonly source: Tokenizer,
    readonly sourceView: EmbeddingView,
    readonly options: HypernetTrainOptions,
    readonly schedule: (step: number) => number,
  ) {
    this.optimizer = new AdamW({ weightDecay: 0.01 });
    this.baseParams = model.params;
    this.rescalers = rescalerTensors(net.rescalers);
    const json = source.toJSON();
    const bos = model.config.bosTokenId;
    this.bosSource = bos;
    const addedTokens = (json.added_tokens as JsonObject[]) ?? [];
    if (options.sampleModel === "bpe" && options.template !== "byte-level") throw new Error("hypernet training: BPE-sampled tokenizers are byte-level (use --template byte-level)");
    const wanted = options.template === "mixed" ? (["source", "byte-level"] as const) : [options.template];
    if (wanted.includes("source")) {
      // Sampled tokenizers read text like the source: same normalizer, pre-tokenizer and decoder, same special tokens.
      let byteFallback: { unkToken: string } | undefined;
      if (!source.spelling().byteLevel) {
        const m = json.model as JsonObject;
        const unkToken = typeof m.unk_id === "number" ? source.idToToken(m.unk_id) : typeof m.unk_token === "string" ? m.unk_token : undefined;
        if (!source.spelling().byteFallback || unkToken === undefined) throw new Error("hypernet training: a source tokenizer that is not byte-level needs byte fallback and an unknown token (every sampled tokenizer must spell any text); or sample byte-level tokenizers only (template byte-level)");
        byteFallback = { unkToken };
      }
      const template = { normalizer: json.normalizer as JsonObject, pre_tokenizer: json.pre_tokenizer as JsonObject, decoder: json.decoder as JsonObject, added_tokens: addedTokens };
      this.spellings.source = { template, normalizer: source.normalizer, preTokenizer: source.preTokenizer, byteFallback };
    }
    if (wanted.includes("byte-level")) {
      const template = byteLevelTemplate(addedTokens);
      this.spellings["byte-level"] = { template, normalizer: null, preTokenizer: preTokenizerFromJSON(template.pre_tokenizer, "byte-level template.pre_tokenizer") };
    }
    const cfg = model.config;
    if (options.gemm && cfg.arch !== "llama") throw new Error(`hypernet training: the CPU step runs Llama-family models, not ${cfg.modelType}`);
    const aux = options.auxWeight;
    this.step = jit(
      valueAndGrad((hp: Params, r: RescalerTensors, base: Params, d: StepData) => stepLoss(cfg, net, aux, hp, r, base, d), { argnums: 0 }),
    ) as unknown as StepFn;
  }

  /** The tokenizer the current steps are sampled in (null before the first step). */
  get sampledTokenizer(): Tokenizer | null {
    return this.sampled?.tokenizer ?? null;
  }

  get stepsDone(): number {
    return this.optimizer.state.step;
  }

  /**
   * Feeds text seen before a resume (the texts of the steps before it, in order), so that the next sampled tokenizer
   * is drawn from the same recent text as in an uninterrupted run. Resume at a multiple of resampleEvery.
   */
  remember(texts: string[]): void {
    this.recentText.push(...texts);
    const cap = 64 * this.options.batch;
    if (this.recentText.length > cap) this.recentText.splice(0, this.recentText.length - cap);
  }

  /** Pre-tokens (in the spelling's alphabet) of `texts`, counted. */
  private preTokens(texts: string[], spelling: Spelling): Map<string, number> {
    const out = new Map<string, number>();
    for (const text of texts) {
      const p = new PreTokenizedString(spelling.normalizer?.normalizeText?.(text) ?? text);
      spelling.preTokenizer?.preTokenize(p);
      for (const s of p.splits) out.set(s.normalized.normalized, (out.get(s.normalized.normalized) ?? 0) + 1);
    }
    return out;
  }

  /** Draws the tokenizer of the window that starts at `windowStart`. */
  private resample(windowStart: number, texts: string[]): void {
    const name = windowSpelling(this.options.template, windowStart / this.options.resampleEvery);
    const spelling = this.spellings[name]!;
    const json = this.options.sampleModel === "bpe" ? sampleBpeTokenizer(texts, spelling.template, this.options.sampleVocab) : this.sampleUnigram(windowStart, texts, spelling);
    const tokenizer = Tokenizer.fromJSON(json);
    this.sampled = { tokenizer, map: buildVocabularyMap(this.source, tokenizer), spelling: name };
  }

  /** ZeTT's noisy Unigram tokenizer over the pre-tokens of `texts`, in `spelling`'s alphabet. */
  private sampleUnigram(windowStart: number, texts: string[], spelling: Spelling): JsonObject {
    const preTokens = this.preTokens(texts, spelling);
    let alphabet = byteLevelAlphabet();
    if (spelling.byteFallback) {
      // A character-level source: its characters as seen (sorted: the same text gives the same tokenizer).
      const chars = new Set<string>();
      for (const word of preTokens.keys()) for (const c of word) chars.add(c);
      alphabet = [...chars].sort();
    }
    const seed = this.options.seed * 1_000_003 + windowStart;
    return sampleUnigramTokenizer(preTokens, alphabet, spelling.template, { vocabSize: this.options.sampleVocab, noiseStd: this.options.noiseStd, maxPieceLength: 12, seed, byteFallback: spelling.byteFallback });
  }

  /**
   * One update on `texts` (one text per row; each must yield at least seqLen tokens under any sampled tokenizer —
   * give ~8 bytes per token). The first call (and every resampleEvery-th) draws a new tokenizer from `sampleFrom`
   * when given — ZeTT's multilingual recipe draws each tokenizer from one language's text, so that sampled
   * tokenizers look like the language-specific targets — and otherwise from recent batches.
   */
  async trainStep(texts: string[], sampleFrom?: string[]): Promise<HypernetStepLog> {
    const t0 = performance.now();
    const o = this.options;
    const step = this.optimizer.state.step;
    this.remember(texts);
    if (!this.sampled || step % o.resampleEvery === 0) this.resample(step - (step % o.resampleEvery), sampleFrom ?? this.recentText);
    const { tokenizer, map } = this.sampled!;
    const rand = mulberry32(o.seed * 7919 + step);
    // Rows: [BOS, t1 … tT]; the BOS is the sampled tokenizer's copy of the model's start token.
    const bos = this.bosSource === null ? null : tokenizer.tokenToId(this.source.idToToken(this.bosSource)!) ?? null;
    const rows: number[][] = [];
    for (const text of texts.slice(0, o.batch)) {
      const ids = tokenizer.encodeIds(text, { addSpecialTokens: false });
      const need = bos === null ? o.seqLen + 1 : o.seqLen;
      if (ids.length < need) throw new Error(`hypernet training: a text gave ${ids.length} tokens, need ${need} (give longer texts)`);
      rows.push(bos === null ? ids.slice(0, need) : [bos, ...ids.slice(0, need)]);
    }
    // The token set: every token of the batch, then random other tokens of the sampled vocabulary as negatives.
    const local = new Map<number, number>();
    for (const row of rows) for (const id of row) if (!local.has(id)) local.set(id, local.size);
    const unique = local.size;
    if (unique > o.tokenSet) throw new Error(`hypernet training: ${unique} distinct tokens exceed the token set of ${o.tokenSet}`);
    const vocab = tokenizer.vocabSize(true);
    // (A token set as large as the vocabulary is the full softmax: every token, none drawn twice.)
    const U = Math.min(o.tokenSet, vocab);
    if (U === vocab) for (let id = 0; id < vocab; id++) if (!local.has(id)) local.set(id, local.size);
    while (local.size < U) {
      const id = Math.floor(rand() * vocab);
      if (!local.has(id)) local.set(id, local.size);
    }
    const tokens = [...local.keys()];
    const w = this.sourceView.rowWidth;
    const batch = pieceBatch(this.net.config, this.sourceView, tokens.map((t) => map.pieces[t] ?? []), U);
    const keep = new Float32Array(U);
    const auxMask = new Float32Array(U);
    const trueRows = new Float32Array(U * w);
    tokens.forEach((t, u) => {
      const s = map.shared[t]!;
      if (s < 0) return;
      trueRows.set(this.sourceView.row(s), u * w);
      if (map.specials.has(t) || o.keepShared) keep[u] = 1;
      else auxMask[u] = 1;
    });
    const B = rows.length;
    const T = rows[0]!.length - 1;
    const inputs = new Int32Array(B * T);
    const targets = new Int32Array(B * T);
    rows.forEach((row, b) => {
      for (let i = 0; i < T; i++) {
        inputs[b * T + i] = local.get(row[i]!)!;
        targets[b * T + i] = local.get(row[i + 1]!)!;
      }
    });
    const arrays: HypernetStepArrays = { U, B, T, pieces: batch.pieces, mask: batch.mask, base: batch.base, keep, trueRows, auxMask, inputs, targets };
    const { loss: value, grads: g } = await this.lossAndGradients(arrays);
    if (!Number.isFinite(value)) throw new Error(`hypernet step ${step}: loss is ${value}`);
    const { norm: gradNorm, scale } = clippingScale(g, o.clipNorm);
    const lr = this.schedule(step);
    this.optimizer.update(this.net.arrays, g, lr, this.net.shapes, scale);
    return { step, loss: value, gradNorm, lr, tokens: B * T, uniqueTokens: unique, spelling: this.sampled!.spelling, seconds: (performance.now() - t0) / 1000 };
  }

  /** The loss of one step's data and its gradient for every weight of the network (by options.gemm when given). */
  lossAndGradients(d: HypernetStepArrays): Promise<{ loss: number; grads: Arrays }> {
    return this.options.gemm ? this.cpuStep(d) : this.tensorStep(d);
  }

  /** The step's loss and gradients through the tensor backend (a jit-compiled valueAndGrad of stepLoss). */
  private async tensorStep(d: HypernetStepArrays): Promise<{ loss: number; grads: Arrays }> {
    const P = this.net.config.maxPieces;
    const w = this.sourceView.rowWidth;
    const hp: Params = {};
    for (const name of Object.keys(this.net.arrays).sort()) hp[name] = fromFloat32(this.net.arrays[name]!, this.net.shapes[name]!);
    const data: StepData = {
      pieces: fromFloat32(d.pieces, [d.U, P, w]),
      mask: fromFloat32(d.mask, [d.U, P]),
      baseRows: fromFloat32(d.base, [d.U, w]),
      keep: fromFloat32(d.keep, [d.U, 1]),
      trueRows: fromFloat32(d.trueRows, [d.U, w]),
      auxMask: fromFloat32(d.auxMask, [d.U, 1]),
      inputs: fromInt32(d.inputs, [d.B, d.T]),
      targets: fromInt32(d.targets, [d.B, d.T]),
    };
    const [loss, grads] = this.step(hp, tree.ref(this.rescalers), tree.ref(this.baseParams), data);
    const value = (await toFloat32(loss))[0]!;
    const g: Arrays = {};
    for (const name of Object.keys(grads).sort()) g[name] = await toFloat32(grads[name]!);
    return { loss: value, grads: g };
  }

  /** The same through the hand-written CPU step (its gradients live in a workspace until the next step). */
  private async cpuStep(d: HypernetStepArrays): Promise<{ loss: number; grads: Arrays }> {
    const config = this.model.config;
    if (config.arch !== "llama") throw new Error("unreachable: checked in the constructor");
    const weights = await cpuWeights(this.baseParams);
    return hypernetLossAndGradientsCpu(this.net, config, weights, this.options.auxWeight, d, this.options.gemm!, this.cpuWorkspace);
  }
}
