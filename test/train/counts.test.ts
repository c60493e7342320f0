// Corpora beyond one process: content-sniffed inputs (Parquet, JSONL.zst, gzip, globs, HF dataset folders), count
// files per shard, merges in any order, and training / measuring from counts byte-identical to one process.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync, existsSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawn, spawnSync } from "node:child_process";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { parquetWriteFile } from "hyparquet-writer";
import { runTrain, type TrainCliOptions } from "../../src/cli/commands/train.js";
import { runCount, type CountCliOptions } from "../../src/cli/commands/count.js";
import { compareOnCounts } from "../../src/cli/commands/compare.js";
import { encodeCountTable, mergeCountFiles, writeCountFile, openCountFile, type CountTable } from "../../src/train/counts.js";
import { planUnits, shardRange, countFiles, type CorpusUnit } from "../../src/train/node-corpus.js";
import { WordCounter, tableFullError } from "../../src/train/corpus.js";
import { planFor } from "../../src/train/train.js";
import { sniffFormat } from "../../src/util/magic.js";
import { Tokenizer } from "../../src/index.js";

const FLORES = "../shared/data/flores200";
const CLI = ["--import", "tsx", "src/cli/main.ts"];
const lines = ["eng_Latn", "deu_Latn", "fin_Latn", "rus_Cyrl"].flatMap((l) => readFileSync(`${FLORES}/dev/${l}.dev`, "utf8").split("\n").filter(Boolean).slice(0, 200));
// Documents of 1–5 lines, so records hold line breaks.
const docs: string[] = [];
for (let i = 0; i < lines.length; ) {
  const n = 1 + (i % 5);
  docs.push(lines.slice(i, i + n).join("\n"));
  i += n;
}

const dir = mkdtempSync(join(tmpdir(), "retoken-counts-"));
function zstd(input: string | Buffer): Buffer {
  const r = spawnSync("zstd", ["-q", "-c"], { input });
  assert.equal(r.status, 0, `zstd must be installed (Debian package zstd): ${r.error ?? r.stderr}`);
  return r.stdout;
}
// The same documents as a Hugging Face dataset folder (3 Parquet files, row groups of 40) and as 3 JSONL.zst files.
mkdirSync(join(dir, "hf", "data"), { recursive: true });
mkdirSync(join(dir, "jsonl"));
const perFile = Math.ceil(docs.length / 3);
for (let f = 0; f < 3; f++) {
  const part = docs.slice(f * perFile, (f + 1) * perFile);
  parquetWriteFile({ filename: join(dir, "hf", "data", `train-0000${f}.parquet`), columnData: [{ name: "text", data: part, type: "STRING" }], rowGroupSize: 40 });
  writeFileSync(join(dir, "jsonl", `part-${f}.jsonl.zst`), zstd(part.map((text, i) => JSON.stringify({ id: i, text })).join("\n") + "\n"));
}
writeFileSync(join(dir, "hf", "README.md"), "---\nlicense: cc-by-sa-4.0\n---\n# not part of the corpus\n");

function trainOpts(model: TrainCliOptions["model"], out: string, extra: Partial<TrainCliOptions> = {}): TrainCliOptions {
  return { model, vocabSize: model === "bpe" ? 600 : 500, out, specialToken: [], forceToken: [], progress: false, jsonlField: "text", digits: "none", pattern: "gpt2", ...extra };
}
function countOpts(model: CountCliOptions["model"], out: string, extra: Partial<CountCliOptions> = {}): CountCliOptions {
  return { model, out, progress: false, jsonlField: "text", digits: "none", pattern: "gpt2", ...extra };
}
const quiet = (): void => {};

test("count --shard i/4 × 4, count-merge in any order, train --counts: byte-identical to one process (BPE, Unigram, WordPiece; Parquet)", async () => {
  for (const model of ["bpe", "unigram", "wordpiece"] as const) {
    const one = JSON.stringify(await runTrain([join(dir, "hf")], trainOpts(model, join(dir, `one-${model}.json`)), quiet));
    const shards = [1, 2, 3, 4].map((i) => join(dir, `${model}-${i}of4.cnt`));
    for (let i = 0; i < 4; i++) await runCount([join(dir, "hf")], countOpts(model, shards[i]!, { shard: [i + 1, 4] }), quiet);
    // Merged pairwise in a shuffled order (associative, order-independent), then trained.
    await writeCountFile(join(dir, `${model}-a.cnt`), await mergeCountFiles([shards[3]!, shards[0]!]));
    await writeCountFile(join(dir, `${model}-all.cnt`), await mergeCountFiles([shards[2]!, join(dir, `${model}-a.cnt`), shards[1]!]));
    const fromCounts = JSON.stringify(await runTrain([], trainOpts(model, join(dir, `c-${model}.json`), { counts: [join(dir, `${model}-all.cnt`)] }), quiet));
    assert.equal(fromCounts, one, `${model}: train --counts differs from one process`);
    assert.equal(readFileSync(join(dir, `c-${model}.json`), "utf8"), readFileSync(join(dir, `one-${model}.json`), "utf8"));
  }
});

