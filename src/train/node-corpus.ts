// Node-only corpus reading: files, folders, globs and Hugging Face dataset folders; plain text, JSONL (by field) and
// Parquet (by column), each judged by content (gzip and zstd are decompressed, other compressions refused), cut into
// units (line-aligned byte ranges, whole compressed files, Parquet row groups) that are read one at a time.
//
// Invalid UTF-8 (documented handling): each invalid byte sequence becomes U+FFFD, as TextDecoder and the runtime
// (which only ever sees valid text) do; the count and the first file are reported through `onWarning`, or, with
// `strictUtf8`, the first one is an error naming the file and byte offset.

import { createReadStream } from "node:fs";
import { open, readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { isUtf8 } from "node:buffer";
import { createHash } from "node:crypto";
import { createGunzip } from "node:zlib";
import { Decompress as ZstdDecompress } from "fzstd";
import { glob, isDynamicPattern } from "tinyglobby";
import type { FileMetaData } from "hyparquet";
import { TokenizerError } from "../tokenize/types.js";
import { sniffFormat } from "../util/magic.js";
import { NUL_SCAN_BYTES, sniffNotText } from "../util/sniff.js";
import { tableFullError, type ProgressCallback, type WordCounter } from "./corpus.js";

export interface FileCorpusOptions {
  /** JSONL: the string field of each record; Parquet: the text column. */
  jsonlField?: string;
  strictUtf8?: boolean;
  onProgress?: ProgressCallback;
  onWarning?: (message: string) => void;
}

/** One piece of a corpus that is read whole by one process: a line-aligned byte range, a compressed file, a row group. */
export interface CorpusUnit {
  path: string;
  /** How the file's bytes are stored (judged by content). */
  compression: "none" | "gzip" | "zstd";
  parquet: boolean;
  /** Byte range [start, end) of an uncompressed file; the whole file otherwise. */
  start: number;
  end: number;
  /** Parquet: the row group and its rows [rowStart, rowEnd). */
  rowGroup?: number;
  rowStart?: number;
  rowEnd?: number;
  /** Bytes this unit stands for (balances shards, drives progress): on disk, or a Parquet column's uncompressed size. */
  size: number;
}

function ioError(path: string, err: unknown): TokenizerError {
  const code = (err as NodeJS.ErrnoException).code ?? String(err);
  return new TokenizerError(`${path}: cannot read (${code})`);
}

/**
 * Files named directly, globs (sorted matches), and every regular file under named folders (sorted, dot-files
 * skipped). A folder with a `data/` subfolder is a Hugging Face dataset folder: only `data/` is read.
 */
export async function expandInputs(paths: readonly string[]): Promise<{ path: string; size: number }[]> {
  const out: { path: string; size: number }[] = [];
  /** `named`: given on the command line (not found under a folder, where anything but a regular file is skipped). */
  const visit = async (p: string, named = false): Promise<void> => {
    let s;
    try {
      s = await stat(p);
    } catch (err) {
      throw ioError(p, err);
    }
    if (s.isDirectory()) {
      let names: string[];
      try {
        names = (await readdir(p)).sort();
      } catch (err) {
        throw ioError(p, err);
      }
      const data = names.includes("data") && (await stat(join(p, "data")).then((d) => d.isDirectory(), () => false));
      if (data) return visit(join(p, "data"));
      for (const n of names) if (!n.startsWith(".")) await visit(join(p, n));
    } else if (s.isFile()) out.push({ path: p, size: s.size });
    else if (named) {
      // Units are byte ranges read more than once (sharding, resuming, the format sniff): a stream cannot be.
      const kind = s.isFIFO() ? "a pipe" : s.isSocket() ? "a socket" : s.isCharacterDevice() ? "a character device" : "not a regular file";
      throw new TokenizerError(`${p}: ${kind}; corpora are read as files (save the stream to a file first)`);
    }
  };
  for (const p of paths) {
    if (p === "-") throw new TokenizerError(`-: standard input is not read; corpora are read as files (save the stream to a file first)`);
    let exists = true;
    await stat(p).catch(() => (exists = false));
    if (!exists && isDynamicPattern(p)) {
      const matches = (await glob(p, { onlyFiles: false, expandDirectories: false })).sort();
      if (matches.length === 0) throw new TokenizerError(`${p}: no file matches this pattern`);
      for (const m of matches) await visit(m);
    } else await visit(p, true);
  }
  return out;
}

async function readHead(path: string, length: number, at = 0): Promise<Uint8Array> {
  let fh;
  try {
    fh = await open(path, "r");
    const buf = Buffer.alloc(length);
    const { bytesRead } = await fh.read(buf, 0, length, at);
    return buf.subarray(0, bytesRead);
  } catch (err) {
    throw ioError(path, err);
  } finally {
    await fh?.close();
  }
}


/** Moves `pos` to just after the next "\n" at or after it (or to the end of the file). */
export async function alignToLine(path: string, pos: number, size: number): Promise<number> {
  if (pos <= 0 || pos >= size) return Math.min(Math.max(pos, 0), size);
  const fh = await open(path, "r");
  try {
    const buf = Buffer.alloc(65536);
    let at = pos - 1;
    while (at < size) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, at);
      if (bytesRead === 0) break;
      const nl = buf.subarray(0, bytesRead).indexOf(10);
      if (nl >= 0) return at + nl + 1;
      at += bytesRead;
    }
    return size;
  } finally {
    await fh.close();
  }
}

