// Tokenizer metrics of the literature, over one text at a time; aggregate.ts pools them and adds the metrics that
// compare texts (parity premium) or tokenizers (normalised sequence length). Formulas: docs/metrics.md.

import { utf8Length } from "../util/utf8.js";

export interface MeasurableTokenizer {
  /** `offsetSpans` (flat [start, end, …]) is read where given, `offsets` otherwise. */
  encode(text: string, options?: { addSpecialTokens?: boolean }): { ids: ArrayLike<number>; offsets: [number, number][]; offsetSpans?: ArrayLike<number> };
  /** Ids alone, where only counts are needed (faster than encode); `encode(...).ids` when absent. */
  encodeIds?(text: string, options?: { addSpecialTokens?: boolean }): ArrayLike<number>;
  vocabSize(withAddedTokens?: boolean): number;
}

/** The ids of `text` without special tokens, by the cheapest call the tokenizer has. */
export function idsOf(tokenizer: MeasurableTokenizer, text: string): ArrayLike<number> {
  return tokenizer.encodeIds ? tokenizer.encodeIds(text, { addSpecialTokens: false }) : tokenizer.encode(text, { addSpecialTokens: false }).ids;
}

/** How often each id occurs. */
export function idCounts(ids: ArrayLike<number>): Map<number, number> {
  const counts = new Map<number, number>();
  for (let i = 0; i < ids.length; i++) counts.set(ids[i]!, (counts.get(ids[i]!) ?? 0) + 1);
  return counts;
}

/** Raw counts of one tokenizer on one text: everything the metrics are computed from. */
export interface TextCounts {
  bytes: number;
  chars: number;
  words: number;
  tokens: number;
  /** Words covered by two or more tokens. */
  continuedWords: number;
  /** How often each token id occurs. */
  tokenCounts: Map<number, number>;
}

export interface TextMetrics {
  bytes: number;
  chars: number;
  words: number;
  tokens: number;
  bytesPerToken: number;
  charsPerToken: number;
  /** Tokens per word (Intl.Segmenter words). */
  fertility: number;
  /** Share of words split into two or more tokens. */
  continuedWordShare: number;
  /** Rényi entropy of the unigram token distribution over log |V| (Zouhar et al. 2023). */
  renyiEfficiency: number;
  /** The same with α = 1 (Shannon). */
  shannonEfficiency: number;
  /** Distinct token ids used over |V|. */
  vocabularyUtilisation: number;
}

export interface EfficiencyOptions {
  /** Rényi order; 2.5 is Zouhar et al.'s recommendation. */
  alpha?: number;
  /** |V| for the normaliser log|V|: the tokenizer's full vocabulary (default) or only the types seen. */
  vocabularyConvention?: "full" | "observed";
}

export function codePointLength(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) i++;
    n++;
  }
  return n;
}

/** FLORES-200 codes (`deu_Latn`) and plain codes (`de`) to a BCP 47 locale for Intl.Segmenter. */
export function localeFor(name: string): string | undefined {
  const code = name.split(/[_.-]/)[0]?.toLowerCase() ?? "";
  const iso3: Record<string, string> = {
    amh: "am", arb: "ar", ben: "bn", bod: "bo", bul: "bg", ces: "cs", deu: "de", ell: "el", eng: "en", est: "et",
    eus: "eu", fin: "fi", fra: "fr", heb: "he", hin: "hi", hun: "hu", hye: "hy", ind: "id", ita: "it", jpn: "ja",
    kat: "ka", khm: "km", kor: "ko", mya: "my", nld: "nl", pes: "fa", pol: "pl", por: "pt", rus: "ru", shn: "shn",
    spa: "es", swh: "sw", tam: "ta", tel: "te", tha: "th", tur: "tr", ukr: "uk", urd: "ur", vie: "vi", yor: "yo",
    zho: "zh",
  };
  if (iso3[code]) return iso3[code];
  return /^[a-z]{2,3}$/.test(code) ? code : undefined;
}

/** Word spans [start, end) in UTF-16 units, by Intl.Segmenter (dictionary-based for scripts without spaces). The
 * text is segmented in chunks cut at whitespace: the cost of segmenting a chunk grows faster than its length (1024
 * units take 35% less time per unit than 4096 and give the same spans on all of FLORES-200). */
export function wordSpans(text: string, locale?: string, chunk = 1024): [number, number][] {
  const segmenter = new Intl.Segmenter(locale, { granularity: "word" });
  const spans: [number, number][] = [];
  for (let start = 0; start < text.length; ) {
    let end = Math.min(text.length, start + chunk);
    if (end < text.length) {
      const cut = text.slice(start, end).search(/\s\S*$/);
      if (cut > 0) end = start + cut + 1;
      else if ((text.charCodeAt(end) & 0xfc00) === 0xdc00) end--; // never cut a surrogate pair
    }
    for (const seg of segmenter.segment(text.slice(start, end))) {
      if (seg.isWordLike) spans.push([start + seg.index, start + seg.index + seg.segment.length]);
    }
    start = end;
  }
  return spans;
}

