// In a process of its own (the rank queue is a module singleton that keeps its tables between pieces): the first
// long piece through a rank file must not size the long-piece merge's tables by its merge values, which run to tens
// of millions there.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Tokenizer } from "../../../src/index.js";
import { rankFileText } from "../../formats/rank-files.js";

test("a long piece through a rank file leaves the tokenizer's memory as it was", async () => {
  const cl100k = Tokenizer.fromBytes(new TextEncoder().encode(rankFileText("cl100k_base")));
  const before = process.memoryUsage().arrayBuffers;
  const ids = cl100k.encodeIds("ก".repeat(300));
  assert.ok(ids.length > 0);
  const grew = process.memoryUsage().arrayBuffers - before;
  // Lists indexed by value took ~40 MB here (cl100k's priorities run to ~13 million).
  assert.ok(grew < 8e6, `array buffers grew by ${(grew / 1e6).toFixed(1)} MB`);
});
