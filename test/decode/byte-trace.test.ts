// Byte traces (the core of `npm run quality:ensemble`) on real data: the default model and the default model
// transferred by FVT to the German 8k tokenizer — two models with different tokenizers — on short FLORES devtest
// lines. A trace keeps the exact identity, and combinations scored from traces equal the mixture and product
// computed by hand from the members' probabilities and the lockstep ensemble of byteLevelBitsPerByte.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { installNodeShims } from "../../src/tensor/shims.js";
installNodeShims();
const { loadLanguageModel } = await import("../../src/lm/node.js");
const { documentBitsPerByte } = await import("../../src/lm/bpb.js");
const { tokenLM } = await import("../../src/lm/token-lm.js");
const { transferModelFolder } = await import("../../src/transfer/folder.js");
const { coverRule, BYTE_OUTCOMES } = await import("../../src/decode/byte-lm.js");
const { byteLevelBitsPerByte } = await import("../../src/decode/byte-bpb.js");
const { traceDocuments, traceBits, concatTraces, combinedBitsPerByte, chooseWeight, serializeTrace, parseTrace } = await import("../../src/decode/byte-trace.js");
const { floresLines } = await import("../support/corpora.js");

const root = await mkdtemp(join(tmpdir(), "retoken-trace-"));
await transferModelFolder({ modelDir: "assets/default-model", targetTokenizer: "assets/tokenizers/de-8k.json", method: "fvt", out: join(root, "de"), addMissingSpecialTokens: true });
const a = await loadLanguageModel(undefined);
const b = await loadLanguageModel(join(root, "de"));
const members = [
  { lm: await tokenLM(a.folder), rule: coverRule(a.tokenizer), name: "default" },
  { lm: await tokenLM(b.folder), rule: coverRule(b.tokenizer), name: "fvt de-8k" },
];
// The shortest held-out lines of two languages keep this test to seconds.
const shortest = (lang: string) => floresLines(lang, "devtest").sort((x, y) => x.length - y.length)[0]!;
const DOCS = [shortest("eng_Latn"), shortest("deu_Latn")];
const traces = [await traceDocuments(members[0]!, DOCS), await traceDocuments(members[1]!, DOCS)];

test.after(() => rm(root, { recursive: true, force: true }));

test("the members have different tokenizers and a trace keeps the identity: exact bits = token-level bpb --documents", async () => {
  assert.notDeepEqual(a.tokenizer.encodeIds(DOCS[1]!), b.tokenizer.encodeIds(DOCS[1]!));
  for (const [k, m] of [a, b].entries()) {
    const tokenLevel = await documentBitsPerByte(m.folder, m.tokenizer, DOCS);
    const bits = traceBits(traces[k]!);
    assert.ok(Math.abs(bits.bitsPerByte - tokenLevel.bitsPerByte) / tokenLevel.bitsPerByte <= 1e-4, `${bits.bitsPerByte} vs ${tokenLevel.bitsPerByte}`);
    assert.ok(bits.renormalisedBitsPerByte <= bits.bitsPerByte + 1e-9);
  }
  assert.equal(traces[0]!.bytes, new TextEncoder().encode(DOCS.join("")).length);
  assert.equal(traces[0]!.outcomes.length, traces[0]!.bytes + DOCS.length);
});

test("combinations from traces = by-hand mixture and product of the members' probabilities = the lockstep ensemble", async () => {
  const [ta, tb] = traces;
  const w = 0.3;
  let mixture = 0;
  let product = 0;
  for (let i = 0; i < ta!.outcomes.length; i++) {
    const o = ta!.outcomes[i]!;
    const at = i * BYTE_OUTCOMES;
    mixture -= Math.log(w * Math.exp(ta!.logProbs[at + o]!) + (1 - w) * Math.exp(tb!.logProbs[at + o]!));
    let z = 0;
    for (let x = 0; x < BYTE_OUTCOMES; x++) z += Math.exp(w * ta!.logProbs[at + x]! + (1 - w) * tb!.logProbs[at + x]!);
    product -= w * ta!.logProbs[at + o]! + (1 - w) * tb!.logProbs[at + o]! - Math.log(z);
  }
  const bits = (nats: number) => nats / Math.LN2 / ta!.bytes;
  const fromTraces = combinedBitsPerByte(traces, { combine: "mixture", weights: [w, 1 - w] });
  assert.ok(Math.abs(fromTraces - bits(mixture)) < 1e-9, `${fromTraces} vs ${bits(mixture)}`);
  const productFromTraces = combinedBitsPerByte(traces, { combine: "product", weights: [w, 1 - w] });
  assert.ok(Math.abs(productFromTraces - bits(product)) < 1e-9, `${productFromTraces} vs ${bits(product)}`);
  const lockstep = await byteLevelBitsPerByte(members, DOCS, { combine: "mixture", weights: [w, 1 - w] });
  assert.ok(Math.abs(lockstep.bitsPerByte - fromTraces) < 1e-9, `${lockstep.bitsPerByte} vs ${fromTraces}`);
  // A weight of 1 is the member alone.
  assert.ok(Math.abs(combinedBitsPerByte(traces, { combine: "mixture", weights: [1, 0] }) - traceBits(ta!).renormalisedBitsPerByte) < 1e-9);
});

test("chooseWeight: the grid's best weight, never worse than either member on the data it was chosen on", () => {
  for (const combine of ["mixture", "product"] as const) {
    const chosen = chooseWeight(traces, combine, 10);
    for (let k = 0; k <= 10; k++) assert.ok(chosen.bitsPerByte <= combinedBitsPerByte(traces, { combine, weights: [k / 10, 1 - k / 10] }) + 1e-12, `${combine} ${k / 10}`);
    for (const t of traces) assert.ok(chosen.bitsPerByte <= traceBits(t).renormalisedBitsPerByte + 1e-12);
  }
});

test("traces round-trip through bytes, join, and refuse what does not fit", () => {
  const back = parseTrace(serializeTrace(traces[1]!), "x.trace");
  assert.deepEqual(back, traces[1]);
  const joined = concatTraces([traces[0]!, traces[0]!]);
  assert.equal(joined.bytes, 2 * traces[0]!.bytes);
  assert.ok(Math.abs(traceBits(joined).bitsPerByte - traceBits(traces[0]!).bitsPerByte) < 1e-12);
  assert.throws(() => parseTrace(new Uint8Array(3), "bad.trace"), /bad.trace: not a byte trace \(too short\)/);
  assert.throws(() => parseTrace(serializeTrace(traces[0]!).subarray(0, 500), "cut.trace"), /cut.trace: not a byte trace/);
  assert.throws(() => combinedBitsPerByte([traces[0]!, joined]), /did not read the same documents/);
  assert.throws(() => combinedBitsPerByte([traces[0]!]), /at least two members/);
  assert.throws(() => chooseWeight([traces[0]!, traces[1]!, traces[0]!], "mixture"), /takes two members, got 3/);
});
