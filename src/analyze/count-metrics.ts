// Metrics over pre-token counts (count files) instead of texts: each distinct pre-token is encoded once and weighted
// by its count. Exact for a tokenizer that pre-tokenizes as the counts were made (its tokens on the whole text are
// the concatenation of its tokens on each pre-token); the caller checks that. Words are the word-like pre-tokens
// (holding a letter or digit), not Intl.Segmenter's words as in compare over texts.

import type { MeasurableTokenizer } from "./metrics.js";
import { efficiency, renyiEntropy } from "./metrics.js";

export interface CountsMetrics {
  /** Text bytes the counts were made from. */
  bytes: number;
  tokens: number;
  /** Word-like pre-tokens (with a letter or digit). */
  words: number;
  bytesPerToken: number;
  /** Tokens per word-like pre-token. */
  fertility: number;
  /** Shannon entropy of the unigram token distribution, in bits. */
  unigramEntropyBits: number;
  renyiEfficiency: number;
  shannonEfficiency: number;
  vocabularyUtilisation: number;
}

const WORD_LIKE = /[\p{L}\p{N}]/u;

/** Measures a tokenizer on `counts` (pre-token → occurrences) drawn from `bytes` bytes of text. */
export function measureCounts(
  tokenizer: MeasurableTokenizer,
  counts: Iterable<[string, number]>,
  bytes: number,
  options: { alpha?: number } = {},
): CountsMetrics {
  const tokenCounts = new Map<number, number>();
  let tokens = 0;
  let words = 0;
  for (const [word, count] of counts) {
    const ids = tokenizer.encode(word, { addSpecialTokens: false }).ids;
    tokens += ids.length * count;
    for (let i = 0; i < ids.length; i++) tokenCounts.set(ids[i]!, (tokenCounts.get(ids[i]!) ?? 0) + count);
    if (WORD_LIKE.test(word)) words += count;
  }
  const vocab = tokenizer.vocabSize(true);
  const div = (a: number, b: number): number => (b === 0 ? 0 : a / b);
  return {
    bytes,
    tokens,
    words,
    bytesPerToken: div(bytes, tokens),
    fertility: div(tokens, words),
    unigramEntropyBits: renyiEntropy(tokenCounts.values(), 1) / Math.LN2,
    renyiEfficiency: efficiency(tokenCounts, vocab, { alpha: options.alpha ?? 2.5 }),
    shannonEfficiency: efficiency(tokenCounts, vocab, { alpha: 1 }),
    vocabularyUtilisation: div(tokenCounts.size, vocab),
  };
}
