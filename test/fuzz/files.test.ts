// The file fuzzer in the suite (test/support/file-fuzz.ts): a fixed seed and a few dozen damaged files per format,
// each of which must load and encode as the reference does or fail with a clear error naming the file. The long run
// is `npm run fuzz` (1,000 files of each format).
import { test } from "node:test";
import assert from "node:assert/strict";
import { fuzzFiles, type FuzzFormat } from "../support/file-fuzz.js";

const CASES: Record<FuzzFormat, number> = { "tokenizer.json": 16, tiktoken: 30, model: 40, safetensors: 150 };

for (const [format, cases] of Object.entries(CASES) as [FuzzFormat, number][]) {
  test(`${cases} damaged ${format} files: each loads as the reference does or fails naming the file`, async (t) => {
    const report = await fuzzFiles(format, 16, cases);
    t.diagnostic(`${format}: ${report.seconds.toFixed(1)} s, ${Object.entries(report.counts).map(([k, v]) => `${k} ${v}`).join(", ")}`);
    assert.deepEqual(report.failures, []);
    assert.ok(report.counts["clear-error"] > 0 && report.counts["loads-as-reference"] + report.counts["documented-acceptance"] > 0, "the mutations reach both outcomes");
  });
}
