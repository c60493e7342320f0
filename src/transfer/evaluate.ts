// Transfer evaluation: bits per byte and sequence length of the original model (its own tokenizer) and of the model
// transferred to each target tokenizer by each method, on held-out text per language. Bits per byte is comparable
// across tokenizers (the text's bytes are fixed), so the table reads directly: lower is better, and the original
// model is the bar that a zero-shot method tries to reach.
import { toFloat32, fromFloat32 } from "../tensor/backend.js";
import type { ModelConfig } from "../lm/config.js";
import { embeddingNames, embeddingView, type Params } from "../lm/model.js";
import { bitsPerByte } from "../lm/bpb.js";
import { EmbeddingView } from "./embedding-view.js";
import { buildVocabularyMap, type TransferTokenizer, type VocabularyMap } from "./vocabulary-map.js";
import { transferEmbeddings, type MethodInputs, type TransferMethod } from "./methods.js";
import { bootstrapInterval } from "../analyze/bootstrap.js";
import type { ChartSpec } from "../analyze/charts.js";
import { alignSpecialTokens, namedSpecialIds, pinSpecialTokens, type SpecialTokenTokenizer } from "./special-tokens.js";

export interface EvalTokenizer extends TransferTokenizer, SpecialTokenTokenizer {
  encode(text: string, options?: { addSpecialTokens?: boolean }): { ids: ArrayLike<number>; offsets?: [number, number][] };
  idToToken(id: number): string | undefined;
}

export interface Model {
  config: ModelConfig;
  params: Params;
}

/** The model's embeddings as a plain [V, S, d] view (copies; params are borrowed). */
export async function modelEmbeddings(model: Model): Promise<EmbeddingView> {
  const t = embeddingView(model.config, model.params);
  const [v, s, d] = t.shape as [number, number, number];
  return new EmbeddingView(v, s as 1 | 2, d, await toFloat32(t));
}

/**
 * Target ids of the model's special ids (config.json's *_token_id fields), matched by content; with `addMissing`,
 * tokens the target lacks are appended to it as special tokens, otherwise a missing one is an error naming it.
 */
export function mapSpecialIds(
  config: ModelConfig,
  source: EvalTokenizer,
  target: EvalTokenizer,
  where: string,
  addMissing = false,
): { bos: number | null; eos: number | number[] | null; remap: Map<number, number> } {
  const named = namedSpecialIds([{ file: "config.json", json: config.raw }], source);
  const { remap } = alignSpecialTokens(named, target, { addMissing, targetName: where });
  const eos = config.eosTokenId;
  return {
    bos: config.bosTokenId === null ? null : remap.get(config.bosTokenId)!,
    eos: eos === null ? null : Array.isArray(eos) ? eos.map((e) => remap.get(e)!) : remap.get(eos)!,
    remap,
  };
}

/** The model with its embeddings (and untied head) replaced by a target view: same weights otherwise (borrowed). */
export function withEmbeddings(model: Model, view: EmbeddingView, specials: { bos: number | null; eos: number | number[] | null }): Model {
  // (the returned params share every tensor but the embeddings with `model`)
  const { input, output } = embeddingNames(model.config, model.params);
  const params: Params = { ...model.params };
  params[input] = fromFloat32(view.matrix(0), [view.vocab, view.dim]);
  if (output !== input) params[output] = fromFloat32(view.matrix(1), [view.vocab, view.dim]);
  const config = { ...model.config, vocabSize: view.vocab, bosTokenId: specials.bos, eosTokenId: specials.eos } as ModelConfig;
  return { config, params };
}

export interface EvalTarget {
  name: string;
  tokenizer: EvalTokenizer;
  /** Languages this target is evaluated on (null: every text). */
  languages: string[] | null;
  /** Append the model's special tokens that the target lacks (otherwise a missing one is an error). */
  addMissingSpecials?: boolean;
  /** Extra inputs per method (donor, auxiliary space, hypernetwork predictions), made lazily. */
  inputs?: (method: TransferMethod, map: VocabularyMap) => Promise<MethodInputs> | MethodInputs;
}

export interface EvalRow {
  language: string;
  target: string;
  method: TransferMethod | "original";
  bitsPerByte: number;
  tokens: number;
  bytes: number;
  /** Tokens relative to the original tokenizer on the same text. */
  lengthRatio: number;
  /** 95% bootstrap interval of bits per byte over the text's lines (null: one line, or no token offsets). */
  interval: [number, number] | null;
}

