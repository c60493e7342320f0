// Node-only corpus reading: files, folders and JSONL streamed in 1 MB chunks into a word counter.
//
// Invalid UTF-8 (documented handling): each invalid byte sequence becomes U+FFFD, as TextDecoder and the runtime
// (which only ever sees valid text) do; the count and the first file are reported through `onWarning`, or, with
// `strictUtf8`, the first one is an error naming the file and byte offset.

import { createReadStream } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { isUtf8 } from "node:buffer";
import { TokenizerError } from "../tokenize/types.js";
import type { ProgressCallback } from "./corpus.js";
import type { WordCounter } from "./corpus.js";

export interface FileCorpusOptions {
  /** Read `.jsonl`/`.ndjson` files as one JSON object per line and count this string field. */
  jsonlField?: string;
  strictUtf8?: boolean;
  onProgress?: ProgressCallback;
  onWarning?: (message: string) => void;
}

function ioError(path: string, err: unknown): TokenizerError {
  const code = (err as NodeJS.ErrnoException).code ?? String(err);
  return new TokenizerError(`${path}: cannot read (${code})`);
}

/** Files named directly, plus every regular file under named folders (sorted, dot-files skipped). */
export async function expandInputs(paths: readonly string[]): Promise<{ path: string; size: number }[]> {
  const out: { path: string; size: number }[] = [];
  const visit = async (p: string): Promise<void> => {
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
      for (const n of names) if (!n.startsWith(".")) await visit(join(p, n));
    } else if (s.isFile()) out.push({ path: p, size: s.size });
  };
  for (const p of paths) await visit(p);
  return out;
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

/** Streams one file's text in chunks, handling invalid UTF-8 as documented above. */
async function* readTextChunks(path: string, options: FileCorpusOptions, invalid: { count: number }): AsyncGenerator<string> {
  const decoder = new TextDecoder("utf-8");
  let pending: Uint8Array = new Uint8Array(0);
  let offset = 0;
  const stream = createReadStream(path, { highWaterMark: 1 << 20 });
  const decode = (buf: Uint8Array, at: number): string => {
    if (isUtf8(buf)) return decoder.decode(buf);
    if (options.strictUtf8) {
      throw new TokenizerError(`${path}: invalid UTF-8 at byte ${at + firstInvalidUtf8(buf)} (without strict mode it counts as U+FFFD)`);
    }
    const text = decoder.decode(buf);
    invalid.count += countReplacement(text) - countEncodedReplacement(buf);
    return text;
  };
  try {
    for await (const raw of stream) {
      const chunk = raw as Buffer;
      const buf = pending.length > 0 ? Buffer.concat([pending, chunk]) : chunk;
      const tail = incompleteTail(buf);
      const body = buf.subarray(0, buf.length - tail);
      pending = Uint8Array.from(buf.subarray(buf.length - tail));
      const text = decode(body, offset);
      offset += body.length;
      if (text.length > 0) yield text;
    }
  } catch (err) {
    if (err instanceof TokenizerError) throw err;
    throw ioError(path, err);
  }
  if (pending.length > 0) yield decode(pending, offset);
}

/** Counts every input file into `counter` (JSONL by field when asked), reporting bytes read. */
export async function countFiles(counter: WordCounter, paths: readonly string[], options: FileCorpusOptions = {}): Promise<void> {
  const files = await expandInputs(paths);
  if (files.length === 0) throw new TokenizerError(`train: no input files found in ${paths.join(", ") || "(none given)"}`);
  const bytesTotal = files.reduce((s, f) => s + f.size, 0);
  let bytesDone = 0;
  let lastReport = -1;
  const report = (fileBytes: number): void => {
    const read = bytesDone + fileBytes;
    if (!options.onProgress || read - lastReport < 1 << 20) return;
    lastReport = read;
    options.onProgress({ phase: "count", bytesRead: read, bytesTotal, stepsDone: 0, stepsTotal: 0 });
  };
  for (const file of files) {
    const invalid = { count: 0 };
    const jsonl = options.jsonlField !== undefined && /\.(jsonl|ndjson)$/i.test(file.path);
    const start = counter.bytesRead;
    if (jsonl) {
      let carry = "";
      let lineNo = 0;
      const field = options.jsonlField!;
      const handle = (line: string): void => {
        lineNo++;
        if (line.trim().length === 0) return;
        let record: unknown;
        try {
          record = JSON.parse(line);
        } catch {
          throw new TokenizerError(`${file.path}:${lineNo}: not valid JSON`);
        }
        const value = (record as Record<string, unknown> | null)?.[field];
        if (typeof value !== "string") throw new TokenizerError(`${file.path}:${lineNo}: field "${field}" is missing or not a string`);
        counter.addText(value);
      };
      for await (const chunk of readTextChunks(file.path, options, invalid)) {
        const text = carry + chunk;
        const lines = text.split("\n");
        carry = lines.pop()!;
        for (const l of lines) handle(l);
        report(counter.bytesRead - start);
      }
      if (carry.length > 0) handle(carry);
    } else {
      for await (const chunk of readTextChunks(file.path, options, invalid)) {
        counter.addChunk(chunk);
        report(counter.bytesRead - start);
      }
      counter.flush();
    }
    if (invalid.count > 0) {
      options.onWarning?.(`${file.path}: ${invalid.count} invalid UTF-8 sequence(s) counted as U+FFFD`);
    }
    bytesDone += file.size;
  }
  options.onProgress?.({ phase: "count", bytesRead: bytesTotal, bytesTotal, stepsDone: 0, stepsTotal: 0 });
}
