// `retoken mixture TOKENIZER --categories DIR [--merges N] [--json OUT]`: estimate the training-data mixture of a
// BPE tokenizer from its merge list (Hayase et al. 2024), given one sample text per candidate category.
import type { Command } from "commander";
import { Tokenizer, PreTokenizedString } from "../../index.js";
import { inferMixture, type MixtureCategory } from "../../analyze/mixture.js";
import { readTextFolder } from "../../node/files.js";
import { emitJson } from "./shared.js";
import type { JsonObject } from "../../tokenize/types.js";
import { BpeModel } from "../../tokenize/models/index.js";

/** Pre-tokens of a text as the tokenizer's own normalizer and pre-tokenizer make them (line by line). */
export function preTokenCounts(tokenizer: Tokenizer, text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of text.split(/(?<=\n)/)) {
    const p = new PreTokenizedString(line);
    if (tokenizer.normalizer) p.normalize((n) => tokenizer.normalizer!.normalize(n));
    tokenizer.preTokenizer?.preTokenize(p);
    for (const s of p.splits) {
      const w = s.normalized.normalized;
      if (w.length) counts.set(w, (counts.get(w) ?? 0) + 1);
    }
  }
  return counts;
}

export function register(program: Command): void {
  program
    .command("mixture")
    .description("estimate the proportions of categories (languages, domains) in a BPE tokenizer's training data")
    .argument("<tokenizer>", "a BPE tokenizer file")
    .requiredOption("--categories <dir>", "folder with one sample text per category (<name>.<ext>)")
    .option("--merges <n>", "number of merges to use", "1000")
    .option("--json [file]", "write the estimate as JSON to a file, or print it instead of the table")
    .action(async (file: string, opts: { categories: string; merges: string; json?: string | true }) => {
      const tokenizer = await Tokenizer.fromFile(file);
      if (!(tokenizer.model instanceof BpeModel)) {
        throw new Error(`mixture: ${file} has a ${(tokenizer.toJSON().model as JsonObject).type} model; data mixture inference needs a BPE merge list`);
      }
      const merges = tokenizer.model.getMerges();
      if (merges.length === 0) throw new Error(`mixture: ${file} has no merges`);
      const maxMerges = Number(opts.merges);
      if (!Number.isInteger(maxMerges) || maxMerges < 1) throw new Error(`mixture: --merges must be a positive integer, got ${opts.merges}`);
      const texts = await readTextFolder(opts.categories);
      const categories: MixtureCategory[] = texts.map((t) => {
        if (t.text.trim().length === 0) throw new Error(`mixture: ${t.path} is empty`);
        return { name: t.name, words: preTokenCounts(tokenizer, t.text) };
      });
      const result = await inferMixture(merges, categories, { maxMerges, onProgress: (m) => process.stderr.write(`\r\x1b[K${m}`) });
      process.stderr.write("\r\x1b[K");
      const { slack: _slack, ...rest } = result;
      if (opts.json !== true) {
        const rows = Object.entries(result.proportions).sort((a, b) => b[1] - a[1]);
        const width = Math.max(...rows.map(([n]) => n.length));
        for (const [name, p] of rows) process.stdout.write(`${name.padEnd(width)}  ${(100 * p).toFixed(2).padStart(6)}%\n`);
        process.stdout.write(`(${result.mergesUsed} merges, ${result.constraints} constraints, total slack ${result.totalSlack.toFixed(4)}, exactness check: ${result.violatedSteps} violated steps)\n`);
      }
      await emitJson(opts.json, { tokenizer: file, ...rest });
    });
}
