// Cold start: a fresh Node process that imports the library, loads a tokenizer and encodes one sentence — the latency a
// CLI, a serverless function or a page pays before its first token. Each encoder runs in its own process, `--reps`
// times (default 5); the median of the process's own clock at the end (performance.now(): ms since the process began,
// Node's start-up included for everyone) is reported, with the load and first-encode parts beside it. A row's
// encoders run in turns (round k runs each once).
// Run: node --import tsx bench/load.ts [--reps 5]   (needs the build: npm run build)
import { spawnSync } from "node:child_process";
import { builtEntry } from "./built-entry.js";
import { fileURLToPath } from "node:url";

const args = process.argv.slice(2);
const repsAt = args.indexOf("--reps");
const reps = repsAt >= 0 ? Number(args[repsAt + 1]) : 5;
const root = fileURLToPath(new URL("..", import.meta.url));
const dist = builtEntry(root, "bench/load.ts");
const SENTENCE = "The quick brown fox jumps over the lazy dog — 1234 ünïcödé, 日本語のテキスト.";
const gpt2 = `${root}../shared/data/tokenizers/gpt-2.json`;
const llama2 = `${root}../shared/data/tokenizers/llama.json`;
const llama3 = `${root}../shared/data/tokenizers/llama3.tiktoken`;
const packaged = (name: string) => `${root}node_modules/tiktoken/encoders/${name}.json`;

/** Each snippet: `load` (an expression awaited, giving an encoder function) runs between two clock reads. */
const retoken = (file: string) => `const { Tokenizer } = await import(${JSON.stringify(dist)}); const t = await Tokenizer.fromFile(${JSON.stringify(file)}); return (s) => t.encodeIds(s, { addSpecialTokens: false });`;
// The same with the full encoding (tokens and offsets read), which is what HF's encode computes.
const retokenFull = (file: string) => `const { Tokenizer } = await import(${JSON.stringify(dist)}); const t = await Tokenizer.fromFile(${JSON.stringify(file)}); return (s) => { const e = t.encode(s, { addSpecialTokens: false }); e.tokens; e.offsets; return e.ids; };`;
const hfNative = (file: string) => `const { Tokenizer } = await import("tokenizers"); const t = Tokenizer.fromFile(${JSON.stringify(file)}); return async (s) => (await t.encode(s, null, { addSpecialTokens: false })).getIds();`;
const hfJs = (file: string) => `const { Tokenizer } = await import("@huggingface/tokenizers"); const fs = await import("node:fs"); const t = new Tokenizer(JSON.parse(fs.readFileSync(${JSON.stringify(file)}, "utf8")), {}); return (s) => t.encode(s, { add_special_tokens: false }).ids;`;
const tiktoken = (name: string) => `const { get_encoding } = await import("tiktoken"); const e = get_encoding(${JSON.stringify(name)}); return (s) => e.encode(s);`;
const jsTiktoken = (name: string) => `const { getEncoding } = await import("js-tiktoken"); const e = getEncoding(${JSON.stringify(name)}); return (s) => e.encode(s);`;
const gptTokenizer = (name: string) => `const m = await import(${JSON.stringify(`gpt-tokenizer/encoding/${name}`)}); return (s) => m.encode(s);`;

const rows: [string, [string, string][]][] = [
  ["GPT-2 (tokenizer.json)", [["retoken", retoken(gpt2)], ["retoken, encode() with tokens and offsets", retokenFull(gpt2)], ["HF tokenizers (native)", hfNative(gpt2)], ["@huggingface/tokenizers", hfJs(gpt2)], ["tiktoken (WASM, r50k)", tiktoken("r50k_base")], ["js-tiktoken (r50k)", jsTiktoken("r50k_base")], ["gpt-tokenizer (r50k)", gptTokenizer("r50k_base")]]],
  ["cl100k_base", [["retoken (tiktoken's packaged ranks)", retoken(packaged("cl100k_base"))], ["retoken, encode() with tokens and offsets", retokenFull(packaged("cl100k_base"))], ["tiktoken (WASM)", tiktoken("cl100k_base")], ["js-tiktoken", jsTiktoken("cl100k_base")], ["gpt-tokenizer", gptTokenizer("cl100k_base")]]],
  ["o200k_base", [["retoken (tiktoken's packaged ranks)", retoken(packaged("o200k_base"))], ["retoken, encode() with tokens and offsets", retokenFull(packaged("o200k_base"))], ["tiktoken (WASM)", tiktoken("o200k_base")], ["js-tiktoken", jsTiktoken("o200k_base")], ["gpt-tokenizer", gptTokenizer("o200k_base")]]],
  ["Llama 3 (tokenizer.model rank file)", [["retoken", retoken(llama3)]]],
  ["Llama 2 (tokenizer.json)", [["retoken", retoken(llama2)], ["retoken, encode() with tokens and offsets", retokenFull(llama2)], ["HF tokenizers (native)", hfNative(llama2)], ["@huggingface/tokenizers", hfJs(llama2)]]],
];

function once(load: string): { total: number; load: number; encode: number } | string {
  const script = `const t0 = performance.now(); const encode = await (async () => { ${load} })(); const t1 = performance.now(); await encode(${JSON.stringify(SENTENCE)}); const t2 = performance.now(); console.log(JSON.stringify({ total: t2, load: t1 - t0, encode: t2 - t1 }));`;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", cwd: root });
  if (r.status !== 0) return r.stderr.trim().split("\n").slice(-1)[0] ?? `exit ${r.status}`;
  return JSON.parse(r.stdout.trim().split("\n").pop()!);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`| tokenizer | encoder | process start → first ids, ms | load, ms | first encode, ms |`);
console.log(`|---|---|---|---|---|`);
// A row's encoders take turns, one process each per round, so that a slow stretch of the VM (one of seven processes now
// and then runs ~1.3× slow) falls on all of them alike rather than on whichever encoder ran during it.
for (const [tokenizer, encoders] of rows) {
  const runs = encoders.map(() => [] as { total: number; load: number; encode: number }[]);
  const errors = encoders.map(() => "");
  for (let i = 0; i < reps; i++) {
    encoders.forEach(([, load], k) => {
      if (errors[k]) return;
      const r = once(load);
      if (typeof r === "string") errors[k] = r;
      else runs[k]!.push(r);
    });
  }
  encoders.forEach(([name], k) => {
    const own = runs[k]!;
    if (errors[k]) console.log(`| ${tokenizer} | ${name} | failed: ${errors[k]} | | |`);
    else console.log(`| ${tokenizer} | ${name} | ${median(own.map((r) => r.total)).toFixed(0)} | ${median(own.map((r) => r.load)).toFixed(0)} | ${median(own.map((r) => r.encode)).toFixed(1)} |`);
  });
}
