// `npm run quality:ensemble -- --models A,B [--languages eng_Latn,…] [--lines 8] [--dev-lines 4] [--heldout-lines 4]
//   [--cache tmp/ensemble-traces] [--out FILE]`: two models with different tokenizers combined at the byte level
// (src/decode/ensemble.ts). Per FLORES devtest language and per own-domain held-out file (assets/text/*-heldout.txt),
// each line one document: bits per byte of member A, member B, their mixture and their product. The weights are
// chosen on FLORES dev lines of the same languages (never on what is reported). Each member's byte-level
// distributions are kept in --cache (keyed by the model's files and the documents), so adding a member or rerunning
// reads each model once. Prints a markdown table and one JSON object (--out writes it).
import { createHash } from "node:crypto";
import { mkdir, readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { scriptArgs } from "./script-args.js";
import { loadLanguageModel } from "../src/lm/node.js";
import { tokenLM } from "../src/lm/token-lm.js";
import { coverRule } from "../src/decode/byte-lm.js";
import { chooseWeight, combinedBitsPerByte, concatTraces, parseTrace, serializeTrace, traceBits, traceDocuments, type ByteTrace } from "../src/decode/byte-trace.js";
import type { ByteLevelMember } from "../src/decode/byte-bpb.js";
import { writeFileAtomic } from "../src/node/files.js";
import { floresLines } from "../test/support/corpora.js";

const { values: args } = scriptArgs(import.meta.url, {
  options: {
    models: { type: "string" },
    languages: { type: "string", default: "eng_Latn,deu_Latn,fra_Latn,spa_Latn,pol_Latn,rus_Cyrl" },
    lines: { type: "string", default: "8" },
    "dev-lines": { type: "string", default: "4" },
    heldout: { type: "string", default: "assets/text" },
    "heldout-lines": { type: "string", default: "4" },
    cache: { type: "string", default: "tmp/ensemble-traces" },
    out: { type: "string" },
  },
});
const count = (flag: string, v: string | undefined) => {
  const n = Number(v);
  if (!(Number.isInteger(n) && n >= 1)) throw new Error(`--${flag}: expected a positive integer, got "${v}"`);
  return n;
};
const models = (args.models ?? "").split(",").filter((d) => d.length > 0);
if (models.length !== 2) throw new Error(`--models: expected two model folders A,B, got "${args.models ?? ""}"`);
const languages = args.languages!.split(",").filter((l) => l.length > 0);
const lines = count("lines", args.lines);
const devLines = count("dev-lines", args["dev-lines"]);
const heldoutLines = count("heldout-lines", args["heldout-lines"]);
// Held-out lines shorter than this are headings or code fragments, longer ones cost minutes each.
const HELDOUT_MIN_BYTES = 20;
const HELDOUT_MAX_BYTES = 400;

/** `n` items spread evenly over `all`. */
const spread = <T>(all: readonly T[], n: number): T[] => {
  if (all.length < n) throw new Error(`asked for ${n} lines, only ${all.length} there`);
  return Array.from({ length: n }, (_, k) => all[Math.floor(((k + 0.5) * all.length) / n)]!);
};

interface TextSet {
  name: string;
  kind: "dev" | "devtest" | "heldout";
  documents: string[];
}
const sets: TextSet[] = [];
for (const lang of languages) sets.push({ name: lang, kind: "dev", documents: spread(floresLines(lang, "dev"), devLines) });
for (const lang of languages) sets.push({ name: lang, kind: "devtest", documents: spread(floresLines(lang, "devtest"), lines) });
for (const file of (await readdir(args.heldout!)).filter((f) => f.endsWith("-heldout.txt")).sort()) {
  const all = (await readFile(join(args.heldout!, file), "utf8")).split("\n").filter((l) => {
    const b = Buffer.byteLength(l);
    return b >= HELDOUT_MIN_BYTES && b <= HELDOUT_MAX_BYTES;
  });
  sets.push({ name: file.replace(/\.txt$/, ""), kind: "heldout", documents: spread(all, heldoutLines) });
}

const sha = (...parts: (string | Uint8Array)[]) => {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest("hex").slice(0, 24);
};

/** One member: its traces per text set, read from the cache or computed. */
async function memberTraces(dir: string): Promise<ByteTrace[]> {
  const files = await Promise.all(["config.json", "tokenizer.json", "model.safetensors"].map((f) => readFile(join(dir, f))));
  const modelKey = sha(...files);
  let member: ByteLevelMember | null = null;
  const out: ByteTrace[] = [];
  await mkdir(args.cache!, { recursive: true });
  for (const set of sets) {
    const path = join(args.cache!, `${modelKey}-${sha(set.kind, set.documents.join("\n"))}.trace`);
    const cached = await readFile(path).catch(() => null);
    if (cached) {
      out.push({ ...parseTrace(cached, path), name: dir });
      continue;
    }
    if (!member) {
      const { folder, tokenizer } = await loadLanguageModel(dir);
      member = { lm: await tokenLM(folder), rule: coverRule(tokenizer), name: dir };
    }
    const t0 = performance.now();
    const trace = await traceDocuments(member, set.documents);
    const s = (performance.now() - t0) / 1000;
    process.stderr.write(`${dir} ${set.kind} ${set.name}: ${trace.bytes} bytes, ${trace.forwardPasses} forward passes, ${s.toFixed(1)} s (${(trace.bytes / s).toFixed(1)} bytes/s)\n`);
    await writeFileAtomic(path, serializeTrace(trace));
    out.push(trace);
  }
  return out;
}

const traces = [await memberTraces(models[0]!), await memberTraces(models[1]!)];
const pick = (kind: TextSet["kind"]) => sets.flatMap((s, i) => (s.kind === kind ? [i] : []));
const pooled = (idx: number[]) => traces.map((m) => concatTraces(idx.map((i) => m[i]!)));

// Weights from FLORES dev only.
const dev = pooled(pick("dev"));
const mixtureWeight = chooseWeight(dev, "mixture");
const productWeight = chooseWeight(dev, "product");

interface Row {
  text: string;
  documents: number;
  bytes: number;
  a: { bitsPerByte: number; renormalisedBitsPerByte: number };
  b: { bitsPerByte: number; renormalisedBitsPerByte: number };
  mixture: number;
  product: number;
  equalMixture: number;
  /** Mixture against the better member's renormalised bits per byte (negative: the mixture is better). */
  mixtureVsBetter: number;
}
function row(text: string, pair: ByteTrace[]): Row {
  const [a, b] = pair.map(traceBits);
  const better = Math.min(a!.renormalisedBitsPerByte, b!.renormalisedBitsPerByte);
  const mixture = combinedBitsPerByte(pair, { combine: "mixture", weights: [mixtureWeight.weight, 1 - mixtureWeight.weight] });
  return {
    text,
    documents: pair[0]!.documents,
    bytes: pair[0]!.bytes,
    a: { bitsPerByte: a!.bitsPerByte, renormalisedBitsPerByte: a!.renormalisedBitsPerByte },
    b: { bitsPerByte: b!.bitsPerByte, renormalisedBitsPerByte: b!.renormalisedBitsPerByte },
    mixture,
    product: combinedBitsPerByte(pair, { combine: "product", weights: [productWeight.weight, 1 - productWeight.weight] }),
    equalMixture: combinedBitsPerByte(pair, { combine: "mixture" }),
    mixtureVsBetter: mixture / better - 1,
  };
}
const rows: Row[] = [];
for (const kind of ["devtest", "heldout"] as const) {
  for (const i of pick(kind)) rows.push(row(`${kind === "devtest" ? "FLORES devtest " : ""}${sets[i]!.name}`, [traces[0]![i]!, traces[1]![i]!]));
  // A --heldout folder without *-heldout.txt files: FLORES rows only.
  if (pick(kind).length === 0) continue;
  rows.push(row(kind === "devtest" ? "all FLORES devtest" : "all held-out", pooled(pick(kind))));
}

const result = {
  what: "bits per byte (each line one document; its end counts as a symbol with no bytes) of two models read exactly at the byte level, and of their mixture and product with weights chosen on FLORES dev",
  models: { a: models[0], b: models[1] },
  languages,
  lines: { devtest: lines, dev: devLines, heldout: heldoutLines, heldoutBytes: [HELDOUT_MIN_BYTES, HELDOUT_MAX_BYTES] },
  weights: { mixture: mixtureWeight, product: productWeight, on: `FLORES dev, ${devLines} lines × ${languages.length} languages` },
  forwardPasses: traces.map((m) => m.reduce((s, t) => s + t.forwardPasses, 0)),
  rows,
};
if (args.out) await writeFileAtomic(args.out, JSON.stringify(result, null, 1) + "\n");
const f = (x: number) => x.toFixed(4);
console.log(`A = ${models[0]}, B = ${models[1]}; mixture weight of A ${mixtureWeight.weight} (dev ${f(mixtureWeight.bitsPerByte)}), product weight of A ${productWeight.weight} (dev ${f(productWeight.bitsPerByte)})\n`);
console.log("| text | lines | bytes | A | A renormalised | B | B renormalised | mixture | product | mixture vs better member |");
console.log("|---|---|---|---|---|---|---|---|---|---|");
for (const r of rows)
  console.log(
    `| ${r.text} | ${r.documents} | ${r.bytes} | ${f(r.a.bitsPerByte)} | ${f(r.a.renormalisedBitsPerByte)} | ${f(r.b.bitsPerByte)} | ${f(r.b.renormalisedBitsPerByte)} | ${f(r.mixture)} | ${f(r.product)} | ${(100 * r.mixtureVsBetter).toFixed(2)}% |`,
  );
console.log(JSON.stringify(result));

