// In a process of its own (the rank queue is a module singleton that keeps its tables between pieces): the first
// long piece through a rank file must not size the long-piece merge's tables by its merge values, which run to tens
// of millions there.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Tokenizer } from "../../../src/index.js";
import { rankFileText } from "../../formats/rank-files.js";
import { TOKENIZERS } from "../../support/corpora.js";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

test("a long piece through a rank file leaves the tokenizer's memory as it was", async () => {
  const cl100k = Tokenizer.fromBytes(new TextEncoder().encode(rankFileText("cl100k_base")));
  const before = process.memoryUsage().arrayBuffers;
  const ids = cl100k.encodeIds("ก".repeat(300));
  assert.ok(ids.length > 0);
  const grew = process.memoryUsage().arrayBuffers - before;
  // Lists indexed by value took ~40 MB here (cl100k's priorities run to ~13 million).
  assert.ok(grew < 8e6, `array buffers grew by ${(grew / 1e6).toFixed(1)} MB`);
});

test("a long piece's buffers are let go after it (GPT-2's byte-level path, Llama 2's symbols)", async () => {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  // V8 frees dead array buffers' memory behind a collection, on another thread; the next collection waits for that.
  const settled = async (): Promise<number> => {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 10));
    gc();
    return process.memoryUsage().arrayBuffers;
  };
  for (const file of ["gpt-2.json", "llama.json"]) {
    const t = await Tokenizer.fromFile(`${TOKENIZERS}/${file}`);
    t.encodeIds("warm up");
    const before = await settled();
    // 1 MB pieces: their bytes, ids and lengths (and, grown by doubling and kept, ~100 MB of scratch until session 35).
    assert.ok(t.encodeIds(" ".repeat(1_000_000) + "x").length > 0);
    assert.ok(t.encodeIds("abcdefghij".repeat(100_000)).length > 0);
    const kept = (await settled()) - before;
    assert.ok(kept < 8e6, `${file}: array buffers kept ${(kept / 1e6).toFixed(1)} MB after two 1 MB pieces`);
  }
});
