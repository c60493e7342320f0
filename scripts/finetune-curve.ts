// The gap-closing curve of issue 20: a model transferred to language tokenizers by several methods, then continued
// training (`retoken finetune`, embeddings only by default) on FLORES dev text of that language, with bits per byte
// on held-out FLORES devtest lines every --eval-every steps, against the original model on the same lines.
//
//   node --import tsx scripts/finetune-curve.ts --languages de,fr,ru --methods original,copy,fvt,hypernet \
//     --steps 500 --eval-every 50 --eval-at 10,25,75 --batch 4 --seq 128 --eval-lines 100 \
//     --work tmp/finetune-curve --json docs/finetune-curve.json
//
// "original" continues training the original model on the same text (the fair reference: it also adapts to the
// domain); its line at step 0 is the untransferred model. Every run checkpoints, so rerunning resumes where it
// stopped (a finished run is read back from its checkpoint); transferred folders are reused; the JSON is rewritten
// after every run, so a stopped curve keeps what it measured.
import "../src/tensor/install-node-shims.js";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { scriptArgs } from "./script-args.js";
import { finetuneModelFolder, type FinetuneLogEntry } from "../src/lm/finetune.js";
import { DEFAULT_MODEL_DIR } from "../src/lm/node.js";
import { DEFAULT_HYPERNET_DIR } from "../src/transfer/hypernet/index.js";
import { runTransfer } from "../src/cli/commands/transfer.js";
import { floresLines } from "./flores-lines.js";

const { values: args } = scriptArgs(import.meta.url, {
  options: {
    model: { type: "string" },
    hypernet: { type: "string" },
    languages: { type: "string", default: "de,fr,ru" },
    methods: { type: "string", default: "original,copy,fvt,hypernet" },
    steps: { type: "string", default: "500" },
    "eval-every": { type: "string", default: "50" },
    "eval-at": { type: "string", default: "10,25,75" },
    "eval-lines": { type: "string", default: "100" },
    "train-lines": { type: "string", default: "997" },
    batch: { type: "string", default: "4" },
    seq: { type: "string", default: "128" },
    lr: { type: "string", default: "1e-3" },
    "all-weights": { type: "boolean", default: false },
    work: { type: "string", default: "tmp/finetune-curve" },
    json: { type: "string" },
  },
});

const languages = args.languages!.split(",");
const methods = args.methods!.split(",");
// Every language has a tokenizer and FLORES text before anything runs.
for (const l of languages) floresLines("dev", l, 1);
const work = resolve(args.work!);
mkdirSync(work, { recursive: true });
const modelDir = args.model ?? DEFAULT_MODEL_DIR;

interface CurveRow {
  language: string;
  method: string;
  points: { step: number; tokens: number; bitsPerByte: number }[];
  /** CPU seconds of this process for the transfer and the run (about 1 for a finished run read back from its checkpoint). */
  cpuSeconds: number;
}
const rows: CurveRow[] = [];
const t0 = Date.now();
const evalAt = args["eval-at"] ? args["eval-at"].split(",").map(Number) : [];
const settings = { model: relative(process.cwd(), modelDir), hypernet: relative(process.cwd(), args.hypernet ?? DEFAULT_HYPERNET_DIR), languages, methods, steps: Number(args.steps), evalEvery: Number(args["eval-every"]), evalAt, evalLines: Number(args["eval-lines"]), trainLines: Number(args["train-lines"]), batch: Number(args.batch), seq: Number(args.seq), lr: Number(args.lr), embeddingsOnly: !args["all-weights"] };
const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
for (const language of languages) {
  const trainFile = join(work, `${language}-train.txt`);
  const evalFile = join(work, `${language}-eval.txt`);
  writeFileSync(trainFile, floresLines("dev", language, Number(args["train-lines"])));
  writeFileSync(evalFile, floresLines("devtest", language, Number(args["eval-lines"])));
  for (const method of methods) {
    const cpu0 = cpuSeconds();
    let source = modelDir;
    if (method !== "original") {
      source = join(work, `${language}-${method}`);
      if (!existsSync(join(source, "config.json")))
        await runTransfer({ model: args.model, hypernet: args.hypernet, tokenizer: `assets/tokenizers/${language}-8k.json`, method, out: source, progress: false }, () => {});
    }
    const out = join(work, `${language}-${method}-ft`);
    process.stderr.write(`${language} ${method}: ${source} → ${out}\n`);
    const result = await finetuneModelFolder({
      modelDir: source,
      texts: [trainFile],
      out,
      overwrite: true,
      steps: Number(args.steps),
      evalEvery: Number(args["eval-every"]),
      evalAt,
      checkpointEvery: Number(args["eval-every"]),
      batch: Number(args.batch),
      seq: Number(args.seq),
      lr: Number(args.lr),
      embeddingsOnly: !args["all-weights"],
      eval: [{ name: language, file: evalFile }],
      onProgress: (e: FinetuneLogEntry, total: number) => {
        if (e.eval) process.stderr.write(`  step ${e.step}/${total}  tokens ${e.tokens}  ${e.eval[language]!.toFixed(4)} bits/byte  (${((Date.now() - t0) / 60000).toFixed(1)} min)\n`);
      },
    });
    rows.push({ language, method, points: result.log.filter((e) => e.eval).map((e) => ({ step: e.step, tokens: e.tokens, bitsPerByte: e.eval![language]! })), cpuSeconds: Math.round(cpuSeconds() - cpu0) });
    if (args.json) writeFileSync(args.json, JSON.stringify({ settings, rows, minutes: (Date.now() - t0) / 60000 }, null, 1) + "\n");
  }
}

