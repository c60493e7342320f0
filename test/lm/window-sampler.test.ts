// The LM trainer's batch sampler (src/lm/corpus.ts): windows of real tokenized FLORES text, each row's stream drawn
// with probability ∝ √length × boost, the same batch for the same step and seed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Tokenizer } from "../../src/index.js";
import { documentStream, WindowSampler } from "../../src/lm/corpus.js";

const tokenizer = await Tokenizer.fromFile("assets/default-model/tokenizer.json");
const EOS = tokenizer.tokenToId("<|end_of_text|>")!;
const flores = (code: string, lines: number) =>
  readFileSync(`../shared/data/flores200/dev/${code}.dev`, "utf8").split("\n").slice(0, lines).join("\n\n");
// Lengths in the ratio 1 : 4 (√: 1 : 2), from English and German text.
const en = documentStream(tokenizer, flores("eng_Latn", 400), EOS);
const de = documentStream(tokenizer, flores("deu_Latn", 997), EOS).subarray(0, 4 * en.length);
const SEQ = 32;

/** How often each stream is drawn over `steps` batches: a row belongs to the stream that holds its window. */
function shares(sampler: WindowSampler, steps: number): number[] {
  const counts = [0, 0];
  const key = (a: ArrayLike<number>, at: number) => Array.from({ length: SEQ }, (_, i) => a[at + i]).join(",");
  const starts = [new Set<string>(), new Set<string>()];
  [en, de].forEach((s, k) => { for (let i = 0; i + SEQ <= s.length; i++) starts[k]!.add(key(s, i)); });
  for (let step = 0; step < steps; step++) {
    for (const row of sampler.batchAt(step)) {
      const w = key(row, 1);
      const inEn = starts[0]!.has(w);
      assert.ok(inEn !== starts[1]!.has(w), "every window comes from exactly one stream");
      counts[inEn ? 0 : 1]!++;
    }
  }
  const total = counts[0]! + counts[1]!;
  return counts.map((c) => c / total);
}

test("rows draw their stream ∝ √length, times its boost; batches are a function of the step", () => {
  const plain = new WindowSampler([en, de], { batch: 16, seq: SEQ, seed: 1, startId: 0 });
  const [enShare] = shares(plain, 150);
  assert.ok(Math.abs(enShare! - 1 / 3) < 0.04, `English share ${enShare} (√ weights 1 : 2 → 1/3)`);
  const boosted = new WindowSampler([en, de], { batch: 16, seq: SEQ, seed: 1, startId: 0, boost: [4, 1] });
  const [boostedShare] = shares(boosted, 150);
  assert.ok(Math.abs(boostedShare! - 2 / 3) < 0.04, `English share ${boostedShare} with boost 4 (weights 4 : 2 → 2/3)`);
  assert.deepEqual(boosted.batchAt(7), new WindowSampler([en, de], { batch: 16, seq: SEQ, seed: 1, startId: 0, boost: [4, 1] }).batchAt(7));
  assert.notDeepEqual(boosted.batchAt(7), boosted.batchAt(8));
  for (const row of boosted.batchAt(3)) assert.equal(row[0], 0, "each row starts with the start id");
});

test("a boost list that does not fit the streams, or a factor that is not positive, is refused", () => {
  assert.throws(() => new WindowSampler([en, de], { batch: 2, seq: SEQ, seed: 1, startId: 0, boost: [2] }), /boost has 1 factors for 2 streams/);
  assert.throws(() => new WindowSampler([en, de], { batch: 2, seq: SEQ, seed: 1, startId: 0, boost: [1, 0] }), /boost 1 must be a positive number, got 0/);
  assert.throws(() => new WindowSampler([en, de], { batch: 2, seq: SEQ, seed: 1, startId: 0, boost: [1, Number.NaN] }), /boost 1 must be a positive number/);
});
