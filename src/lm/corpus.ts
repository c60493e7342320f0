// Training text as token streams, and batches drawn from them as a function of the step number alone — so a run that
// resumes from a checkpoint at step k sees exactly the batches an uninterrupted run sees (the default-model recipe
// and `retoken finetune` both train this way).
import { mulberry32 } from "../util/random.js";
import type { TextTokenizer } from "./bpb.js";

/**
 * A text as one stream of ids: documents are separated by blank lines, each tokenized without special tokens and
 * followed by `endId` (the end-of-text token), blank documents skipped.
 */
export function documentStream(tokenizer: TextTokenizer, text: string, endId: number): Int32Array {
  const ids: number[] = [];
  for (const doc of text.split(/\n{2,}/)) {
    if (!doc.trim()) continue;
    const docIds = tokenizer.encode(doc, { addSpecialTokens: false }).ids;
    for (let i = 0; i < docIds.length; i++) ids.push(docIds[i]!);
    ids.push(endId);
  }
  return Int32Array.from(ids);
}

export interface WindowBatchOptions {
  /** Rows per batch. */
  batch: number;
  /** Tokens per row after the start token (each row is seq + 1 ids). */
  seq: number;
  seed: number;
  /** The id every row starts with (BOS). */
  startId: number;
  /** Per-stream factors on the √length weight (default 1 each): a language the model must be good at, drawn more. */
  boost?: readonly number[];
}

/**
 * Samples batches of windows from several streams: each row draws its stream with probability ∝ √length × its boost
 * (small streams are seen more than their share) and a uniformly placed window of `seq` ids in it, after the start id.
 */
export class WindowSampler {
  private readonly weights: number[];
  private readonly totalWeight: number;

  constructor(
    readonly streams: readonly Int32Array[],
    readonly options: WindowBatchOptions,
  ) {
    const { batch, seq } = options;
    if (!(Number.isInteger(batch) && batch >= 1)) throw new Error(`WindowSampler: batch must be a positive integer, got ${batch}`);
    if (!(Number.isInteger(seq) && seq >= 1)) throw new Error(`WindowSampler: seq must be a positive integer, got ${seq}`);
    if (streams.length === 0) throw new Error("WindowSampler: no streams");
    streams.forEach((s, i) => {
      if (s.length < seq + 1) throw new Error(`WindowSampler: stream ${i} has ${s.length} tokens, a window needs at least ${seq + 1}`);
    });
    const boost = options.boost ?? [];
    if (boost.length && boost.length !== streams.length) throw new Error(`WindowSampler: boost has ${boost.length} factors for ${streams.length} streams`);
    boost.forEach((b, i) => {
      if (!(b > 0 && Number.isFinite(b))) throw new Error(`WindowSampler: boost ${i} must be a positive number, got ${b}`);
    });
    this.weights = streams.map((s, i) => Math.sqrt(s.length) * (boost[i] ?? 1));
    this.totalWeight = this.weights.reduce((a, b) => a + b, 0);
  }

  /** The batch of step `step` (0-based): the same for the same step, seed and streams. */
  batchAt(step: number): number[][] {
    const { batch, seq, seed, startId } = this.options;
    const rand = mulberry32(seed * 1_000_003 + step);
    const rows: number[][] = [];
    for (let r = 0; r < batch; r++) {
      let u = rand() * this.totalWeight;
      let k = 0;
      while (k < this.streams.length - 1 && u >= this.weights[k]!) u -= this.weights[k++]!;
      const s = this.streams[k]!;
      const start = Math.floor(rand() * (s.length - seq - 1));
      rows.push([startId, ...s.subarray(start, start + seq)]);
    }
    return rows;
  }
}
