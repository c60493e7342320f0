// Encoding a large batch on several cores: worker threads that each hold the tokenizer, fed contiguous chunks.
import type { Worker } from "node:worker_threads";
import { startModuleWorker } from "./module-worker.js";
import { availableParallelism } from "node:os";
import type { EncodeOptions, Tokenizer } from "../tokenize/tokenizer.js";
import { Encoding } from "../tokenize/encoding.js";
import { padEncodings, restoreSequenceRanges } from "../tokenize/encoding-ops.js";
import { TokenizerError } from "../tokenize/types.js";

export interface TokenizerPoolOptions {
  /** Worker threads (default: the number of cores). */
  workers?: number;
}

/** Per-text options of TokenizerPool.encodeBatch (what a worker can be sent: lists, not other iterables). */
export type PoolEncodeOptions = Omit<EncodeOptions, "pair" | "allowedSpecial" | "disallowedSpecial"> & {
  allowedSpecial?: "all" | string[];
  disallowedSpecial?: "all" | string[];
};

/** An Encoding's fields as a worker sends them. */
export type EncodedFields = Pick<Encoding, "ids" | "typeIds" | "tokens" | "offsets" | "wordIds" | "specialTokensMask" | "attentionMask" | "sequenceIds" | "inputs"> & {
  overflowing: EncodedFields[];
  /** HF's per-sequence token ranges, which padding and merging read. */
  ranges: [number, [number, number]][] | null;
};

export type PoolRequest =
  | { kind: "ids"; id: number; texts: string[]; addSpecialTokens: boolean }
  | { kind: "encode"; id: number; inputs: (string | [string, string])[]; options: PoolEncodeOptions };

type Reply = { id: number; flat: Int32Array; lengths: Int32Array } | { id: number; encodings: EncodedFields[] } | { id: number; error: string };

function toEncoding(f: EncodedFields): Encoding {
  const { ranges, ...fields } = f;
  const e = new Encoding({ ...fields, overflowing: f.overflowing.map(toEncoding) });
  restoreSequenceRanges(e, ranges);
  return e;
}

export class TokenizerPool {
  private readonly workers: Worker[];
  private next = 0;
  private readonly pending = new Map<number, { resolve: (v: Reply) => void; reject: (e: Error) => void }>();

  constructor(
    private readonly tokenizer: Tokenizer,
    options: TokenizerPoolOptions = {},
  ) {
    const n = Math.max(1, options.workers ?? availableParallelism());
    const json = tokenizer.toString();
    this.workers = Array.from({ length: n }, () => {
      const w = startModuleWorker(import.meta.url, "encode-worker", { json });
      w.on("message", (m: Reply) => {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if ("error" in m) p.reject(new TokenizerError(m.error));
        else p.resolve(m);
      });
      w.on("error", (err) => {
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
      });
      return w;
    });
  }

  /** Sends each worker one contiguous chunk of `items` and returns the replies in order. */
  private async scatter<T>(items: T[], request: (id: number, chunk: T[]) => PoolRequest): Promise<Reply[]> {
    const per = Math.ceil(items.length / this.workers.length);
    const jobs = this.workers.flatMap((w, i) => {
      const chunk = items.slice(i * per, (i + 1) * per);
      if (chunk.length === 0) return [];
      const id = this.next++;
      return [
        new Promise<Reply>((resolve, reject) => {
          this.pending.set(id, { resolve, reject });
          w.postMessage(request(id, chunk));
        }),
      ];
    });
    return Promise.all(jobs);
  }

  /** The ids of every text, in order; the same as tokenizer.encodeIds on each. */
  async encodeIdsBatch(texts: string[], options: { addSpecialTokens?: boolean } = {}): Promise<number[][]> {
    const addSpecialTokens = options.addSpecialTokens ?? true;
    const replies = await this.scatter(texts, (id, chunk) => ({ kind: "ids", id, texts: chunk, addSpecialTokens }));
    const out: number[][] = [];
    for (const m of replies) {
      if (!("flat" in m)) continue;
      let o = 0;
      for (const len of m.lengths) {
        out.push(Array.from(m.flat.subarray(o, o + len)));
        o += len;
      }
    }
    return out;
  }

  /** Full encodings of every input (a text or a [first, second] pair), in order: the same as tokenizer.encodeBatch,
   * padded together with the options' or the tokenizer's padding. */
  async encodeBatch(inputs: (string | [string, string])[], options: PoolEncodeOptions = {}): Promise<Encoding[]> {
    const padding = options.padding !== undefined ? options.padding : this.tokenizer.padding;
    const replies = await this.scatter(inputs, (id, chunk) => ({ kind: "encode", id, inputs: chunk, options: { ...options, padding: null } }));
    const out = replies.flatMap((m) => ("encodings" in m ? m.encodings.map(toEncoding) : []));
    return padding ? padEncodings(out, padding) : out;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
