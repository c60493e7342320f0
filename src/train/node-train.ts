// Training from files on disk (Node): the whole `retoken train` flow as one typed call — read text (or count files),
// optionally continue or prune an existing tokenizer — so the CLI only maps flags onto these options and writes the
// result. Pure training from strings stays in train.ts (browser-safe).

import type { JsonObject } from "../tokenize/types.js";
import { TokenizerError } from "../tokenize/types.js";
import { readJsonFile, readTextFile } from "../node/files.js";
import { WordCounter } from "./corpus.js";
import { countFiles } from "./node-corpus.js";
import { planFor, trainFromCounts, validateTrainOptions, type TrainOptions } from "./train.js";
import { continueBpe } from "./continue.js";
import { pruneTokenizerJson } from "./prune.js";
import { padVocabToPowerOfTwo } from "./tokenizer-json.js";
import { countFilesInWorkers } from "./workers.js";
import { loadCounts } from "./counts.js";
import { setupFromTokenizerJson } from "./pretokenize.js";

/** Where the training text comes from, and what to do with an existing tokenizer; the trainer's options beside. */
export interface TrainFromFilesOptions extends TrainOptions {
  /** Text, JSONL or Parquet files (plain, .gz, .zst), folders or globs. */
  files?: readonly string[];
  /** Count files written by `retoken count` / `count-merge`, instead of `files`. */
  counts?: readonly string[];
  /** BPE: extend this tokenizer.json with new merges, every old id kept (words are cut as it cuts them). */
  continueFrom?: string;
  /** Shrink this tokenizer.json to `vocabSize` instead of training (no text read). */
  prune?: string;
  /** More forced tokens, one JSON string per line. */
  forcedTokensFile?: string;
  /** JSONL: the string field of each record; Parquet: the text column. */
  jsonlField?: string;
  /** Fail on invalid UTF-8 (naming file and offset) instead of counting it as U+FFFD. */
  strictUtf8?: boolean;
  /** Count in this many worker threads (1: in this thread). */
  workers?: number;
  onWarning?: (message: string) => void;
}

/** Trains (or continues, or prunes) a tokenizer from files and returns its tokenizer.json; writes nothing. */
export async function trainFromFiles(options: TrainFromFilesOptions): Promise<JsonObject> {
  const { files = [], counts, continueFrom, prune, forcedTokensFile, jsonlField, strictUtf8, workers = 1, onWarning, ...train } = options;
  if (prune) return pruneTokenizerJson(await readJsonFile(prune), train.vocabSize, prune);
  if (counts && files.length > 0) throw new TokenizerError("train: give either input files or counts, not both");
  if (!counts && files.length === 0) throw new TokenizerError("train: no input files (give files or folders, or count files)");
  if (!Number.isInteger(workers) || workers < 1) throw new TokenizerError(`train: workers must be a positive integer, got ${workers}`);
  const forced = [...(train.forcedTokens ?? [])];
  if (forcedTokensFile) forced.push(...(await readForcedTokens(forcedTokensFile)));
  const base = continueFrom ? await readJsonFile(continueFrom) : null;
  // A continued run must cut words exactly as the base tokenizer does.
  const trainOptions: TrainOptions = { ...train, forcedTokens: forced, ...(base ? continuePlanOptions(base) : {}) };
  validateTrainOptions(trainOptions);
  let counter: WordCounter;
  if (counts) counter = (await loadCounts(counts, trainOptions)).counter;
  else {
    counter = new WordCounter(planFor(trainOptions));
    const fileOptions = { jsonlField, strictUtf8, onProgress: train.onProgress, onWarning };
    if (workers > 1) await countFilesInWorkers(counter, files, { ...fileOptions, workers, setup: trainOptions });
    else await countFiles(counter, files, fileOptions);
  }
  if (!base) return trainFromCounts(counter, trainOptions);
  const json = continueBpe(base, counter, { ...trainOptions, fileName: continueFrom });
  if (train.padToPowerOfTwo) padVocabToPowerOfTwo(json);
  return json;
}

async function readForcedTokens(path: string): Promise<string[]> {
  const lines = (await readTextFile(path)).split("\n");
  const tokens: string[] = [];
  lines.forEach((line, i) => {
    if (line.length === 0) return;
    let token: unknown;
    try {
      token = JSON.parse(line);
    } catch {
      throw new TokenizerError(`${path}: line ${i + 1}: expected one JSON string per line, got ${JSON.stringify(line.slice(0, 40))}`);
    }
    if (typeof token !== "string") throw new TokenizerError(`${path}: line ${i + 1}: expected a JSON string, got ${JSON.stringify(token)}`);
    tokens.push(token);
  });
  return tokens;
}

function continuePlanOptions(base: JsonObject): Partial<TrainOptions> {
  const setup = setupFromTokenizerJson(base);
  return { preTokenizer: setup.kind, pattern: setup.pattern, digits: setup.digits, nfkc: setup.nfkc, lowercase: setup.lowercase };
}
