/**
 * Trainers (BPE, Unigram, WordPiece) from text, continued training and pruning.
 * @module retoken/train
 */
// retoken/train: trainers (BPE, Unigram, WordPiece) from text, continued training and pruning. Browser-safe; files
// and worker threads are in retoken/node.
export { trainTokenizer, trainFromCounts, validateTrainOptions, defaultPreTokenizer, type TrainOptions, type TrainModel } from "./train.js";
export { WordCounter, type TextSource, type TrainProgress, type ProgressCallback } from "./corpus.js";
export { continueBpe } from "./continue.js";
export { pruneTokenizerJson } from "./prune.js";
export { padVocabToPowerOfTwo, tokenizerJsonVocabSize } from "./tokenizer-json.js";
export { GPT2_PATTERN, LLAMA3_PATTERN, setupFromTokenizerJson, type DigitMode, type PreTokenizerKind, type PreTokenizerSetup } from "./pretokenize.js";
export type { BpeTrainOptions } from "./bpe.js";
export type { UnigramTrainOptions } from "./unigram.js";
