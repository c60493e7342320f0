// retoken/node: what needs Node — encoding on worker threads, training from files, and safe file writes.
export { TokenizerPool, type TokenizerPoolOptions } from "./tokenizer-pool.js";
export { writeFileAtomic, readJsonFile, readTextFolder, type NamedText } from "./files.js";
export { countFiles, type FileCorpusOptions } from "../train/node-corpus.js";
export { countFilesInWorkers } from "../train/workers.js";
