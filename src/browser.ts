// Browser entry point of retoken: the whole tokenizer core, no Node APIs (Tokenizer.fromFile throws a clear error
// here; use fromBytes / fromJSON).

// The format readers plug into the tokenizer core at the edge (Tokenizer.fromBytes / fromFile sniff with them), and the
// Jinja engine of chat templates is imported here (Node's entry loads it on first use instead).
import "./platform/tokenizer.js";
import "./platform/browser-template.js";
export * from "./exports.js";
