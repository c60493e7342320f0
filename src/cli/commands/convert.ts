// `retoken convert INPUT --out FILE`: any tokenizer file → tokenizer.json, or → a tiktoken rank file / SentencePiece
// .model where that format can hold the tokenizer; the output's extension chooses.
import type { Command } from "commander";
import { extname } from "node:path";
import { Tokenizer } from "../../platform/node-tokenizer.js";
import { tokenizerJsonToSentencePiece, tokenizerJsonToTiktoken } from "../../formats/index.js";
import { writeFileAtomic } from "../../node/files.js";
import type { JsonObject } from "../../tokenize/types.js";
import { labelled, printJson } from "./shared.js";

export type ConvertFormat = "tokenizer.json" | "tiktoken" | "sentencepiece";

const BY_EXTENSION: Record<string, ConvertFormat> = { ".json": "tokenizer.json", ".tiktoken": "tiktoken", ".model": "sentencepiece" };

// Text in many scripts, digits, spaces and contractions: a written file must encode it as the input does.
const PROBE = [
  "Hello world! It's 2024: don't   panic.\n\tTabs, newlines\r\n and  double  spaces ",
  "\tTabs,  double  spaces and a trailing one ",
  "Die Datei wurde geöffnet, aber nicht gespeichert. Ça coûte 12,50 € — d'accord?",
  "Привет, мир! Γειά σου Κόσμε. مرحبا بالعالم. שלום עולם. नमस्ते दुनिया।",
  "日本語のテキスト、中文文本，한국어 텍스트. ภาษาไทย 🙂👍🏽 e\u0301 ﬁ ① x²",
  "function f(a, b) { return a + b; } // 1234567890 0.001 1e-9",
];

/** The output format its file name asks for, or an error naming the extensions there are. */
export function convertFormatOf(path: string): ConvertFormat {
  const format = BY_EXTENSION[extname(path).toLowerCase()];
  if (!format) throw new Error(`${path}: unknown output extension "${extname(path)}" (.json for tokenizer.json, .tiktoken for a rank file, .model for SentencePiece)`);
  return format;
}

/**
 * The bytes of a tokenizer in a format; rank files and .model files are read back and must encode the probe texts to
 * the same ids. Returns notes on what the format leaves out (special tokens a post-processor adds).
 */
export function convertTokenizer(tokenizer: Tokenizer, format: ConvertFormat, out: string): { bytes: Uint8Array; notes: string[] } {
  const json = tokenizer.toJSON() as JsonObject;
  if (format === "tokenizer.json") return { bytes: new TextEncoder().encode(JSON.stringify(json)), notes: [] };
  const kind = format === "tiktoken" ? "tiktoken rank file" : "SentencePiece .model";
  const bytes = format === "tiktoken" ? new TextEncoder().encode(tokenizerJsonToTiktoken(json, out)) : tokenizerJsonToSentencePiece(json, { fileName: out });
  const misfit = (what: string) => new Error(`${out}: this tokenizer does not fit a ${kind}: ${what} (write .json instead)`);
  let back: Tokenizer;
  try {
    back = Tokenizer.fromBytes(bytes, { fileName: out });
  } catch (err) {
    // A rank file holds ranks only: the pattern and special tokens come from a known encoding's code.
    throw misfit(`written, it reads back as: ${(err as Error).message}`);
  }
  if (back.vocabSize(true) !== tokenizer.vocabSize(true)) throw misfit(`the vocabulary reads back as ${back.vocabSize(true)} tokens, not ${tokenizer.vocabSize(true)}`);
  const same = (a: number[], b: number[]) => a.length === b.length && a.every((id, i) => id === b[i]);
  const notes: string[] = [];
  // spm_encode reads one line at a time: line breaks are never inside a text it is given.
  for (const text of format === "sentencepiece" ? PROBE.filter((t) => !/[\r\n]/.test(t)) : PROBE) {
    if (!same(tokenizer.encodeIds(text, { addSpecialTokens: false }), back.encodeIds(text, { addSpecialTokens: false }))) throw misfit(`it reads back with other ids for ${JSON.stringify(text.slice(0, 30))}…`);
    if (notes.length === 0 && !same(tokenizer.encodeIds(text, { addSpecialTokens: true }), back.encodeIds(text, { addSpecialTokens: true })))
      notes.push(`a ${kind} does not say which special tokens encoding adds (${format === "sentencepiece" ? "spm_encode's --add_bos/--add_eos do" : "tiktoken's caller does"}); the input's post-processor is not kept`);
  }
  return { bytes, notes };
}

export function register(program: Command): void {
  program
    .command("convert")
    .description("write a tokenizer file in another format: .json (tokenizer.json, any input), .tiktoken or .model (where the format can hold it)")
    .argument("<input>", "tokenizer.json, .tiktoken rank file or SentencePiece .model")
    .requiredOption("-o, --out <file>", "output file; its extension chooses the format (.json, .tiktoken, .model)")
    .option("--json", "print what was written as a JSON object")
    .action(async (input: string, opts: { out: string; json?: boolean }) => {
      const format = convertFormatOf(opts.out);
      const tokenizer = await Tokenizer.fromFile(input);
      const { bytes, notes } = convertTokenizer(tokenizer, format, opts.out);
      await writeFileAtomic(opts.out, bytes);
      for (const note of notes) process.stderr.write(`retoken: note: ${note}\n`);
      const result = { input, out: opts.out, format, vocabSize: tokenizer.vocabSize(true), bytes: bytes.length };
      if (opts.json) printJson(result);
      else process.stdout.write(labelled([["wrote", `${opts.out} (${format}, ${bytes.length} bytes)`], ["from", input], ["vocabulary", `${result.vocabSize} tokens`]]));
    });
}
