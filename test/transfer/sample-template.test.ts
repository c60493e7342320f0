// Sampled tokenizers in the source's spelling, in GPT-2's byte-level spelling, or alternating (issue 12: the Unigram
// companion model's hypernetwork had never seen a byte-level target). The real companion tokenizer is the source; a
// tiny random Llama (width 16, as the network's rows) stands in for the model to keep the steps fast.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { installNodeShims } from "../../src/tensor/shims.js";
installNodeShims();
const { initBackend } = await import("../../src/tensor/backend.js");
const { tinyLlama } = await import("../support/tiny-llama.js");
const { Tokenizer } = await import("../../src/index.js");
const { buildVocabularyMap } = await import("../../src/transfer/vocabulary-map.js");
const { initHypernet } = await import("../../src/transfer/hypernet/residual.js");
const { HypernetTrainer, DEFAULT_TRAIN } = await import("../../src/transfer/hypernet/train.js");
const { parseSampleTemplate, windowSpelling } = await import("../../src/transfer/hypernet/sample-tokenizer.js");
const { warmupCosine } = await import("../../src/tensor/optim.js");
const { gaussian, mulberry32 } = await import("../../src/util/random.js");
const { randomSourceView, smallHypernetConfig } = await import("../support/hypernet-fixture.js");
await initBackend();

const source = await Tokenizer.fromFile("assets/companion-model/tokenizer.json");
const V = source.vocabSize();
const d = 16;
const normal = gaussian(mulberry32(7));
const sourceView = randomSourceView(V, d, normal);
const small = smallHypernetConfig(d);

const lines = (await readFile("assets/text/de-heldout.txt", "utf8")).split("\n").filter((l) => l.length > 20);
const texts = (step: number) => Array.from({ length: 2 }, (_, i) => lines.slice((step * 2 + i) % 20, ((step * 2 + i) % 20) + 30).join("\n"));
const options = { ...DEFAULT_TRAIN, batch: 2, seqLen: 16, tokenSet: 64, sampleVocab: 600, resampleEvery: 1 };
const pieceNames = (t: InstanceType<typeof Tokenizer>) => (((t.toJSON().model as { vocab: [string, number][] }).vocab).map((p) => p[0]));

test("template names: mixed alternates by window, the others never change, a bad name is refused by name", () => {
  assert.deepEqual([0, 1, 2, 3].map((w) => windowSpelling("mixed", w)), ["source", "byte-level", "source", "byte-level"]);
  assert.deepEqual([0, 1].map((w) => windowSpelling("source", w)), ["source", "source"]);
  assert.deepEqual([0, 1].map((w) => windowSpelling("byte-level", w)), ["byte-level", "byte-level"]);
  assert.equal(DEFAULT_TRAIN.template, "source", "the default model's hypernetwork keeps sampling in its own spelling");
  assert.throws(() => parseSampleTemplate("bytes", "--template"), /--template "bytes": expected one of source, byte-level, mixed/);
});

test("mixed template from a Metaspace + byte-fallback source: byte-level (Ġ-spelled) tokenizers in odd windows, the source's in even ones, and both train", async () => {
  const base = tinyLlama(V, 7, { bos: 3, eos: 4 });
  const trainer = new HypernetTrainer(initHypernet(small, sourceView, 3), base, source, sourceView, { ...options, template: "mixed" }, warmupCosine({ peak: 1e-2, warmup: 1, total: 4 }));
  const german = lines.slice(40, 60).join("\n");
  for (let step = 0; step < 4; step++) {
    const log = await trainer.trainStep(texts(step));
    assert.ok(Number.isFinite(log.loss), `step ${step} loss ${log.loss}`);
    const sampled = trainer.sampledTokenizer!;
    const pieces = pieceNames(sampled);
    const byteLevel = step % 2 === 1;
    assert.equal(log.spelling, byteLevel ? "byte-level" : "source");
    assert.equal(sampled.spelling().byteLevel, byteLevel, `step ${step}`);
    // Specials survive in either spelling (the model's BOS must exist in every sampled tokenizer).
    assert.ok(sampled.tokenToId("<|begin_of_text|>") !== undefined);
    if (byteLevel) {
      assert.ok(pieces.some((p) => p.startsWith("Ġ") && p.length > 2), "word-initial pieces are spelled with Ġ");
      assert.ok(!pieces.some((p) => p.includes("▁")), "no Metaspace piece in a byte-level tokenizer");
      assert.ok(!pieces.includes("<0x41>"), "no byte-fallback pieces: the 256 byte characters are the alphabet");
      // Cross-family decomposition: the byte-level tokens of German text are spelled in companion pieces.
      const map = buildVocabularyMap(source, sampled);
      const ids = sampled.encodeIds(german, { addSpecialTokens: false });
      assert.ok(ids.every((id) => (map.pieces[id] ?? []).length > 0), "every token decomposes into source pieces");
      assert.equal(sampled.decode(ids), german);
    } else {
      assert.ok(pieces.some((p) => p.startsWith("▁") && p.length > 2), "word-initial pieces are spelled with ▁");
      assert.ok(pieces.includes("<0x41>"), "the source's byte fallback");
    }
  }
});

test("source template (the default) never draws a byte-level tokenizer for the companion's source", async () => {
  const trainer = new HypernetTrainer(initHypernet(small, sourceView, 3), tinyLlama(V, 7, { bos: 3, eos: 4 }), source, sourceView, options, warmupCosine({ peak: 1e-2, warmup: 1, total: 2 }));
  for (let step = 0; step < 2; step++) {
    assert.equal((await trainer.trainStep(texts(step))).spelling, "source");
    assert.equal(trainer.sampledTokenizer!.spelling().byteLevel, false);
  }
});
