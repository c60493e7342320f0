// Compares tokenizers on a corpus of named texts (one per language or domain): the numbers behind
// `retoken compare`, as one JSON-ready object.

import type { AuditableTokenizer, VocabularyAudit } from "./audit.js";
import { auditVocabulary } from "./audit.js";
import { Tokenizer } from "../tokenize/tokenizer.js";
import { canonicality } from "../decode/canonical.js";
import type { DigitLengthStats } from "./digits.js";
import { digitReport, type DigitTokenizer } from "./digits.js";
import type { EfficiencyOptions, MeasurableTokenizer, TextMetrics } from "./metrics.js";
import { addCounts, countText, emptyCounts, idCounts, idsOf, localeFor, metricsFromCounts, unigramBitsPerByte, wordSpans } from "./metrics.js";
import { utf8Length } from "../util/utf8.js";

export type ComparableTokenizer = DigitTokenizer & AuditableTokenizer;

export interface NamedTokenizer {
  name: string;
  tokenizer: ComparableTokenizer;
}

export interface CorpusText {
  name: string;
  text: string;
  /** Held-out split for unigram bits per byte: the model is fitted on `fit` and measured on `heldOut` (FLORES: dev and
   * devtest). Default: the first and second half of `text`'s lines (of its characters when it is one line). */
  fit?: string;
  heldOut?: string;
}

export interface CompareOptions extends EfficiencyOptions {
  /** Tokenizer whose sequence lengths normalise the others' (default: the first). */
  reference?: string;
  /** Text that parity premiums are relative to (default: the English one, e.g. eng_Latn, if present). */
  pivot?: string;
  audit?: boolean;
  digits?: boolean;
  onProgress?: (message: string) => void;
}

export interface TextResult extends TextMetrics {
  tokenizer: string;
  text: string;
  /** Tokens over the reference tokenizer's tokens on the same text. */
  normalisedSequenceLength: number;
  /** Tokens over the tokens of the pivot text (parallel corpora only; null without a pivot). */
  parityPremium: number | null;
  /** Unigram model fitted on the text's fit split, measured on its held-out split (null when that is empty). */
  unigramBitsPerByte: number | null;
}

export interface TokenizerSummary extends TextMetrics {
  tokenizer: string;
  vocabSize: number;
  /** Mean of the texts' unigram bits per byte (null when no text has a held-out split). */
  meanUnigramBitsPerByte: number | null;
  /** Mean of the parity premiums over the non-pivot texts. */
  meanParityPremium: number | null;
  maxParityPremium: number | null;
  audit?: VocabularyAudit["counts"];
  /** With the audit: tokens no text produces at all (retoken/decode's canonicality — merges, pre-tokenizer, and
   * byte-fallback pieces no UTF-8 text needs, which the audit counts as undecodable); null for a tokenizer that is not
   * a retoken Tokenizer. */
  unreachable?: number | null;
  digits?: DigitLengthStats[];
}

export interface CompareReport {
  tokenizers: string[];
  texts: string[];
  reference: string;
  pivot: string | null;
  alpha: number;
  results: TextResult[];
  summaries: TokenizerSummary[];
}

const ENGLISH = /^(eng|en)([_.-]|$)/i;

/** The text a unigram model is fitted on and the text it is measured on. */
export function unigramSplit(t: CorpusText): [fit: string, heldOut: string] {
  if (t.fit !== undefined || t.heldOut !== undefined) {
    if (t.fit === undefined || t.heldOut === undefined) throw new Error(`compare: corpus text "${t.name}" gives only one of fit and heldOut`);
    return [t.fit, t.heldOut];
  }
  const lines = t.text.replace(/\n+$/, "").split("\n");
  if (lines.length > 1) {
    const mid = Math.ceil(lines.length / 2);
    return [lines.slice(0, mid).join("\n"), lines.slice(mid).join("\n")];
  }
  // One line (a text joined into one, as Petrov et al.'s FLORES preparation is): halves of its code points.
  const chars = [...t.text];
  const mid = Math.ceil(chars.length / 2);
  return [chars.slice(0, mid).join(""), chars.slice(mid).join("")];
}

const mean = (xs: number[]): number | null => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

