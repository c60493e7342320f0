// The ZeTT v1 forward (PyTorch-port checkpoints) against golden outputs of an independent NumPy implementation
// (scripts/golden/make_zett_v1_golden.py) on tiny random checkpoints, to 1e-4 relative; and clear errors for
// configs and weights that do not fit.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { maxRelErr } from "../support/numeric.js";
import { installNodeShims } from "../../src/tensor/shims.js";
installNodeShims();
const { initBackend, fromFloat32 } = await import("../../src/tensor/backend.js");
const { Tokenizer } = await import("../../src/index.js");
const { parseModelConfig } = await import("../../src/lm/config.js");
const { predictEmbeddingsWithHypernet } = await import("../../src/transfer/hypernet/index.js");
const { parseSafetensors, serializeSafetensors, encodeFromNumbers } = await import("../../src/tensor/safetensors.js");
const { EmbeddingView } = await import("../../src/transfer/embedding-view.js");
const { loadZettV1, parseZettV1Config, surfaceForms, zettV1Predict, zettV1PredictEmbeddings } = await import("../../src/transfer/hypernet/v1.js");
await initBackend();

const FIX = "test/fixtures/hypernet";

async function fixture(name: string) {
  const config = JSON.parse(await readFile(`${FIX}/${name}/config.json`, "utf8"));
  const weights = new Uint8Array(await readFile(`${FIX}/${name}/model.safetensors`));
  const golden = parseSafetensors(new Uint8Array(await readFile(`${FIX}/${name}/golden.safetensors`)));
  return { config, weights, golden };
}

for (const name of ["zett-v1-untied", "zett-v1-tied"]) {
  test(`${name}: predictions match the NumPy reference`, async () => {
    const { config, weights, golden } = await fixture(name);
    const net = loadZettV1(config, weights, `${FIX}/${name}`);
    const c = net.config;
    const src = golden.read("source_embeddings");
    const vocab = src.length / (c.separate ? 2 * c.dim : c.dim);
    const source = new EmbeddingView(vocab, c.separate ? 2 : 1, c.dim, src);
    const ids = Int32Array.from(golden.read("surface_forms"));
    const n = ids.length / c.maxPieces;
    // A batch smaller than N exercises the padded last batch.
    const rows = await zettV1Predict(net, source, ids, 16);
    const w = source.rowWidth;
    const wantIn = golden.read("predicted_in");
    const gotIn = new Float32Array(n * c.dim);
    const gotOut = new Float32Array(n * c.dim);
    for (let t = 0; t < n; t++) {
      gotIn.set(rows.subarray(t * w, t * w + c.dim), t * c.dim);
      if (c.separate) gotOut.set(rows.subarray(t * w + c.dim, (t + 1) * w), t * c.dim);
    }
    const e = maxRelErr(gotIn, wantIn);
    assert.ok(e < 1e-4, `input embeddings: max relative error ${e}`);
    if (c.separate) {
      const eo = maxRelErr(gotOut, golden.read("predicted_out"));
      assert.ok(eo < 1e-4, `output embeddings: max relative error ${eo}`);
    }
  });
}

test("zettV1PredictEmbeddings: specials keep their source rows, tokens without pieces get zero rows, long tokens are truncated", async () => {
  const { config, weights, golden } = await fixture("zett-v1-untied");
  const net = loadZettV1(config, weights);
  const c = net.config;
  const source = new EmbeddingView(60, 2, c.dim, golden.read("source_embeddings"));
  const pieces = [[5, 6], [7], [], [10, 11, 12, 13, 14, 15, 16, 17, 18], [2]];
  const map = { sourceSize: 60, targetSize: 5, shared: Int32Array.from([-1, 7, -1, -1, 2]), pieces, specials: new Set([4]), targetTokens: [] };
  const { view, truncated } = await zettV1PredictEmbeddings(net, source, map);
  assert.equal(truncated, 1);
  assert.deepEqual(Array.from(view.row(4)), Array.from(source.row(2)));
  assert.ok(view.row(2).every((v) => v === 0));
  // A truncated token is predicted from its first hn_surface_maxlen pieces.
  const direct = await zettV1Predict(net, source, surfaceForms(c, [pieces[3]!.slice(0, c.maxPieces)]).ids);
  assert.ok(maxRelErr(view.row(3), direct) < 1e-5);
  // A token the source has (not special) is predicted, not copied.
  assert.notDeepEqual(Array.from(view.row(1)), Array.from(source.row(7)));
});

/** A character-level BPE tokenizer.json (no pre-tokenizer), special "<s>" at id 0. */
function charTokenizer(tokens: string[], merges: string[]) {
  const vocab: Record<string, number> = { "<s>": 0 };
  for (const t of tokens) vocab[t] = Object.keys(vocab).length;
  return Tokenizer.fromJSON({
    version: "1.0", truncation: null, padding: null, normalizer: null, pre_tokenizer: null, post_processor: null, decoder: null,
    added_tokens: [{ id: 0, content: "<s>", single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }],
    model: { type: "BPE", dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, vocab, merges },
  });
}

