// One entry point for every trainer: options validated once here, then a pure function per model type.

import type { JsonObject } from "../tokenize/types.js";
import { TokenizerError } from "../tokenize/types.js";
import { planPreTokenizer, type DigitMode, type PreTokenizerKind, type PreTokenizerPlan } from "./pretokenize.js";
import { countSource, WordCounter, type TextSource } from "./corpus.js";
import { trainBpe, type BpeTrainOptions } from "./bpe.js";
import { trainWordPiece } from "./wordpiece.js";
import { trainUnigram, type UnigramTrainOptions } from "./unigram.js";
import { padVocabToPowerOfTwo } from "./tokenizer-json.js";

export type TrainModel = "bpe" | "char-bpe" | "wordpiece" | "unigram";

/** Every trainer's options (BPE's, plus Unigram's extras), the pre-tokenizer setup, and post-training edits. */
export interface TrainOptions extends BpeTrainOptions, Omit<UnigramTrainOptions, keyof BpeTrainOptions> {
  model: TrainModel;
  /** Pre-tokenizer; defaults: bpe → byte-level, char-bpe/unigram → metaspace, wordpiece → bert. */
  preTokenizer?: PreTokenizerKind;
  /** Byte-level regex: "gpt2" (default), "llama3" or a custom pattern. */
  pattern?: string;
  digits?: DigitMode;
  nfkc?: boolean;
  lowercase?: boolean;
  preSegment?: (word: string) => string[];
  padToPowerOfTwo?: boolean;
}

export function defaultPreTokenizer(model: TrainModel): PreTokenizerKind {
  return model === "bpe" ? "byte-level" : model === "wordpiece" ? "bert" : "metaspace";
}

export function planFor(options: TrainOptions): PreTokenizerPlan {
  return planPreTokenizer({
    kind: options.preTokenizer ?? defaultPreTokenizer(options.model),
    pattern: options.pattern,
    digits: options.digits,
    nfkc: options.nfkc,
    lowercase: options.lowercase,
    preSegment: options.preSegment,
  });
}

export function validateTrainOptions(options: TrainOptions): void {
  if (!["bpe", "char-bpe", "wordpiece", "unigram"].includes(options.model)) {
    throw new TokenizerError(`train: unknown model "${options.model}" (expected bpe, char-bpe, wordpiece or unigram)`);
  }
  if (!Number.isInteger(options.vocabSize) || options.vocabSize < 1) {
    throw new TokenizerError(`train: vocabSize must be a positive integer, got ${options.vocabSize}`);
  }
  if (options.maxTokenLength !== undefined && !(options.maxTokenLength >= 1)) {
    throw new TokenizerError(`train: maxTokenLength must be at least 1, got ${options.maxTokenLength}`);
  }
}

/** Trains from counted words (the table a `WordCounter` produced). */
export function trainFromCounts(counter: WordCounter, options: TrainOptions): JsonObject {
  validateTrainOptions(options);
  const words = counter.words();
  if (words.size === 0) throw new TokenizerError("train: the corpus is empty (no words after pre-tokenization)");
  const plan = counter.plan;
  // Forced tokens are given as surface text: spaces become ▁ for Metaspace vocabularies, bytes for byte-level ones.
  const metaspace = JSON.stringify(plan.preTokenizer).includes('"Metaspace"');
  const forced = (options.forcedTokens ?? []).map((t) => plan.mapWord(metaspace ? t.replaceAll(" ", "▁") : t));
  let json: JsonObject;
  switch (options.model) {
    case "bpe":
    case "char-bpe":
      json = trainBpe(words, plan, { ...options, forcedTokens: forced });
      break;
    case "wordpiece":
      json = trainWordPiece(words, plan, { ...options, forcedTokens: forced });
      break;
    case "unigram":
      json = trainUnigram(words, plan, { ...options, forcedTokens: forced });
      break;
  }
  if (options.padToPowerOfTwo) padVocabToPowerOfTwo(json);
  options.onProgress?.({ phase: "done", bytesRead: counter.bytesRead, bytesTotal: 0, stepsDone: 0, stepsTotal: 0 });
  return json;
}

/** Trains a tokenizer.json from text (a string, or an iterable of documents). */
export async function trainTokenizer(source: TextSource, options: TrainOptions): Promise<JsonObject> {
  validateTrainOptions(options);
  const counter = new WordCounter(planFor(options));
  await countSource(counter, source, options.onProgress);
  return trainFromCounts(counter, options);
}
