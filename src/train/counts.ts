// Count files: the pre-token counts of a share of a corpus, written by `retoken count`, combined by `count-merge`,
// and trained or measured from as if the whole corpus had been read in one process.
//
// Byte identity with one process needs more than the counts: trainers see words in first-occurrence order. So every
// entry belongs to the corpus unit where it first occurred, units are disjoint between files, and a merge walks the
// units in corpus order — the order one process reads them in (workers.ts merges the same way).
//
// Layout (version 1, little-endian): "RETOKCNT", u32 version, u32 header length, header JSON, u64 body length,
// gzip(body), SHA-256 of everything before it. Body: per covered unit in ascending order, varint unit delta and
// varint entry count, then per entry varint shared-prefix bytes with the previous word, varint suffix length,
// suffix UTF-8, varint count.

import { readFile } from "node:fs/promises";
import { createHash } from "node:crypto";
import { gunzipSync, gzipSync } from "node:zlib";
import { TokenizerError, type JsonObject } from "../tokenize/types.js";
import { WordCounter, tableFullError } from "./corpus.js";
import { countUnit, planUnits, shardRange, unitsFingerprint, type FileCorpusOptions } from "./node-corpus.js";
import { defaultPreTokenizer, planFor, type TrainOptions } from "./train.js";
import { GPT2_PATTERN, LLAMA3_PATTERN, resolvePattern } from "./pretokenize.js";
import { writeFileAtomic } from "../node/files.js";

const MAGIC = "RETOKCNT";
export const COUNT_FILE_VERSION = 1;

/** What a count file says about itself (its header). */
export interface CountMeta {
  /** The settings that decide the words: kind, pattern, digits, normalizers. */
  setup: { kind: string; pattern: string | null; digits: string; nfkc: boolean; lowercase: boolean };
  /** The normalizer and pre-tokenizer JSON these settings stand for (compared between files). */
  pipeline: { normalizer: JsonObject | null; pre_tokenizer: JsonObject };
  jsonlField: string | null;
  /** Fingerprint of the corpus's unit list and its length: files of one corpus share both. */
  corpus: string;
  units: number;
  /** Shards counted ("i/n"), for people reading the header. */
  shards: string[];
  entries: number;
  bytes: number;
  lines: number;
}

/** Counts in first-occurrence order, with the covered units and how many entries each one introduced. */
export interface CountTable {
  meta: CountMeta;
  counts: Map<string, number>;
  /** [unit index, entries first seen there], ascending by unit; partitions `counts`' iteration order. */
  groups: [number, number][];
}

/** The options that decide pre-tokenization, as `retoken train` takes them. */
export type CountOptions = Pick<TrainOptions, "model" | "preTokenizer" | "pattern" | "digits" | "nfkc" | "lowercase">;

function setupOf(options: CountOptions): CountMeta["setup"] {
  const kind = options.preTokenizer ?? defaultPreTokenizer(options.model);
  return {
    kind,
    pattern: kind === "byte-level" ? resolvePattern(options.pattern) : null,
    digits: options.digits ?? "none",
    nfkc: options.nfkc === true,
    lowercase: options.lowercase === true,
  };
}

function pipelineOf(options: CountOptions): CountMeta["pipeline"] {
  const plan = planFor({ ...options, vocabSize: 1 });
  return { normalizer: plan.normalizer, pre_tokenizer: plan.preTokenizer };
}

/** Counts shard `shard` (i/n, or the whole corpus) of the inputs. */
export async function countShard(
  inputs: readonly string[],
  options: CountOptions & FileCorpusOptions & { shard?: [number, number] },
): Promise<CountTable> {
  const units = await planUnits(inputs, options);
  const [first, last] = options.shard ? shardRange(units, options.shard[0], options.shard[1]) : [0, units.length];
  const counter = new WordCounter(planFor({ ...options, vocabSize: 1 }));
  const groups: [number, number][] = [];
  const bytesTotal = units.slice(first, last).reduce((s, u) => s + u.size, 0);
  let bytesDone = 0;
  let lastReport = -1;
  const onRaw = (n: number): void => {
    bytesDone += n;
    if (!options.onProgress || bytesDone - lastReport < 1 << 20) return;
    lastReport = bytesDone;
    options.onProgress({ phase: "count", bytesRead: bytesDone, bytesTotal, stepsDone: 0, stepsTotal: 0 });
  };
  for (let u = first; u < last; u++) {
    const before = counter.raw.size;
    await countUnit(counter, units[u]!, options, onRaw);
    groups.push([u, counter.raw.size - before]);
  }
  counter.flush();
  return {
    meta: {
      setup: setupOf(options),
      pipeline: pipelineOf(options),
      jsonlField: options.jsonlField ?? null,
      corpus: unitsFingerprint(units),
      units: units.length,
      shards: [options.shard ? `${options.shard[0]}/${options.shard[1]}` : "1/1"],
      entries: counter.raw.size,
      bytes: counter.bytesRead,
      lines: counter.lines,
    },
    counts: counter.raw,
    groups,
  };
}