// The table: one row per language and method, one column per evaluated step, and two "reaches the original" steps:
// the first at which the line is at or below the original model before any training, and the first at which it is at
// or below the original model trained on the same text for the same number of steps (the fairer reference: the
// original also adapts to the text). Each with the tokens seen at the crossing, interpolated linearly between the two
// evaluations around it (the grid is coarse: a step count alone would tie methods that cross 10 steps apart).
/** "step N (≈T tokens)": the first evaluation at or below the reference, and the tokens where the gap to it crossed zero. */
function crossing(points: CurveRow["points"], reference: (step: number) => number, notYet: string): string {
  const i = points.findIndex((p) => p.bitsPerByte <= reference(p.step));
  if (i < 0) return notYet;
  if (i === 0) return `step ${points[0]!.step}`;
  const [a, b] = [points[i - 1]!, points[i]!];
  const [ga, gb] = [a.bitsPerByte - reference(a.step), b.bitsPerByte - reference(b.step)];
  return `step ${b.step} (≈${Math.round(a.tokens + ((b.tokens - a.tokens) * ga) / (ga - gb)).toLocaleString("en")} tokens)`;
}

const steps = [...new Set(rows.flatMap((r) => r.points.map((p) => p.step)))].sort((a, b) => a - b);
const tokensAt = new Map(rows.flatMap((r) => r.points.map((p) => [p.step, p.tokens] as const)));
const table = [
  `| language | method | ${steps.map((s) => (s === 0 ? "start" : `${s} steps`)).join(" | ")} | reaches the untrained original at | reaches the trained original at |`,
  `|---|---|${steps.map(() => "---|").join("")}---|---|`,
];
for (const r of rows) {
  const original = rows.find((o) => o.language === r.language && o.method === "original");
  const originalAt = new Map(original?.points.map((p) => [p.step, p.bitsPerByte]));
  const start = original?.points[0]?.bitsPerByte;
  const notYet = "not by " + r.points[r.points.length - 1]!.step;
  const reachedStart = !original || r === original ? "—" : crossing(r.points, () => start!, notYet);
  const reachedSame = !original || r === original ? "—" : crossing(r.points.filter((p) => originalAt.has(p.step)), (step) => originalAt.get(step)!, notYet);
  const byStep = new Map(r.points.map((p) => [p.step, p.bitsPerByte]));
  table.push(`| ${r.language} | ${r.method} | ${steps.map((s) => byStep.get(s)?.toFixed(3) ?? "").join(" | ")} | ${reachedStart} | ${reachedSame} |`);
}
table.push(`| | tokens seen | ${steps.map((s) => (tokensAt.get(s) ?? 0).toLocaleString("en")).join(" | ")} | | |`);
process.stdout.write(table.join("\n") + "\n");
if (args.json) writeFileSync(args.json, JSON.stringify({ settings, rows, minutes: (Date.now() - t0) / 60000 }, null, 1) + "\n");
