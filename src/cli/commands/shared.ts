// What several commands share: the default tokenizer, reading stdin, and the output conventions of src/cli/main.ts.
import { fileURLToPath } from "node:url";
import { Tokenizer } from "../../platform/node-tokenizer.js";
import { textFromBytes, writeFileAtomic, type ReadTextOptions } from "../../node/files.js";

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

/** `--json`: one JSON object on one line of stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value) + "\n");
}

/** `--json [file]`: with a file, written there (atomically, indented); bare, printed on stdout. Returns whether it did either. */
export async function emitJson(target: string | boolean | undefined, value: unknown): Promise<boolean> {
  if (target === undefined || target === false) return false;
  if (target === true) printJson(value);
  else await writeFileAtomic(target, JSON.stringify(value, null, 1) + "\n");
  return true;
}

/** Human output: `label:  value` lines with the values aligned. */
export function labelled(rows: readonly (readonly [string, string | number])[]): string {
  const width = Math.max(0, ...rows.map(([label]) => label.length)) + 2;
  return rows.map(([label, value]) => `${`${label}:`.padEnd(width)}${value}\n`).join("");
}

/** An integer flag at least `min`, or an error naming the flag and the text given. */
export function intFlag(command: string, flag: string, value: string | undefined, min = -Infinity): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === "" || !Number.isInteger(n) || n < min) {
    const what = min === 1 ? "a positive integer" : min === 0 ? "a non-negative integer" : min === -Infinity ? "an integer" : `an integer ≥ ${min}`;
    throw new Error(`${command}: --${flag} must be ${what}, got "${value}"`);
  }
  return n;
}

/** A positive integer flag, or an error naming the flag. */
export const positiveIntFlag = (command: string, flag: string, value: string | undefined): number | undefined => intFlag(command, flag, value, 1);

/** A repeatable option's values in order (commander's argParser for `--flag <v>` given several times). */
export const collect = (value: string, previous: string[]): string[] => [...previous, value];
