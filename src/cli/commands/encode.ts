// `retoken encode -t FILE [--count] [--tokens] [--offsets] [--no-special] [--lines | --jsonl] [--keep-newline]`:
// UTF-8 text on stdin → ids as JSON; with --lines / --jsonl one text per input line → one JSON line per text.
import type { Command } from "commander";
import { createInterface } from "node:readline";
import type { Tokenizer } from "../../tokenize/tokenizer.js";
import { loadTokenizer, printJson, readStdin } from "./shared.js";

interface EncodeCliOptions {
  tokenizer?: string;
  count?: boolean;
  tokens?: boolean;
  offsets?: boolean;
  special: boolean;
  lines?: boolean;
  jsonl?: boolean;
  keepNewline?: boolean;
  json?: boolean;
  allowBinary?: boolean;
}

/** The text `echo` and a file's last line end with is not part of it: one trailing "\n" (or "\r\n") goes. */
export function dropTrailingNewline(text: string): string {
  return text.endsWith("\r\n") ? text.slice(0, -2) : text.endsWith("\n") ? text.slice(0, -1) : text;
}

/** What one text prints as: the ids, the count, or an object with what was asked for. */
function encodeOne(tokenizer: Tokenizer, text: string, opts: EncodeCliOptions): unknown {
  const enc = tokenizer.encode(text, { addSpecialTokens: opts.special });
  if (opts.count) return opts.json ? { count: enc.ids.length } : enc.ids.length;
  if (!(opts.tokens || opts.offsets || opts.json)) return enc.ids;
  const out: Record<string, unknown> = { ids: enc.ids };
  if (opts.tokens || opts.json) out.tokens = enc.tokens;
  if (opts.offsets || opts.json) out.offsets = enc.codePointOffsets;
  return out;
}

/** A JSONL input line: a JSON string, or an object with a string "text" field. */
function jsonlText(line: string, lineNumber: number): string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new Error(`encode: stdin line ${lineNumber}: not JSON (with --jsonl each line is a JSON string or {"text": ...})`);
  }
  if (typeof value === "string") return value;
  const text = value && typeof value === "object" ? (value as { text?: unknown }).text : undefined;
  if (typeof text !== "string") throw new Error(`encode: stdin line ${lineNumber}: expected a JSON string or an object with a string "text" field`);
  return text;
}

export function register(program: Command): void {
  program
    .command("encode")
    .description("encode UTF-8 text from stdin; prints the ids as a JSON array (one trailing newline of the input is dropped)")
    .option("-t, --tokenizer <file>", "tokenizer.json, .tiktoken rank file or SentencePiece .model (default: the bundled GPT-2 tokenizer)")
    .option("--count", "print only the number of tokens")
    .option("--tokens", "print the token strings too")
    .option("--offsets", "print the offsets (code points) too")
    .option("--json", "print an object: ids, tokens and offsets (with --count: {count})")
    .option("--no-special", "do not add special tokens")
    .option("--lines", "each line of stdin is one text; prints one JSON line per text (JSONL)")
    .option("--jsonl", "each line of stdin is a JSON string or {\"text\": ...}; prints one JSON line per text")
    .option("--keep-newline", "keep the trailing newline of stdin as part of the text")
    .option("--allow-binary", "encode stdin even if it looks binary (compressed input is refused regardless)")
    .action(async (opts: EncodeCliOptions) => {
      if (opts.lines && opts.jsonl) throw new Error("encode: give one of --lines or --jsonl");
      const tokenizer = await loadTokenizer(opts.tokenizer);
      if (!opts.lines && !opts.jsonl) {
        const text = await readStdin({ allowBinary: opts.allowBinary });
        printJson(encodeOne(tokenizer, opts.keepNewline ? text : dropTrailingNewline(text), opts));
        return;
      }
      // Line by line as stdin arrives: memory stays flat on inputs of any size.
      let lineNumber = 0;
      let out = "";
      for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
        lineNumber++;
        if (opts.jsonl && line.trim() === "") continue;
        const text = opts.jsonl ? jsonlText(line, lineNumber) : line;
        out += JSON.stringify(encodeOne(tokenizer, text, opts)) + "\n";
        if (out.length > 1 << 16) {
          if (!process.stdout.write(out)) await new Promise((r) => process.stdout.once("drain", r));
          out = "";
        }
      }
      process.stdout.write(out);
    });
}
