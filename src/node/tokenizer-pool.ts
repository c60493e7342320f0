// Encoding a large batch on several cores: worker threads that each hold the tokenizer, fed contiguous chunks.
import type { Worker } from "node:worker_threads";
import { startModuleWorker } from "./module-worker.js";
import { availableParallelism } from "node:os";
import { Tokenizer, type EncodeOptions } from "../tokenize/tokenizer.js";
import { Encoding, flatOffsets } from "../tokenize/encoding.js";
import { padEncodings, restoreSequenceRanges, sequenceRangeEntries } from "../tokenize/encoding-ops.js";
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

/** A chunk's encodings as a worker sends them: every per-token field in flat typed arrays (transferred, not copied)
 * and the tokens' text in one string, so neither side makes an object per token. Token k of the chunk has its id at
 * columns[k], its type id at columns[total + k], then special-token mask, attention mask, sequence id and word id
 * (−1: none) in the next columns; its offsets at spans[2k], spans[2k + 1]; its text is the vocabulary's spelling of
 * its id where tokenLengths[k] is −1 (nearly always: no text crosses the thread), else the next tokenLengths[k] units
 * of tokenText. */
export interface PackedEncodings {
  lengths: Int32Array;
  columns: Int32Array;
  spans: Int32Array;
  tokenText: string;
  tokenLengths: Int32Array;
  inputs: string[][];
  /** HF's per-sequence token ranges, which padding and merging read. */
  ranges: ([number, [number, number]][] | null)[];
  overflowing: (PackedEncodings | null)[];
}

const COLUMNS = 6;

/** `spell`: the tokenizer's idToToken, the same on both sides (the workers load the pool's tokenizer). */
export function packEncodings(encodings: Encoding[], spell: (id: number) => string | undefined): PackedEncodings {
  const lengths = Int32Array.from(encodings, (e) => e.ids.length);
  const total = lengths.reduce((a, b) => a + b, 0);
  const columns = new Int32Array(COLUMNS * total);
  const spans = new Int32Array(2 * total);
  const tokenLengths = new Int32Array(total);
  const text: string[] = [];
  let k = 0;
  for (const e of encodings) {
    const n = e.ids.length;
    // As held: flat, no pair per token and no typed copy of a short encoding's plain array.
    spans.set(e.heldSpans(), 2 * k);
    columns.set(e.ids, k);
    columns.set(e.typeIds, total + k);
    columns.set(e.specialTokensMask, 2 * total + k);
    columns.set(e.attentionMask, 3 * total + k);
    const { ids, sequenceIds, wordIds, tokens } = e;
    for (let i = 0; i < n; i++) {
      columns[4 * total + k + i] = sequenceIds[i] ?? -1;
      columns[5 * total + k + i] = wordIds[i] ?? -1;
      const token = tokens[i]!;
      if (token === spell(ids[i]!)) tokenLengths[k + i] = -1;
      else {
        tokenLengths[k + i] = token.length;
        text.push(token);
      }
    }
    k += n;
  }
  return {
    lengths,
    columns,
    spans,
    tokenText: text.join(""),
    tokenLengths,
    inputs: encodings.map((e) => e.inputs),
    ranges: encodings.map((e) => sequenceRangeEntries(e)),
    overflowing: encodings.map((e) => (e.overflowing.length ? packEncodings(e.overflowing, spell) : null)),
  };
}

/** The buffers of a packed chunk (and its overflowing parts), for postMessage's transfer list. */
export function packedBuffers(p: PackedEncodings): ArrayBuffer[] {
  return [p.lengths.buffer as ArrayBuffer, p.columns.buffer as ArrayBuffer, p.spans.buffer as ArrayBuffer, p.tokenLengths.buffer as ArrayBuffer, ...p.overflowing.flatMap((o) => (o ? packedBuffers(o) : []))];
}

