// `npm run quality:noncanonical -- --models DIR[,DIR…] [--labels A,B…] [--language deu_Latn] [--lines N]`: the
// non-canonical mass of each model (src/decode/noncanonical.ts) on FLORES devtest lines — the probability it puts,
// before each token of the text's canonical encoding, on next tokens its own tokenizer would never produce there. With
// the standard error of the mean over lines (positions within a line are not independent). Prints a markdown table and
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
const labels = arg("labels", "").split(",").filter((l) => l.length > 0);
if (labels.length > 0 && labels.length !== models.length) throw new Error(`--labels: ${labels.length} labels for ${models.length} models`);
const language = arg("language", "deu_Latn");
const count = Number(arg("lines", "10"));
const out = arg("out", "");
const all = floresLines(language, "devtest");
const lines = Array.from({ length: count }, (_, k) => all[Math.floor(((k + 0.5) * all.length) / count)]!);

const rows: { model: string; folder: string; mean: number; standardErrorOverLines: number; max: number; positions: number; seconds: number; cpuSeconds: number }[] = [];
for (const [k, dir] of models.entries()) {
  const { folder, tokenizer } = await loadLanguageModel(dir);
  const t = performance.now();
  const cpu = process.cpuUsage();
  const r = await nonCanonicalMass(await tokenLM(folder), coverRule(tokenizer), lines);
  const { user, system } = process.cpuUsage(cpu);
  const perLine = r.perText.map((v) => v.reduce((a, b) => a + b, 0) / Math.max(1, v.length));
  const m = perLine.reduce((a, b) => a + b, 0) / perLine.length;
  const se = Math.sqrt(perLine.reduce((a, x) => a + (x - m) ** 2, 0) / Math.max(1, perLine.length - 1) / perLine.length);
  rows.push({ model: labels[k] ?? dir, folder: dir, mean: r.mean, standardErrorOverLines: se, max: r.max, positions: r.positions, seconds: (performance.now() - t) / 1000, cpuSeconds: (user + system) / 1e6 });
  process.stderr.write(`${dir}: mean ${r.mean.toFixed(4)} over ${r.positions} positions\n`);
}
const result = { what: "mean probability of non-canonical next tokens over the canonical encoding of FLORES devtest lines", language, lines: count, models: rows };
if (out) {
  writeFileSync(`${out}.tmp`, JSON.stringify(result, null, 2) + "\n");
  renameSync(`${out}.tmp`, out);
}
console.log("| model | positions | mean non-canonical mass (± s.e. over lines) | max |");
console.log("|---|---|---|---|");
for (const r of rows) console.log(`| ${r.model} | ${r.positions} | ${r.mean.toFixed(4)} ± ${r.standardErrorOverLines.toFixed(4)} | ${r.max.toFixed(3)} |`);
console.log(JSON.stringify(result));
