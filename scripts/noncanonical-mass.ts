// `npm run quality:noncanonical -- --models DIR[,DIR…] [--language deu_Latn] [--lines N]`: the non-canonical mass of
// each model (src/decode/noncanonical.ts) on FLORES devtest lines — the probability it puts, before each token of the
// text's canonical encoding, on next tokens its own tokenizer would never produce there. Prints a markdown table and
// one JSON object (--out FILE writes it).
import { writeFileSync, renameSync } from "node:fs";
import { loadLanguageModel } from "../src/lm/node.js";
import { tokenLM } from "../src/lm/token-lm.js";
import { coverRule, nonCanonicalMass } from "../src/decode/index.js";
import { floresLines } from "../test/support/corpora.js";

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
const models = arg("models", "assets/default-model").split(",");
const language = arg("language", "deu_Latn");
const count = Number(arg("lines", "10"));
const out = arg("out", "");
const all = floresLines(language, "devtest");
const lines = Array.from({ length: count }, (_, k) => all[Math.floor(((k + 0.5) * all.length) / count)]!);

const rows: { model: string; mean: number; max: number; positions: number; seconds: number }[] = [];
for (const dir of models) {
  const { folder, tokenizer } = await loadLanguageModel(dir);
  const t = performance.now();
  const r = await nonCanonicalMass(await tokenLM(folder), coverRule(tokenizer), lines);
  rows.push({ model: dir, mean: r.mean, max: r.max, positions: r.positions, seconds: (performance.now() - t) / 1000 });
  process.stderr.write(`${dir}: mean ${r.mean.toFixed(4)} over ${r.positions} positions\n`);
}
const result = { what: "mean probability of non-canonical next tokens over the canonical encoding of FLORES devtest lines", language, lines: count, models: rows };
if (out) {
  writeFileSync(`${out}.tmp`, JSON.stringify(result, null, 2) + "\n");
  renameSync(`${out}.tmp`, out);
}
console.log("| model | positions | mean non-canonical mass | max |");
console.log("|---|---|---|---|");
for (const r of rows) console.log(`| ${r.model} | ${r.positions} | ${r.mean.toFixed(4)} | ${r.max.toFixed(3)} |`);
console.log(JSON.stringify(result));
