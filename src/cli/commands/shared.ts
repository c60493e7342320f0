// What several commands share: the default tokenizer and reading stdin.
import { fileURLToPath } from "node:url";
import { Tokenizer } from "../../index.js";
import { textFromBytes, type ReadTextOptions } from "../../node/files.js";

/** The tokenizer bundled with retoken (GPT-2's, MIT licence), used when a command gets no -t. */
export const DEFAULT_TOKENIZER = fileURLToPath(new URL("../../../assets/gpt2-tokenizer.json", import.meta.url));

export function loadTokenizer(path: string | undefined): Promise<Tokenizer> {
  return Tokenizer.fromFile(path ?? DEFAULT_TOKENIZER);
}

/** stdin as text, sniffed as a text file is (compressed or binary input is refused unless allowed). */
export async function readStdin(options: ReadTextOptions = {}): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return textFromBytes(Buffer.concat(chunks), "stdin", options);
}
