// A worker of TokenizerPool: loads the tokenizer once, then encodes the batches it is sent.
import { parentPort, workerData } from "node:worker_threads";
import { Tokenizer } from "../tokenize/tokenizer.js";

const tokenizer = Tokenizer.fromJSON(workerData.json as string);
parentPort!.on("message", (msg: { id: number; texts: string[]; addSpecialTokens: boolean }) => {
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
});
