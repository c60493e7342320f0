// Encoding a large batch on several cores: worker threads that each hold the tokenizer, fed contiguous chunks.
import { MessageChannel, receiveMessageOnPort, type MessagePort, type Worker } from "node:worker_threads";
import { startModuleWorker } from "./module-worker.js";
import { availableParallelism } from "node:os";
import { Tokenizer, type EncodeOptions } from "../tokenize/tokenizer.js";
import { Encoding, flatOffsets, type DerivedFields } from "../tokenize/encoding.js";
import { padEncodings, restoreSequenceRanges, sequenceRangeEntries } from "../tokenize/encoding-ops.js";
import { TokenizerError } from "../tokenize/types.js";

export interface TokenizerPoolOptions {
  /** Worker threads (default: the number of cores). */
  workers?: number;
  /** Tokens of encodings each worker keeps, fields not derived, for encodeBatch's results whose fields are read later
   * (default 2,000,000). Past it a worker drops its oldest chunk; that chunk's fields are then derived on the calling
   * thread when read. */
  keptTokens?: number;
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

/** Plain loops: Array.from over a typed array, with a mapping function above all, costs several times more. */
function plain(a: Int32Array): number[] {
  const out = new Array<number>(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]!;
  return out;
}

function nullable(a: Int32Array): (number | null)[] {
  const out = new Array<number | null>(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! < 0 ? null : a[i]!;
  return out;
}

function only(a: Int32Array, value: number): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== value) return false;
  return true;
}

/** The fields of encoding j of a packed chunk, sliced out of its columns. A column that holds only its default value
 * (type 0, not special, attended, sequence 0, no word: the usual single text without specials) is left out: Encoding
 * fills it when it is read, and a caller reading tokens and offsets does not pay for five arrays it never reads. */
