import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import tk from "tokenizers";
import {
  isSentencePieceModel,
  parseSentencePieceModel,
  PieceType,
  sentencePieceBpeMerges,
  sentencePieceConversionNotes,
  sentencePieceToTokenizerJson,
  SpmModelType,
} from "../../src/formats/sentencepiece.js";
import { TokenizerError } from "../../src/tokenize/types.js";
import { compareWithOracle, hasSpmEncode, readGolden, SPM_MODELS, spmEncode, spmTexts } from "./spm-reference.js";

const modelBytes = (name: string) => new Uint8Array(readFileSync(SPM_MODELS.find((m) => m.name === name)!.path));

test("spm_encode, the reference, is installed", () => assert.ok(hasSpmEncode(), "spm_encode is missing: bash scripts/setup.sh --dev"));

test("reads a real ModelProto: pieces, trainer and normalizer specs", () => {
  const m = parseSentencePieceModel(modelBytes("en-unigram"), "en-unigram.model");
  assert.equal(m.pieces.length, 32768);
  assert.deepEqual(m.pieces.slice(0, 3).map((p) => [p.piece, p.type]), [["<unk>", PieceType.UNKNOWN], ["<s>", PieceType.CONTROL], ["</s>", PieceType.CONTROL]]);
  assert.equal(m.pieces[6]!.piece, "\u2581the");
  assert.ok(Math.abs(m.pieces[6]!.score - -3.702195405960083) < 1e-9);
  assert.equal(m.trainerSpec.modelType, SpmModelType.UNIGRAM);
  assert.equal(m.trainerSpec.padId, -1); // a negative int32 (10-byte varint) or the default
  assert.equal(m.normalizerSpec.name, "nmt_nfkc");
  assert.equal(m.normalizerSpec.precompiledCharsmap.length, 237561);
  assert.equal(m.normalizerSpec.addDummyPrefix, false);
  assert.equal(m.normalizerSpec.removeExtraWhitespaces, false);
  const bpe = parseSentencePieceModel(modelBytes("bpe-bytefallback"));
  assert.equal(bpe.trainerSpec.modelType, SpmModelType.BPE);
  assert.equal(bpe.trainerSpec.byteFallback, true);
  assert.equal(bpe.trainerSpec.splitDigits, true);
  assert.equal(bpe.pieces.filter((p) => p.type === PieceType.BYTE).length, 256);
  const ud = parseSentencePieceModel(modelBytes("unigram-nfkc"));
  assert.deepEqual(ud.pieces.filter((p) => p.type === PieceType.USER_DEFINED).map((p) => p.piece), ["<mask>", "[SEP]"]);
});

test("sniffing .model bytes", () => {
  for (const m of SPM_MODELS) assert.equal(isSentencePieceModel(modelBytes(m.name)), true, m.name);
  const enc = new TextEncoder();
  assert.equal(isSentencePieceModel(enc.encode('{"model": {"type": "BPE"}}')), false);
  assert.equal(isSentencePieceModel(enc.encode("IQ== 0\nIg== 1\n")), false);
  assert.equal(isSentencePieceModel(enc.encode("\n\nhello world, just text")), false);
  assert.equal(isSentencePieceModel(new Uint8Array(0)), false);
  assert.equal(isSentencePieceModel(modelBytes("en-unigram").subarray(0, 3)), false);
});

test("converted models give spm_encode's ids through the oracle (golden outputs, 10 models)", async () => {
  const golden = readGolden();
  for (const m of SPM_MODELS) {
    const bytes = modelBytes(m.name);
    const json = sentencePieceToTokenizerJson(bytes, { fileName: m.name });
    const r = await compareWithOracle(json, parseSentencePieceModel(bytes), golden.texts, golden.ids[m.name]!);
    assert.equal(r.mismatches, 0, `${m.name}: ${r.examples.join("\n")}`);
    assert.ok(r.ties <= 2, `${m.name}: ${r.ties} Viterbi ties`);
  }
});

test("decoding spm_encode's ids through the oracle gives spm_decode's text (golden, 10 models)", async () => {
  const golden = readGolden();
  for (const m of SPM_MODELS) {
    const t = tk.Tokenizer.fromString(JSON.stringify(sentencePieceToTokenizerJson(modelBytes(m.name))));
    for (let i = 0; i < golden.texts.length; i++) {
      // A literal ▁ at the start is dropped by spm_decode over several pieces, by the Metaspace decoder from one only.
      if (golden.texts[i]!.trimStart().startsWith("\u2581")) continue;
      assert.equal(await t.decode(golden.ids[m.name]![i]!, false), golden.decoded[m.name]![i], `${m.name}: ${JSON.stringify(golden.texts[i])}`);
    }
  }
});

