// Word counting: the only state a trainer keeps while reading a corpus of any size.

import type { PreTokenizerPlan } from "./pretokenize.js";
import { TokenizerError } from "../tokenize/types.js";
import { utf8Length } from "../util/utf8.js";

/** Progress of a training run: bytes of text read, then merges (or EM rounds) done. */
export interface TrainProgress {
  phase: "count" | "train" | "done";
  bytesRead: number;
  /** Total bytes when known (files), else 0. */
  bytesTotal: number;
  stepsDone: number;
  stepsTotal: number;
}
export type ProgressCallback = (p: TrainProgress) => void;

/** Text in any shape: one string, or an iterable (sync or async) of documents (each ends its last line). */
export type TextSource = string | Iterable<string> | AsyncIterable<string>;

/**
 * Counts pre-tokenized words line by line (lines keep their "\n", as the HF trainer reads files), so chunks may cut
 * a line anywhere. Words are counted raw and mapped to symbol strings once per distinct word at the end.
 */
export class WordCounter {
  bytesRead = 0;
  lines = 0;
  private carry = "";
  private readonly emit = (w: string): void => {
    this.raw.set(w, (this.raw.get(w) ?? 0) + 1);
  };

  /** `raw` may hold counts already (e.g. merged count files), in first-occurrence order. */
  constructor(
    readonly plan: PreTokenizerPlan,
    readonly raw = new Map<string, number>(),
  ) {}

  /** Adds a chunk of text; the part after its last line break waits for the next chunk. */
  addChunk(chunk: string): void {
    this.bytesRead += utf8Length(chunk);
    let text = this.carry.length > 0 ? this.carry + chunk : chunk;
    let start = 0;
    for (;;) {
      const nl = text.indexOf("\n", start);
      if (nl < 0) break;
      this.plan.split(text.slice(start, nl + 1), this.emit);
      this.lines++;
      start = nl + 1;
    }
    this.carry = start === 0 ? text : text.slice(start);
    text = "";
  }

  /** Adds one whole document or sentence (its lines counted as lines). */
  addText(text: string): void {
    this.addChunk(text);
    this.flush();
  }

  /** Counts the last unterminated line. */
  flush(): void {
    if (this.carry.length > 0) {
      this.plan.split(this.carry, this.emit);
      this.lines++;
      this.carry = "";
    }
  }

  /** Merges counts from another counter (e.g. a worker's), in call order so results stay deterministic. */
  addCounts(entries: Iterable<[string, number]>): void {
    for (const [w, c] of entries) this.raw.set(w, (this.raw.get(w) ?? 0) + c);
  }

  /** Distinct words as symbol strings (byte-level mapped where the plan says so) with their counts. */
  words(): Map<string, number> {
    this.flush();
    const out = new Map<string, number>();
    for (const [w, c] of this.raw) {
      const m = this.plan.mapWord(w);
      if (m.length === 0) continue;
      out.set(m, (out.get(m) ?? 0) + c);
    }
    return out;
  }
}

/** JavaScript's Map holds at most 2^24 entries: the largest word table one process can count, merge or train from. */
export const MAX_DISTINCT_WORDS = 1 << 24;

/** A clear error instead of V8's "Map maximum size exceeded" when a word table outgrows `MAX_DISTINCT_WORDS`. */
export function tableFullError(where: string, err: unknown): unknown {
  if (!(err instanceof RangeError) || !/Map maximum size/.test(err.message)) return err;
  return new TokenizerError(
    `${where}: more than ${MAX_DISTINCT_WORDS} distinct pre-tokens, the most one process can hold (JavaScript's Map limit); count smaller shards, and note that merging and training need the whole table`,
  );
}

/** Feeds any text source into a counter, reporting progress every ~1 MB. */
export async function countSource(
  counter: WordCounter,
  source: TextSource,
  onProgress?: ProgressCallback,
  bytesTotal = 0,
): Promise<void> {
  let lastReport = 0;
  const report = (): void => {
    if (!onProgress) return;
    if (counter.bytesRead - lastReport < 1 << 20) return;
    lastReport = counter.bytesRead;
    onProgress({ phase: "count", bytesRead: counter.bytesRead, bytesTotal, stepsDone: 0, stepsTotal: 0 });
  };
  if (typeof source === "string") {
    counter.addText(source);
  } else if (Symbol.asyncIterator in (source as object)) {
    for await (const chunk of source as AsyncIterable<string>) {
      counter.addText(chunk);
      report();
    }
  } else {
    for (const chunk of source as Iterable<string>) {
      counter.addText(chunk);
      report();
    }
  }
  onProgress?.({ phase: "count", bytesRead: counter.bytesRead, bytesTotal, stepsDone: 0, stepsTotal: 0 });
}