test("predictEmbeddingsWithHypernet reads a ZeTT v1 folder: pieces from the source model, specials keep their rows", async () => {
  const dir = `${FIX}/zett-v1-untied`;
  const { config, weights, golden } = await fixture("zett-v1-untied");
  const chars = [..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456"];
  const source = charTokenizer(chars, []);
  const target = charTokenizer([..."abcdxyz", "ab", "cd", "abcd", "xy", "xyz"], ["a b", "c d", "ab cd", "x y", "xy z"]);
  const view = new EmbeddingView(60, 2, 16, golden.read("source_embeddings"));
  const model = {
    config: parseModelConfig({ model_type: "llama", vocab_size: 60, hidden_size: 16, intermediate_size: 8, num_hidden_layers: 1, num_attention_heads: 2, max_position_embeddings: 16, tie_word_embeddings: false }),
    params: { "model.embed_tokens.weight": fromFloat32(view.matrix(0), [60, 16]), "lm_head.weight": fromFloat32(view.matrix(1), [60, 16]) },
  };
  const got = await predictEmbeddingsWithHypernet({ model, sourceTokenizer: source, targetTokenizer: target, hypernetDir: dir });
  assert.equal(got.vocab, target.vocabSize(true));
  assert.equal(got.slices, 2);
  assert.deepEqual(Array.from(got.row(0)), Array.from(view.row(0)), "the special <s> keeps its source row");
  const net = loadZettV1(config, weights);
  const abcd = [..."abcd"].map((ch) => source.tokenToId(ch)!);
  const want = await zettV1Predict(net, view, surfaceForms(net.config, [abcd]).ids);
  assert.ok(maxRelErr(got.row(target.tokenToId("abcd")!), want) < 1e-5);
});

test("surfaceForms pads with the pad id and counts truncations", () => {
  const c = parseZettV1Config({ hn_surface_maxlen: 3, hn_n_layers: 1, hn_hidden_size: 64, hn_intermediate_size: 8, n_embd: 4, pad_token_id: 9 });
  const { ids, truncated } = surfaceForms(c, [[1], [1, 2, 3, 4], []]);
  assert.deepEqual(Array.from(ids), [1, 9, 9, 1, 2, 3, 9, 9, 9]);
  assert.equal(truncated, 1);
});

test("config errors name the missing hn_* keys and unsupported options", () => {
  assert.throws(() => parseZettV1Config({ n_embd: 4, pad_token_id: 0 }, "x/config.json"), /x\/config\.json: not a ZeTT hypernetwork config — missing "hn_surface_maxlen", "hn_n_layers", "hn_hidden_size", "hn_intermediate_size"/);
  const ok = { hn_surface_maxlen: 7, hn_n_layers: 3, hn_hidden_size: 64, hn_intermediate_size: 8, n_embd: 4, pad_token_id: 0 };
  assert.throws(() => parseZettV1Config({ ...ok, hn_embed_lang_id: true }), /"hn_embed_lang_id": true is not supported/);
  assert.throws(() => parseZettV1Config({ ...ok, hn_hidden_size: 32 }), /not divisible into 0 attention heads \(set "hn_num_attention_heads"\)/);
  assert.throws(() => parseZettV1Config({ ...ok, hn_n_layers: 1.5 }), /"hn_n_layers" must be an integer ≥ 1, got 1.5/);
  assert.throws(() => parseZettV1Config({ ...ok, hn_model_type: "t5" }), /"hn_model_type" "t5" is not supported/);
});

test("weight errors name the missing tensor, the wrong shape and the embedding mismatch", async () => {
  const { config, weights, golden } = await fixture("zett-v1-untied");
  const st = parseSafetensors(weights);
  const rewrite = (edit: (name: string, shape: number[], data: Float32Array) => { shape: number[]; data: Float32Array } | null) =>
    serializeSafetensors(
      st.header.tensors.flatMap((t) => {
        const r = edit(t.name, t.shape, st.read(t.name));
        return r ? [{ name: t.name, dtype: "F32" as const, shape: r.shape, data: encodeFromNumbers(r.data, "F32") }] : [];
      }),
    );
  const noLayer = rewrite((n, shape, data) => (n === "model.encoder.layer.2.attention.self.key.weight" ? null : { shape, data }));
  assert.throws(() => loadZettV1(config, noLayer, "hn"), /hn\/model\.safetensors: missing 1 tensor of a ZeTT v1 hypernetwork with this config: model\.encoder\.layer\.2\.attention\.self\.key\.weight/);
  const badShape = rewrite((n, shape, data) => (n === "output_projection.1.weight" ? { shape: [shape[1]!, shape[0]!], data } : { shape, data }));
  assert.throws(() => loadZettV1(config, badShape, "hn"), /hn\/model\.safetensors: "output_projection\.1\.weight" has shape \[32, 16\], the config needs \[16, 32\]/);
  // The config says untied (rows of 2d): a tied model's embeddings do not fit.
  const net = loadZettV1(config, weights);
  const tied = new EmbeddingView(60, 1, 16, golden.read("source_embeddings").subarray(0, 60 * 16));
  await assert.rejects(zettV1Predict(net, tied, new Int32Array(7)), /expects untied 16-wide embeddings \(rows of 32\), the model has tied 16-wide ones/);
  const source = new EmbeddingView(60, 2, 16, golden.read("source_embeddings"));
  const past = new Int32Array(7).fill(2);
  past[0] = 60 + 5;
  await assert.rejects(zettV1Predict(net, source, past), /piece id 65 is past the source vocabulary \(60\) and the 2 extra tokens/);
});
