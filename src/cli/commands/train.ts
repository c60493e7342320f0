// `retoken train --model bpe|char-bpe|unigram|wordpiece --vocab-size N --out tokenizer.json [options] FILES...`
// (or `--counts FILE...` instead of FILES: count files from `retoken count`)
import { Command, Option } from "commander";
import cliProgress from "cli-progress";
import { writeFileAtomic } from "../../node/files.js";
import { collect, numberArg, printJson } from "./shared.js";
import type { TrainProgress } from "../../train/corpus.js";
import type { TrainModel } from "../../train/train.js";
import { trainFromFiles } from "../../train/node-train.js";
import type { DigitMode, PreTokenizerKind } from "../../train/pretokenize.js";
import type { JsonObject } from "../../tokenize/types.js";

const positiveInt = numberArg({ integer: true, min: 1 });
const fraction = numberArg({ min: 0, above: true, max: 1 });

export interface TrainCliOptions {
  model: TrainModel;
  vocabSize: number;
  out: string;
  pattern?: string;
  preTokenizer?: PreTokenizerKind;
  digits?: DigitMode;
  nfkc?: boolean;
  lowercase?: boolean;
  minFrequency?: number;
  specialToken: string[];
  limitAlphabet?: number;
  initialAlphabet?: string;
  maxTokenLength?: number;
  forceToken: string[];
  forceTokensFile?: string;
  byteFallback?: boolean;
  padPow2?: boolean;
  characterCoverage?: number;
  jsonlField?: string;
  strictUtf8?: boolean;
  continueFrom?: string;
  prune?: string;
  workers?: number;
  counts?: string[];
  progress: boolean;
  pretty?: boolean;
}

/** A progress bar per phase (counting in MB, then merges or EM rounds); `stop` ends the last one. */
export function progressBars(enabled: boolean, model: TrainModel): { onProgress: (p: TrainProgress) => void; stop: () => void } {
  let bar: cliProgress.SingleBar | null = null;
  let phase: TrainProgress["phase"] | null = null;
  const onProgress = (p: TrainProgress): void => {
    if (!enabled) return;
    if (p.phase !== phase) {
      bar?.stop();
      bar = null;
      phase = p.phase;
      if (p.phase === "done") return;
      const unit = p.phase === "count" ? "MB read" : model === "unigram" ? "EM+prune rounds (estimated total)" : "merges";
      bar = new cliProgress.SingleBar(
        { format: `${p.phase === "count" ? "counting" : "training"} |{bar}| {value}/{total} ${unit}`, clearOnComplete: false, hideCursor: true },
        cliProgress.Presets.shades_classic,
      );
      bar.start(p.phase === "count" ? Math.max(1, Math.ceil(p.bytesTotal / 1e6)) : Math.max(1, p.stepsTotal), 0);
    }
    if (p.phase === "count") bar?.update(Math.round(p.bytesRead / 1e6));
    else if (p.phase === "train") {
      if (p.stepsTotal > 0 && bar?.getTotal() !== p.stepsTotal) bar?.setTotal(p.stepsTotal);
      bar?.update(p.stepsDone);
    }
  };
  return { onProgress, stop: () => bar?.stop() };
}

/** Runs the command (exported for tests): the flags mapped onto `trainFromFiles`, the result written atomically. */
export async function runTrain(files: string[], opts: TrainCliOptions, log: (s: string) => void = (s) => process.stderr.write(s + "\n")): Promise<JsonObject> {
  const { onProgress, stop } = progressBars(opts.progress, opts.model);
  const json = await trainFromFiles({
    files,
    counts: opts.counts,
    continueFrom: opts.continueFrom,
    prune: opts.prune,
    forcedTokensFile: opts.forceTokensFile,
    jsonlField: opts.jsonlField,
    strictUtf8: opts.strictUtf8,
    workers: opts.workers,
    onWarning: (m) => log(`warning: ${m}`),
    model: opts.model,
    vocabSize: opts.vocabSize,
    preTokenizer: opts.preTokenizer,
    pattern: opts.pattern,
    digits: opts.digits,
    nfkc: opts.nfkc,
    lowercase: opts.lowercase,
    minFrequency: opts.minFrequency,
    specialTokens: opts.specialToken,
    limitAlphabet: opts.limitAlphabet,
    initialAlphabet: opts.initialAlphabet === undefined ? undefined : [...opts.initialAlphabet],
    maxTokenLength: opts.maxTokenLength,
    forcedTokens: opts.forceToken,
    byteFallback: opts.byteFallback,
    characterCoverage: opts.characterCoverage,
    padToPowerOfTwo: opts.padPow2,
    onProgress,
  });
  stop();
  await writeFileAtomic(opts.out, JSON.stringify(json, null, opts.pretty ? 2 : undefined));
  return json;
}

