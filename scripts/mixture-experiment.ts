// Controlled data-mixture experiment (Hayase et al. 2024, §4): train byte-level BPE tokenizers on known random
// mixtures of FLORES languages (dev split), then recover the mixture from the merge list alone, with category
// samples from the held-out devtest split. Reports mean log10 MSE next to the uniform-guess baseline.
//
//   node --import tsx scripts/mixture-experiment.ts [--mixtures 10] [--merges 3000] [--out results.json]

import { readFileSync } from "node:fs";
import { scriptArgs } from "./script-args.js";
import { inferMixture, type MixtureCategory } from "../src/analyze/mixture.js";
import { WordCounter } from "../src/train/corpus.js";
import { planPreTokenizer } from "../src/train/pretokenize.js";
import { trainFromCounts } from "../src/train/train.js";
import { readMerges } from "../src/train/continue.js";
import { mulberry32 } from "../src/util/random.js";
import { writeFileAtomic } from "../src/node/files.js";
import type { JsonObject } from "../src/tokenize/types.js";

const LANGS = ["eng_Latn", "deu_Latn", "fra_Latn", "spa_Latn", "tur_Latn", "rus_Cyrl", "arb_Arab", "hin_Deva", "zho_Hans", "jpn_Jpan"];
const FLORES = process.env.FLORES ?? "../shared/data/flores200";

const { values } = scriptArgs(import.meta.url, {
  options: {
    mixtures: { type: "string", default: "10" },
    merges: { type: "string", default: "3000" },
    out: { type: "string" },
    seed: { type: "string", default: "1" },
  },
});
const mixturesPerSize = Number(values.mixtures);
const merges = Number(values.merges);

const lines = (lang: string, split: "dev" | "devtest") =>
  readFileSync(`${FLORES}/${split}/${lang}.${split}`, "utf8").split("\n").filter((l) => l.length > 0);
const bytes = (s: string) => Buffer.byteLength(s, "utf8");

function dirichlet(n: number, rand: () => number): number[] {
  const g = Array.from({ length: n }, () => -Math.log(Math.max(rand(), 1e-12)));
  const s = g.reduce((a, b) => a + b, 0);
  return g.map((x) => x / s);
}

/** Lines from the start of `pool` up to `budget` bytes. */
function take(pool: string[], budget: number): string[] {
  const out: string[] = [];
  let used = 0;
  for (const l of pool) {
    const b = bytes(l) + 1;
    if (used + b > budget) break;
    out.push(l);
    used += b;
  }
  return out;
}

const plan = () => planPreTokenizer({ kind: "byte-level" });

function wordsOf(text: string): Map<string, number> {
  const c = new WordCounter(plan());
  c.addText(text);
  return c.words();
}

interface Trial {
  languages: string[];
  truth: number[];
  estimate: number[];
  log10Mse: number;
  uniformLog10Mse: number;
  seconds: number;
  violatedSteps: number;
}

const trials: Trial[] = [];
const rand = mulberry32(Number(values.seed));
const samples = new Map<string, Map<string, number>>();
for (const lang of LANGS) samples.set(lang, wordsOf(lines(lang, "devtest").join("\n") + "\n"));

for (const size of [5, 10]) {
  for (let m = 0; m < mixturesPerSize; m++) {
    const started = Date.now();
    const langs = [...LANGS].sort(() => rand() - 0.5).slice(0, size);
    const alpha = dirichlet(size, rand);
    const pools = langs.map((l) => lines(l, "dev"));
    // The largest total that every language can supply at its share.
    const total = Math.min(...pools.map((p, i) => (p.reduce((s, l) => s + bytes(l) + 1, 0) - 1) / alpha[i]!));
    const parts = pools.map((p, i) => take(p, alpha[i]! * total));
    const partBytes = parts.map((p) => p.reduce((s, l) => s + bytes(l) + 1, 0));
    const sum = partBytes.reduce((a, b) => a + b, 0);
    const truth = partBytes.map((b) => b / sum);
    const counter = new WordCounter(plan());
    parts.forEach((p) => counter.addText(p.join("\n") + "\n"));
    const json = trainFromCounts(counter, { model: "bpe", vocabSize: 256 + merges });
    const mergeList = readMerges((json.model as JsonObject).merges!, "model.merges");
    const categories: MixtureCategory[] = langs.map((l) => ({ name: l, words: samples.get(l)! }));
    const result = await inferMixture(mergeList, categories, { maxMerges: merges });
    const estimate = langs.map((l) => result.proportions[l]!);
    const mse = (est: number[]) => est.reduce((s, e, i) => s + (e - truth[i]!) ** 2, 0) / size;
    const trial: Trial = {
      languages: langs,
      truth,
      estimate,
      log10Mse: Math.log10(mse(estimate)),
      uniformLog10Mse: Math.log10(mse(langs.map(() => 1 / size))),
      seconds: (Date.now() - started) / 1000,
      violatedSteps: result.violatedSteps,
    };
    trials.push(trial);
    console.log(
      `n=${size} #${m + 1}: log10 MSE ${trial.log10Mse.toFixed(2)} (uniform ${trial.uniformLog10Mse.toFixed(2)}), ${(sum / 1e6).toFixed(2)} MB, ` +
        `${mergeList.length} merges, ${trial.seconds.toFixed(1)} s, violated steps ${trial.violatedSteps}`,
    );
  }
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
console.log("\n| languages | mixtures | mean log10 MSE | uniform guess | gain (orders of magnitude) |\n|---|---|---|---|---|");
for (const size of [5, 10]) {
  const t = trials.filter((x) => x.languages.length === size);
  const ours = mean(t.map((x) => x.log10Mse));
  const uni = mean(t.map((x) => x.uniformLog10Mse));
  console.log(`| ${size} | ${t.length} | ${ours.toFixed(2)} | ${uni.toFixed(2)} | ${(uni - ours).toFixed(2)} |`);
}
const all = mean(trials.map((x) => x.log10Mse));
const allUni = mean(trials.map((x) => x.uniformLog10Mse));
console.log(`| all | ${trials.length} | ${all.toFixed(2)} | ${allUni.toFixed(2)} | ${(allUni - all).toFixed(2)} |`);
if (values.out) await writeFileAtomic(values.out, JSON.stringify({ merges, trials }, null, 1));