export interface TransferEvalReport {
  model: string;
  languages: string[];
  targets: string[];
  methods: TransferMethod[];
  rows: EvalRow[];
  /** Per target and method: how many rows each strategy filled. */
  fills: Record<string, Record<string, Record<string, number>>>;
}

export interface EvalOptions {
  window?: number;
  stride?: number;
  onProgress?: (done: number, total: number, what: string) => void;
}

/**
 * Bits per byte resampled over lines: each token's bits go to the line its first character is on, each line keeps
 * its UTF-8 bytes (with its newline), and the statistic is Σ bits / Σ bytes of a resample.
 */
export function lineInterval(text: string, offsets: [number, number][], tokenNll: Float64Array): [number, number] | null {
  const starts: number[] = [0];
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) if (i + 1 < text.length) starts.push(i + 1);
  if (starts.length < 2 || offsets.length !== tokenNll.length) return null;
  const encoder = new TextEncoder();
  const lines = starts.map((s, i) => ({ bits: 0, bytes: encoder.encode(text.slice(s, starts[i + 1] ?? text.length)).length }));
  let line = 0;
  for (let t = 0; t < offsets.length; t++) {
    const at = offsets[t]![0];
    while (line + 1 < starts.length && starts[line + 1]! <= at) line++;
    lines[line]!.bits += tokenNll[t]! / Math.LN2;
  }
  const ci = bootstrapInterval(lines, (sample) => {
    let bits = 0;
    let bytes = 0;
    for (const l of sample) (bits += l.bits, bytes += l.bytes);
    return bits / bytes;
  });
  return ci ? [ci.lo, ci.hi] : null;
}

async function scoredRow(model: Model, tokenizer: EvalTokenizer, text: string, options: { window?: number; stride?: number }) {
  const r = await bitsPerByte(model, tokenizer, text, { ...options, perToken: true });
  const offsets = tokenizer.encode(text, { addSpecialTokens: false }).offsets;
  return { ...r, interval: offsets ? lineInterval(text, offsets, r.tokenNll!) : null };
}

const removeOwned = (model: Model, base: Model) => {
  for (const [k, t] of Object.entries(model.params)) if (base.params[k] !== t) t.dispose();
};

export async function evaluateTransfer(
  model: Model & { name: string },
  source: EvalTokenizer,
  targets: EvalTarget[],
  texts: { language: string; text: string }[],
  methods: TransferMethod[],
  options: EvalOptions = {},
): Promise<TransferEvalReport> {
  const rows: EvalRow[] = [];
  const fills: TransferEvalReport["fills"] = {};
  const sourceView = await modelEmbeddings(model);
  const bpbOptions = { window: options.window, stride: options.stride };
  const jobs = texts.length + targets.reduce((n, t) => n + methods.length * texts.filter((x) => !t.languages || t.languages.includes(x.language)).length, 0);
  let done = 0;
  const tick = (what: string) => options.onProgress?.(++done, jobs, what);
  const originalTokens = new Map<string, number>();
  for (const { language, text } of texts) {
    const r = await scoredRow(model, source, text, bpbOptions);
    originalTokens.set(language, r.tokens);
    rows.push({ language, target: "original", method: "original", bitsPerByte: r.bitsPerByte, tokens: r.tokens, bytes: r.bytes, lengthRatio: 1, interval: r.interval });
    tick(`original ${language}`);
  }
  for (const target of targets) {
    const specials = mapSpecialIds(model.config, source, target.tokenizer, target.name, target.addMissingSpecials);
    const map = buildVocabularyMap(source, target.tokenizer);
    pinSpecialTokens(map, specials.remap);
    fills[target.name] = {};
    for (const method of methods) {
      const inputs = target.inputs ? await target.inputs(method, map) : {};
      const result = transferEmbeddings(sourceView, map, method, inputs);
      fills[target.name]![method] = result.counts;
      const transferred = withEmbeddings(model, result.embeddings, specials);
      try {
        for (const { language, text } of texts) {
          if (target.languages && !target.languages.includes(language)) continue;
          const r = await scoredRow(transferred, target.tokenizer, text, bpbOptions);
          rows.push({ language, target: target.name, method, bitsPerByte: r.bitsPerByte, tokens: r.tokens, bytes: r.bytes, lengthRatio: r.tokens / originalTokens.get(language)!, interval: r.interval });
          tick(`${target.name} ${method} ${language}`);
        }
      } finally {
        removeOwned(transferred, model);
      }
    }
  }
  return { model: model.name, languages: texts.map((t) => t.language), targets: targets.map((t) => t.name), methods, rows, fills };
}

