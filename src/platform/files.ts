// File access is injected: the browser entry has none, the Node entry (src/index.ts) installs a reader. This keeps
// every `node:` import out of the tokenizer core.
import type { JsonObject } from "../tokenize/types.js";

export type FileReader = (path: string) => Promise<Uint8Array>;

let reader: FileReader | null = null;

/** Installs the function that reads files (done by the Node entry point). */
export function setFileReader(fn: FileReader | null): void {
  reader = fn;
}

export async function readFileBytes(path: string): Promise<Uint8Array> {
  if (!reader) {
    throw new Error(
      `cannot read ${JSON.stringify(path)}: no file access in this environment (in a browser, fetch the file and use Tokenizer.fromBytes or Tokenizer.fromJSON)`,
    );
  }
  return reader(path);
}

// Tokenizer file formats are injected too: the tokenizer core knows only tokenizer.json; the entry points (browser.ts,
// and index.ts through it) plug in src/formats' reader, which sniffs rank files and SentencePiece .model files.
export type TokenizerFileParser = (bytes: Uint8Array, options: { fileName?: string; pattern?: string; specialTokens?: Record<string, number> }) => JsonObject;

let parser: TokenizerFileParser | null = null;

/** Installs the reader that turns a tokenizer file's bytes into tokenizer.json content (done by the entry points). */
export function setTokenizerFileParser(fn: TokenizerFileParser | null): void {
  parser = fn;
}

export function parseTokenizerFile(bytes: Uint8Array, options: { fileName?: string; pattern?: string; specialTokens?: Record<string, number> }): JsonObject {
  if (!parser) throw new Error(`${options.fileName ?? "tokenizer file"}: no tokenizer file formats are installed (import "retoken", not its internal modules)`);
  return parser(bytes, options);
}

// The Jinja engine of chat templates is injected too: 120 KB of template engine that only applyChatTemplate needs, which
// `import "retoken"` compiled at start-up (~10 ms of a cold start). Node's entry requires it on first use; the browser
// entry imports it.
export type TemplateEngine = () => typeof import("@huggingface/jinja").Template;

let templateEngine: TemplateEngine | null = null;
let templateClass: ReturnType<TemplateEngine> | null = null;

/** Installs the function that gives the Jinja Template class (done by the entry points). */
export function setTemplateEngine(fn: TemplateEngine | null): void {
  templateEngine = fn;
  templateClass = null;
}

/** The Jinja Template class, loaded the first time it is asked for. */
export function jinjaTemplate(): ReturnType<TemplateEngine> {
  if (templateClass) return templateClass;
  if (!templateEngine) throw new Error("applyChatTemplate: no Jinja engine in this environment (import retoken or retoken/browser, which plug it in)");
  return (templateClass = templateEngine());
}
