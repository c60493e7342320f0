// Issue 20, item 3: does a base model's hypernetwork carry over to a fine-tuned variant? The base model is fine-tuned
// (every weight, `retoken finetune`) on FLORES dev text of one language; the variant is then transferred to language
// tokenizers with the *base* model's hypernetwork, by FVT and by copy, and every result is scored in bits per byte on
// held-out FLORES devtest lines against the variant with its own tokenizer, and beside the base model transferred the
// same ways (how much of the base model's transfer quality the network keeps on the variant).
//
//   node --import tsx scripts/finetune-variant.ts --language de --steps 200 --batch 8 --seq 128 --targets de,fr,ru \
//     --eval-lines 100 --work tmp/finetune-variant --json docs/finetune-variant.json
//
// Reruns reuse the variant (its checkpoint resumes) and the transferred folders.
import "../src/tensor/install-node-shims.js";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { scriptArgs } from "./script-args.js";
import { finetuneModelFolder } from "../src/lm/finetune.js";
import { DEFAULT_MODEL_DIR, loadLanguageModel } from "../src/lm/node.js";
import { bitsPerByte } from "../src/lm/bpb.js";
import { DEFAULT_HYPERNET_DIR } from "../src/transfer/hypernet/index.js";
import { runTransfer } from "../src/cli/commands/transfer.js";
import { floresLines } from "./flores-lines.js";

const { values: args } = scriptArgs(import.meta.url, {
  options: {
    model: { type: "string" },
    hypernet: { type: "string" },
    language: { type: "string", default: "de" },
    targets: { type: "string", default: "de,fr,ru" },
    methods: { type: "string", default: "copy,fvt,hypernet" },
    steps: { type: "string", default: "200" },
    batch: { type: "string", default: "8" },
    seq: { type: "string", default: "128" },
    lr: { type: "string", default: "1e-3" },
    "train-lines": { type: "string", default: "997" },
    "eval-lines": { type: "string", default: "100" },
    work: { type: "string", default: "tmp/finetune-variant" },
    json: { type: "string" },
  },
});

const targets = args.targets!.split(",");
const methods = args.methods!.split(",");
// Every language has a tokenizer and FLORES text before anything runs.
for (const l of [args.language!, ...targets]) floresLines("dev", l, 1);
const work = resolve(args.work!);
mkdirSync(work, { recursive: true });
const baseDir = args.model ?? DEFAULT_MODEL_DIR;
const hypernetDir = args.hypernet ?? DEFAULT_HYPERNET_DIR;
const t0 = Date.now();
const note = (s: string) => process.stderr.write(`${s} (${((Date.now() - t0) / 60000).toFixed(1)} min)\n`);

// 1. The variant: the base model fine-tuned on one language's FLORES dev text.
const trainFile = join(work, `${args.language}-train.txt`);
writeFileSync(trainFile, floresLines("dev", args.language!, Number(args["train-lines"])));
const variantDir = join(work, `variant-${args.language}`);
if (!existsSync(join(variantDir, "config.json")))
  await finetuneModelFolder({ modelDir: baseDir, texts: [trainFile], out: variantDir, steps: Number(args.steps), batch: Number(args.batch), seq: Number(args.seq), lr: Number(args.lr), onProgress: (e, total) => void (e.step % 25 === 0 && note(`variant step ${e.step}/${total} loss ${e.loss?.toFixed(3) ?? "—"}`)) });

async function score(dir: string, text: string): Promise<number> {
  const { folder, tokenizer } = await loadLanguageModel(dir);
  try {
    return (await bitsPerByte(folder, tokenizer, text)).bitsPerByte;
  } finally {
    for (const t of Object.values(folder.params)) t.dispose();
  }
}

// 2. Each target: the variant and the base with their own tokenizer, each transferred by each method (the base's
// rows are the reference for how much the network's quality carries over). The JSON is rewritten after every row.
interface Row { target: string; model: string; method: string; bitsPerByte: number }
const rows: Row[] = [];
const settings = { model: relative(process.cwd(), baseDir), hypernet: relative(process.cwd(), hypernetDir), language: args.language, targets, methods, steps: Number(args.steps), batch: Number(args.batch), seq: Number(args.seq), lr: Number(args.lr), trainLines: Number(args["train-lines"]), evalLines: Number(args["eval-lines"]) };
const cpu = process.cpuUsage();
const save = () => {
  const used = process.cpuUsage(cpu);
  if (args.json) writeFileSync(args.json, JSON.stringify({ settings, rows, minutes: (Date.now() - t0) / 60000, cpuSecondsAfterVariant: Math.round((used.user + used.system) / 1e6) }, null, 1) + "\n");
};
for (const target of targets) {
  const evalText = floresLines("devtest", target, Number(args["eval-lines"]));
  for (const [model, dir] of [["base", baseDir], ["variant", variantDir]] as const) {
    rows.push({ target, model, method: "own tokenizer", bitsPerByte: await score(dir, evalText) });
    for (const method of methods) {
      const out = join(work, `${model === "base" ? "base" : `variant-${args.language}`}-${target}-${method}`);
      if (!existsSync(join(out, "config.json")))
        await runTransfer({ model: dir, hypernet: hypernetDir, tokenizer: `assets/tokenizers/${target}-8k.json`, method, out, progress: false }, () => {});
      rows.push({ target, model, method, bitsPerByte: await score(out, evalText) });
      note(`${target} ${model} → ${method}: ${rows[rows.length - 1]!.bitsPerByte.toFixed(4)}`);
    }
    save();
  }
}

const get = (target: string, model: string, method: string) => rows.find((r) => r.target === target && r.model === model && r.method === method)!.bitsPerByte.toFixed(3);
const table = [
  `| target | variant, own tokenizer | ${methods.map((m) => `variant → ${m}`).join(" | ")} | base, own tokenizer | ${methods.map((m) => `base → ${m}`).join(" | ")} |`,
  `|---|---|${methods.map(() => "---|").join("")}---|${methods.map(() => "---|").join("")}`,
];
for (const target of targets)
  table.push(`| ${target}-8k | ${get(target, "variant", "own tokenizer")} | ${methods.map((m) => get(target, "variant", m)).join(" | ")} | ${get(target, "base", "own tokenizer")} | ${methods.map((m) => get(target, "base", m)).join(" | ")} |`);
process.stdout.write(table.join("\n") + "\n");
save();