function packedFields(p: PackedEncodings, spell: (id: number) => string | undefined): (j: number) => DerivedFields {
  const total = p.tokenLengths.length;
  const starts = new Int32Array(p.lengths.length);
  const textStarts = new Int32Array(p.lengths.length);
  for (let j = 0, k = 0, at = 0; j < p.lengths.length; j++) {
    starts[j] = k;
    textStarts[j] = at;
    for (let i = 0; i < p.lengths[j]!; i++) at += Math.max(0, p.tokenLengths[k + i]!);
    k += p.lengths[j]!;
  }
  return (j) => {
    const t = starts[j]!;
    const n = p.lengths[j]!;
    const column = (c: number) => p.columns.subarray(c * total + t, c * total + t + n);
    const tokens = new Array<string>(n);
    for (let i = 0, u = textStarts[j]!; i < n; i++) {
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
  };
}

/** The Encodings of a packed chunk: ids at once, the other fields sliced out when first read. */
function unpackEncodings(p: PackedEncodings, spell: (id: number) => string | undefined): Encoding[] {
  const fields = packedFields(p, spell);
  const out: Encoding[] = [];
  let k = 0;
  p.lengths.forEach((n, j) => {
    const e = Encoding.deferred(plain(p.columns.subarray(k, k + n)), p.inputs[j]!, () => fields(j));
    const over = p.overflowing[j];
    if (over) e.overflowing = unpackEncodings(over, spell);
    restoreSequenceRanges(e, p.ranges[j] ?? null);
    out.push(e);
    k += n;
  });
  return out;
}

/** Id lists as one flat buffer plus lengths: one transfer, no per-list structured clone. */
export function flattenIds(lists: ArrayLike<number>[]): { flat: Int32Array; lengths: Int32Array } {
  const lengths = Int32Array.from(lists, (l) => l.length);
  const flat = new Int32Array(lengths.reduce((a, b) => a + b, 0));
  let o = 0;
  for (const l of lists) {
    flat.set(l, o);
    o += l.length;
  }
  return { flat, lengths };
}

export type PoolRequest =
  | { kind: "ids"; id: number; texts: string[]; addSpecialTokens: boolean }
  | { kind: "encode"; id: number; inputs: (string | [string, string])[]; options: PoolEncodeOptions }
  /** The fields of kept chunk `id`, answered on the worker's fields port. */
  | { kind: "fields"; id: number }
  /** Kept chunks nobody will ask for (their encodings were collected). */
  | { kind: "release"; id: number; chunks: number[] };

/** A kept chunk's ids (its encodings stay in the worker, fields not derived), with what the Encodings need besides. */
interface KeptIds {
  flat: Int32Array;
  lengths: Int32Array;
  /** Null where they are the input as sent. */
  inputs: (string[] | null)[];
  ranges: ([number, [number, number]][] | null)[];
}

/** A worker's answer to a fields request. `packed: null`: the chunk is gone (dropped for room, or an error). */
export interface FieldsReply {
  chunk: number;
  packed: PackedEncodings | null;
  error?: string;
}

type Reply = { id: number; flat: Int32Array; lengths: Int32Array } | { id: number; packed: PackedEncodings[] } | { id: number; kept: KeptIds } | { id: number; error: string };

/** One worker's part of an encodeBatch call whose fields are still in the worker. */
interface KeptChunk {
  id: number;
  worker: number;
  inputs: (string | [string, string])[];
  options: PoolEncodeOptions;
  /** The chunks of the same call: when a caller reads one encoding's fields it will likely read the others', so all
   * are asked for at once and the workers derive them in parallel. */
  batch: KeptChunk[];
  /** kept: in the worker, not asked for; asked: a fields request is out; gone: the worker no longer has it. */
  state: "kept" | "asked" | "gone";
  fields: ((j: number) => DerivedFields) | null;
}

/** The channel a worker answers fields requests on: read synchronously (a field getter cannot await), woken by the
 * signal the worker ticks after each answer. */
interface FieldsChannel {
  port: MessagePort;
  signal: Int32Array;
  /** Answers read so far (the signal counts answers sent). */
  seen: number;
}

export class TokenizerPool {
  private readonly workers: Worker[];
  private readonly channels: FieldsChannel[];
  private next = 0;
  private readonly json: string;
  private spelling: Tokenizer | undefined;
  private closed = false;
  /** Chunks of encodeBatch results whose fields were derived on the calling thread, not in a worker (dropped for
   * room, or read after close): a diagnostic for keptTokens. */
  chunksDerivedHere = 0;
  private readonly pending = new Map<number, { resolve: (v: Reply) => void; reject: (e: Error) => void }>();
  /** Chunks whose fields are still in a worker, by id, for the answers to find them (weakly: a chunk whose encodings
   * were all collected is released in the worker instead). */
  private readonly keptChunks = new Map<number, WeakRef<KeptChunk>>();
  private readonly release = new FinalizationRegistry<{ worker: number; id: number }>(({ worker, id }) => {
    this.keptChunks.delete(id);
    if (!this.closed) this.workers[worker]!.postMessage({ kind: "release", id: -1, chunks: [id] } satisfies PoolRequest);
  });

  constructor(
    private readonly tokenizer: Tokenizer,
    options: TokenizerPoolOptions = {},
  ) {
    const n = Math.max(1, options.workers ?? availableParallelism());
    const json = tokenizer.toString();
    this.json = json;
    this.channels = [];
    this.workers = Array.from({ length: n }, () => {
      const { port1, port2 } = new MessageChannel();
      const signal = new Int32Array(new SharedArrayBuffer(4));
      this.channels.push({ port: port1, signal, seen: 0 });
      const w = startModuleWorker(import.meta.url, "encode-worker", { json, fieldsPort: port2, fieldsSignal: signal, keptTokens: options.keptTokens ?? 2_000_000 }, [port2]);
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

  /** Sends each worker one contiguous chunk of `items`; the replies in order, each with its worker and chunk. */
  private async scatter<T>(items: T[], request: (id: number, chunk: T[]) => PoolRequest): Promise<{ reply: Reply; worker: number; chunk: T[] }[]> {
    if (this.closed) throw new TokenizerError("the TokenizerPool is closed");
    const per = Math.ceil(items.length / this.workers.length);
    const jobs = this.workers.flatMap((w, worker) => {
      const chunk = items.slice(worker * per, (worker + 1) * per);
      if (chunk.length === 0) return [];
      const id = this.next++;
      return [
        new Promise<{ reply: Reply; worker: number; chunk: T[] }>((resolve, reject) => {
          this.pending.set(id, { resolve: (reply) => resolve({ reply, worker, chunk }), reject });
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
    for (const { reply: m } of replies) {
      if (!("flat" in m)) continue;
      let o = 0;
      for (const len of m.lengths) {
        out.push(plain(m.flat.subarray(o, o + len)));
        o += len;
      }
    }
    return out;
  }

  /** Full encodings of every input (a text or a [first, second] pair), in order: the same as tokenizer.encodeBatch,
   * padded together with the options' or the tokenizer's padding. The workers send the ids; the other fields stay in
   * the workers until one is read, then every chunk of the call is derived there in parallel. */
  async encodeBatch(inputs: (string | [string, string])[], options: PoolEncodeOptions = {}): Promise<Encoding[]> {
    const padding = options.padding !== undefined ? options.padding : this.tokenizer.padding;
    const chunkOptions = { ...options, padding: null };
    const replies = await this.scatter(inputs, (id, chunk) => ({ kind: "encode", id, inputs: chunk, options: chunkOptions }));
    const spell = this.spell();
    const batch: KeptChunk[] = [];
    const out: Encoding[] = [];
    for (const { reply, worker, chunk: items } of replies) {
      if ("packed" in reply) for (const p of reply.packed) out.push(...unpackEncodings(p, spell));
      else if ("kept" in reply) {
        const chunk: KeptChunk = { id: reply.id, worker, inputs: items, options: chunkOptions, batch, state: "kept", fields: null };
        batch.push(chunk);
        this.keptChunks.set(chunk.id, new WeakRef(chunk));
        this.release.register(chunk, { worker, id: chunk.id }, chunk);
        const { flat, lengths, inputs: texts, ranges } = reply.kept;
        for (let j = 0, o = 0; j < lengths.length; o += lengths[j]!, j++) {
          const input = items[j]!;
          const e = Encoding.deferred(plain(flat.subarray(o, o + lengths[j]!)), texts[j] ?? (typeof input === "string" ? [input] : [...input]), () => this.fieldsOf(chunk)(j));
          restoreSequenceRanges(e, ranges[j] ?? null);
          out.push(e);
        }
      }
    }
    return padding ? padEncodings(out, padding) : out;
  }

  /** A copy of the tokenizer as the workers were given it, not the caller's, which may have changed since: tokens
   * come back as ids where they are the vocabulary's spelling, and chunks the workers cannot answer for are
   * derived by it. */
  private workersTokenizer(): Tokenizer {
    return (this.spelling ??= Tokenizer.fromJSON(this.json));
  }

  private spell(): (id: number) => string | undefined {
    const tokenizer = this.workersTokenizer();
    return (this.spelled ??= (id) => tokenizer.idToToken(id));
  }
  private spelled: ((id: number) => string | undefined) | undefined;

  /** A kept chunk's fields: asked of the workers (every chunk of its call at once), waited for synchronously. Where a
   * worker cannot answer — the pool closed, the chunk dropped, an answer slower than any encoding should be — they are
   * derived here from the same inputs by the tokenizer the workers hold, so a read never hangs or fails for it. */
  private fieldsOf(chunk: KeptChunk): (j: number) => DerivedFields {
    if (chunk.fields) return chunk.fields;
    if (!this.closed) {
      for (const c of chunk.batch) {
        if (c.fields || c.state !== "kept") continue;
        c.state = "asked";
        this.workers[c.worker]!.postMessage({ kind: "fields", id: c.id } satisfies PoolRequest);
      }
    }
    const channel = this.channels[chunk.worker]!;
    const units = chunk.inputs.reduce((k, x) => k + (typeof x === "string" ? x.length : x[0].length + x[1].length), 0);
    const deadline = Date.now() + 10_000 + units / 20;
    while (!chunk.fields) {
      if (this.closed || chunk.state !== "asked" || Date.now() > deadline) {
        this.deriveHere(chunk);
        break;
      }
      const got = receiveMessageOnPort(channel.port);
      if (got) {
        channel.seen++;
        this.deliver(got.message as FieldsReply);
        continue;
      }
      Atomics.wait(channel.signal, 0, channel.seen, 1000);
    }
    return chunk.fields!;
  }

  private deliver(reply: FieldsReply): void {
    const chunk = this.keptChunks.get(reply.chunk)?.deref();
    this.keptChunks.delete(reply.chunk);
    if (!chunk || chunk.fields) return;
    this.release.unregister(chunk);
    if (reply.packed) chunk.fields = packedFields(reply.packed, this.spell());
    // Gone from the worker: derived here when read.
    else chunk.state = "gone";
  }

  private deriveHere(chunk: KeptChunk): void {
    this.keptChunks.delete(chunk.id);
    this.release.unregister(chunk);
    this.chunksDerivedHere++;
    const spell = this.spell();
    chunk.fields = packedFields(packEncodings(this.workersTokenizer().encodeBatch(chunk.inputs, chunk.options), spell), spell);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const c of this.channels) c.port.close();
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