/** The Encodings of a packed chunk: ids at once, the other fields sliced out when first read. */
function unpackEncodings(p: PackedEncodings, spell: (id: number) => string | undefined): Encoding[] {
  const total = p.tokenLengths.length;
  const out: Encoding[] = [];
  let k = 0;
  let at = 0;
  // Plain loops: Array.from over a typed array, with a mapping function above all, costs several times more.
  const plain = (a: Int32Array) => {
    const out = new Array<number>(a.length);
    for (let i = 0; i < a.length; i++) out[i] = a[i]!;
    return out;
  };
  const nullable = (a: Int32Array) => {
    const out = new Array<number | null>(a.length);
    for (let i = 0; i < a.length; i++) out[i] = a[i]! < 0 ? null : a[i]!;
    return out;
  };
  // A column that holds only its default value (type 0, not special, attended, sequence 0, no word: the usual single
  // text without specials) is left out: Encoding fills it when it is read, and a caller reading tokens and offsets
  // does not pay for five arrays it never reads.
  const only = (a: Int32Array, value: number) => {
    for (let i = 0; i < a.length; i++) if (a[i] !== value) return false;
    return true;
  };
  p.lengths.forEach((n, j) => {
    const t = k;
    const textAt = at;
    for (let i = 0; i < n; i++) at += Math.max(0, p.tokenLengths[t + i]!);
    const column = (c: number) => p.columns.subarray(c * total + t, c * total + t + n);
    const e = Encoding.deferred(plain(column(0)), p.inputs[j]!, () => {
      const tokens = new Array<string>(n);
      for (let i = 0, u = textAt; i < n; i++) {
        const len = p.tokenLengths[t + i]!;
        tokens[i] = len < 0 ? spell(p.columns[t + i]!)! : p.tokenText.slice(u, (u += len));
      }
      const offsetSpans = flatOffsets(n);
      for (let i = 0; i < 2 * n; i++) offsetSpans[i] = p.spans[2 * t + i]!;
      const [typeIds, specialTokensMask, attentionMask, sequenceIds, wordIds] = [1, 2, 3, 4, 5].map(column);
      return {
        typeIds: only(typeIds!, 0) ? undefined : plain(typeIds!),
        specialTokensMask: only(specialTokensMask!, 0) ? undefined : plain(specialTokensMask!),
        attentionMask: only(attentionMask!, 1) ? undefined : plain(attentionMask!),
        sequenceIds: only(sequenceIds!, 0) ? undefined : nullable(sequenceIds!),
        wordIds: only(wordIds!, -1) ? undefined : nullable(wordIds!),
        tokens,
        offsetSpans,
      };
    });
    const over = p.overflowing[j];
    if (over) e.overflowing = unpackEncodings(over, spell);
    restoreSequenceRanges(e, p.ranges[j] ?? null);
    out.push(e);
    k += n;
  });
  return out;
}

export type PoolRequest =
  | { kind: "ids"; id: number; texts: string[]; addSpecialTokens: boolean }
  | { kind: "encode"; id: number; inputs: (string | [string, string])[]; options: PoolEncodeOptions };

type Reply = { id: number; flat: Int32Array; lengths: Int32Array } | { id: number; packed: PackedEncodings[] } | { id: number; error: string };

export class TokenizerPool {
  private readonly workers: Worker[];
  private next = 0;
  private readonly json: string;
  private spelling: Tokenizer | undefined;
  private readonly pending = new Map<number, { resolve: (v: Reply) => void; reject: (e: Error) => void }>();

  constructor(
    private readonly tokenizer: Tokenizer,
    options: TokenizerPoolOptions = {},
  ) {
    const n = Math.max(1, options.workers ?? availableParallelism());
    const json = tokenizer.toString();
    this.json = json;
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
    // Tokens come back as ids where they are the vocabulary's spelling: read them from a copy of the tokenizer the
    // workers were given, not from the caller's, which may have changed since.
    const copy = (this.spelling ??= Tokenizer.fromJSON(this.json));
    const spell = (id: number) => copy.idToToken(id);
    const out = replies.flatMap((m) => ("packed" in m ? m.packed.flatMap((p) => unpackEncodings(p, spell)) : []));
    return padding ? padEncodings(out, padding) : out;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
