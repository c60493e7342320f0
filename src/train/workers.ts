// Word counting in worker threads: the input is cut into byte ranges at line breaks, each worker counts one range
// with the same pre-tokenizer plan, and the tables are merged in range order (so the result is deterministic).

import { startModuleWorker } from "../node/module-worker.js";
import { open } from "node:fs/promises";
import { TokenizerError } from "../tokenize/types.js";
import type { WordCounter } from "./corpus.js";
import { expandInputs, type FileCorpusOptions } from "./node-corpus.js";
import type { TrainOptions } from "./train.js";

export interface WorkerTask {
  path: string;
  start: number;
  end: number;
  setup: Omit<TrainOptions, "onProgress" | "preSegment">;
  strictUtf8?: boolean;
  jsonlField?: string;
}

/** Moves `pos` to just after the next "\n" at or after it (or to the end of the file). */
async function alignToLine(path: string, pos: number, size: number): Promise<number> {
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

export async function countFilesInWorkers(
  counter: WordCounter,
  paths: readonly string[],
  options: FileCorpusOptions & { workers: number; setup: TrainOptions },
): Promise<void> {
  if (options.setup.preSegment) throw new TokenizerError("train: a pre-segmentation hook cannot run in worker threads");
  const files = await expandInputs(paths);
  if (files.length === 0) throw new TokenizerError(`train: no input files found in ${paths.join(", ")}`);
  const total = files.reduce((s, f) => s + f.size, 0);
  // Ranges of 1–64 MB: enough to balance the workers, small enough that a worker never holds much text.
  const target = Math.min(64 << 20, Math.max(1 << 20, Math.ceil(total / (options.workers * 4))));
  const { onProgress: _p, preSegment: _h, ...setup } = options.setup;
  const tasks: WorkerTask[] = [];
  for (const f of files) {
    // JSONL records are lines too, so every file is cut at line breaks.
    let start = 0;
    while (start < f.size || (f.size === 0 && start === 0)) {
      const end = await alignToLine(f.path, start + target, f.size);
      tasks.push({ path: f.path, start, end, setup, strictUtf8: options.strictUtf8, jsonlField: options.jsonlField });
      if (end <= start) break;
      start = end;
    }
  }
  const results: ([string, number][] | null)[] = new Array(tasks.length).fill(null);
  let nextTask = 0;
  let bytesDone = 0;
  let merged = 0;
  const mergeReady = (): void => {
    while (merged < results.length && results[merged] !== null) {
      counter.addCounts(results[merged]!);
      results[merged] = [];
      merged++;
    }
  };
  const runWorker = async (): Promise<void> => {
    const worker = startModuleWorker(import.meta.url, "count-worker");
    try {
      for (;;) {
        const i = nextTask++;
        if (i >= tasks.length) break;
        const reply = await new Promise<{ counts: [string, number][]; bytes: number; warnings: string[] }>((resolve, reject) => {
          const onMessage = (m: { error?: string; counts: [string, number][]; bytes: number; warnings: string[] }): void => {
            worker.off("error", reject);
            if (m.error) reject(new TokenizerError(m.error));
            else resolve(m);
          };
          worker.once("message", onMessage);
          worker.once("error", reject);
          worker.postMessage(tasks[i]);
        });
        for (const w of reply.warnings) options.onWarning?.(w);
        results[i] = reply.counts;
        counter.bytesRead += reply.bytes;
        bytesDone += tasks[i]!.end - tasks[i]!.start;
        options.onProgress?.({ phase: "count", bytesRead: bytesDone, bytesTotal: total, stepsDone: 0, stepsTotal: 0 });
        mergeReady();
      }
    } finally {
      await worker.terminate();
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.workers, tasks.length) }, runWorker));
  mergeReady();
}