test("live spm_encode comparison on a FLORES slice", async () => {
  const texts = spmTexts(2);
  for (const name of ["de-unigram", "bpe-bytefallback", "unigram-nfkc"]) {
    const m = SPM_MODELS.find((x) => x.name === name)!;
    const bytes = modelBytes(name);
    const r = await compareWithOracle(sentencePieceToTokenizerJson(bytes), parseSentencePieceModel(bytes), texts, spmEncode(m.path, texts));
    assert.equal(r.mismatches, 0, `${name}: ${r.examples.join("\n")}`);
  }
});

test("the converted pipeline: Unigram/BPE model, whitespace handling, added tokens, decoder", async () => {
  const uni = sentencePieceToTokenizerJson(modelBytes("unigram-nfkc")) as any;
  assert.equal(uni.model.type, "Unigram");
  assert.equal(uni.model.unk_id, 0);
  assert.equal(uni.normalizer.normalizers[0].type, "Precompiled");
  assert.deepEqual(uni.normalizer.normalizers.slice(1).map((n: any) => n.type), ["Replace", "Replace", "Prepend", "Replace"]);
  // keep_whole: retoken runs Viterbi over the whole sentence as spm does (HF ignores the field and splits).
  assert.deepEqual(uni.pre_tokenizer, { type: "Metaspace", replacement: "\u2581", prepend_scheme: "never", split: true, keep_whole: true });
  assert.deepEqual(uni.added_tokens.map((a: any) => [a.id, a.content, a.special]), [[0, "<unk>", true], [1, "<s>", true], [2, "</s>", true]]);
  // User-defined pieces are matched by the Unigram model itself, keeping spm's whitespace handling around them
  // (spm_encode: "▁ x ▁ <mask> y ▁ [SEP] ▁ z <mask>").
  const oracle = tk.Tokenizer.fromString(JSON.stringify(uni));
  assert.deepEqual((await oracle.encode("x <mask>y  [SEP] z<mask>", null, { addSpecialTokens: false })).getIds(), [5, 517, 5, 3, 65, 5, 4, 5, 112, 3]);
  const bpe = sentencePieceToTokenizerJson(modelBytes("bpe-bytefallback")) as any;
  assert.equal(bpe.model.type, "BPE");
  assert.equal(bpe.model.byte_fallback, true);
  assert.equal(bpe.model.fuse_unk, true);
  assert.ok(bpe.model.merges.length > 200, `${bpe.model.merges.length} merges`);
  assert.deepEqual(bpe.decoder.decoders.map((d: any) => d.type), ["Replace", "Replace", "ByteFallback", "Fuse", "Strip"]);
  // Decoding through the oracle restores spm_decode's text (whitespace cleaned, dummy prefix removed).
  for (const [name, json] of [["unigram-nfkc", uni], ["bpe-bytefallback", bpe]] as const) {
    const t = tk.Tokenizer.fromString(JSON.stringify(json));
    const text = "Hello  world, 42 times 😀 ok";
    const ids = (await t.encode(text, null, { addSpecialTokens: false })).getIds();
    // spm_decode: unknown pieces read " ⁇ " (unk_surface), byte pieces are reassembled.
    assert.equal(await t.decode(ids, false), name === "bpe-bytefallback" ? "Hello world, 42 times 😀 ok" : "Hello world, 42 times  \u2047  ok", name);
  }
  // spm strips spaces only at the ends of the whole text, not around line breaks (which spm_encode cannot be given,
  // so this one is from spm's normalizer source, not a golden output): the anchors must not be Oniguruma's ^ and $.
  const identity = tk.Tokenizer.fromString(JSON.stringify(sentencePieceToTokenizerJson(modelBytes("unigram-bytefallback"))));
  assert.deepEqual((await identity.encode(" a \n b ", null, { addSpecialTokens: false })).getTokens(), ["a", "\u2581", "<0x0A>", "\u2581b"]);
  assert.deepEqual(sentencePieceConversionNotes(parseSentencePieceModel(modelBytes("en-unigram"))).length, 1);
});