/** Uncompressed text files are cut into line-aligned ranges of about this size (fixed, so unit lists are stable). */
export const RANGE_BYTES = 64 << 20;

/** The Parquet reader, loaded on the first Parquet file (a CLI that reads text never pays for it). */
const parquetLibrary = () => import("hyparquet");

async function parquetMeta(path: string): Promise<FileMetaData> {
  const { asyncBufferFromFile, parquetMetadataAsync } = await parquetLibrary();
  try {
    return await parquetMetadataAsync(await asyncBufferFromFile(path));
  } catch (err) {
    throw new TokenizerError(`${path}: not a readable Parquet file (${(err as Error).message})`);
  }
}

function parquetColumnIndex(path: string, meta: FileMetaData, column: string | undefined): number {
  const names = meta.row_groups[0]?.columns.map((c) => c.meta_data?.path_in_schema.join(".") ?? "") ?? [];
  const top = meta.schema.slice(1).map((s) => s.name);
  if (column === undefined) throw new TokenizerError(`${path}: a Parquet file; give --jsonl-field NAME for its text column (columns: ${top.join(", ")})`);
  const i = names.indexOf(column);
  if (i < 0 && !top.includes(column)) throw new TokenizerError(`${path}: no column "${column}" (columns: ${top.join(", ")})`);
  return i;
}

/** Cuts the inputs into units in corpus order: the order one process reads them in. */
export async function planUnits(paths: readonly string[], options: { jsonlField?: string } = {}): Promise<CorpusUnit[]> {
  const files = await expandInputs(paths);
  if (files.length === 0) throw new TokenizerError(`no input files found in ${paths.join(", ") || "(none given)"}`);
  const units: CorpusUnit[] = [];
  for (const f of files) {
    const head = await readHead(f.path, NUL_SCAN_BYTES);
    const format = sniffFormat(head);
    if (format === "parquet") {
      const meta = await parquetMeta(f.path);
      const col = parquetColumnIndex(f.path, meta, options.jsonlField);
      let row = 0;
      meta.row_groups.forEach((g, i) => {
        const rows = Number(g.num_rows);
        // Text bytes (uncompressed column size) balance shards better than bytes on disk: compression ratios vary.
        const size = Number(g.columns[Math.max(col, 0)]?.meta_data?.total_uncompressed_size ?? g.total_byte_size);
        units.push({ path: f.path, compression: "none", parquet: true, start: 0, end: f.size, rowGroup: i, rowStart: row, rowEnd: row + rows, size });
        row += rows;
      });
    } else if (format === "gzip" || format === "zstd") {
      units.push({ path: f.path, compression: format, parquet: false, start: 0, end: f.size, size: f.size });
    } else {
      const notText = sniffNotText(head);
      if (notText) throw new TokenizerError(`${f.path}: ${notText.reason} (corpora are text, JSONL or Parquet; gzip and zstd are decompressed)`);
      let start = 0;
      do {
        const end = await alignToLine(f.path, start + RANGE_BYTES, f.size);
        units.push({ path: f.path, compression: "none", parquet: false, start, end, size: end - start });
        start = end;
      } while (start < f.size);
    }
  }
  return units;
}

