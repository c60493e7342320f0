// The gap-closing curve of issue 20: a model transferred to language tokenizers by several methods, then continued
// training (`retoken finetune`, embeddings only by default) on FLORES dev text of that language, with bits per byte
// on held-out FLORES devtest lines every --eval-every steps, against the original model on the same lines.
//
//   node --import tsx scripts/finetune-curve.ts --languages de,fr,ru --methods original,copy,fvt,hypernet \
//     --steps 500 --eval-every 50 --batch 8 --seq 256 --work tmp/finetune-curve --json docs/finetune-curve.json
//
// "original" continues training the original model on the same text (the fair reference: it also adapts to the
// domain); its line at step 0 is the untransferred model. Every run checkpoints, so rerunning resumes where it
// stopped; transferred folders are reused.
import "../src/tensor/install-node-shims.js";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { finetuneModelFolder, type FinetuneLogEntry } from "../src/lm/finetune.js";
import { DEFAULT_MODEL_DIR } from "../src/lm/node.js";
import { runTransfer } from "../src/cli/commands/transfer.js";
import { floresLines } from "./flores-lines.js";

const { values: args } = parseArgs({
  options: {
    model: { type: "string" },
    hypernet: { type: "string" },
    languages: { type: "string", default: "de,fr,ru" },
    methods: { type: "string", default: "original,copy,fvt,hypernet" },
    steps: { type: "string", default: "500" },
    "eval-every": { type: "string", default: "50" },
    "eval-lines": { type: "string", default: "60" },
    "train-lines": { type: "string", default: "997" },
    batch: { type: "string", default: "8" },
    seq: { type: "string", default: "256" },
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
}
const rows: CurveRow[] = [];
const t0 = Date.now();
for (const language of languages) {
  const trainFile = join(work, `${language}-train.txt`);
  const evalFile = join(work, `${language}-eval.txt`);
  writeFileSync(trainFile, floresLines("dev", language, Number(args["train-lines"])));
  writeFileSync(evalFile, floresLines("devtest", language, Number(args["eval-lines"])));
  for (const method of methods) {
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
    rows.push({ language, method, points: result.log.filter((e) => e.eval).map((e) => ({ step: e.step, tokens: e.tokens, bitsPerByte: e.eval![language]! })) });
  }
}

// The table: one row per language and method, one column per evaluated step; "reached" is the first step at which
// the line is at or below the original model's bits per byte before any training.
const steps = [...new Set(rows.flatMap((r) => r.points.map((p) => p.step)))].sort((a, b) => a - b);
const tokensAt = new Map(rows.flatMap((r) => r.points.map((p) => [p.step, p.tokens] as const)));
const table = [
  `| language | start | ${steps.map((s) => `${s} steps`).join(" | ")} | reaches the original at |`,
  `|---|---|${steps.map(() => "---|").join("")}---|`,
];
for (const r of rows) {
  const original = rows.find((o) => o.language === r.language && o.method === "original")?.points[0]?.bitsPerByte;
  const reached = original === undefined ? "—" : (r.points.find((p) => p.bitsPerByte <= original)?.step ?? "not yet");
  const byStep = new Map(r.points.map((p) => [p.step, p.bitsPerByte]));
  table.push(`| ${r.language} | ${r.method} | ${steps.map((s) => byStep.get(s)?.toFixed(3) ?? "").join(" | ")} | ${reached} |`);
}
table.push(`| | tokens seen | ${steps.map((s) => String(tokensAt.get(s) ?? "")).join(" | ")} | |`);
process.stdout.write(table.join("\n") + "\n");
const settings = { model: relative(process.cwd(), modelDir), languages, methods, steps: Number(args.steps), evalEvery: Number(args["eval-every"]), evalLines: Number(args["eval-lines"]), trainLines: Number(args["train-lines"]), batch: Number(args.batch), seq: Number(args.seq), lr: Number(args.lr), embeddingsOnly: !args["all-weights"] };
if (args.json) writeFileSync(args.json, JSON.stringify({ settings, rows, minutes: (Date.now() - t0) / 60000 }, null, 1) + "\n");
