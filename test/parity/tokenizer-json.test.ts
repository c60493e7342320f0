// Parity with the HF `tokenizers` binding on real tokenizer.json files: a slice of FLORES (42 languages), source
// code and hard strings. `npm run parity` runs the full corpora.
import { test } from "node:test";
import assert from "node:assert/strict";
import tk from "tokenizers";
import { Tokenizer } from "../../src/index.js";
import { bertUncasedJson, codeSample, floresSlice, hardStrings, tokenizerJsonFiles } from "../support/corpora.js";
import { compareWithOracle, describeMismatch } from "../support/parity.js";

const texts = [...floresSlice(4), ...codeSample(20_000), ...hardStrings()];
const skipBig = new Set(["gemma3 (npm)", "deepseek_v3 (npm)"]); // large files: covered by `npm run parity`

for (const { name, path } of tokenizerJsonFiles()) {
  if (skipBig.has(name)) continue;
  test(`parity: ${name}`, async () => {
    const ours = await Tokenizer.fromFile(path);
    const oracle = tk.Tokenizer.fromFile(path);
    const r = await compareWithOracle(ours, oracle, texts, { pairs: true });
    assert.equal(r.mismatches, 0, describeMismatch(r.first));
  });
}

test("parity: BERT uncased (WordPiece)", async () => {
  const json = bertUncasedJson();
  const ours = Tokenizer.fromJSON(JSON.stringify(json));
  const oracle = tk.Tokenizer.fromString(JSON.stringify(json));
  const r = await compareWithOracle(ours, oracle, texts, { pairs: true });
  assert.equal(r.mismatches, 0, describeMismatch(r.first));
});
