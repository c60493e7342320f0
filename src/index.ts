/**
 * Tokenizers: load, run and write tokenizer.json, tiktoken rank files and SentencePiece .model files; named encodings; chat templates. The same API without Node file access is `retoken/browser`.
 * @module retoken
 */
// Node entry point of retoken ("retoken" package): everything from the browser entry, plus file reading for
// Tokenizer.fromFile.

import "./platform/node-tokenizer.js";

export * from "./browser.js";
