/**
 * Tokenizers: load, run and write tokenizer.json, tiktoken rank files and SentencePiece .model files; named encodings; chat templates. The same API without Node file access is `retoken/browser`.
 * @module retoken
 */
// Node entry point of retoken ("retoken" package): everything the browser entry exports, plus file reading for
// Tokenizer.fromFile and the Jinja engine of chat templates required on first use.

import "./platform/node-tokenizer.js";

export * from "./exports.js";
