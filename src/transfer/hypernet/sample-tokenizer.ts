// ZeTT's tokenizer sampling: at every training step the hypernetwork sees a fresh UnigramLM tokenizer, built from
// the substring counts of recent text with log-normal noise on the counts, so it learns to embed vocabularies it has
// never seen. Pieces are spelled in the source tokenizer's alphabet (GPT-2's byte alphabet for a byte-level source;
// the characters seen plus <0xNN> byte fallback for a SentencePiece-style one) and the source's pre-tokenizer and
// decoder are kept, so the sampled tokenizer reads and writes text exactly like the source.

import type { JsonObject } from "../../tokenize/types.js";
import { gaussian, mulberry32 } from "../../util/random.js";
import { byteFallbackToken } from "../../tokenize/decoders/byte-fallback.js";
import { WordCounter } from "../../train/corpus.js";
import { planFor, trainFromCounts } from "../../train/train.js";

export interface SampleTokenizerOptions {
  /** Pieces in the sampled vocabulary, base alphabet included (ZeTT: 32,768). */
  vocabSize: number;
  /** Standard deviation of the noise added to log counts (log-normal noise on counts). */
  noiseStd?: number;
  /** Longest piece, in alphabet characters. */
  maxPieceLength?: number;
  seed?: number;
  /** For a character-level source with byte fallback (SentencePiece style): add the 256 `<0xNN>` pieces and the
   * unknown piece, so a character missing from `alphabet` is spelled in bytes as the source spells it. */
  byteFallback?: { unkToken: string };
}

/** Counts every substring (up to maxLen characters) of the pre-tokens, weighted by their counts. */
export function substringCounts(preTokens: Map<string, number>, maxLen: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (const [word, n] of preTokens) {
    const chars = Array.from(word);
    for (let i = 0; i < chars.length; i++) {
      let s = "";
      for (let j = i; j < Math.min(chars.length, i + maxLen); j++) {
        s += chars[j]!;
        counts.set(s, (counts.get(s) ?? 0) + n);
      }
    }
  }
  return counts;
}

/**
 * Samples a Unigram tokenizer.json: the `alphabet` (every base character, so any text stays encodable) plus the
 * substrings with the highest noisy log counts, scored by their noisy log-probability.
 */
export function sampleUnigramTokenizer(
  preTokens: Map<string, number>,
  alphabet: string[],
  template: { normalizer?: JsonObject | null; pre_tokenizer?: JsonObject | null; decoder?: JsonObject | null; added_tokens?: JsonObject[] },
  options: SampleTokenizerOptions,
): JsonObject {
  const maxLen = options.maxPieceLength ?? 16;
  const noise = gaussian(mulberry32(options.seed ?? 0));
  const std = options.noiseStd ?? 1;
  const counts = substringCounts(preTokens, maxLen);
  const base = new Set(alphabet);
  const scored: [string, number][] = [];
  for (const [piece, n] of counts) if (!base.has(piece)) scored.push([piece, Math.log(n) + std * noise()]);
  scored.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const keep = scored.slice(0, Math.max(0, options.vocabSize - alphabet.length));
  let z = 0;
  for (const [, s] of keep) z += Math.exp(s);
  for (const c of alphabet) z += counts.get(c) ?? 1;
  const logZ = Math.log(z);
  // Base characters score below every sampled piece, as rare but always available fallbacks.
  const minScore = keep.length ? keep[keep.length - 1]![1] - logZ : -logZ;
  const vocab: [string, number][] = [];
  const special = template.added_tokens ?? [];
  for (const t of special) vocab.push([String(t.content), 0]);
  for (const c of alphabet) vocab.push([c, Math.min(Math.log(counts.get(c) ?? 1) - logZ, minScore - 1)]);
  for (const [piece, s] of keep) vocab.push([piece, s - logZ]);
  let unkId: number | null = null;
  if (options.byteFallback) {
    const unk = options.byteFallback.unkToken;
    unkId = special.findIndex((t) => t.content === unk);
    if (unkId < 0) {
      unkId = vocab.length;
      vocab.push([unk, minScore - 2]);
    }
    // Byte pieces are reached through the unknown piece only (Viterbi never picks them), as in the source.
    const present = new Set(vocab.map(([p]) => p));
    for (let b = 0; b < 256; b++) if (!present.has(byteFallbackToken(b))) vocab.push([byteFallbackToken(b), minScore - 2]);
  }
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: special.map((t, i) => ({ ...t, id: i })),
    normalizer: template.normalizer ?? null,
    pre_tokenizer: template.pre_tokenizer ?? null,
    post_processor: null,
    decoder: template.decoder ?? null,
    model: { type: "Unigram", unk_id: unkId, vocab, byte_fallback: options.byteFallback !== undefined },
  };
}