class ByteWriter {
  buf = new Uint8Array(1 << 16);
  length = 0;
  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }
  varint(v: number): void {
    this.reserve(8);
    while (v >= 0x80) {
      this.buf[this.length++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.length++] = v;
  }
  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
}

const utf8 = new TextEncoder();

/** The file's bytes for a table (see the layout above). */
export function encodeCountTable(table: CountTable): Uint8Array {
  const body = new ByteWriter();
  const it = table.counts.entries();
  let prev = new Uint8Array(0);
  let prevUnit = 0;
  for (const [unit, n] of table.groups) {
    body.varint(unit - prevUnit);
    body.varint(n);
    prevUnit = unit;
    for (let k = 0; k < n; k++) {
      const [word, count] = it.next().value as [string, number];
      const bytes = utf8.encode(word);
      let shared = 0;
      const max = Math.min(bytes.length, prev.length);
      while (shared < max && bytes[shared] === prev[shared]) shared++;
      body.varint(shared);
      body.varint(bytes.length - shared);
      body.bytes(bytes.subarray(shared));
      body.varint(count);
      prev = bytes;
    }
  }
  const header = utf8.encode(JSON.stringify({ ...table.meta, entries: table.counts.size }));
  const packed = gzipSync(body.buf.subarray(0, body.length), { level: 6 });
  const out = new Uint8Array(8 + 4 + 4 + header.length + 8 + packed.length + 32);
  const view = new DataView(out.buffer);
  out.set(utf8.encode(MAGIC), 0);
  view.setUint32(8, COUNT_FILE_VERSION, true);
  view.setUint32(12, header.length, true);
  out.set(header, 16);
  view.setBigUint64(16 + header.length, BigInt(packed.length), true);
  out.set(packed, 24 + header.length);
  const digest = createHash("sha256").update(out.subarray(0, out.length - 32)).digest();
  out.set(digest, out.length - 32);
  return out;
}

/** Writes a count file atomically (a killed writer leaves only a hidden temp file, never a complete-looking one). */
export async function writeCountFile(path: string, table: CountTable): Promise<void> {
  await writeFileAtomic(path, encodeCountTable(table));
}

/** A count file checked and unpacked, its entries read on demand one unit group at a time. */
class CountFileReader {
  private pos = 0;
  private prev = new Uint8Array(0);
  private unit = 0;
  nextUnit = -1;
  private nextCount = 0;

  constructor(
    readonly path: string,
    readonly meta: CountMeta,
    private readonly body: Uint8Array,
  ) {
    this.advance();
  }

  private varint(): number {
    let v = 0;
    let scale = 1;
    for (;;) {
      if (this.pos >= this.body.length) throw new TokenizerError(`${this.path}: count file body ends inside an entry (damaged)`);
      const b = this.body[this.pos++]!;
      v += (b & 0x7f) * scale;
      if (b < 0x80) return v;
      scale *= 0x80;
    }
  }

  private advance(): void {
    if (this.pos >= this.body.length) {
      this.nextUnit = -1;
      return;
    }
    this.unit += this.varint();
    this.nextUnit = this.unit;
    this.nextCount = this.varint();
  }

  /** Reads the next unit group's entries into `emit` and returns the unit. */
  readGroup(emit: (word: string, count: number) => void): number {
    const unit = this.nextUnit;
    const decoder = new TextDecoder("utf-8", { fatal: true });
    for (let k = 0; k < this.nextCount; k++) {
      const shared = this.varint();
      const suffix = this.varint();
      if (shared > this.prev.length || this.pos + suffix > this.body.length) throw new TokenizerError(`${this.path}: count file entry out of bounds (damaged)`);
      const bytes = new Uint8Array(shared + suffix);
      bytes.set(this.prev.subarray(0, shared));
      bytes.set(this.body.subarray(this.pos, this.pos + suffix), shared);
      this.pos += suffix;
      this.prev = bytes;
      emit(decoder.decode(bytes), this.varint());
    }
    this.advance();
    return unit;
  }
}