export interface MethodAverage {
  method: string;
  bitsPerByte: number;
  lengthRatio: number;
  pairs: number;
  /** 95% bootstrap interval of the mean: over pairs when there are several, over the lines of the one pair else. */
  interval: [number, number] | null;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

/** Mean over the evaluated (target, language) pairs of each method, and of the original on the same pairs. */
export function methodAverages(report: TransferEvalReport): MethodAverage[] {
  const original = new Map(report.rows.filter((r) => r.method === "original").map((r) => [r.language, r]));
  const pairs = report.rows.filter((r) => r.method === report.methods[0]);
  const average = (method: string, rs: EvalRow[]): MethodAverage => {
    const bpb = rs.map((r) => r.bitsPerByte);
    const ci = rs.length === 1 ? rs[0]!.interval : (b => (b ? [b.lo, b.hi] as [number, number] : null))(bootstrapInterval(bpb, mean));
    return { method, bitsPerByte: mean(bpb), lengthRatio: mean(rs.map((r) => r.lengthRatio)), pairs: rs.length, interval: ci };
  };
  return [average("original", pairs.map((r) => original.get(r.language)!)), ...report.methods.map((m) => average(m, report.rows.filter((r) => r.method === m)))];
}

/** Plain-text table: one row per (target, language), a column per method. */
export function formatTransferTable(report: TransferEvalReport): string {
  const original = new Map(report.rows.filter((r) => r.method === "original").map((r) => [r.language, r]));
  const header = ["target", "language", "original", ...report.methods, "length"];
  const lines: string[][] = [header];
  for (const target of report.targets) {
    for (const language of report.languages) {
      const rs = report.rows.filter((r) => r.target === target && r.language === language);
      if (rs.length === 0) continue;
      lines.push([
        target,
        language,
        original.get(language)!.bitsPerByte.toFixed(3),
        ...report.methods.map((m) => rs.find((r) => r.method === m)?.bitsPerByte.toFixed(3) ?? "—"),
        `${((rs[0]!.lengthRatio - 1) * 100).toFixed(1)}%`,
      ]);
    }
  }
  const avg = methodAverages(report);
  lines.push(["mean", "", avg[0]!.bitsPerByte.toFixed(3), ...avg.slice(1).map((a) => a.bitsPerByte.toFixed(3)), `${((avg[1]?.lengthRatio ?? 1) * 100 - 100).toFixed(1)}%`]);
  const widths = header.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  return lines.map((l) => l.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ")).join("\n") + "\n";
}

/** Charts for the HTML report: the mean per method with its interval, bits per byte per (target, language), lengths. */
export function transferCharts(report: TransferEvalReport): ChartSpec[] {
  const original = new Map(report.rows.filter((r) => r.method === "original").map((r) => [r.language, r]));
  const pairs = report.rows.filter((r) => r.method === report.methods[0]);
  const label = (r: { target: string; language: string }) => `${r.target} · ${r.language}`;
  const withInterval = (r: { interval: [number, number] | null }) => (r.interval ? { lo: r.interval[0], hi: r.interval[1] } : {});
  const avg = methodAverages(report);
  const perPair = pairs.flatMap((p) => [
    { label: label(p), series: "original", value: original.get(p.language)!.bitsPerByte, ...withInterval(original.get(p.language)!) },
    ...report.rows.filter((r) => r.method !== "original" && r.target === p.target && r.language === p.language).map((r) => ({ label: label(p), series: r.method, value: r.bitsPerByte, ...withInterval(r) })),
  ]);
  return [
    {
      id: "bpb-mean",
      title: "Mean bits per byte by method (lower is better)",
      axis: "bits / byte",
      mark: "dot",
      rows: avg.map((a) => ({ label: a.method, value: a.bitsPerByte, ...withInterval(a) })),
      sort: "ascending",
      caption: pairs.length > 1 ? `Lines: 95% bootstrap interval over the ${pairs.length} (target, language) pairs.` : "Lines: 95% bootstrap interval over the lines of the text (1,000 resamples).",
    },
    { id: "bpb", title: "Bits per byte per target tokenizer and language", axis: "bits / byte", mark: "dot", rows: perPair, sort: "ascending", caption: "Lines: 95% bootstrap interval over the lines of each text." },
    { id: "length", title: "Sequence length relative to the model's own tokenizer", axis: "tokens / original tokens", mark: "bar", rows: pairs.map((r) => ({ label: label(r), value: r.lengthRatio })), sort: "descending" },
  ];
}