test("JSONL.zst sharded by file gives the Parquet corpus's tokenizer; worker threads read the same units", async () => {
  const shards = [1, 2].map((i) => join(dir, `z-${i}of2.cnt`));
  for (let i = 0; i < 2; i++) await runCount([join(dir, "jsonl", "*.jsonl.zst")], countOpts("bpe", shards[i]!, { shard: [i + 1, 2] }), quiet);
  const fromCounts = await runTrain([], trainOpts("bpe", join(dir, "z.json"), { counts: [shards[1]!, shards[0]!] }), quiet);
  assert.equal(JSON.stringify(fromCounts), readFileSync(join(dir, "one-bpe.json"), "utf8"));
  const workers = await runTrain([join(dir, "hf"), join(dir, "jsonl")], trainOpts("bpe", join(dir, "w.json"), { workers: 2 }), quiet);
  const single = await runTrain([join(dir, "hf"), join(dir, "jsonl")], trainOpts("bpe", join(dir, "s.json")), quiet);
  assert.equal(JSON.stringify(workers), JSON.stringify(single));
});

test("issue 16: `retoken train --jsonl-field text data.jsonl.zst` trains on the field, not on the compressed bytes", () => {
  const records = docs.slice(0, 150).map((text) => JSON.stringify({ text }));
  writeFileSync(join(dir, "data.jsonl.zst"), zstd(records.join("\n") + "\n"));
  writeFileSync(join(dir, "plain.jsonl"), records.join("\n") + "\n");
  const run = (file: string, out: string): void => {
    const r = spawnSync(process.execPath, [...CLI, "train", "--jsonl-field", "text", "--vocab-size", "400", "--no-progress", "--out", out, file], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
  };
  run(join(dir, "data.jsonl.zst"), join(dir, "zst.json"));
  run(join(dir, "plain.jsonl"), join(dir, "plain.json"));
  assert.equal(readFileSync(join(dir, "zst.json"), "utf8"), readFileSync(join(dir, "plain.json"), "utf8"));
  const vocab = Object.keys((JSON.parse(readFileSync(join(dir, "zst.json"), "utf8")) as { model: { vocab: Record<string, number> } }).model.vocab);
  assert.ok(!vocab.some((t) => t.includes('"text"') || t.includes("Ġ\"")), "JSON syntax must not be trained on");
});

test("gzip text, globs and HF dataset folders are read by content; other compressions are refused naming the file", async () => {
  const sub = join(dir, "mixed");
  mkdirSync(sub);
  writeFileSync(join(sub, "a.txt.gz"), gzipSync(lines.slice(0, 50).join("\n") + "\n"));
  writeFileSync(join(sub, "b.data"), gzipSync(lines.slice(50, 80).join("\n") + "\n")); // named as nothing in particular
  const plan = planFor({ model: "bpe", vocabSize: 300 });
  const gz = new WordCounter(plan);
  await countFiles(gz, [join(sub, "*")]);
  const plain = new WordCounter(plan);
  plain.addText(lines.slice(0, 50).join("\n") + "\n");
  plain.addText(lines.slice(50, 80).join("\n") + "\n");
  assert.deepEqual([...gz.raw], [...plain.raw]);
  // The HF folder reads data/ only (README.md is not text of the corpus).
  assert.deepEqual([...new Set((await planUnits([join(dir, "hf")], { jsonlField: "text" })).map((u) => u.path))], [0, 1, 2].map((f) => join(dir, "hf", "data", `train-0000${f}.parquet`)));
  await assert.rejects(planUnits([join(dir, "nothing-*.txt")]), /nothing-\*\.txt: no file matches this pattern/);
  const cases: [string, Buffer, RegExp][] = [
    ["x.txt.bz2", Buffer.from("BZh91AY&SY\x00\x01junk"), /x\.txt\.bz2: bzip2-compressed, not text: decompress it first \(corpora are text, JSONL or Parquet; gzip and zstd are decompressed\)/],
    ["y.jsonl.xz", Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 1, 2, 3]), /y\.jsonl\.xz: xz-compressed, not text/],
    ["z.txt.gz", gzipSync(Buffer.from([0x50, 0x4b, 0x03, 0x04, 9, 9, 9, 9])), /z\.txt\.gz: after gzip decompression, a zip archive, not text/],
    ["t.txt.gz", gzipSync(Buffer.from("hello world\n".repeat(1000))).subarray(0, 40), /t\.txt\.gz: gzip stream is damaged or truncated/],
    ["u.txt.zst", zstd("hello world\n".repeat(5000)).subarray(0, 30), /u\.txt\.zst: zstd stream is damaged or truncated/],
    ["p.parquet", Buffer.from("PAR1 not really parquet PAR1"), /p\.parquet: not a readable Parquet file/],
    ["w.safetensors", Buffer.from([8, 0, 0, 0, 0, 0, 0, 0, 0x7b, 0x7d, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20]), /w\.safetensors: a safetensors file \(tensor data\), not text/],
  ];
  for (const [name, bytes, error] of cases) {
    writeFileSync(join(dir, name), bytes);
    await assert.rejects(countFiles(new WordCounter(plan), [join(dir, name)], { jsonlField: "text" }), error);
  }
  await assert.rejects(planUnits([join(dir, "hf")]), /train-00000\.parquet: a Parquet file; give --jsonl-field NAME for its text column \(columns: text\)/);
  await assert.rejects(planUnits([join(dir, "hf")], { jsonlField: "body" }), /train-00000\.parquet: no column "body" \(columns: text\)/);
  assert.equal(sniffFormat(new Uint8Array([0x28, 0xb5, 0x2f, 0xfd])), "zstd");
  assert.equal(sniffFormat(new TextEncoder().encode("plain text")), "unknown");
});