/** Counts one tokenizer on one text (no special tokens). `words`: the text's word spans, when several tokenizers are
 * counted on it (segmenting words costs as much as encoding). */
export function countText(tokenizer: MeasurableTokenizer, text: string, locale?: string, words: readonly (readonly [number, number])[] = wordSpans(text, locale)): TextCounts {
  const enc = tokenizer.encode(text, { addSpecialTokens: false });
  const tokenCounts = idCounts(enc.ids);
  // Both lists are sorted by start: one sweep counts the tokens overlapping each word.
  let continued = 0;
  let t = 0;
  const spans = enc.offsetSpans ?? enc.offsets.flat();
  const n = enc.ids.length;
  for (const [ws, we] of words) {
    while (t < n && spans[2 * t + 1]! <= ws) t++;
    let covering = 0;
    for (let k = t; k < n && spans[2 * k]! < we; k++) if (spans[2 * k + 1]! > ws) covering++;
    if (covering >= 2) continued++;
  }
  return {
    bytes: utf8Length(text),
    chars: codePointLength(text),
    words: words.length,
    tokens: enc.ids.length,
    continuedWords: continued,
    tokenCounts,
  };
}

/** Adds b's counts into a, in place (pooling several texts: a copy per text would copy the pool's map each time);
 * returns a. */
export function addCounts(a: TextCounts, b: TextCounts): TextCounts {
  const tokenCounts = a.tokenCounts;
  for (const [id, n] of b.tokenCounts) tokenCounts.set(id, (tokenCounts.get(id) ?? 0) + n);
  a.bytes += b.bytes;
  a.chars += b.chars;
  a.words += b.words;
  a.tokens += b.tokens;
  a.continuedWords += b.continuedWords;
  return a;
}

export function emptyCounts(): TextCounts {
  return { bytes: 0, chars: 0, words: 0, tokens: 0, continuedWords: 0, tokenCounts: new Map() };
}

/**
 * Rényi entropy (natural log) of a unigram distribution: H_α = log(Σ p^α) / (1 − α); α = 1 is Shannon's entropy.
 */
export function renyiEntropy(counts: Iterable<number>, alpha: number): number {
  const values = [...counts].filter((c) => c > 0);
  const total = values.reduce((s, c) => s + c, 0);
  if (total === 0) return 0;
  if (Math.abs(alpha - 1) < 1e-12) {
    let h = 0;
    for (const c of values) {
      const p = c / total;
      h -= p * Math.log(p);
    }
    return h;
  }
  let s = 0;
  for (const c of values) s += Math.pow(c / total, alpha);
  return Math.log(s) / (1 - alpha);
}

/** Efficiency: H_α(p) / log |V| (Zouhar et al. 2023), with |V| per the convention. */
export function efficiency(counts: Map<number, number>, vocabSize: number, options: EfficiencyOptions = {}): number {
  const alpha = options.alpha ?? 2.5;
  const v = options.vocabularyConvention === "observed" ? counts.size : vocabSize;
  if (v <= 1) return 0;
  return renyiEntropy(counts.values(), alpha) / Math.log(v);
}

export function metricsFromCounts(c: TextCounts, vocabSize: number, options: EfficiencyOptions = {}): TextMetrics {
  const div = (a: number, b: number) => (b === 0 ? 0 : a / b);
  return {
    bytes: c.bytes,
    chars: c.chars,
    words: c.words,
    tokens: c.tokens,
    bytesPerToken: div(c.bytes, c.tokens),
    charsPerToken: div(c.chars, c.tokens),
    fertility: div(c.tokens, c.words),
    continuedWordShare: div(c.continuedWords, c.words),
    renyiEfficiency: efficiency(c.tokenCounts, vocabSize, options),
    shannonEfficiency: efficiency(c.tokenCounts, vocabSize, { ...options, alpha: 1 }),
    vocabularyUtilisation: div(c.tokenCounts.size, vocabSize),
  };
}

/**
 * Unigram cross-entropy in bits per byte (Rajaraman et al.): a token unigram model fitted on one text with add-one
 * smoothing over the vocabulary, measured on another.
 */
export function unigramBitsPerByte(fit: Map<number, number>, measureIds: ArrayLike<number>, measureBytes: number, vocabSize: number): number {
  let total = 0;
  for (const n of fit.values()) total += n;
  const denom = total + vocabSize;
  let bits = 0;
  for (let i = 0; i < measureIds.length; i++) bits -= Math.log2(((fit.get(measureIds[i]!) ?? 0) + 1) / denom);
  return measureBytes === 0 ? 0 : bits / measureBytes;
}
