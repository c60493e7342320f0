// Pathological input: one long unsplit piece (a single letter, letters without spaces, a digit run, an emoji ZWJ
// chain, a space run) of 1, 2, 4 and 8 MB, each encoded once in a fresh process by retoken (encode() with its tokens
// and offsets read, and encodeIds()) and by the HF native binding. Reports seconds per MB, how flat that stays from 1
// to 8 MB (max/min), and retoken's time against HF's on the same input. The tokenizers: GPT-2 and Llama 2
// (tokenizer.json), and cl100k as a rank file (tiktoken's packaged ranks; HF runs the tokenizer.json retoken writes
// from them, its ids checked equal to tiktoken's by test/formats — tiktoken itself is quadratic in a piece's length:
// 0.2 MB of letters took it 50 s). Run: node --import tsx bench/pathological.ts [--sizes 1,2,4,8] [--processes N]
// [--json FILE] [--tokenizers GPT-2,Llama 2,cl100k] [--kinds letter,spaces] [--tools NAME,…] [--src] [--warm]
// [--node-options "FLAGS"]. --processes N: each
// (input, size, encoder) timed in N fresh processes, the median kept (one process on
// this VM now and then runs ~1.5× slow, which alone can move a row's max/min past 1.5); each round runs every size and
// tool once (sizes and tools take turns).
// --warm: each process first encodes 64 KB of the same kind (untimed), so the timed call shows the cost per MB without
// the first long call's fixed cost (V8 compiling the long-piece loops as they run); the default measures that call cold.
// "retoken encode() offsetSpans" reads the offsets as one flat array instead of a [start, end] pair per token: a fresh
// process's young generation is small, and the pairs of a 1 MB input (0.5–0.7 M objects, all kept) are copied by
// each scavenge while it grows; V8 allocates them old only once it has grown to its largest, which an 8 MB input
// reaches early. --node-options: flags for every timed process (e.g. "--min-semi-space-size=64
// --max-semi-space-size=64" to see the pairs' cost with the young generation grown from the start) — a diagnostic,
// not how a user runs.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { builtEntry } from "./built-entry.js";
import { fileURLToPath } from "node:url";
import { packagedTiktokenToTokenizerJson } from "../src/formats/tiktoken.js";

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const sizes = (flag("--sizes") ?? "1,2,4,8").split(",").map(Number);
const processes = Number(flag("--processes") ?? 1);
if (!Number.isInteger(processes) || processes < 1) throw new Error(`--processes: expected a positive integer, got ${flag("--processes")}`);
const root = fileURLToPath(new URL("..", import.meta.url));
// retoken as a user's `import "retoken"` loads it (the build: npm run build), as bench/encode.ts and bench/load.ts
// measure it, and every process without tsx; --src: from the sources, through tsx.
const fromSources = args.includes("--src");
const warm = args.includes("--warm");
const nodeOptions = (flag("--node-options") ?? "").split(" ").filter(Boolean);
const entry = fromSources ? `${root}src/index.ts` : builtEntry(root, "bench/pathological.ts (or pass --src)");
// Each tokenizer: the file retoken loads, and the tokenizer.json HF loads (the same file, or one written for it).
const scratch = mkdtempSync(join(tmpdir(), "retoken-pathological-"));
process.on("exit", () => rmSync(scratch, { recursive: true, force: true }));
const cl100k = `${root}node_modules/tiktoken/encoders/cl100k_base.json`;
const tokenizers = ([
  ["GPT-2", `${root}../shared/data/tokenizers/gpt-2.json`, () => `${root}../shared/data/tokenizers/gpt-2.json`],
  ["Llama 2", `${root}../shared/data/tokenizers/llama.json`, () => `${root}../shared/data/tokenizers/llama.json`],
  [
    "cl100k",
    cl100k,
    () => {
      const out = join(scratch, "cl100k.tokenizer.json");
      writeFileSync(out, JSON.stringify(packagedTiktokenToTokenizerJson(JSON.parse(readFileSync(cl100k, "utf8")))));
      return out;
    },
  ],
] as [string, string, () => string][]).filter(([name]) => flag("--tokenizers")?.split(",").includes(name) ?? true);
// Each kind builds about `bytes` bytes of UTF-8 text.
const kinds: Record<string, string> = {
  letter: `"a".repeat(bytes)`,
  letters: `"abcdefghij".repeat(bytes / 10)`,
  digits: `"1234567890".repeat(bytes / 10)`,
  emoji: `"\\u{1F468}\\u200D\\u{1F469}\\u200D\\u{1F467}".repeat(Math.floor(bytes / 18))`,
  spaces: `" ".repeat(bytes)`,
};
const tools: Record<string, (file: string, hfFile: string) => string> = {
  "retoken encode()": (file) => `const { Tokenizer } = await import(${JSON.stringify(entry)}); const t = await Tokenizer.fromFile(${JSON.stringify(file)}); return (s) => { const e = t.encode(s, { addSpecialTokens: false }); return e.tokens.length + e.offsets.length - e.ids.length; };`,
  "retoken encode() offsetSpans": (file) => `const { Tokenizer } = await import(${JSON.stringify(entry)}); const t = await Tokenizer.fromFile(${JSON.stringify(file)}); return (s) => { const e = t.encode(s, { addSpecialTokens: false }); return e.tokens.length + e.offsetSpans.length / 2 - e.ids.length; };`,
  "retoken encodeIds()": (file) => `const { Tokenizer } = await import(${JSON.stringify(entry)}); const t = await Tokenizer.fromFile(${JSON.stringify(file)}); return (s) => t.encodeIds(s, { addSpecialTokens: false }).length;`,
  "HF native encode": (_, hfFile) => `const { Tokenizer } = await import("tokenizers"); const t = Tokenizer.fromFile(${JSON.stringify(hfFile)}); return async (s) => (await t.encode(s, null, { addSpecialTokens: false })).getIds().length;`,
};
const chosenTools = flag("--tools")?.split(",");
for (const tool of chosenTools ?? []) if (!(tool in tools)) throw new Error(`--tools: no tool "${tool}" (the tools: ${Object.keys(tools).join(", ")})`);
for (const tool of Object.keys(tools)) if (chosenTools && !chosenTools.includes(tool)) delete tools[tool];