/** Names the exact unit list (paths, ranges, row groups): count files of one corpus carry the same fingerprint. */
export function unitsFingerprint(units: readonly CorpusUnit[]): string {
  const h = createHash("sha256");
  for (const u of units) h.update(JSON.stringify([u.path, u.compression, u.parquet, u.start, u.end, u.rowGroup ?? -1, u.rowEnd ?? -1]) + "\n");
  return h.digest("hex").slice(0, 32);
}

/**
 * Shard `index` of `count` (index from 1): a contiguous run of units, cut by cumulative size so every shard gets
 * about the same bytes, each unit in exactly one shard. Returns the unit indices [first, last).
 */
export function shardRange(units: readonly CorpusUnit[], index: number, count: number): [number, number] {
  if (!Number.isInteger(count) || count < 1 || !Number.isInteger(index) || index < 1 || index > count) {
    throw new TokenizerError(`shard ${index}/${count}: expected i/n with 1 ≤ i ≤ n`);
  }
  const total = units.reduce((s, u) => s + u.size, 0);
  const owner = (cum: number, size: number): number => (total === 0 ? 0 : Math.min(count - 1, Math.floor(((cum + size / 2) * count) / total)));
  let cum = 0;
  let first = -1;
  let last = -1;
  units.forEach((u, i) => {
    if (owner(cum, u.size) === index - 1) {
      if (first < 0) first = i;
      last = i + 1;
    }
    cum += u.size;
  });
  return first < 0 ? [0, 0] : [first, last];
}

/** The raw bytes of a unit, decompressed; `onRaw` is told how many bytes of the file were consumed. */
async function* unitBytes(unit: CorpusUnit, onRaw: (n: number) => void): AsyncGenerator<Uint8Array> {
  if (unit.end <= unit.start) return;
  const stream = createReadStream(unit.path, { start: unit.start, end: unit.end - 1, highWaterMark: 1 << 20 });
  try {
    if (unit.compression === "none") {
      for await (const c of stream) {
        onRaw((c as Buffer).length);
        yield c as Buffer;
      }
    } else if (unit.compression === "gzip") {
      const gunzip = createGunzip();
      const piped = stream.on("data", (c: string | Buffer) => onRaw(c.length)).pipe(gunzip);
      stream.on("error", (e) => gunzip.destroy(e));
      for await (const c of piped) yield c as Buffer;
    } else {
      const out: Uint8Array[] = [];
      const zstd = new ZstdDecompress((chunk) => out.push(chunk));
      for await (const c of stream) {
        onRaw((c as Buffer).length);
        zstd.push(c as Buffer);
        while (out.length > 0) yield out.shift()!;
      }
      zstd.push(new Uint8Array(0), true);
      while (out.length > 0) yield out.shift()!;
    }
  } catch (err) {
    if (err instanceof TokenizerError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (typeof code === "string" && code.startsWith("E") && !code.startsWith("ERR_")) throw ioError(unit.path, err);
    throw new TokenizerError(`${unit.path}: ${unit.compression} stream is damaged or truncated (${(err as Error).message})`);
  }
}

/** Length of a trailing incomplete UTF-8 sequence (0–3 bytes) that the next chunk may complete. */
function incompleteTail(buf: Uint8Array): number {
  for (let back = 1; back <= Math.min(3, buf.length); back++) {
    const b = buf[buf.length - back]!;
    if ((b & 0xc0) === 0x80) continue;
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > back ? back : 0;
  }
  return 0;
}

/** Offset of the first byte that does not start or continue a well-formed UTF-8 sequence (linear scan). */
export function firstInvalidUtf8(buf: Uint8Array): number {
  let i = 0;
  while (i < buf.length) {
    const b = buf[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) lo = 0xa0;
      if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lo = 0x90;
      if (b === 0xf4) hi = 0x8f;
    } else return i;
    if (i + need >= buf.length) return i;
    const second = buf[i + 1]!;
    if (second < lo || second > hi) return i;
    for (let k = 2; k <= need; k++) if ((buf[i + k]! & 0xc0) !== 0x80) return i;
    i += need + 1;
  }
  return buf.length;
}

