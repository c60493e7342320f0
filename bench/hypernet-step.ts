// Time of one hypernetwork training step (issue 15): the bundled default model frozen, the bundled network's shape,
// DEFAULT_TRAIN's batch (8 rows × 128 tokens of a sampled 8k tokenizer, a token set of 1,024), through the tensor
// backend (jax-js on wasm, its worker threads) and through the hand-written CPU step (OpenBLAS). Each backend runs in
// its own process (jax-js's workers spin-wait and would slow the other); the same texts and sampled tokenizers in both.
// Text: the held-out files of assets/text, cut into rows of 1,600 characters.
// Run: npm run bench:hypernet [-- --steps 10]   (one backend alone: node --import tsx bench/hypernet-step.ts --backend blas)
import "../src/tensor/install-node-shims.js";
import { spawnSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { scriptArgs } from "../scripts/script-args.js";

const { values: args } = scriptArgs(import.meta.url, { options: { steps: { type: "string", default: "10" }, backend: { type: "string" } } });
const steps = Number(args.steps);
if (!(Number.isInteger(steps) && steps >= 2)) throw new Error(`--steps: expected an integer ≥ 2, got ${args.steps}`);

if (!args.backend) {
  const rows: Record<string, number | string>[] = [];
  for (const backend of ["jax", "blas"]) {
    const r = spawnSync(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url), "--backend", backend, "--steps", String(steps)], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`${backend}: exited with ${r.status}: ${r.stderr.trim().split("\n").slice(-3).join(" / ")}`);
    const row = JSON.parse(r.stdout.trim().split("\n").pop()!) as Record<string, number | string>;
    console.log(JSON.stringify(row));
    rows.push(row);
  }
  const [jax, blas] = rows as [Record<string, number>, Record<string, number>];
  console.log(JSON.stringify({ speedup: +(jax.medianSeconds! / blas.medianSeconds!).toFixed(2), cpuSpeedup: +(jax.cpuSecondsPerStep! / blas.cpuSecondsPerStep!).toFixed(2) }));
  process.exit(0);
}

const { initBackend } = await import("../src/tensor/backend.js");
const { loadLanguageModel } = await import("../src/lm/node.js");
const { modelEmbeddings } = await import("../src/transfer/evaluate.js");
const { loadHypernet } = await import("../src/transfer/hypernet/index.js");
const { DEFAULT_TRAIN, HypernetTrainer } = await import("../src/transfer/hypernet/train.js");
const { loadOpenBlas } = await import("../src/node/openblas.js");
const { warmupCosine } = await import("../src/tensor/optim.js");
await initBackend();
let gemm;
if (args.backend === "blas") {
  const blas = loadOpenBlas();
  if (!("gemm" in blas)) throw new Error(`--backend blas: ${blas.error}`);
  gemm = blas.gemm;
} else if (args.backend !== "jax") throw new Error(`--backend ${args.backend}: expected jax or blas`);

const { folder, tokenizer } = await loadLanguageModel(undefined);
const sourceView = await modelEmbeddings(folder);
const net = await loadHypernet(new URL("../assets/hypernet", import.meta.url).pathname);
const text = readdirSync(new URL("../assets/text", import.meta.url))
  .filter((f) => f.endsWith("-heldout.txt"))
  .sort()
  .map((f) => readFileSync(new URL(`../assets/text/${f}`, import.meta.url), "utf8"))
  .join("\n");
const rows: string[] = [];
for (let at = 0; at + 1600 <= text.length; at += 1600) rows.push(text.slice(at, at + 1600));
const trainer = new HypernetTrainer(net, folder, tokenizer, sourceView, { ...DEFAULT_TRAIN, gemm }, warmupCosine({ peak: 1e-4, warmup: 1, total: steps + 1 }));
const batchAt = (s: number) => Array.from({ length: DEFAULT_TRAIN.batch }, (_, i) => rows[(s * DEFAULT_TRAIN.batch + i * 7) % rows.length]!);
await trainer.trainStep(batchAt(0)); // compiles (jax-js), fills workspaces (CPU)
const seconds: number[] = [];
const c0 = process.cpuUsage();
let loss = 0;
for (let s = 1; s <= steps; s++) {
  const log = await trainer.trainStep(batchAt(s));
  seconds.push(log.seconds);
  loss = log.loss;
}
const cpu = process.cpuUsage(c0);
seconds.sort((a, b) => a - b);
console.log(
  JSON.stringify({
    backend: gemm ? `CPU step (${gemm.name})` : "jax-js (wasm)",
    steps,
    medianSeconds: +seconds[Math.floor(seconds.length / 2)]!.toFixed(3),
    // The process's CPU time per step, every thread counted (jax-js's workers, OpenBLAS's).
    cpuSecondsPerStep: +((cpu.user + cpu.system) / 1e6 / steps).toFixed(3),
    lastLoss: +loss.toFixed(4),
  }),
);
process.exit(0);
