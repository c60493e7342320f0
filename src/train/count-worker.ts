// Worker thread body for `workers.ts`: counts the words of one byte range of a file and posts the table back.

import { parentPort } from "node:worker_threads";
import { createReadStream } from "node:fs";
import { WordCounter } from "./corpus.js";
import { planFor } from "./train.js";
import type { WorkerTask } from "./workers.js";
import { firstInvalidUtf8 } from "./node-corpus.js";

parentPort!.on("message", async (task: WorkerTask) => {
  try {
    const counter = new WordCounter(planFor(task.setup));
    const chunks: Buffer[] = [];
    if (task.end > task.start) {
      for await (const c of createReadStream(task.path, { start: task.start, end: task.end - 1 })) chunks.push(c as Buffer);
    }
    const buf = Buffer.concat(chunks);
    const warnings: string[] = [];
    const bad = firstInvalidUtf8(buf);
    if (bad < buf.length) {
      if (task.strictUtf8) throw new Error(`${task.path}: invalid UTF-8 at byte ${task.start + bad}`);
      warnings.push(`${task.path}: invalid UTF-8 from byte ${task.start + bad} counted as U+FFFD`);
    }
    const text = new TextDecoder("utf-8").decode(buf);
    // Line numbers are known only within this byte range; the first range's are the file's.
    const where = (i: number): string => (task.start === 0 ? `${task.path}:${i + 1}` : `${task.path}: line ${i + 1} after byte ${task.start}`);
    if (task.jsonlField !== undefined && /\.(jsonl|ndjson)$/i.test(task.path)) {
      text.split("\n").forEach((line, i) => {
        if (line.trim().length === 0) return;
        let rec: unknown;
        try {
          rec = JSON.parse(line);
        } catch {
          throw new Error(`${where(i)}: not valid JSON`);
        }
        const v = (rec as Record<string, unknown> | null)?.[task.jsonlField!];
        if (typeof v !== "string") throw new Error(`${where(i)}: field "${task.jsonlField}" is missing or not a string`);
        counter.addText(v);
      });
    } else counter.addText(text);
    parentPort!.postMessage({ counts: [...counter.raw], bytes: counter.bytesRead, warnings });
  } catch (err) {
    parentPort!.postMessage({ error: err instanceof Error ? err.message : String(err), counts: [], bytes: 0, warnings: [] });
  }
});
