// Worker thread body for `workers.ts`: counts the words of one corpus unit and posts the table back.

import { parentPort } from "node:worker_threads";
import { WordCounter } from "./corpus.js";
import { planFor } from "./train.js";
import type { WorkerTask } from "./workers.js";
import { countUnit } from "./node-corpus.js";

parentPort!.on("message", async (task: WorkerTask) => {
  try {
    const counter = new WordCounter(planFor(task.setup));
    const warnings: string[] = [];
    await countUnit(counter, task.unit, { jsonlField: task.jsonlField, strictUtf8: task.strictUtf8, onWarning: (w) => warnings.push(w) });
    parentPort!.postMessage({ counts: [...counter.raw], bytes: counter.bytesRead, lines: counter.lines, warnings });
  } catch (err) {
    parentPort!.postMessage({ error: err instanceof Error ? err.message : String(err), counts: [], bytes: 0, lines: 0, warnings: [] });
  }
});