function parseMeta(path: string, json: unknown): CountMeta {
  const m = json as Partial<CountMeta> | null;
  const ok =
    m !== null && typeof m === "object" && typeof m.corpus === "string" && typeof m.units === "number" && typeof m.entries === "number" &&
    typeof m.bytes === "number" && typeof m.lines === "number" && typeof m.setup === "object" && typeof m.pipeline === "object" && Array.isArray(m.shards);
  if (!ok) throw new TokenizerError(`${path}: count file header lacks a field (damaged or not written by retoken count)`);
  return m as CountMeta;
}

/** Opens a count file: magic, version, lengths and checksum checked, errors naming the file. */
export async function openCountFile(path: string): Promise<CountFileReader> {
  let data: Buffer;
  try {
    data = await readFile(path);
  } catch (err) {
    throw new TokenizerError(`${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  if (data.length < 16 || data.subarray(0, 8).toString("latin1") !== MAGIC) throw new TokenizerError(`${path}: not a retoken count file (no RETOKCNT signature)`);
  const version = data.readUInt32LE(8);
  if (version !== COUNT_FILE_VERSION) {
    throw new TokenizerError(`${path}: count file version ${version}; this retoken reads version ${COUNT_FILE_VERSION} (count again with this version)`);
  }
  const headerLength = data.readUInt32LE(12);
  const bodyAt = 16 + headerLength + 8;
  const bodyLength = data.length >= bodyAt ? Number(data.readBigUInt64LE(16 + headerLength)) : NaN;
  const expected = bodyAt + bodyLength + 32;
  if (!(data.length >= bodyAt) || data.length < expected) {
    throw new TokenizerError(`${path}: truncated count file (${data.length} bytes${Number.isFinite(expected) ? `, header says ${expected}` : ""})`);
  }
  if (data.length > expected) throw new TokenizerError(`${path}: ${data.length - expected} unexpected bytes after the count file's end (damaged)`);
  const digest = createHash("sha256").update(data.subarray(0, expected - 32)).digest();
  if (!digest.equals(data.subarray(expected - 32))) throw new TokenizerError(`${path}: checksum mismatch (the count file is damaged)`);
  let meta: CountMeta;
  try {
    meta = parseMeta(path, JSON.parse(data.subarray(16, 16 + headerLength).toString("utf8")));
  } catch (err) {
    if (err instanceof TokenizerError) throw err;
    throw new TokenizerError(`${path}: count file header is not valid JSON`);
  }
  let body: Uint8Array;
  try {
    body = gunzipSync(data.subarray(bodyAt, bodyAt + bodyLength));
  } catch (err) {
    throw new TokenizerError(`${path}: count file body does not decompress (${(err as Error).message})`);
  }
  return new CountFileReader(path, meta, body);
}

function describeSetup(meta: CountMeta): string {
  const s = meta.setup;
  const pattern = s.pattern === null ? null : s.pattern === GPT2_PATTERN ? "gpt2" : s.pattern === LLAMA3_PATTERN ? "llama3" : "custom pattern";
  return [s.kind, pattern, `digits ${s.digits}`, s.nfkc ? "nfkc" : null, s.lowercase ? "lowercase" : null]
    .filter((x) => x !== null)
    .join(", ");
}

/** Refuses a file counted with other pre-tokenization settings, another text field or another corpus than `ref`. */
function checkCompatible(ref: { path: string; meta: CountMeta }, other: { path: string; meta: CountMeta }): void {
  if (JSON.stringify(other.meta.pipeline) !== JSON.stringify(ref.meta.pipeline) || JSON.stringify(other.meta.setup) !== JSON.stringify(ref.meta.setup)) {
    throw new TokenizerError(`${other.path}: counted with a different pre-tokenizer (${describeSetup(other.meta)}) than ${ref.path} (${describeSetup(ref.meta)})`);
  }
  if (other.meta.jsonlField !== ref.meta.jsonlField) {
    throw new TokenizerError(`${other.path}: counted field "${other.meta.jsonlField}" but ${ref.path} counted "${ref.meta.jsonlField}"`);
  }
  if (other.meta.corpus !== ref.meta.corpus || other.meta.units !== ref.meta.units) {
    throw new TokenizerError(`${other.path}: counts another corpus (inputs ${other.meta.corpus}, ${other.meta.units} units) than ${ref.path} (${ref.meta.corpus}, ${ref.meta.units} units): count every shard with the same inputs`);
  }
}

/**
 * Merges count files (order-independent and associative): entries are taken unit by unit in corpus order, so the
 * result is the table one process would have counted over the same units.
 */
export async function mergeCountFiles(paths: readonly string[]): Promise<CountTable> {
  if (paths.length === 0) throw new TokenizerError("count-merge: no count files given");
  const readers: CountFileReader[] = [];
  for (const p of paths) readers.push(await openCountFile(p));
  const ref = readers[0]!;
  for (const r of readers.slice(1)) checkCompatible(ref, r);
  const counts = new Map<string, number>();
  const groups: [number, number][] = [];
  const owner = new Map<number, string>();
  let bytes = 0;
  let lines = 0;
  for (const r of readers) {
    bytes += r.meta.bytes;
    lines += r.meta.lines;
  }
  for (;;) {
    let next: CountFileReader | null = null;
    for (const r of readers) if (r.nextUnit >= 0 && (next === null || r.nextUnit < next.nextUnit)) next = r;
    if (next === null) break;
    const unit = next.nextUnit;
    const seen = owner.get(unit);
    if (seen !== undefined) throw new TokenizerError(`${next.path}: unit ${unit} of the corpus is also counted in ${seen} (a shard given twice?)`);
    if (unit >= ref.meta.units) throw new TokenizerError(`${next.path}: unit ${unit} is beyond the corpus's ${ref.meta.units} units (damaged)`);
    owner.set(unit, next.path);
    const before = counts.size;
    try {
      next.readGroup((word, count) => counts.set(word, (counts.get(word) ?? 0) + count));
    } catch (err) {
      throw tableFullError(`${next.path} (merging)`, err);
    }
    groups.push([unit, counts.size - before]);
  }
  const shards = [...new Set(readers.flatMap((r) => r.meta.shards))].sort((a, b) => {
    const [ai, an] = a.split("/").map(Number);
    const [bi, bn] = b.split("/").map(Number);
    return an! - bn! || ai! - bi!;
  });
  return { meta: { ...ref.meta, shards, entries: counts.size, bytes, lines }, counts, groups };
}

/** Units of the corpus no group covers, as "a–b" ranges (empty when the counts are complete). */
export function missingUnits(table: CountTable): string[] {
  const covered = new Set(table.groups.map((g) => g[0]));
  const out: string[] = [];
  for (let u = 0; u < table.meta.units; u++) {
    if (covered.has(u)) continue;
    let v = u;
    while (v + 1 < table.meta.units && !covered.has(v + 1)) v++;
    out.push(u === v ? `${u}` : `${u}–${v}`);
    u = v;
  }
  return out;
}

/**
 * Reads count files for training or measuring: merged, complete (every unit of the corpus counted) and counted
 * with the pre-tokenizer `options` asks for.
 */
export async function loadCounts(paths: readonly string[], options: CountOptions): Promise<{ counter: WordCounter; meta: CountMeta }> {
  const table = await mergeCountFiles(paths);
  const missing = missingUnits(table);
  if (missing.length > 0) {
    throw new TokenizerError(`${paths.join(", ")}: the counts cover ${table.groups.length} of the corpus's ${table.meta.units} units (missing units ${missing.slice(0, 5).join(", ")}${missing.length > 5 ? ", …" : ""}): give every shard's count file`);
  }
  const want = { path: "the options given", meta: { ...table.meta, setup: setupOf(options), pipeline: pipelineOf(options) } };
  if (JSON.stringify(want.meta.pipeline) !== JSON.stringify(table.meta.pipeline)) {
    throw new TokenizerError(`${paths[0]}: counted with a different pre-tokenizer (${describeSetup(table.meta)}) than these options ask for (${describeSetup(want.meta)}): give the same --model and pre-tokenization options as to retoken count`);
  }
  const counter = new WordCounter(planFor({ ...options, vocabSize: 1 }), table.counts);
  counter.bytesRead = table.meta.bytes;
  counter.lines = table.meta.lines;
  return { counter, meta: table.meta };
}
