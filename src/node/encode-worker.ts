// A worker of TokenizerPool: loads the tokenizer once, then encodes the batches it is sent.
import { parentPort, workerData } from "node:worker_threads";
import { Tokenizer } from "../tokenize/tokenizer.js";
import type { Encoding } from "../tokenize/encoding.js";
import type { EncodedFields, PoolRequest } from "./tokenizer-pool.js";
import { sequenceRangeEntries } from "../tokenize/encoding-ops.js";

const tokenizer = Tokenizer.fromJSON(workerData.json as string);

/** An Encoding as plain fields (structured clone keeps no class). */
function fields(e: Encoding): EncodedFields {
  const { ids, typeIds, tokens, offsets, wordIds, specialTokensMask, attentionMask, sequenceIds, inputs } = e;
  return { ids, typeIds, tokens, offsets, wordIds, specialTokensMask, attentionMask, sequenceIds, inputs, ranges: sequenceRangeEntries(e), overflowing: e.overflowing.map(fields) };
}

parentPort!.on("message", (msg: PoolRequest) => {
  try {
    answer(msg);
  } catch (e) {
    // A bad input fails its call, not the worker.
    parentPort!.postMessage({ id: msg.id, error: (e as Error).message });
  }
});

function answer(msg: PoolRequest): void {
  if (msg.kind === "encode") {
    // Padding is applied by the pool across the whole batch.
    const encodings = tokenizer.encodeBatch(msg.inputs, { ...msg.options, padding: null });
    parentPort!.postMessage({ id: msg.id, encodings: encodings.map(fields) });
    return;
  }
  // Ids of all texts in one flat buffer plus lengths: one transfer, no per-text structured clone.
  const lists = msg.texts.map((t) => tokenizer.encodeIds(t, { addSpecialTokens: msg.addSpecialTokens }));
  const lengths = Int32Array.from(lists, (l) => l.length);
  const flat = new Int32Array(lengths.reduce((a, b) => a + b, 0));
  let o = 0;
  for (const l of lists) {
    flat.set(l, o);
    o += l.length;
  }
  parentPort!.postMessage({ id: msg.id, flat, lengths }, [flat.buffer, lengths.buffer]);
}
