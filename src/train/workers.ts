// Word counting in worker threads: the corpus is cut into units (line-aligned ranges, compressed files, Parquet row
// groups), each worker counts one unit with the same pre-tokenizer plan, and the tables are merged in unit order (so
// the result is the one-process count, insertion order included).

import { startModuleWorker } from "../node/module-worker.js";
import { TokenizerError } from "../tokenize/types.js";
import type { WordCounter } from "./corpus.js";
import { planUnits, type CorpusUnit, type FileCorpusOptions } from "./node-corpus.js";
import type { TrainOptions } from "./train.js";

export interface WorkerTask {
  unit: CorpusUnit;
  setup: Omit<TrainOptions, "onProgress" | "preSegment">;
  strictUtf8?: boolean;
  jsonlField?: string;
}

export async function countFilesInWorkers(
  counter: WordCounter,
  paths: readonly string[],
  options: FileCorpusOptions & { workers: number; setup: TrainOptions },
): Promise<void> {
  if (options.setup.preSegment) throw new TokenizerError("train: a pre-segmentation hook cannot run in worker threads");
  const units = await planUnits(paths, options);
  const total = units.reduce((s, u) => s + u.size, 0);
  const { onProgress: _p, preSegment: _h, ...setup } = options.setup;
  const tasks: WorkerTask[] = units.map((unit) => ({ unit, setup, strictUtf8: options.strictUtf8, jsonlField: options.jsonlField }));
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
        const reply = await new Promise<{ counts: [string, number][]; bytes: number; lines: number; warnings: string[] }>((resolve, reject) => {
          const onMessage = (m: { error?: string; counts: [string, number][]; bytes: number; lines: number; warnings: string[] }): void => {
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
        counter.lines += reply.lines;
        bytesDone += tasks[i]!.unit.size;
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
