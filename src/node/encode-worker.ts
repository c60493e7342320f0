// A worker of TokenizerPool: loads the tokenizer once, then encodes the batches it is sent. A batch's encodings are
// kept here, their fields not yet derived, until the pool asks for those fields (a caller read one) or lets them go.
import { parentPort, workerData, type MessagePort } from "node:worker_threads";
import { Tokenizer } from "../tokenize/tokenizer.js";
import type { Encoding } from "../tokenize/encoding.js";
import { sequenceRangeEntries } from "../tokenize/encoding-ops.js";
import { packEncodings, packedBuffers, flattenIds, type FieldsReply, type PoolRequest } from "./tokenizer-pool.js";

/** keptTokens: tokens of kept encodings, at most; past it the oldest chunk is dropped (the pool then derives its fields
 * itself). */
const { json, fieldsPort, fieldsSignal, keptTokens: KEEP_TOKENS } = workerData as { json: string; fieldsPort: MessagePort; fieldsSignal: Int32Array; keptTokens: number };
const tokenizer = Tokenizer.fromJSON(json);
const spell = (id: number): string | undefined => tokenizer.idToToken(id);
/** Chunk id → its encodings, oldest first. */
const kept = new Map<number, Encoding[]>();
let keptTokens = 0;

parentPort!.on("message", (msg: PoolRequest) => {
  try {
    answer(msg);
  } catch (e) {
    // A bad input fails its call, not the worker.
    parentPort!.postMessage({ id: msg.id, error: (e as Error).message });
  }
});

function answer(msg: PoolRequest): void {
  if (msg.kind === "fields") {
    sendFields(msg.id);
    return;
  }
  if (msg.kind === "release") {
    for (const id of msg.chunks) forget(id);
    return;
  }
  if (msg.kind === "encode") {
    // Ids now; the other fields when the pool asks (most callers of a batch read ids only). Padding is applied by the
    // pool across the whole batch. Encodings cut by truncation carry their overflowing parts: those go whole.
    const encodings = tokenizer.encodeBatch(msg.inputs, { ...msg.options, padding: null });
    if (encodings.every((e) => e.overflowing.length === 0)) {
      const { flat, lengths } = flattenIds(encodings.map((e) => e.ids));
      keep(msg.id, encodings, flat.length);
      // The texts go back only where encoding changed them (a lone surrogate made well formed): not a second copy.
      const inputs = encodings.map((e, i) => (sameTexts(e.inputs, msg.inputs[i]!) ? null : e.inputs));
      const ranges = encodings.map((e) => sequenceRangeEntries(e));
      parentPort!.postMessage({ id: msg.id, kept: { flat, lengths, inputs, ranges } }, [flat.buffer as ArrayBuffer, lengths.buffer as ArrayBuffer]);
      return;
    }
    const packed = [packEncodings(encodings, spell)];
    parentPort!.postMessage({ id: msg.id, packed }, packed.flatMap(packedBuffers));
    return;
  }
  const { flat, lengths } = flattenIds(msg.texts.map((t) => tokenizer.encodeIds(t, { addSpecialTokens: msg.addSpecialTokens })));
  parentPort!.postMessage({ id: msg.id, flat, lengths }, [flat.buffer as ArrayBuffer, lengths.buffer as ArrayBuffer]);
}

function keep(id: number, encodings: Encoding[], tokens: number): void {
  kept.set(id, encodings);
  keptTokens += tokens;
  for (const [old] of kept) {
    if (keptTokens <= KEEP_TOKENS || old === id) break;
    forget(old);
  }
}

function forget(id: number): Encoding[] | undefined {
  const encodings = kept.get(id);
  if (!encodings) return undefined;
  kept.delete(id);
  for (const e of encodings) keptTokens -= e.ids.length;
  return encodings;
}

/** The fields of a kept chunk, on the port the pool reads synchronously, then a tick of the signal it waits on.
 * `packed: null` says the chunk is no longer here. */
function sendFields(id: number): void {
  const encodings = forget(id);
  let reply: FieldsReply;
  let transfer: ArrayBuffer[] = [];
  try {
    const packed = encodings ? packEncodings(encodings, spell) : null;
    reply = { chunk: id, packed };
    if (packed) transfer = packedBuffers(packed);
  } catch (e) {
    reply = { chunk: id, packed: null, error: (e as Error).message };
  }
  fieldsPort.postMessage(reply, transfer);
  Atomics.add(fieldsSignal, 0, 1);
  Atomics.notify(fieldsSignal, 0);
}

function sameTexts(texts: string[], input: string | [string, string]): boolean {
  return typeof input === "string" ? texts.length === 1 && texts[0] === input : texts.length === 2 && texts[0] === input[0] && texts[1] === input[1];
}