test("a word table past JavaScript's Map limit is an error naming the file; other errors pass through", () => {
  let overflow: unknown;
  const m = new Map<number, number>();
  try {
    for (let i = 0; ; i++) m.set(i, 0);
  } catch (err) {
    overflow = err;
  }
  m.clear();
  assert.match(String(tableFullError("corpus/a.parquet", overflow)), /corpus\/a\.parquet: more than 16777216 distinct pre-tokens, the most one process can hold/);
  const other = new Error("x");
  assert.equal(tableFullError("f", other), other);
});

test("shards cover every unit exactly once, contiguous and in order", () => {
  fc.assert(
    fc.property(fc.array(fc.nat(1000), { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 9 }), (sizes, n) => {
      const units = sizes.map((size, i) => ({ path: `f${i}`, compression: "none", parquet: false, start: 0, end: size, size }) as CorpusUnit);
      let next = 0;
      for (let i = 1; i <= n; i++) {
        const [a, b] = shardRange(units, i, n);
        if (b > a) {
          assert.equal(a, next);
          next = b;
        }
      }
      assert.equal(next, units.length);
    }),
  );
  assert.throws(() => shardRange([], 5, 4), /shard 5\/4: expected i\/n/);
});

test("bad count files are refused naming the file: truncated, wrong version, checksum, pre-tokenizer, corpus, twice, missing", async () => {
  const good = join(dir, "bpe-1of4.cnt");
  const bytes = readFileSync(good);
  const write = (name: string, b: Uint8Array): string => {
    writeFileSync(join(dir, name), b);
    return join(dir, name);
  };
  await assert.rejects(openCountFile(write("cut.cnt", bytes.subarray(0, bytes.length - 100))), /cut\.cnt: truncated count file/);
  const version = Buffer.from(bytes);
  version.writeUInt32LE(2, 8);
  await assert.rejects(openCountFile(write("v2.cnt", version)), /v2\.cnt: count file version 2; this retoken reads version 1/);
  const flipped = Buffer.from(bytes);
  flipped[flipped.length - 40]! ^= 1;
  await assert.rejects(openCountFile(write("flip.cnt", flipped)), /flip\.cnt: checksum mismatch/);
  await assert.rejects(openCountFile(write("text.cnt", Buffer.from("just text\n"))), /text\.cnt: not a retoken count file/);
  await runCount([join(dir, "hf")], countOpts("bpe", join(dir, "lower.cnt"), { shard: [2, 4], lowercase: true }), quiet);
  await assert.rejects(mergeCountFiles([good, join(dir, "lower.cnt")]), /lower\.cnt: counted with a different pre-tokenizer \(byte-level, gpt2, digits none, lowercase\) than .*bpe-1of4\.cnt/);
  await assert.rejects(mergeCountFiles([good, join(dir, "z-2of2.cnt")]), /z-2of2\.cnt: counts another corpus/);
  await assert.rejects(mergeCountFiles([good, join(dir, "bpe-2of4.cnt"), good]), /bpe-1of4\.cnt: unit 0 of the corpus is also counted in .*bpe-1of4\.cnt \(a shard given twice\?\)/);
  await assert.rejects(
    runTrain([], trainOpts("bpe", join(dir, "partial.json"), { counts: [good, join(dir, "bpe-3of4.cnt")] }), quiet),
    /the counts cover \d+ of the corpus's \d+ units \(missing units .*\): give every shard's count file/,
  );
  await assert.rejects(
    runTrain([], trainOpts("wordpiece", join(dir, "wrong.json"), { counts: [join(dir, "bpe-all.cnt")] }), quiet),
    /bpe-all\.cnt: counted with a different pre-tokenizer \(byte-level, gpt2, digits none\) than these options ask for \(bert, digits none\)/,
  );
  assert.ok(!existsSync(join(dir, "partial.json")) && !existsSync(join(dir, "wrong.json")));
  // A table round-trips through its bytes.
  const table: CountTable = await mergeCountFiles([join(dir, "bpe-all.cnt")]);
  assert.ok(Buffer.from(encodeCountTable(table)).equals(readFileSync(join(dir, "bpe-all.cnt"))));
});