/** The model of the sampled tokenizers (HypernetTrainOptions.sampleModel). */
export const SAMPLE_MODELS = ["unigram", "bpe"] as const;
export type SampleModel = (typeof SAMPLE_MODELS)[number];

/** Checks a sample model name from the command line or a config; `what` names it in the error. */
export function parseSampleModel(value: string, what: string): SampleModel {
  if (!(SAMPLE_MODELS as readonly string[]).includes(value)) throw new Error(`${what} ${JSON.stringify(value)}: expected one of ${SAMPLE_MODELS.join(", ")}`);
  return value as SampleModel;
}

/**
 * A byte-level BPE tokenizer.json of `vocabSize` tokens trained on `texts` (this project's trainer, the Llama 3 split
 * pattern, as the transfer targets were made), with the template's added tokens first as specials. Its variety from
 * window to window is the text's: each window's text is drawn anew.
 */
export function sampleBpeTokenizer(texts: string[], template: { added_tokens?: JsonObject[] }, vocabSize: number): JsonObject {
  const options = { model: "bpe" as const, vocabSize, pattern: "llama3", specialTokens: (template.added_tokens ?? []).map((t) => String(t.content)) };
  const counter = new WordCounter(planFor(options));
  for (const text of texts) counter.addText(text);
  return trainFromCounts(counter, options);
}

/**
 * Whose spelling the sampled tokenizers use. "source": the source tokenizer's (above). "byte-level": GPT-2's byte
 * alphabet, ByteLevel pre-tokenizer and decoder, whatever the source is — the spelling of most released tokenizers
 * (GPT-2, Llama 3, the byte-level BPE targets), which a character-level source (Metaspace + byte fallback) never
 * meets when it samples only in its own spelling. "mixed": the two alternate by resampling window.
 */
export const SAMPLE_TEMPLATES = ["source", "byte-level", "mixed"] as const;
export type SampleTemplate = (typeof SAMPLE_TEMPLATES)[number];
export type SampleSpelling = "source" | "byte-level";

/** Checks a template name from the command line or a config; `what` names it in the error. */
export function parseSampleTemplate(value: string, what: string): SampleTemplate {
  if (!(SAMPLE_TEMPLATES as readonly string[]).includes(value)) throw new Error(`${what} ${JSON.stringify(value)}: expected one of ${SAMPLE_TEMPLATES.join(", ")}`);
  return value as SampleTemplate;
}

/** The spelling of resampling window `window` (0, 1, …): mixed takes the source's in even windows, bytes in odd ones,
 * so a resumed run draws the same spellings and every stretch of training sees both. */
export function windowSpelling(template: SampleTemplate, window: number): SampleSpelling {
  if (template !== "mixed") return template;
  return window % 2 === 0 ? "source" : "byte-level";
}

/** GPT-2's pre-tokenizer and decoder (no normalizer), keeping the source's added tokens so its specials survive. */
export function byteLevelTemplate(addedTokens: JsonObject[]): { normalizer: null; pre_tokenizer: JsonObject; decoder: JsonObject; added_tokens: JsonObject[] } {
  return {
    normalizer: null,
    pre_tokenizer: { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true },
    decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
    added_tokens: addedTokens,
  };
}
