// `retoken mixture TOKENIZER --categories DIR [--merges N] [--json OUT]`: estimate the training-data mixture of a
// BPE tokenizer from its merge list (Hayase et al. 2024), given one sample text per candidate category.
import type { Command } from "commander";
import { Tokenizer } from "../../platform/node-tokenizer.js";
import { PreTokenizedString } from "../../tokenize/pretokenized.js";
import { inferMixture, type MixtureCategory } from "../../analyze/mixture.js";
import { readTextFolder } from "../../node/files.js";
import { emitJson, labelled, positiveIntFlag } from "./shared.js";
import type { JsonObject } from "../../tokenize/types.js";
import { BpeModel } from "../../tokenize/models/index.js";

// SentencePiece's trainer splits words before "▁" (a run of them stays one piece, its last "▁" starts the next word).
const SPM_WORD = /\u2581+(?=\u2581[^\u2581])|\u2581*[^\u2581]+|\u2581+/g;

/**
 * Pre-tokens of a text as the tokenizer's own normalizer and pre-tokenizer make them (line by line). A SentencePiece
 * tokenizer (converted: no pre-tokenizer, its normalizer writes "▁" for spaces; or a Metaspace pre-tokenizer) was
 * trained on lines without their line break, by a trainer that never merged across words: its pre-tokens are cut as
 * spm's trainer cuts them.
 */
export function preTokenCounts(tokenizer: Tokenizer, text: string): Map<string, number> {
  const counts = new Map<string, number>();
  const add = (w: string) => w.length && counts.set(w, (counts.get(w) ?? 0) + 1);
  const pre = tokenizer.toJSON().pre_tokenizer as JsonObject | null | undefined;
  const spmStyle = !pre || pre.type === "Metaspace";
  for (const line of spmStyle ? text.split(/\r?\n/) : text.split(/(?<=\n)/)) {
    const p = new PreTokenizedString(line);
    if (tokenizer.normalizer) p.normalize((n) => tokenizer.normalizer!.normalize(n));
    tokenizer.preTokenizer?.preTokenize(p);
    for (const s of p.splits) {
      const w = s.normalized.normalized;
      if (spmStyle) for (const m of w.matchAll(SPM_WORD)) add(m[0]);
      else add(w);
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
    .option("--merges <n>", "number of training steps to use (merges; the splits of one piece in a converted SentencePiece list count once)", "1000")
    .option("--json [file]", "write the estimate as JSON to a file, or print it instead of the table")
    .action(async (file: string, opts: { categories: string; merges: string; json?: string | true }) => {
      const tokenizer = await Tokenizer.fromFile(file);
      if (!(tokenizer.model instanceof BpeModel)) {
        throw new Error(`mixture: ${file} has a ${(tokenizer.toJSON().model as JsonObject).type} model; data mixture inference needs a BPE merge list`);
      }
      const merges = tokenizer.model.getMerges();
      if (merges.length === 0) throw new Error(`mixture: ${file} has no merges`);
      const maxMerges = positiveIntFlag("mixture", "merges", opts.merges)!;
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
        process.stdout.write(
          "\n" +
            labelled([
              ["steps", `${result.steps} (${result.mergesUsed} merges${result.mergesUsed > result.steps ? ": a converted SentencePiece list, every split of a piece counted as one step" : ""})`],
              ["slack", `${result.totalSlack.toFixed(4)} = ${(100 * result.relativeSlack).toFixed(2)}% of the chosen merges' frequency; ${result.stepsWithSlack} steps need it`],
              ["exact check", `${result.violatedSteps} violated steps (${result.constraints} constraints)`],
              ["reliability", result.warning ? "LOW (see the warning)" : "the merge order is explained by a mix of the samples"],
            ]),
        );
      }
      if (result.warning) process.stderr.write(`retoken: warning: ${result.warning}\n`);
      await emitJson(opts.json, { tokenizer: file, ...rest });
    });
}
