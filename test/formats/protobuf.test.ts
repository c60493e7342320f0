import { test } from "node:test";
import assert from "node:assert/strict";
import { parseSentencePieceModel, PieceType, sentencePieceToTokenizerJson } from "../../src/formats/sentencepiece.js";
import { ProtoReader } from "../../src/formats/protobuf.js";

// A minimal protobuf writer for hand-made messages.
const varint = (v: number | bigint): number[] => {
  let x = BigInt.asUintN(64, BigInt(v));
  const out: number[] = [];
  do {
    let b = Number(x & 0x7fn);
    x >>= 7n;
    if (x) b |= 0x80;
    out.push(b);
  } while (x);
  return out;
};
const tag = (field: number, wire: number) => varint(field * 8 + wire);
const bytesField = (field: number, payload: number[]) => [...tag(field, 2), ...varint(payload.length), ...payload];
const str = (field: number, s: string) => bytesField(field, [...new TextEncoder().encode(s)]);
const float = (field: number, f: number) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setFloat32(0, f, true);
  return [...tag(field, 5), ...b];
};
const int = (field: number, v: number) => [...tag(field, 0), ...varint(v)];
const piece = (p: string, score: number, type?: number) => bytesField(1, [...str(1, p), ...float(2, score), ...(type ? int(3, type) : [])]);

test("varints, negative int32, floats and skipped unknown fields", () => {
  const r = new ProtoReader(new Uint8Array([...varint(300), ...varint(-1), ...varint(2 ** 40)]), "v.bin", "test");
  assert.equal(r.varint(), 300);
  assert.equal(r.int32(), -1);
  assert.equal(r.varint(), 2 ** 40);
  assert.equal(r.done, true);
  const model = new Uint8Array([
    ...piece("<unk>", 0, PieceType.UNKNOWN),
    ...piece("\ufeffx", -1.5), // TextDecoder would drop a leading BOM unless told not to
    ...piece("a", -2),
    ...[...tag(99, 1), 1, 2, 3, 4, 5, 6, 7, 8], // unknown fixed64
    ...bytesField(2, [...int(3, 1), ...int(43, -1), ...int(40, 0), ...str(45, "<unk>"), ...bytesField(77, [1, 2, 3])]),
    ...bytesField(3, [...str(1, "identity"), ...int(3, 0), ...int(4, 0)]),
    ...[...tag(98, 5), 0, 0, 0, 0], // unknown fixed32
  ]);
  const m = parseSentencePieceModel(model, "hand.model");
  assert.deepEqual(m.pieces.map((p) => [p.piece, p.score, p.type]), [["<unk>", 0, PieceType.UNKNOWN], ["\ufeffx", -1.5, PieceType.NORMAL], ["a", -2, PieceType.NORMAL]]);
  assert.equal(m.trainerSpec.padId, -1);
  assert.equal(m.normalizerSpec.name, "identity");
  assert.equal(m.normalizerSpec.addDummyPrefix, false);
  const json = sentencePieceToTokenizerJson(model) as any;
  assert.deepEqual(json.normalizer, { type: "Replace", pattern: { String: " " }, content: "\u2581" }); // no charsmap, no clean-up, no prefix
  assert.deepEqual(json.model.vocab[1], ["\ufeffx", -1.5]);
});

test("schema and consistency errors name the file, field and offset", () => {
  const bad = (bytes: number[], re: RegExp) => assert.throws(() => parseSentencePieceModel(new Uint8Array(bytes), "m.model"), re);
  bad([...tag(1, 0), 5], /m\.model: field pieces has wire type 0, expected 2 \(in ModelProto, byte offset 1\)/);
  bad(bytesField(1, [...tag(2, 0), 1]), /field score has wire type 0, expected 5 \(in ModelProto\.pieces\[0\]/);
  bad(bytesField(1, [...tag(1, 2), 2, 0xff, 0xfe]), /string field is not valid UTF-8 \(in ModelProto\.pieces\[0\], byte offset 3\)/);
  bad([...piece("a", 0), ...piece("a", -1)], /m\.model: pieces\[1\]: piece "a" appears twice \(ids 0 and 1\)/);
  bad(piece("a", 0, 9), /m\.model: pieces\[0\]: unknown piece type 9/);
  bad([0x48, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], /varint longer than 10 bytes/);
  bad([0x00], /invalid field number 0/);
  assert.throws(() => sentencePieceToTokenizerJson(new Uint8Array(piece("a", 0)), { fileName: "n.model" }), /n\.model: pieces: no piece has the unknown type/);
});