function countReplacement(text: string): number {
  let n = 0;
  for (let i = text.indexOf("\ufffd"); i >= 0; i = text.indexOf("\ufffd", i + 1)) n++;
  return n;
}

function countEncodedReplacement(buf: Uint8Array): number {
  let n = 0;
  for (let i = 0; i + 2 < buf.length; i++) if (buf[i] === 0xef && buf[i + 1] === 0xbf && buf[i + 2] === 0xbd) n++;
  return n;
}

/** Streams a unit's text in chunks (first checking what decompression gave), handling invalid UTF-8 as above. */
async function* unitText(unit: CorpusUnit, options: FileCorpusOptions, invalid: { count: number }, onRaw: (n: number) => void): AsyncGenerator<string> {
  const decoder = new TextDecoder("utf-8");
  let pending: Uint8Array = new Uint8Array(0);
  let offset = unit.compression === "none" ? unit.start : 0;
  let first = true;
  const decode = (buf: Uint8Array, at: number): string => {
    if (isUtf8(buf)) return decoder.decode(buf);
    const where = unit.compression === "none" ? "" : ` of the decompressed text`;
    if (options.strictUtf8) {
      throw new TokenizerError(`${unit.path}: invalid UTF-8 at byte ${at + firstInvalidUtf8(buf)}${where} (without strict mode it counts as U+FFFD)`);
    }
    const text = decoder.decode(buf);
    invalid.count += countReplacement(text) - countEncodedReplacement(buf);
    return text;
  };
  for await (const chunk of unitBytes(unit, onRaw)) {
    if (first && unit.compression !== "none" && chunk.length > 0) {
      const inner = sniffNotText(chunk);
      if (inner) throw new TokenizerError(`${unit.path}: after ${unit.compression} decompression, ${inner.reason}`);
      first = false;
    }
    const buf = pending.length > 0 ? Buffer.concat([pending, chunk]) : chunk;
    const tail = incompleteTail(buf);
    const body = buf.subarray(0, buf.length - tail);
    pending = Uint8Array.from(buf.subarray(buf.length - tail));
    const text = decode(body, offset);
    offset += body.length;
    if (text.length > 0) yield text;
  }
  if (pending.length > 0) yield decode(pending, offset);
}

const JSONL_NAME = /\.(jsonl|ndjson)(\.(gz|zst|zstd))?$/i;

/** Counts one JSONL unit record by record (a record is a line; the field's text is counted as one document). */
async function countJsonl(counter: WordCounter, unit: CorpusUnit, chunks: AsyncIterable<string>, field: string, report: () => void): Promise<void> {
  let carry = "";
  let lineNo = 0;
  // Line numbers are the file's only when the unit starts the file.
  const where = (): string => (unit.start === 0 ? `${unit.path}:${lineNo}` : `${unit.path}: line ${lineNo} after byte ${unit.start}`);
  const handle = (line: string): void => {
    lineNo++;
    if (line.trim().length === 0) return;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      throw new TokenizerError(`${where()}: not valid JSON`);
    }
    const value = (record as Record<string, unknown> | null)?.[field];
    if (typeof value !== "string") throw new TokenizerError(`${where()}: field "${field}" is missing or not a string`);
    counter.addText(value);
  };
  for await (const chunk of chunks) {
    const lines = (carry + chunk).split("\n");
    carry = lines.pop()!;
    for (const l of lines) handle(l);
    report();
  }
  if (carry.length > 0) handle(carry);
}

