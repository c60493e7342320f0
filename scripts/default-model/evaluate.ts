// Bits per byte of the default model on FLORES-200 devtest, per language of its training mix, next to unigram
// baselines with the same tokenizer (add-one smoothing; src/analyze/metrics.ts unigramBitsPerByte): fitted on the
// language's FLORES *dev* text (issue 12's bar: the model ≤ 0.8× that on English devtest), on the whole training
// corpus (the model's own data) and on that language's training text alone. With --baseline DIR (another model
// folder, e.g. the previous default model) its bits per byte on the same lines stand beside.
// Run: node --import tsx scripts/default-model/evaluate.ts [--model DIR] [--baseline DIR] [--corpus DIR] [--flores DIR]
//      [--lines N] [--languages en,de,…] [--skip-pooled] [--json FILE]
import "../../src/tensor/install-node-shims.js";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { scriptArgs } from "../script-args.js";
import { loadLanguageModel } from "../../src/lm/node.js";
import { bitsPerByte } from "../../src/lm/bpb.js";
import { unigramBitsPerByte } from "../../src/analyze/metrics.js";
import { writeFileAtomic } from "../../src/node/files.js";

const { values: args } = scriptArgs(import.meta.url, {
  options: {
    model: { type: "string" },
    baseline: { type: "string" },
    corpus: { type: "string", default: "tmp/corpus/text" },
    flores: { type: "string", default: "../shared/data/flores200" },
    lines: { type: "string", default: "1012" },
    json: { type: "string" },
    // Comma-separated corpus languages to evaluate (default: every one FLORES has).
    languages: { type: "string" },
    // Skips the unigram baseline fitted on the whole corpus (re-tokenizing 100 MB is most of a short run's time).
    "skip-pooled": { type: "boolean", default: false },
  },
});
// Corpus language → FLORES-200 code, for every corpus language FLORES has.
const FLORES: Record<string, string> = {
  en: "eng_Latn", de: "deu_Latn", fr: "fra_Latn", es: "spa_Latn", ru: "rus_Cyrl", pl: "pol_Latn", uk: "ukr_Cyrl", ja: "jpn_Jpan",
  zh: "zho_Hans", "zh-Hant": "zho_Hant", it: "ita_Latn", nl: "nld_Latn", pt: "por_Latn", cs: "ces_Latn", fi: "fin_Latn", tr: "tur_Latn",
  id: "ind_Latn", hu: "hun_Latn", vi: "vie_Latn", ar: "arb_Arab", fa: "pes_Arab", el: "ell_Grek", ko: "kor_Hang", bg: "bul_Cyrl",
};
const { folder, tokenizer, dir } = await loadLanguageModel(args.model);
const baseline = args.baseline ? await loadLanguageModel(args.baseline) : null;
const V = tokenizer.vocabSize();
const countIds = (ids: ArrayLike<number>, into = new Map<number, number>()) => {
  for (let i = 0; i < ids.length; i++) into.set(ids[i]!, (into.get(ids[i]!) ?? 0) + 1);
  return into;
};
const wanted = args.languages ? new Set(args.languages.split(",")) : null;
const pooled = new Map<number, number>();
const perLanguage = new Map<string, Map<number, number>>();
for (const f of readdirSync(args.corpus!).filter((f) => f.endsWith(".txt")).sort()) {
  if (args["skip-pooled"] && wanted && !wanted.has(f.slice(0, -4))) continue;
  const text = readFileSync(join(args.corpus!, f), "utf8");
  // The model trains on the first 98% of each file's tokens; fit the unigram baselines on the same share.
  const ids = tokenizer.encode(text.slice(0, Math.floor(text.length * 0.98)), { addSpecialTokens: false }).ids;
  perLanguage.set(f.slice(0, -4), countIds(ids));
  countIds(ids, pooled);
}
const lines = (split: "dev" | "devtest", code: string) => readFileSync(join(args.flores!, split, `${code}.${split}`), "utf8").split("\n").filter((l) => l.length > 0);
interface Row { language: string; flores: string; bytes: number; tokens: number; model: number; baseline?: number; unigramFloresDev: number; unigramPooled: number; unigramLanguage: number }
const rows: Row[] = [];
process.stdout.write(`| language | FLORES | model | ${baseline ? "baseline | " : ""}unigram (FLORES dev) | model / unigram (dev) | unigram (pooled) | unigram (language) |\n`);
process.stdout.write(`|---|---|---|${baseline ? "---|" : ""}---|---|---|---|\n`);
for (const [lang, code] of Object.entries(FLORES)) {
  if (!perLanguage.has(lang) || (wanted && !wanted.has(lang))) continue;
  const text = lines("devtest", code).slice(0, Number(args.lines)).join("\n");
  const r = await bitsPerByte(folder, tokenizer, text);
  const ids = tokenizer.encode(text, { addSpecialTokens: false }).ids;
  const dev = countIds(tokenizer.encode(lines("dev", code).join("\n"), { addSpecialTokens: false }).ids);
  const row: Row = {
    language: lang, flores: code, bytes: r.bytes, tokens: r.tokens, model: r.bitsPerByte,
    unigramFloresDev: unigramBitsPerByte(dev, ids, r.bytes, V),
    unigramPooled: args["skip-pooled"] ? NaN : unigramBitsPerByte(pooled, ids, r.bytes, V), unigramLanguage: unigramBitsPerByte(perLanguage.get(lang)!, ids, r.bytes, V),
  };
  if (baseline) row.baseline = (await bitsPerByte(baseline.folder, baseline.tokenizer, text)).bitsPerByte;
  rows.push(row);
  const f = (x: number) => x.toFixed(3);
  process.stdout.write(`| ${lang} | ${code} | ${f(row.model)} | ${row.baseline === undefined ? "" : `${f(row.baseline)} | `}${f(row.unigramFloresDev)} | ${f(row.model / row.unigramFloresDev)} | ${f(row.unigramPooled)} | ${f(row.unigramLanguage)} |\n`);
}
const mean = (k: "model" | "baseline" | "unigramFloresDev" | "unigramPooled" | "unigramLanguage") => rows.reduce((a, r) => a + (r[k] ?? NaN), 0) / rows.length;
process.stdout.write(`| **mean** | | ${mean("model").toFixed(3)} | ${baseline ? `${mean("baseline").toFixed(3)} | ` : ""}${mean("unigramFloresDev").toFixed(3)} | | ${mean("unigramPooled").toFixed(3)} | ${mean("unigramLanguage").toFixed(3)} |\n`);
const worse = baseline ? rows.filter((r) => r.model >= r.baseline!).map((r) => r.language) : [];
if (baseline) process.stdout.write(worse.length ? `not better than the baseline on: ${worse.join(", ")}\n` : "better than the baseline on every language\n");
if (args.json) await writeFileAtomic(args.json, JSON.stringify({ model: dir, baseline: baseline?.dir, lines: Number(args.lines), rows }, null, 2) + "\n");
process.exit(0);