export function compareTokenizers(tokenizers: NamedTokenizer[], corpus: CorpusText[], options: CompareOptions = {}): CompareReport {
  if (tokenizers.length === 0) throw new Error("compare: no tokenizer given");
  if (corpus.length === 0) throw new Error("compare: the corpus has no text");
  for (const t of corpus) if (t.text.length === 0) throw new Error(`compare: corpus text "${t.name}" is empty`);
  const reference = options.reference ?? tokenizers[0]!.name;
  if (!tokenizers.some((t) => t.name === reference)) throw new Error(`compare: reference tokenizer "${reference}" is not among the tokenizers`);
  const pivot = options.pivot ?? corpus.find((t) => ENGLISH.test(t.name))?.name ?? null;
  if (options.pivot && !corpus.some((t) => t.name === options.pivot)) throw new Error(`compare: pivot text "${options.pivot}" is not in the corpus`);
  const alpha = options.alpha ?? 2.5;
  if (!(alpha > 0)) throw new Error(`compare: alpha must be a positive number, got ${alpha}`);
  const results: TextResult[] = [];
  const summaries: TokenizerSummary[] = [];
  const tokensOf = new Map<string, number>();
  const key = (tok: string, text: string) => `${tok}\u0000${text}`;
  const vocabs = tokenizers.map(({ tokenizer }) => tokenizer.vocabSize(true));
  const pooled = tokenizers.map(() => emptyCounts());
  const rows: TextResult[][] = tokenizers.map(() => []);
  // Text by text, so a text's word spans are segmented once for every tokenizer and dropped after it; the unigram
  // model needs only ids (encodeIds), the offsets of a full encode only for the words.
  for (const t of corpus) {
    const words = wordSpans(t.text, localeFor(t.name));
    const [fit, held] = unigramSplit(t);
    const heldBytes = utf8Length(held);
    tokenizers.forEach(({ name, tokenizer }, k) => {
      options.onProgress?.(`${name} on ${t.name}`);
      const counts = countText(tokenizer, t.text, undefined, words);
      addCounts(pooled[k]!, counts);
      tokensOf.set(key(name, t.name), counts.tokens);
      const unigram = heldBytes === 0 ? null : unigramBitsPerByte(idCounts(idsOf(tokenizer, fit)), idsOf(tokenizer, held), heldBytes, vocabs[k]!);
      rows[k]!.push({
        tokenizer: name,
        text: t.name,
        ...metricsFromCounts(counts, vocabs[k]!, { ...options, alpha }),
        normalisedSequenceLength: NaN,
        parityPremium: null,
        unigramBitsPerByte: unigram,
      });
    });
  }
  results.push(...rows.flat());
  tokenizers.forEach(({ name, tokenizer }, k) => {
    const vocab = vocabs[k]!;
    const summary: TokenizerSummary = {
      tokenizer: name,
      vocabSize: vocab,
      ...metricsFromCounts(pooled[k]!, vocab, { ...options, alpha }),
      meanUnigramBitsPerByte: mean(results.filter((r) => r.tokenizer === name && r.unigramBitsPerByte !== null).map((r) => r.unigramBitsPerByte!)),
      meanParityPremium: null,
      maxParityPremium: null,
    };
    if (options.audit !== false) {
      summary.audit = auditVocabulary(tokenizer).counts;
      summary.unreachable = tokenizer instanceof Tokenizer ? canonicality(tokenizer).unreachable().size : null;
    }
    if (options.digits !== false) summary.digits = digitReport(tokenizer);
    summaries.push(summary);
  });
  for (const r of results) {
    const ref = tokensOf.get(key(reference, r.text))!;
    r.normalisedSequenceLength = ref === 0 ? 0 : r.tokens / ref;
    if (pivot) {
      const p = tokensOf.get(key(r.tokenizer, pivot))!;
      r.parityPremium = p === 0 ? null : r.tokens / p;
    }
  }
  for (const s of summaries) {
    const premiums = results.filter((r) => r.tokenizer === s.tokenizer && r.text !== pivot && r.parityPremium !== null).map((r) => r.parityPremium!);
    if (premiums.length) {
      s.meanParityPremium = premiums.reduce((a, b) => a + b, 0) / premiums.length;
      s.maxParityPremium = Math.max(...premiums);
    }
  }
  return { tokenizers: tokenizers.map((t) => t.name), texts: corpus.map((t) => t.name), reference, pivot, alpha, results, summaries };
}

/** A plain-text table: one row per text, tokens and parity premium per tokenizer. */
export function formatCompareTable(report: CompareReport): string {
  const header = ["text", ...report.tokenizers.flatMap((t) => [`${t} tokens`, `${t} B/tok`, ...(report.pivot ? [`${t} premium`] : []), `${t} uni bits/B`])];
  const rows: string[][] = [header];
  for (const text of report.texts) {
    const row = [text];
    for (const tok of report.tokenizers) {
      const r = report.results.find((x) => x.tokenizer === tok && x.text === text)!;
      row.push(String(r.tokens), r.bytesPerToken.toFixed(2));
      if (report.pivot) row.push(r.parityPremium === null ? "-" : r.parityPremium.toFixed(2));
      row.push(r.unigramBitsPerByte === null ? "-" : r.unigramBitsPerByte.toFixed(3));
    }
    rows.push(row);
  }
  const widths = header.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: string[]) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  ");
  const out = [line(rows[0]!), widths.map((w) => "-".repeat(w)).join("  "), ...rows.slice(1).map(line)];
  out.push("");
  for (const s of report.summaries) {
    const parts = [
      `${s.tokenizer}: |V| ${s.vocabSize}`,
      `bytes/token ${s.bytesPerToken.toFixed(3)}`,
      `fertility ${s.fertility.toFixed(3)}`,
      `Rényi eff. (α=${report.alpha}) ${s.renyiEfficiency.toFixed(3)}`,
      `utilisation ${(100 * s.vocabularyUtilisation).toFixed(1)}%`,
    ];
    if (s.meanUnigramBitsPerByte !== null) parts.push(`unigram bits/byte ${s.meanUnigramBitsPerByte.toFixed(3)}`);
    if (s.meanParityPremium !== null) parts.push(`mean premium ${s.meanParityPremium.toFixed(2)} (max ${s.maxParityPremium!.toFixed(2)})`);
    if (s.audit) parts.push(`audit ${Object.entries(s.audit).map(([k, v]) => `${k} ${v}`).join(", ")}${s.unreachable != null ? `, produced by no text ${s.unreachable}` : ""}`);
    out.push(parts.join(" · "));
  }
  return out.join("\n");
}
