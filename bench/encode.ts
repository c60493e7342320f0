// Single-thread encode throughput, side by side in one run on the same text and tokenizer: retoken vs the HF
// `tokenizers` native binding, tiktoken (WASM), js-tiktoken, gpt-tokenizer and @huggingface/tokenizers (transformers.js
// 4 tokenizes with that same package; see docs/decisions.md). Every peer encodes the same FLORES lines one by one;
// ids are checked against the oracle first (a fast wrong answer is worthless). Times are CPU time (the machine may be
// shared). Prints a markdown table with ratios; writes bench/out/encode.json.
//
//   npm run bench                 (all rows)      node --import tsx bench/encode.ts --quick   (fewer repetitions)

import { readFileSync, readdirSync, mkdirSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import tk from "tokenizers";
import { Tokenizer } from "../src/index.js";

const require = createRequire(import.meta.url);
const quick = process.argv.includes("--quick");
const REPS = quick ? 2 : 5;
const FLORES = "../shared/data/flores200/dev";

const langs = readdirSync(FLORES).filter((f) => f.endsWith(".dev")).sort();
const multilingual = langs.flatMap((f) => readFileSync(`${FLORES}/${f}`, "utf8").split("\n").filter(Boolean));
const english = readFileSync(`${FLORES}/eng_Latn.dev`, "utf8").split("\n").filter(Boolean);
const corpora: Record<string, string[]> = { "FLORES 42 languages": multilingual, "FLORES English": english };
const bytesOf = (lines: string[]) => lines.reduce((s, l) => s + Buffer.byteLength(l, "utf8"), 0);

/** Rank file text for a tiktoken encoding shipped in the `tiktoken` package (compact "! first b64 b64…" lines). */
function rankFile(name: string): string {
  const enc = JSON.parse(readFileSync(require.resolve(`tiktoken/encoders/${name}.json`), "utf8")) as { bpe_ranks: string };
  const out: string[] = [];
  for (const group of enc.bpe_ranks.split("\n")) {
    if (!group) continue;
    const [, first, ...tokens] = group.split(" ");
    tokens.forEach((t, i) => out.push(`${t} ${Number(first) + i}`));
  }
  return out.join("\n") + "\n";
}

type Encoder = (text: string) => ArrayLike<number> | Promise<ArrayLike<number>>;
interface Peer {
  name: string;
  make: () => Promise<Encoder | null>;
}

async function hfNative(json: string): Promise<Encoder> {
  const t = tk.Tokenizer.fromString(json);
  return async (text) => (await t.encode(text, null, { addSpecialTokens: false })).getIds();
}

async function hfJs(json: string): Promise<Encoder> {
  const { Tokenizer: HfJs } = await import("@huggingface/tokenizers");
  const t = new HfJs(JSON.parse(json), {});
  return (text) => t.encode(text, { add_special_tokens: false }).ids;
}

interface Row {
  tokenizer: string;
  corpus: string;
  peer: string;
  /** Median of the passes after the first, by CPU time. */
  mbPerSecond: number;
  /** The first pass (caches empty, JIT cold). */
  firstPassMbPerSecond: number;
  agrees: boolean | null;
}

/** CPU milliseconds of this process so far (all its threads: the native binding's worker and the GC count too). The
 * machine is shared, so wall-clock time would charge us for other programs' load. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** MB/s of the first pass (cold caches and JIT), and the median of REPS timed rounds after at least a second of
 * warm-up; a round repeats the text until it takes ~0.3 s, so short texts are not timed in JIT-compile noise. */
async function measure(encode: Encoder, lines: string[]): Promise<{ first: number; median: number }> {
  const mb = bytesOf(lines) / 1e6;
  const isAsync = encode(lines[0]!) instanceof Promise;
  const pass = async () => {
    const t0 = cpuMs();
    if (isAsync) for (const l of lines) await encode(l);
    else for (const l of lines) encode(l);
    return cpuMs() - t0;
  };
  const first = await pass();
  let warm = first;
  let last = first;
  while (warm < 1000) warm += last = await pass();
  const perRound = Math.max(1, Math.round(300 / last));
  const times: number[] = [];
  for (let r = 0; r < REPS; r++) {
    let t = 0;
    for (let k = 0; k < perRound; k++) t += await pass();
    times.push(t / perRound);
  }
  times.sort((a, b) => a - b);
  return { first: mb / (first / 1000), median: mb / (times[Math.floor(times.length / 2)]! / 1000) };
}

async function agreement(encode: Encoder, oracle: Encoder, lines: string[]): Promise<boolean> {
  for (const l of lines) {
    const a = Array.from(await encode(l));
    const b = Array.from(await oracle(l));
    if (a.length !== b.length || a.some((x, i) => x !== b[i])) return false;
  }
  return true;
}

const gpt2Json = readFileSync("../shared/data/tokenizers/gpt-2.json", "utf8");
const llamaJson = readFileSync("../shared/data/tokenizers/llama.json", "utf8");
const cl100kRanks = rankFile("cl100k_base");
const o200kRanks = rankFile("o200k_base");

interface Setup {
  name: string;
  ours: () => Promise<Tokenizer>;
  peers: Peer[];
}

/** A tiktoken encoding loaded from its rank file (the pattern and specials recognised), and the peers that ship it. */
function rankFileSetup(name: "cl100k_base" | "o200k_base", ranks: string): Setup {
  const ours = async () => Tokenizer.fromBytes(new TextEncoder().encode(ranks));
  return {
    name,
    ours,
    peers: [
      { name: "HF tokenizers (native)", make: async () => hfNative((await ours()).toString()) },
      { name: "tiktoken (WASM)", make: async () => { const { get_encoding } = await import("tiktoken"); const e = get_encoding(name); return (t) => e.encode(t); } },
      { name: "js-tiktoken", make: async () => { const { getEncoding } = await import("js-tiktoken"); const e = getEncoding(name); return (t) => e.encode(t); } },
      { name: "gpt-tokenizer", make: async () => { const m = await import(`gpt-tokenizer/encoding/${name}`); return (t: string) => m.encode(t); } },
      { name: "@huggingface/tokenizers", make: async () => hfJs((await ours()).toString()) },
    ],
  };
}

const setups: Setup[] = [
  {
    name: "GPT-2",
    ours: async () => Tokenizer.fromJSON(gpt2Json),
    peers: [
      { name: "HF tokenizers (native)", make: () => hfNative(gpt2Json) },
      { name: "tiktoken (WASM)", make: async () => { const { get_encoding } = await import("tiktoken"); const e = get_encoding("gpt2"); return (t) => e.encode(t); } },
      { name: "js-tiktoken", make: async () => { const { getEncoding } = await import("js-tiktoken"); const e = getEncoding("gpt2"); return (t) => e.encode(t); } },
      { name: "gpt-tokenizer", make: async () => { const m = await import("gpt-tokenizer/encoding/r50k_base"); return (t) => m.encode(t); } },
      { name: "@huggingface/tokenizers", make: () => hfJs(gpt2Json) },
    ],
  },
  rankFileSetup("cl100k_base", cl100kRanks),
  rankFileSetup("o200k_base", o200kRanks),
  {
    name: "Llama 2 (SentencePiece BPE)",
    ours: async () => Tokenizer.fromJSON(llamaJson),
    peers: [
      { name: "HF tokenizers (native)", make: () => hfNative(llamaJson) },
      { name: "@huggingface/tokenizers", make: () => hfJs(llamaJson) },
    ],
  },
];

/** The encoders of one setup by name: ours (a fresh instance, so the first pass starts with empty caches), then the peers. */
function encoders(setup: (typeof setups)[number]): { name: string; make: () => Promise<Encoder> }[] {
  return [
    { name: "retoken encodeIds", make: async () => { const t = await setup.ours(); return (x) => t.encodeIds(x, { addSpecialTokens: false }); } },
    { name: "retoken encode (full Encoding)", make: async () => { const t = await setup.ours(); return (x) => t.encode(x, { addSpecialTokens: false }).ids; } },
    ...setup.peers.map((p) => ({ name: p.name, make: async () => (await p.make())! })),
  ];
}

// Each measurement runs in its own process: a peer's heap (a big word cache) or threads would otherwise slow down
// whoever is measured after it.
const one = process.argv.find((a) => a.startsWith("--one="))?.slice(6);
if (one) {
  const [setupName, corpus, peer] = one.split("|");
  const setup = setups.find((s) => s.name === setupName)!;
  const lines = corpora[corpus!]!;
  try {
    const enc = await encoders(setup).find((e) => e.name === peer)!.make();
    const oracle = await setup.peers[0]!.make();
    const agrees = oracle ? await agreement(enc, oracle, lines.filter((_, i) => i % 20 === 0)) : null;
    console.log(JSON.stringify({ ...(await measure(enc, lines)), agrees }));
  } catch (err) {
    console.log(JSON.stringify({ error: (err as Error).message }));
  }
  process.exit(0);
}

const rows: Row[] = [];
const only = process.argv.find((a) => a.startsWith("--only="))?.slice(7);
for (const setup of setups) {
  if (only && !setup.name.toLowerCase().includes(only.toLowerCase())) continue;
  for (const corpus of Object.keys(corpora)) {
    for (const { name: peer } of encoders(setup)) {
      const args = [...process.execArgv, fileURLToPath(import.meta.url), `--one=${setup.name}|${corpus}|${peer}`, ...(quick ? ["--quick"] : [])];
      const child = spawnSync(process.execPath, args, { encoding: "utf8", maxBuffer: 1 << 24 });
      const last = child.stdout.trim().split("\n").pop() ?? "";
      let result: { first: number; median: number; agrees: boolean | null; error?: string };
      try {
        result = JSON.parse(last);
      } catch {
        result = { first: 0, median: 0, agrees: null, error: child.stderr.trim().split("\n").pop() ?? `exit ${child.status}` };
      }
      if (result.error) {
        console.error(`${setup.name} / ${corpus} / ${peer}: cannot run (${result.error})`);
        continue;
      }
      const { first, median, agrees } = result;
      rows.push({ tokenizer: setup.name, corpus, peer, mbPerSecond: median, firstPassMbPerSecond: first, agrees });
      console.error(`${setup.name} / ${corpus} / ${peer}: ${median.toFixed(2)} MB/s (first pass ${first.toFixed(2)})${agrees === false ? " (ids DIFFER from the oracle)" : ""}`);
    }
  }
}

const lines = [
  `MB/s by CPU time, single thread, each encoder in its own process; median of ${REPS} rounds (≥ 0.3 s each) after ≥ 1 s of warm-up; the first pass (caches empty) has its own column.`,
  "",
  "| tokenizer | text | encoder | MB/s | retoken ÷ this | first pass MB/s | retoken ÷ this (first pass) | ids = oracle |",
  "|---|---|---|---|---|---|---|---|",
];
for (const r of rows) {
  const ours = rows.find((x) => x.tokenizer === r.tokenizer && x.corpus === r.corpus && x.peer === "retoken encodeIds")!;
  lines.push(
    `| ${r.tokenizer} | ${r.corpus} | ${r.peer} | ${r.mbPerSecond.toFixed(2)} | ${(ours.mbPerSecond / r.mbPerSecond).toFixed(2)}× | ${r.firstPassMbPerSecond.toFixed(2)} | ${(ours.firstPassMbPerSecond / r.firstPassMbPerSecond).toFixed(2)}× | ${r.agrees === null ? "–" : r.agrees ? "yes" : "NO"} |`,
  );
}
console.log(lines.join("\n"));
mkdirSync("bench/out", { recursive: true });
writeFileSync("bench/out/encode.json", JSON.stringify({ date: new Date().toISOString(), node: process.version, clock: "cpu", reps: REPS, rows }, null, 1));
