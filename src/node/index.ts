/**
 * Node-only helpers: the worker-thread TokenizerPool, training from files, safe file writes.
 * @module retoken/node
 */
// retoken/node: what needs Node — encoding on worker threads, training from files, and safe file writes.
export { TokenizerPool, type TokenizerPoolOptions } from "./tokenizer-pool.js";
export { writeFileAtomic, readJsonFile, readTextFolder, type NamedText } from "./files.js";
export { countFiles, countUnits, planUnits, shardRange, type CorpusUnit, type FileCorpusOptions } from "../train/node-corpus.js";
export { countShard, mergeCountFiles, loadCounts, writeCountFile, openCountFile, encodeCountTable, missingUnits, COUNT_FILE_VERSION, type CountTable, type CountMeta, type CountOptions } from "../train/counts.js";
export { countFilesInWorkers } from "../train/workers.js";
export { trainFromFiles, type TrainFromFilesOptions } from "../train/node-train.js";
