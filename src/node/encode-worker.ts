// A worker of TokenizerPool: loads the tokenizer once, then encodes the batches it is sent.
import { parentPort, workerData } from "node:worker_threads";
import { Tokenizer } from "../tokenize/tokenizer.js";
import { packEncodings, packedBuffers, type PackedEncodings, type PoolRequest } from "./tokenizer-pool.js";

const GROUP = 64;
const spell = (id: number) => tokenizer.idToToken(id);

const tokenizer = Tokenizer.fromJSON(workerData.json as string);

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
    // Padding is applied by the pool across the whole batch. Encoded and packed a group at a time: a whole chunk of
    // live Encodings would make every young-generation collection copy them all.
    const packed: PackedEncodings[] = [];
    for (let i = 0; i < msg.inputs.length; i += GROUP) packed.push(packEncodings(tokenizer.encodeBatch(msg.inputs.slice(i, i + GROUP), { ...msg.options, padding: null }), spell));
    parentPort!.postMessage({ id: msg.id, packed }, packed.flatMap(packedBuffers));
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
