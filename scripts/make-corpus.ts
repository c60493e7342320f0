// Builds a test corpus in the formats real tokenizer corpora come in, from text files on this machine: a Hugging Face
// dataset folder (parquet/data/train-NNNNN.parquet, column "text", Snappy, several row groups per file) and the same
// documents as JSONL.zst (jsonl/part-NNNNN.jsonl.zst, field "text"). One source file (gzip-decompressed where it is
// .gz) is one document; binary and non-UTF-8 files are skipped.
//
//   node --import tsx scripts/make-corpus.ts --out DIR --mb 120 [--file-mb 16] [--rows-per-group 2000] SOURCES...

import { readdir, readFile, stat, mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { parquetWriteFile } from "hyparquet-writer";

function arg(name: string, fallback?: string): string {
  const i = process.argv.indexOf(name);
  if (i < 0) {
    if (fallback === undefined) throw new Error(`make-corpus: ${name} is required`);
    return fallback;
  }
  const v = process.argv[i + 1]!;
  process.argv.splice(i, 2);
  return v;
}

const out = arg("--out");
const targetBytes = Number(arg("--mb", "120")) * 1e6;
const fileBytes = Number(arg("--file-mb", "16")) * 1e6;
const rowsPerGroup = Number(arg("--rows-per-group", "2000"));
const sources = process.argv.slice(2);
if (sources.length === 0) throw new Error("make-corpus: give source folders or files");

async function* walk(p: string): AsyncGenerator<string> {
  const s = await stat(p).catch(() => null);
  if (!s) return;
  if (s.isDirectory()) {
    for (const n of (await readdir(p)).sort()) yield* walk(join(p, n));
  } else if (s.isFile() && s.size > 0 && s.size < 8e6) yield p;
}

const decoder = new TextDecoder("utf-8", { fatal: true });
function asText(bytes: Uint8Array): string | null {
  if (bytes.includes(0)) return null;
  try {
    return decoder.decode(bytes);
  } catch {
    return null;
  }
}

await rm(out, { recursive: true, force: true });
await mkdir(join(out, "parquet", "data"), { recursive: true });
await mkdir(join(out, "jsonl"), { recursive: true });

let total = 0;
let docs: { id: string; text: string }[] = [];
let docsBytes = 0;
let part = 0;
const flush = (): void => {
  if (docs.length === 0) return;
  const name = String(part).padStart(5, "0");
  parquetWriteFile({
    filename: join(out, "parquet", "data", `train-${name}.parquet`),
    columnData: [
      { name: "id", data: docs.map((d) => d.id), type: "STRING" },
      { name: "text", data: docs.map((d) => d.text), type: "STRING" },
    ],
    rowGroupSize: rowsPerGroup,
  });
  const jsonl = docs.map((d) => JSON.stringify(d)).join("\n") + "\n";
  const z = spawnSync("zstd", ["-q", "-3", "-c"], { input: jsonl, maxBuffer: 1 << 30 });
  if (z.status !== 0) throw new Error(`make-corpus: zstd failed: ${z.stderr}`);
  writeFileSync(join(out, "jsonl", `part-${name}.jsonl.zst`), z.stdout);
  part++;
  docs = [];
  docsBytes = 0;
};

outer: for (const src of sources) {
  for await (const path of walk(src)) {
    let bytes: Uint8Array = await readFile(path);
    if (path.endsWith(".gz")) {
      try {
        bytes = gunzipSync(bytes);
      } catch {
        continue;
      }
    }
    const text = asText(bytes);
    if (text === null || text.trim().length === 0) continue;
    const size = Buffer.byteLength(text);
    docs.push({ id: path, text });
    docsBytes += size;
    total += size;
    if (docsBytes >= fileBytes) flush();
    if (total >= targetBytes) break outer;
  }
}
flush();
process.stderr.write(`make-corpus: ${(total / 1e6).toFixed(1)} MB of text in ${part} Parquet and ${part} JSONL.zst files under ${out}\n`);
