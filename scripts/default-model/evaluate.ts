// Bits per byte of the default model on FLORES-200 devtest, per language of its training mix, next to two unigram
// baselines with the same tokenizer: fitted on the whole training corpus (the model's own data) and on that
// language's training text alone (add-one smoothing; src/analyze/metrics.ts unigramBitsPerByte).
// Run: node --import tsx scripts/default-model/evaluate.ts [--model DIR] [--corpus DIR] [--flores DIR] [--lines N] [--json OUT]
import "../../src/tensor/install-node-shims.js";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { loadLanguageModel } from "../../src/lm/node.js";
import { bitsPerByte } from "../../src/lm/bpb.js";
import { unigramBitsPerByte } from "../../src/analyze/metrics.js";
import { writeFileAtomic } from "../../src/node/files.js";

const { values: args } = parseArgs({
  options: {
    model: { type: "string" },
    corpus: { type: "string", default: "tmp/corpus/text" },
    flores: { type: "string", default: "../shared/data/flores200" },
    lines: { type: "string", default: "200" },
    json: { type: "string" },
  },
});
const FLORES: Record<string, string> = {
  en: "eng_Latn", de: "deu_Latn", fr: "fra_Latn", es: "spa_Latn", ru: "rus_Cyrl", pl: "pol_Latn", uk: "ukr_Cyrl", ja: "jpn_Jpan",
  zh: "zho_Hans", "zh-Hant": "zho_Hant", it: "ita_Latn", nl: "nld_Latn", pt: "por_Latn", cs: "ces_Latn", fi: "fin_Latn", tr: "tur_Latn",
  id: "ind_Latn", hu: "hun_Latn", vi: "vie_Latn",
};
const { folder, tokenizer, dir } = await loadLanguageModel(args.model);
const V = tokenizer.vocabSize();
const pooled = new Map<number, number>();
const perLanguage = new Map<string, Map<number, number>>();
for (const f of readdirSync(args.corpus!).filter((f) => f.endsWith(".txt")).sort()) {
  const lang = f.slice(0, -4);
  const counts = new Map<number, number>();
  const text = readFileSync(join(args.corpus!, f), "utf8");
  // The model trains on the first 98% of each file's tokens; fit the unigram baselines on the same share.
  for (const id of tokenizer.encode(text.slice(0, Math.floor(text.length * 0.98)), { addSpecialTokens: false }).ids) {
    counts.set(id, (counts.get(id) ?? 0) + 1);
    pooled.set(id, (pooled.get(id) ?? 0) + 1);
  }
  perLanguage.set(lang, counts);
}
const rows: { language: string; flores: string; bytes: number; tokens: number; model: number; unigramPooled: number; unigramLanguage: number }[] = [];
for (const [lang, code] of Object.entries(FLORES)) {
  if (!perLanguage.has(lang)) continue;
  const text = readFileSync(join(args.flores!, "devtest", `${code}.devtest`), "utf8").split("\n").slice(0, Number(args.lines)).join("\n");
  const r = await bitsPerByte(folder, tokenizer, text);
  const ids = tokenizer.encode(text, { addSpecialTokens: false }).ids;
  rows.push({ language: lang, flores: code, bytes: r.bytes, tokens: r.tokens, model: r.bitsPerByte, unigramPooled: unigramBitsPerByte(pooled, ids, r.bytes, V), unigramLanguage: unigramBitsPerByte(perLanguage.get(lang)!, ids, r.bytes, V) });
  const x = rows[rows.length - 1]!;
  process.stdout.write(`| ${lang} | ${code} | ${x.model.toFixed(3)} | ${x.unigramPooled.toFixed(3)} | ${x.unigramLanguage.toFixed(3)} |\n`);
}
const mean = (k: "model" | "unigramPooled" | "unigramLanguage") => rows.reduce((a, r) => a + r[k], 0) / rows.length;
process.stdout.write(`| mean | | ${mean("model").toFixed(3)} | ${mean("unigramPooled").toFixed(3)} | ${mean("unigramLanguage").toFixed(3)} |\n`);
if (args.json) await writeFileAtomic(args.json, JSON.stringify({ model: dir, lines: Number(args.lines), rows }, null, 2) + "\n");
process.exit(0);