test("a killed count leaves no file that looks complete", async () => {
  const big = join(dir, "big.txt.gz");
  // ~96 MB of text: several seconds of counting even on a fast machine, so a kill after 1.5 s of the child's own CPU
  // time lands mid-count (at 4.8 MB a quiet machine finished just after the check below and the file was there; at
  // 24 MB it did once the CLI stopped loading the chart libraries at start-up: 2.0 s in all). CPU time, not wall time:
  // on a busy machine 2.5 s of wall time could end before the child had started counting.
  writeFileSync(big, gzipSync(lines.join("\n").repeat(800), { level: 1 }));
  mkdirSync(join(dir, "killed"));
  const out = join(dir, "killed", "k.cnt");
  const child = spawn(process.execPath, [...CLI, "count", "--no-progress", "--out", out, big], { stdio: "ignore" });
  await untilCpuSeconds(child.pid!, 1.5);
  assert.equal(child.exitCode, null, "the count must still be running when killed");
  child.kill("SIGKILL");
  await new Promise((r) => child.once("exit", r));
  assert.ok(!existsSync(out));
  assert.deepEqual(readdirSync(join(dir, "killed")).filter((f) => !f.startsWith(".")), []);
});

test("compare over counts: bytes/token and the token distribution equal those of the counted lines", async () => {
  const rows = await compareOnCounts([join(dir, "one-bpe.json")], [join(dir, "bpe-all.cnt")]);
  const tok = await Tokenizer.fromFile(join(dir, "one-bpe.json"));
  // The counts see each document's lines (line break kept) pre-tokenized apart: encode them the same way.
  let tokens = 0;
  let bytes = 0;
  for (const d of docs) {
    const parts = d.split(/(?<=\n)/);
    for (const p of parts) tokens += tok.encode(p, { addSpecialTokens: false }).ids.length;
    bytes += Buffer.byteLength(d);
  }
  assert.equal(rows[0]!.tokens, tokens);
  assert.equal(rows[0]!.bytes, bytes);
  assert.ok(Math.abs(rows[0]!.bytesPerToken - bytes / tokens) < 1e-12);
  assert.ok(rows[0]!.unigramEntropyBits > 5 && rows[0]!.fertility > 1);
  await assert.rejects(compareOnCounts([join(dir, "one-wordpiece.json")], [join(dir, "bpe-all.cnt")]), /one-wordpiece\.json: its normalizer\/pre-tokenizer differ/);
});

/** Resolves once process `pid` has used `seconds` of CPU time (user + system, from /proc), or after 30 s of wall time
 * (2.5 s where /proc is missing). */
async function untilCpuSeconds(pid: number, seconds: number): Promise<void> {
  const ticks = 100; // USER_HZ: /proc reports CPU time in 1/100 s on Linux
  const started = Date.now();
  for (;;) {
    let used: number;
    try {
      // The fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
      const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
      used = (Number(fields[11]) + Number(fields[12])) / ticks;
    } catch {
      if (Date.now() - started < 2500) {
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      return;
    }
    if (used >= seconds || Date.now() - started > 30_000) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}
