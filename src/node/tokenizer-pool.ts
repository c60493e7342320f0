// Encoding a large batch on several cores: worker threads that each hold the tokenizer, fed contiguous chunks.
import type { Worker } from "node:worker_threads";
import { startModuleWorker } from "./module-worker.js";
import { availableParallelism } from "node:os";
import type { Tokenizer } from "../tokenize/tokenizer.js";

export interface TokenizerPoolOptions {
  /** Worker threads (default: the number of cores). */
  workers?: number;
}

export class TokenizerPool {
  private readonly workers: Worker[];
  private next = 0;
  private readonly pending = new Map<number, { resolve: (v: number[][]) => void; reject: (e: Error) => void }>();

  constructor(tokenizer: Tokenizer, options: TokenizerPoolOptions = {}) {
    const n = Math.max(1, options.workers ?? availableParallelism());
    const json = tokenizer.toString();
    this.workers = Array.from({ length: n }, () => {
      const w = startModuleWorker(import.meta.url, "encode-worker", { json });
      w.on("message", (m: { id: number; flat: Int32Array; lengths: Int32Array }) => {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        const out: number[][] = [];
        let o = 0;
        for (const len of m.lengths) {
          out.push(Array.from(m.flat.subarray(o, o + len)));
          o += len;
        }
        p.resolve(out);
      });
      w.on("error", (err) => {
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
      });
      return w;
    });
  }

  /** The ids of every text, in order; the same as tokenizer.encodeIds on each. */
  async encodeIdsBatch(texts: string[], options: { addSpecialTokens?: boolean } = {}): Promise<number[][]> {
    const addSpecialTokens = options.addSpecialTokens ?? true;
    const per = Math.ceil(texts.length / this.workers.length);
    const jobs = this.workers.map((w, i) => {
      const chunk = texts.slice(i * per, (i + 1) * per);
      if (chunk.length === 0) return Promise.resolve([] as number[][]);
      const id = this.next++;
      return new Promise<number[][]>((resolve, reject) => {
        this.pending.set(id, { resolve, reject });
        w.postMessage({ id, texts: chunk, addSpecialTokens });
      });
    });
    return (await Promise.all(jobs)).flat();
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
