// Target tokens mapped onto a source vocabulary, on real tokenizers.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Tokenizer } from "../../src/index.js";
import { buildVocabularyMap } from "../../src/transfer/vocabulary-map.js";
import { canonicalToken, tokenSpelling } from "../../src/tokenize/byte-vocabulary.js";

test("Llama 2's tokens decompose into GPT-2 pieces whose bytes concatenate to the token's bytes", async () => {
  const gpt2 = await Tokenizer.fromFile("../shared/data/tokenizers/gpt-2.json");
  const llama = await Tokenizer.fromFile("../shared/data/tokenizers/llama.json");
  const map = buildVocabularyMap(gpt2, llama);
  assert.equal(map.targetSize, 32000);
  assert.equal(map.shared[llama.tokenToId("▁the")!], gpt2.tokenToId("Ġthe"));
  const spelling = tokenSpelling(gpt2.toJSON());
  let checked = 0;
  for (let id = 3; id < 32000; id += 97) {
    const target = map.targetTokens[id]!;
    const pieces = map.pieces[id]!;
    assert.ok(pieces.length > 0, `token ${llama.idToToken(id)} has no pieces`);
    const bytes = pieces.flatMap((p) => Array.from(canonicalToken(gpt2.idToToken(p)!, spelling).bytes));
    assert.deepEqual(bytes, Array.from(target.bytes), `pieces of ${llama.idToToken(id)}`);
    if (map.shared[id]! >= 0) assert.deepEqual(pieces, [map.shared[id]], "a shared token is its own single piece");
    checked++;
  }
  assert.ok(checked > 300);
  const sharedCount = Array.from(map.shared).filter((s) => s >= 0).length;
  assert.ok(sharedCount > 10000 && sharedCount < 32000, `shared ${sharedCount}`);
});

test("a target whose ids leave holes (tiktoken's cl100k: 100,261 tokens, ids up to 100,276) gets a row for every id", async () => {
  const gpt2 = await Tokenizer.fromFile("../shared/data/tokenizers/gpt-2.json");
  const cl100k = await Tokenizer.fromFile("node_modules/tiktoken/encoders/cl100k_base.json");
  assert.equal(cl100k.vocabSize(true), 100261);
  const map = buildVocabularyMap(gpt2, cl100k);
  assert.equal(map.targetSize, 100277);
  assert.equal(map.shared.length, 100277);
  assert.ok([...map.specials].every((id) => id < map.targetSize), "every special has a row");
  assert.deepEqual(map.pieces[100256], [], "the hole has no pieces");
  assert.equal(map.shared[cl100k.tokenToId("<|endoftext|>")!], gpt2.tokenToId("<|endoftext|>"));
});

test("a byte-fallback source maps a one-byte token to the piece its model learned, not to the byte piece listed first", async () => {
  // Llama 2 lists "<0x2C>" (id 47) before "," (id 29892); its tokenizer never produces the byte piece for ",", so
  // that row was never trained. Copying it for GPT-2's "," cost the companion's transfers ~1 bit per byte.
  const llama = await Tokenizer.fromFile("../shared/data/tokenizers/llama.json");
  const gpt2 = await Tokenizer.fromFile("../shared/data/tokenizers/gpt-2.json");
  const companion = await Tokenizer.fromFile("assets/companion-model/tokenizer.json");
  for (const source of [llama, companion]) {
    const map = buildVocabularyMap(source, gpt2);
    for (const ch of [",", ".", "h", "e", "7", "!"]) {
      const s = map.shared[gpt2.tokenToId(ch)!]!;
      assert.equal(source.idToToken(s), ch, `GPT-2's ${JSON.stringify(ch)} → source ${source.idToToken(s)}`);
    }
    // A lone byte no piece spells (0xC3, the first byte of "é" in UTF-8; GPT-2 spells it "Ã") keeps its byte piece.
    assert.equal(source.idToToken(map.shared[gpt2.tokenToId("Ã")!]!), "<0xC3>");
  }
});