function once(load: string, kind: string, mb: number): number | string {
  const warmUp = warm ? `{ const bytes = 64_000; await encode(${kinds[kind]}); }` : "";
  const script = `const bytes = ${mb * 1_000_000}; const text = ${kinds[kind]}; const encode = await (async () => { ${load} })(); ${warmUp} const t0 = performance.now(); const n = await encode(text); console.log(JSON.stringify({ seconds: (performance.now() - t0) / 1000, n }));`;
  const r = spawnSync(process.execPath, [...nodeOptions, ...(fromSources ? ["--import", "tsx"] : []), "--input-type=module", "-e", script], { encoding: "utf8", cwd: root, maxBuffer: 1 << 24 });
  if (r.status !== 0) return r.stderr.trim().split("\n").slice(-1)[0] ?? `exit ${r.status}`;
  return JSON.parse(r.stdout.trim().split("\n").pop()!).seconds as number;
}

const results: { tokenizer: string; kind: string; tool: string; mb: number; secondsPerMB: number | null; runs?: number[]; error?: string }[] = [];
console.log(`| tokenizer | input | encoder | s/MB at ${sizes.join(", ")} MB | flat (max/min) | × HF's time (largest size) |`);
console.log(`|---|---|---|---|---|---|`);
for (const [name, file, hfFileOf] of tokenizers) {
  const hfFile = hfFileOf();
  for (const kind of Object.keys(kinds).filter((k) => flag("--kinds")?.split(",").includes(k) ?? true)) {
    const perTool = new Map<string, (number | null)[]>();
    // Round k runs every (size, tool) once, sizes and tools taking turns, so that a slow stretch of the VM (this one
    // runs ~1.5× slow for minutes at a time) falls on all sizes and tools alike: flatness compares the sizes.
    const bySize = sizes.map(() => new Map<string, (number | string)[]>(Object.keys(tools).map((tool) => [tool, []])));
    for (let k = 0; k < processes; k++)
      for (const [at, mb] of sizes.entries()) for (const [tool, load] of Object.entries(tools)) bySize[at]!.get(tool)!.push(once(load(file, hfFile), kind, mb));
    for (const tool of Object.keys(tools)) {
      const row: (number | null)[] = [];
      for (const [at, mb] of sizes.entries()) {
        const runs = bySize[at]!.get(tool)!;
        const failed = runs.find((s): s is string => typeof s === "string");
        // The median of the processes (the lower one of an even count).
        const times = (runs as number[]).slice().sort((a, b) => a - b);
        const perMB = failed === undefined ? times[(times.length - 1) >> 1]! / mb : null;
        row.push(perMB);
        results.push({ tokenizer: name, kind, tool, mb, secondsPerMB: perMB, ...(failed === undefined ? (processes > 1 ? { runs: times.map((t) => t / mb) } : {}) : { error: failed }) });
      }
      perTool.set(tool, row);
    }
    const hf = perTool.get("HF native encode") ?? [];
    for (const [tool, row] of perTool) {
      const ok = row.filter((x): x is number => x !== null);
      const flat = ok.length ? Math.max(...ok) / Math.min(...ok) : NaN;
      const last = row[row.length - 1];
      const hfLast = hf[hf.length - 1];
      const ratio = last != null && hfLast != null ? (last / hfLast).toFixed(2) : "–";
      console.log(`| ${name} | ${kind} | ${tool} | ${row.map((x) => (x === null ? "error" : x.toFixed(3))).join(", ")} | ${flat.toFixed(2)} | ${ratio} |`);
    }
  }
}
const out = flag("--json");
if (out) writeFileSync(out, JSON.stringify({ sizes, results }, null, 2));