/** The options that decide how text is cut into words: `train` and `count` take the same ones. */
export function addPreTokenizationOptions(command: Command): Command {
  return command
    .addOption(new Option("--model <type>", "bpe (byte-level), char-bpe (Metaspace, byte fallback), unigram, wordpiece").choices(["bpe", "char-bpe", "unigram", "wordpiece"]).default("bpe"))
    .option("--pattern <name>", "byte-level pre-tokenizer regex: gpt2, llama3 or a regex", "gpt2")
    .addOption(new Option("--pre-tokenizer <kind>", "word splitting").choices(["byte-level", "metaspace", "bert", "whitespace"]))
    .addOption(new Option("--digits <mode>", "digit handling").choices(["none", "individual", "ltr3", "rtl3"]).default("none"))
    .option("--nfkc", "NFKC normalizer")
    .option("--lowercase", "lowercase normalizer")
    .option("--jsonl-field <name>", "JSONL: count this string field of each record; Parquet: this text column")
    .option("--strict-utf8", "fail on invalid UTF-8 instead of counting it as U+FFFD");
}

export function register(program: Command): void {
  addPreTokenizationOptions(
    program
      .command("train")
      .description("train a tokenizer (byte-level BPE by default) on text, JSONL or Parquet (plain, .gz or .zst), folders, globs or count files; write tokenizer.json")
      .argument("[files...]", "text, JSONL or Parquet files, folders (read recursively; a Hugging Face dataset folder reads data/) or globs"),
  )
    .requiredOption("--vocab-size <n>", "target vocabulary size (special tokens included)", positiveInt)
    .requiredOption("--out <file>", "where to write tokenizer.json (written atomically)")
    .option("--counts <files...>", "train from count files (retoken count, count-merge) instead of reading text")
    .option("--min-frequency <n>", "never merge a pair seen fewer times", positiveInt)
    .option("--special-token <token>", "special token (repeatable; ids 0.. in order)", collect, [])
    .option("--limit-alphabet <n>", "keep only the n most frequent characters", positiveInt)
    .option("--initial-alphabet <chars>", 'characters always kept (byte-level default: all 256 bytes; "" = only characters seen, as the HF default trainer)')
    .option("--max-token-length <n>", "longest token in characters", positiveInt)
    .option("--force-token <token>", "token forced into the vocabulary (repeatable)", collect, [])
    .option("--force-tokens-file <file>", "forced tokens, one JSON string per line")
    .option("--byte-fallback", "char-bpe/unigram: add <0xNN> byte tokens for unknown characters")
    .option("--pad-pow2", "pad the vocabulary with reserved tokens to a power of two")
    .option("--character-coverage <f>", "unigram: share of characters to cover (default 0.9995)", fraction)
    .option("--continue-from <tokenizer.json>", "BPE: extend this tokenizer with new merges (every old id kept)")
    .option("--prune <tokenizer.json>", "shrink this tokenizer to --vocab-size instead of training")
    .option("--workers <n>", "count words in n worker threads", positiveInt)
    .option("--no-progress", "no progress bar")
    .option("--pretty", "indent the JSON")
    .option("--json", "print what was written as a JSON object on stdout")
    .action(async (files: string[], opts: TrainCliOptions & { json?: boolean }) => {
      const json = await runTrain(files, opts);
      const model = json.model as JsonObject;
      const size = Array.isArray(model.vocab) ? model.vocab.length : Object.keys(model.vocab as JsonObject).length;
      if (opts.json) printJson({ out: opts.out, model: model.type, vocabSize: size });
      else process.stderr.write(`wrote ${opts.out}: ${model.type} with ${size} tokens\n`);
    });
}
