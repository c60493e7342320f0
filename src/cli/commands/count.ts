// `retoken count --model bpe|unigram|wordpiece [pre-tokenization options] [--shard i/n] --out FILE INPUTS...` and
// `retoken count-merge FILES... --out FILE`: pre-token counts of a corpus share, for `train --counts`.
import { InvalidArgumentError, type Command } from "commander";
import { countShard, mergeCountFiles, writeCountFile, type CountTable } from "../../train/counts.js";
import type { PreTokenizerKind, DigitMode } from "../../train/pretokenize.js";
import type { TrainModel } from "../../train/train.js";
import { addPreTokenizationOptions, progressBars } from "./train.js";
import { printJson } from "./shared.js";

export interface CountCliOptions {
  model: TrainModel;
  pattern?: string;
  preTokenizer?: PreTokenizerKind;
  digits?: DigitMode;
  nfkc?: boolean;
  lowercase?: boolean;
  jsonlField?: string;
  strictUtf8?: boolean;
  shard?: [number, number];
  out: string;
  progress: boolean;
}

function shardOption(value: string): [number, number] {
  const m = /^(\d+)\/(\d+)$/.exec(value);
  const [i, n] = m ? [Number(m[1]), Number(m[2])] : [NaN, NaN];
  if (!(n >= 1 && i >= 1 && i <= n)) throw new InvalidArgumentError(`expected i/n with 1 ≤ i ≤ n (e.g. 3/8), got "${value}"`);
  return [i, n];
}

/** What was written: a line on stderr, or with --json an object on stdout. */
function report(table: CountTable, out: string, json: boolean | undefined): void {
  const m = table.meta;
  if (json) {
    printJson({ out, entries: m.entries, bytes: m.bytes, lines: m.lines, unitsCounted: table.groups.length, units: m.units, shards: m.shards });
    return;
  }
  process.stderr.write(`wrote ${out}: ${m.entries} distinct pre-tokens from ${(m.bytes / 1e6).toFixed(1)} MB, ${m.lines} lines; units ${table.groups.length}/${m.units} (shards ${m.shards.join(", ")})\n`);
}

/** Runs `retoken count` (exported for tests). */
export async function runCount(inputs: string[], opts: CountCliOptions, log: (s: string) => void = (s) => process.stderr.write(s + "\n")): Promise<CountTable> {
  if (inputs.length === 0) throw new Error("count: no inputs (give files, folders or globs)");
  const { onProgress, stop } = progressBars(opts.progress, opts.model);
  const table = await countShard(inputs, {
    model: opts.model,
    preTokenizer: opts.preTokenizer,
    pattern: opts.pattern,
    digits: opts.digits,
    nfkc: opts.nfkc,
    lowercase: opts.lowercase,
    jsonlField: opts.jsonlField,
    strictUtf8: opts.strictUtf8,
    shard: opts.shard,
    onProgress,
    onWarning: (m) => log(`warning: ${m}`),
  });
  stop();
  await writeCountFile(opts.out, table);
  return table;
}

export function register(program: Command): void {
  addPreTokenizationOptions(
    program
      .command("count")
      .description("count the pre-tokens of a corpus (or of shard i/n of it) into a count file for train --counts")
      .argument("<inputs...>", "text, JSONL or Parquet files (plain, .gz, .zst), folders, Hugging Face dataset folders or globs"),
  )
    .option("--shard <i/n>", "count only shard i of n (i from 1): a deterministic share of the files, ranges and row groups", shardOption)
    .requiredOption("--out <file>", "where to write the count file (written atomically)")
    .option("--no-progress", "no progress bar")
    .option("--json", "print what was written as a JSON object on stdout")
    .action(async (inputs: string[], opts: CountCliOptions & { json?: boolean }) => {
      report(await runCount(inputs, opts), opts.out, opts.json);
    });
  program
    .command("count-merge")
    .description("merge count files (any order) into one")
    .argument("<files...>", "count files from retoken count or count-merge")
    .requiredOption("--out <file>", "where to write the merged count file (written atomically)")
    .option("--json", "print what was written as a JSON object on stdout")
    .action(async (files: string[], opts: { out: string; json?: boolean }) => {
      const table = await mergeCountFiles(files);
      await writeCountFile(opts.out, table);
      report(table, opts.out, opts.json);
    });
}
