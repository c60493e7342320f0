// What several commands share: the default tokenizer and reading stdin.
import { fileURLToPath } from "node:url";
import { Tokenizer } from "../../index.js";

/** The tokenizer bundled with retoken (GPT-2's, MIT licence), used when a command gets no -t. */
export const DEFAULT_TOKENIZER = fileURLToPath(new URL("../../../assets/gpt2-tokenizer.json", import.meta.url));

export function loadTokenizer(path: string | undefined): Promise<Tokenizer> {
  return Tokenizer.fromFile(path ?? DEFAULT_TOKENIZER);
}

export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