async function countParquet(counter: WordCounter, unit: CorpusUnit, field: string): Promise<void> {
  let rows: unknown[][] = [];
  const [{ asyncBufferFromFile, parquetRead }, { compressors }] = await Promise.all([parquetLibrary(), import("hyparquet-compressors")]);
  try {
    await parquetRead({
      file: await asyncBufferFromFile(unit.path),
      columns: [field],
      rowStart: unit.rowStart,
      rowEnd: unit.rowEnd,
      compressors,
      onComplete: (r) => (rows = r),
    });
  } catch (err) {
    throw new TokenizerError(`${unit.path}: cannot read row group ${unit.rowGroup} (${(err as Error).message})`);
  }
  rows.forEach((row, i) => {
    const value = row[0];
    if (value === null || value === undefined) return;
    if (typeof value !== "string") throw new TokenizerError(`${unit.path}: row ${unit.rowStart! + i}: column "${field}" is not a string`);
    counter.addText(value);
  });
}

/**
 * Counts one unit into `counter`. With a field name, JSONL is read record by record: files named .jsonl/.ndjson
 * (before .gz/.zst), or whose text starts with "{"; everything else is plain text.
 */
export async function countUnit(
  counter: WordCounter,
  unit: CorpusUnit,
  options: FileCorpusOptions = {},
  onRaw: (n: number) => void = () => {},
): Promise<void> {
  try {
    await countUnitText(counter, unit, options, onRaw);
  } catch (err) {
    throw tableFullError(unit.path, err);
  }
}

async function countUnitText(counter: WordCounter, unit: CorpusUnit, options: FileCorpusOptions, onRaw: (n: number) => void): Promise<void> {
  if (unit.parquet) {
    await countParquet(counter, unit, options.jsonlField!);
    onRaw(unit.size);
    return;
  }
  const invalid = { count: 0 };
  const text = unitText(unit, options, invalid, onRaw);
  const field = options.jsonlField;
  if (field !== undefined) {
    const head = await text.next();
    const firstChunk = head.done ? "" : head.value;
    const jsonl = JSONL_NAME.test(unit.path) || /^\s*\{/.test(firstChunk);
    async function* rest(): AsyncGenerator<string> {
      if (firstChunk.length > 0) yield firstChunk;
      yield* text;
    }
    if (jsonl) await countJsonl(counter, unit, rest(), field, () => {});
    else {
      for await (const chunk of rest()) counter.addChunk(chunk);
      counter.flush();
    }
  } else {
    for await (const chunk of text) counter.addChunk(chunk);
    counter.flush();
  }
  if (invalid.count > 0) options.onWarning?.(`${unit.path}: ${invalid.count} invalid UTF-8 sequence(s) counted as U+FFFD`);
}

/** Counts units in order into `counter`, reporting bytes of the files read; `onUnitDone` sees each finished unit. */
export async function countUnits(
  counter: WordCounter,
  units: readonly CorpusUnit[],
  options: FileCorpusOptions = {},
  onUnitDone?: (index: number) => void,
): Promise<void> {
  const bytesTotal = units.reduce((s, u) => s + u.size, 0);
  let bytesDone = 0;
  let lastReport = -1;
  const onRaw = (n: number): void => {
    bytesDone += n;
    if (!options.onProgress || bytesDone - lastReport < 1 << 20) return;
    lastReport = bytesDone;
    options.onProgress({ phase: "count", bytesRead: bytesDone, bytesTotal, stepsDone: 0, stepsTotal: 0 });
  };
  for (let i = 0; i < units.length; i++) {
    await countUnit(counter, units[i]!, options, onRaw);
    onUnitDone?.(i);
  }
  options.onProgress?.({ phase: "count", bytesRead: bytesTotal, bytesTotal, stepsDone: 0, stepsTotal: 0 });
}

/** Counts every input (files, folders, globs) into `counter`, in corpus order. */
export async function countFiles(counter: WordCounter, paths: readonly string[], options: FileCorpusOptions = {}): Promise<void> {
  await countUnits(counter, await planUnits(paths, options), options);
}