test("BPE merges recovered from piece scores equal Hugging Face's Llama 2 and Mistral merge lists", async () => {
  // Their .model files are not here, so the ModelProto is rebuilt from tokenizer.json: spm BPE scores fall with the
  // id, and Meta's whitespace-only pieces ("▁▁", ...) carry a score near -1e9.
  for (const name of ["llama", "mistral"]) {
    const hf = JSON.parse(readFileSync(`../shared/data/tokenizers/${name}.json`, "utf8"));
    const byId: string[] = [];
    for (const [p, id] of Object.entries(hf.model.vocab as Record<string, number>)) byId[id] = p;
    const pieces = byId.map((piece, id) => ({
      piece,
      score: /^\u2581{2,}$/.test(piece) ? -1e9 - id : -id,
      type: id === 0 ? PieceType.UNKNOWN : id <= 2 ? PieceType.CONTROL : /^<0x[0-9A-F]{2}>$/.test(piece) ? PieceType.BYTE : PieceType.NORMAL,
    }));
    const merges = sentencePieceBpeMerges(pieces);
    assert.equal(merges.length, hf.model.merges.length, name);
    assert.deepEqual(merges.map((m) => m.join(" ")), hf.model.merges, name);
  }
});

test("corrupt or truncated files give a TokenizerError naming the file and byte offset", () => {
  const bytes = modelBytes("bpe-identity");
  for (const cut of [1, 2, 7, 100, 5000, bytes.length - 3]) {
    assert.throws(() => parseSentencePieceModel(bytes.subarray(0, cut), "cut.model"), (e: unknown) => {
      assert.ok(e instanceof TokenizerError, String(e));
      assert.match((e as Error).message, /^cut\.model: .*byte offset \d+\)$/);
      return true;
    });
  }
  assert.throws(() => sentencePieceToTokenizerJson(new Uint8Array([0x0a, 0x80]), { fileName: "bad.model" }), /bad\.model: truncated varint \(in ModelProto, byte offset 1\)/);
  assert.throws(() => parseSentencePieceModel(new Uint8Array([0x0a, 0x05, 0x0a, 0x01]), "x.model"), /x\.model: length 5 runs past the end/);
  assert.throws(() => parseSentencePieceModel(new Uint8Array([0x4b]), "x.model"), /unsupported wire type 3/);
  assert.throws(() => parseSentencePieceModel(new Uint8Array(0), "x.model"), /x\.model: no pieces/);
  // Random corruption: either a model comes out or a TokenizerError does; never another exception or a hang.
  fc.assert(
    fc.property(fc.integer({ min: 0, max: bytes.length - 1 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 1, max: bytes.length }), (at, value, len) => {
      const copy = bytes.slice(0, len);
      if (at < copy.length) copy[at] = value;
      try {
        sentencePieceToTokenizerJson(copy, { fileName: "fuzz.model" });
      } catch (e) {
        if (!(e instanceof TokenizerError) || !e.message.startsWith("fuzz.model")) throw e;
      }
    }),
    { numRuns: 300 },
  );
});

test("a .model file and its written tokenizer.json run with spm_encode's Viterbi arithmetic; the plain conversion runs as HF does (score ties)", async () => {
  const { Tokenizer } = await import("../../src/index.js");
  // Runs of one character and of quotes: segmentations with equal real-number scores, told apart by float32 rounding.
  // (Mixed runs such as "/*! " + 56 stars still differ for en and fi: see docs/measured.md.)
  const texts = ["*".repeat(60), "=".repeat(41), '""""', '"""', "-".repeat(33) + "+", "*".repeat(40), "=".repeat(60), "#".repeat(50), "/".repeat(30)];
  let differsFromHf = 0;
  for (const name of ["de-unigram", "en-unigram", "hi-unigram", "fi-unigram"]) {
    const m = SPM_MODELS.find((x) => x.name === name)!;
    const fromModel = Tokenizer.fromBytes(modelBytes(name));
    const viaJson = Tokenizer.fromJSON(fromModel.toJSON());
    const plainJson = sentencePieceToTokenizerJson(modelBytes(name), { spmEncode: false });
    const plain = Tokenizer.fromJSON(plainJson);
    // HF ignores the spm fields of the written file: it runs it as the plain conversion.
    const hf = tk.Tokenizer.fromString(JSON.stringify(fromModel.toJSON()));
    const want = spmEncode(m.path, texts);
    for (let i = 0; i < texts.length; i++) {
      const ours = Array.from(fromModel.encode(texts[i]!, { addSpecialTokens: false }).ids);
      assert.deepEqual(ours, want[i], `${name} ${JSON.stringify(texts[i])}: .model vs spm_encode`);
      assert.deepEqual(Array.from(viaJson.encode(texts[i]!, { addSpecialTokens: false }).ids), want[i], `${name} ${JSON.stringify(texts[i])}: written tokenizer.json vs spm_encode`);
      const hfIds = (await hf.encode(texts[i]!, null, { addSpecialTokens: false })).getIds();
      assert.deepEqual(Array.from(plain.encode(texts[i]!, { addSpecialTokens: false }).ids), hfIds, `${name} ${JSON.stringify(texts[i])}: plain tokenizer.json vs HF`);
      if (JSON.stringify(hfIds) !== JSON.stringify(ours)) differsFromHf++;
    }
  }
  // The two arithmetics really do disagree on some of these texts (else this test would not pin anything).
  assert.ok(differsFromHf > 0, "no text separates spm's arithmetic from HF's");
});

