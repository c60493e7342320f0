// What several commands share: the default tokenizer, reading stdin, and the output conventions of src/cli/main.ts.
import { fileURLToPath } from "node:url";
import { InvalidArgumentError } from "commander";
import { Tokenizer } from "../../platform/node-tokenizer.js";
import { textFromBytes, writeFileAtomic, type ReadTextOptions } from "../../node/files.js";
import { setFlagsFromString } from "node:v8";

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

/** The values a numeric flag takes: integers or any finite number, from `min` (excluded with `above`) to `max`. */
export interface NumberRange {
  integer?: boolean;
  min?: number;
  above?: boolean;
  max?: number;
}

/** A range in words, for error messages ("a positive integer", "a number in (0, 1]"). */
function describeRange({ integer, min, above, max }: NumberRange): string {
  const kind = integer ? "integer" : "number";
  if (max === undefined) {
    if (min === undefined) return `a${integer ? "n" : ""} ${kind}`;
    if ((integer && min === 1) || (!integer && min === 0 && above)) return `a positive ${kind}`;
    if (min === 0 && !above) return `a non-negative ${kind}`;
    return `a${integer ? "n" : ""} ${kind} ${above ? ">" : "≥"} ${min}`;
  }
  return integer && !above ? `an integer ${min ?? "−∞"}–${max}` : `a ${kind} in ${above ? "(" : "["}${min ?? "−∞"}, ${max}]`;
}

/** The number `value` spells when it lies in `range`, else null. */
function parseInRange(value: string, range: NumberRange): number | null {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || (range.integer && !Number.isInteger(n))) return null;
  if (range.min !== undefined && (range.above ? n <= range.min : n < range.min)) return null;
  if (range.max !== undefined && n > range.max) return null;
  return n;
}

/** A numeric flag in `range`, or an error naming the command and flag and quoting the text given. */
export function numberFlag(command: string, flag: string, value: string | undefined, range: NumberRange = {}): number | undefined {
  if (value === undefined) return undefined;
  const n = parseInRange(value, range);
  if (n === null) throw new Error(`${command}: --${flag} must be ${describeRange(range)}, got "${value}"`);
  return n;
}

/** The same check as a commander argument parser (commander names the option in its message). */
export function numberArg(range: NumberRange): (value: string) => number {
  return (value) => {
    const n = parseInRange(value, range);
    if (n === null) throw new InvalidArgumentError(`expected ${describeRange(range)}, got "${value}"`);
    return n;
  };
}

/** An integer flag at least `min`. */
export const intFlag = (command: string, flag: string, value: string | undefined, min?: number): number | undefined => numberFlag(command, flag, value, { integer: true, min });

/** A positive integer flag. */
export const positiveIntFlag = (command: string, flag: string, value: string | undefined): number | undefined => intFlag(command, flag, value, 1);

/** A repeatable option's values in order (commander's argParser for `--flag <v>` given several times). */
export const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** Sets a V8 flag (`name=value`, without the leading dashes) for the rest of this process unless the user gave that
 * flag to node or in NODE_OPTIONS: theirs wins. For the flags V8 reads while running (heap sizing and growth). */
export function v8FlagUnlessGiven(name: string, value: number): void {
  // (V8 takes a flag with dashes or underscores.)
  if (`${process.env.NODE_OPTIONS ?? ""} ${process.execArgv.join(" ")}`.replaceAll("_", "-").includes(`--${name}`)) return;
  setFlagsFromString(`--${name}=${value}`);
}