test("a .model file gives spm_encode's exact ids on a FLORES slice of 42 languages, no tie excused (5 real models)", async () => {
  const { Tokenizer } = await import("../../src/index.js");
  const { floresSample } = await import("./data.js");
  const texts = floresSample(3).filter((t) => !/[\r\n]/.test(t) && t.length > 0);
  for (const name of ["de-compoundpiece", "de-unigram", "en-unigram", "fi-unigram", "hi-unigram"]) {
    const m = SPM_MODELS.find((x) => x.name === name)!;
    const ours = Tokenizer.fromBytes(modelBytes(name));
    const want = spmEncode(m.path, texts);
    const bad = texts.filter((t, i) => JSON.stringify(Array.from(ours.encodeIds(t, { addSpecialTokens: false }))) !== JSON.stringify(want[i]));
    assert.equal(bad.length, 0, `${name}: ${bad.length} of ${texts.length} differ, e.g. ${JSON.stringify(bad[0]?.slice(0, 80))}`);
  }
});

test("a .model file and its written tokenizer.json normalise as spm_encode does (longest charsmap rule over the whole text), the plain conversion as HF does", async () => {
  const { Tokenizer } = await import("../../src/index.js");
  // n + two combining tildes: spm composes ñ and keeps the second mark; HF's grapheme-wise lookup drops it.
  const text = "é ä n\u0303\u0303 x";
  const m = SPM_MODELS.find((x) => x.name === "hi-unigram")!;
  const fromModel = Tokenizer.fromBytes(modelBytes("hi-unigram"));
  assert.deepEqual(Array.from(fromModel.encodeIds(text, { addSpecialTokens: false })), spmEncode(m.path, [text])[0]);
  const hf = tk.Tokenizer.fromString(JSON.stringify(fromModel.toJSON()));
  const viaJson = Tokenizer.fromJSON(fromModel.toJSON());
  assert.deepEqual(Array.from(viaJson.encodeIds(text, { addSpecialTokens: false })), spmEncode(m.path, [text])[0]);
  const plain = Tokenizer.fromJSON(sentencePieceToTokenizerJson(modelBytes("hi-unigram"), { spmEncode: false }));
  assert.deepEqual(Array.from(plain.encodeIds(text, { addSpecialTokens: false })), (await hf.encode(text, null, { addSpecialTokens: false })).getIds());
  assert.notDeepEqual(Array.from(plain.encodeIds(text, { addSpecialTokens: false })), spmEncode(m.path, [text])[0]);
});

test("a .model file reads control and unknown pieces typed in text as plain text, as spm_encode does", async () => {
  const { Tokenizer } = await import("../../src/index.js");
  const texts = ["<s> </s> <unk> x", "<s><s></s>[CLS] a<unk>b"];
  for (const name of ["en-unigram", "hi-unigram"]) {
    const m = SPM_MODELS.find((x) => x.name === name)!;
    const fromModel = Tokenizer.fromBytes(modelBytes(name));
    const want = spmEncode(m.path, texts);
    texts.forEach((t, i) => assert.deepEqual(Array.from(fromModel.encodeIds(t, { addSpecialTokens: false })), want[i], `${name} ${JSON.stringify(t)}`));
    // The ids stay reachable: decoding and the post-processor's BOS/EOS use them.
    assert.equal(fromModel.tokenToId("<s>"), 1);
    // The written tokenizer.json says so (`unmatched`); the plain conversion matches them as special tokens, as HF does.
    const viaJson = Tokenizer.fromJSON(fromModel.toJSON());
    texts.forEach((t, i) => assert.deepEqual(Array.from(viaJson.encodeIds(t, { addSpecialTokens: false })), want[i], `${name} ${JSON.stringify(t)}: written tokenizer.json`));
    const plain = Tokenizer.fromJSON(sentencePieceToTokenizerJson(modelBytes(name), { spmEncode: false }));
    assert.ok(Array.from(plain.encodeIds(texts[0]!, { addSpecialTokens: false })).includes(1));
  }
});
