// Hand-made safetensors files that test the reader against the format's rules, each with the verdict it must get.
// Written to test/fixtures/safetensors-hostile/ by scripts/make-hostile-safetensors.ts; the test checks the committed
// files still equal what this builds. Bytes are assembled here by hand, not by our writer, so a writer bug cannot hide.

export interface HostileCase {
  name: string;
  /** What the file is: the attack or the edge case. */
  about: string;
  verdict: "accept" | "reject";
  /** For a rejection: a fragment the error must contain (after the file name). */
  error?: string;
  /** For a rejection about one tensor: the tensor the error must name. */
  tensor?: string;
}

const enc = new TextEncoder();

/** 8-byte little-endian header length, the header bytes, then the data bytes. */
function file(header: string | Uint8Array, data: number | Uint8Array, headerLength?: bigint): Uint8Array {
  const h = typeof header === "string" ? enc.encode(header) : header;
  const d = typeof data === "number" ? Uint8Array.from({ length: data }, (_, i) => (i * 37 + 11) & 0xff) : data;
  const out = new Uint8Array(8 + h.length + d.length);
  new DataView(out.buffer).setBigUint64(0, headerLength ?? BigInt(h.length), true);
  out.set(h, 8);
  out.set(d, 8 + h.length);
  return out;
}

const t = (dtype: string, shape: unknown, offsets: unknown) => ({ dtype, shape, data_offsets: offsets });
const j = (o: unknown) => JSON.stringify(o);

export function hostileSafetensors(): (HostileCase & { bytes: Uint8Array })[] {
  const cases: (HostileCase & { bytes: Uint8Array })[] = [];
  const ok = (name: string, about: string, bytes: Uint8Array) => cases.push({ name, about, verdict: "accept", bytes });
  const bad = (name: string, about: string, bytes: Uint8Array, error: string, tensor?: string) => cases.push({ name, about, verdict: "reject", error, ...(tensor ? { tensor } : {}), bytes });
  const two = { a: t("F32", [2], [0, 8]), b: t("U8", [4], [8, 12]) };

  ok("ok-basic", "two tensors tiling the data region", file(j(two), 12));
  ok("ok-padded-header", "header padded with spaces to a multiple of 8, as writers do", file(j(two) + "     ", 12));
  ok("ok-empty", "no tensors, no data", file("{}", 0));
  ok("ok-zero-size", "a zero-element tensor between two others", file(j({ a: t("F32", [2], [0, 8]), z: t("F32", [0, 3], [8, 8]), b: t("U8", [4], [8, 12]) }), 12));
  ok("ok-scalar", "a scalar (shape [])", file(j({ s: t("F64", [], [0, 8]) }), 8));
  ok("ok-metadata", "string metadata", file(j({ __metadata__: { format: "pt", note: "x" }, ...two }), 12));
  ok("ok-metadata-null", "__metadata__ null (the reference reads it as absent)", file(j({ __metadata__: null, ...two }), 12));
  ok("ok-unordered", "entries listed out of offset order", file(j({ b: two.b, a: two.a }), 12));
  ok("ok-proto-name", "a tensor named __proto__ (a plain name, not the prototype)", file(`{"__proto__":${j(t("U8", [2], [0, 2]))}}`, 2));
  ok("ok-unicode-name", "a tensor name outside ASCII", file(j({ "Gewicht.ä.😀": t("I16", [1], [0, 2]) }), 2));

  bad("header-leading-space", "the header starts with a space", file(" " + j(two), 12), 'must start with "{"');
  bad("header-leading-newline", "the header starts with a newline", file("\n" + j(two), 12), 'must start with "{"');
  bad("header-bom", "the header starts with a UTF-8 BOM", file("\ufeff" + j(two), 12), 'must start with "{"');
  bad("header-array", "the header is a JSON array", file(`[${j(two)}]`, 12), 'must start with "{"');
  bad("header-nul-padding", "the header is padded with NUL bytes", file(j(two) + "\0\0\0\0", 12), "not valid UTF-8 JSON");
  bad("header-trailing-garbage", "text after the header's closing brace", file(j(two) + "x", 12), "not valid UTF-8 JSON");
  bad("header-truncated-json", "the header's JSON is cut short", file(j(two).slice(0, -3), 12), "not valid UTF-8 JSON");
  bad("header-invalid-utf8", "a tensor name with a lone continuation byte", file(Uint8Array.from([...enc.encode('{"a'), 0x80, ...enc.encode('":' + j(t("U8", [1], [0, 1])) + "}")]), 1), "not valid UTF-8 JSON");
  bad("header-length-huge", "header length 2^40 (over the 100 MB limit)", file(j(two), 12, 1n << 40n), "larger than the 100000000-byte limit");
  bad("header-length-past-end", "header length runs past the end of the file", file(j(two), 0, 4096n), "runs past the end of the file");
  bad("file-tiny", "a 5-byte file", new Uint8Array(5), "not a safetensors file");

  bad("duplicate-name-aliasing", "the same name twice, U8[4] and F32[1] over the same bytes", file(`{"w":${j(t("U8", [4], [0, 4]))},"w":${j(t("F32", [1], [0, 4]))}}`, 4), "appears twice", "w");
  bad("duplicate-name-same-entry", "the same entry twice", file(`{"w":${j(t("U8", [4], [0, 4]))},"w":${j(t("U8", [4], [0, 4]))}}`, 4), "appears twice", "w");
  bad("duplicate-name-smuggle", "a second entry with the same name hides the first one's bytes", file(`{"w":${j(t("U8", [4], [0, 4]))},"w":${j(t("U8", [4], [4, 8]))}}`, 8), "appears twice", "w");
  bad("duplicate-field", "dtype given twice in one entry", file(`{"w":{"dtype":"U8","dtype":"F32","shape":[4],"data_offsets":[0,4]}}`, 4), 'field "dtype" appears twice', "w");
  bad("duplicate-metadata-key", "a metadata key given twice", file(`{"__metadata__":{"k":"a","k":"b"},"w":${j(t("U8", [1], [0, 1]))}}`, 1), '__metadata__["k"] appears twice');
  bad("duplicate-metadata", "__metadata__ given twice", file(`{"__metadata__":{"k":"a"},"__metadata__":{"k":"b"},"w":${j(t("U8", [1], [0, 1]))}}`, 1), '"__metadata__" appears twice');

  bad("hole", "four unclaimed bytes between two tensors", file(j({ a: t("F32", [2], [0, 8]), b: t("U8", [4], [12, 16]) }), 16), "a hole of 4 bytes", "b");
  bad("trailing-bytes", "bytes after the last tensor", file(j(two), 20), "8 bytes after the last tensor", "b");
  bad("first-not-at-zero", "the first tensor starts at byte 4", file(j({ a: t("F32", [2], [4, 12]) }), 12), "the first tensor must start at 0", "a");
  bad("data-without-tensors", "no tensors but data bytes follow", file("{}", 16), "lists no tensor but 16 data bytes");
  bad("overlap", "two tensors sharing four bytes", file(j({ a: t("F32", [2], [0, 8]), b: t("F32", [2], [4, 12]) }), 12), "overlap", "b");
  bad("alias", "two names over exactly the same bytes", file(j({ a: t("F32", [1], [0, 4]), b: t("U8", [4], [0, 4]) }), 4), "overlap", "b");
  bad("size-lie-small", "shape × dtype needs more bytes than the offsets give", file(j({ w: t("F32", [3, 2], [0, 16]) }), 16), "needs 24", "w");
  bad("size-lie-large", "the offsets give more bytes than shape × dtype needs", file(j({ w: t("U8", [2], [0, 4]) }), 4), "needs 2", "w");
  bad("offsets-past-end", "the offsets end past the file", file(j({ w: t("F32", [4], [0, 16]) }), 8), "past the end of the data", "w");
  bad("offsets-reversed", "end before begin", file(j({ w: t("U8", [0], [4, 0]) }), 4), "end before they begin", "w");
  bad("offsets-negative", "a negative offset", file(j({ w: t("U8", [4], [-4, 0]) }), 4), "data_offsets must be [begin, end]", "w");
  bad("offsets-fraction", "a fractional offset", file(j({ w: t("U8", [1], [0.5, 1.5]) }), 2), "data_offsets must be [begin, end]", "w");
  bad("offsets-three", "three offsets", file(j({ w: t("U8", [1], [0, 1, 2]) }), 1), "data_offsets must be [begin, end]", "w");
  bad("offsets-strings", "offsets as strings", file(j({ w: t("U8", [1], ["0", "1"]) }), 1), "data_offsets must be [begin, end]", "w");
  bad("offsets-huge", "offsets past 2^53", file(j({ w: t("U8", [1], [0, 2 ** 60]) }), 1), "data_offsets must be [begin, end]", "w");
  bad("shape-negative", "a negative dimension", file(j({ w: t("U8", [-1, 4], [0, 4]) }), 4), "shape must be an array of non-negative integers", "w");
  bad("shape-fraction", "a fractional dimension", file(j({ w: t("U8", [1.5], [0, 1]) }), 1), "shape must be an array of non-negative integers", "w");
  bad("shape-not-array", "shape as a number", file(j({ w: t("U8", 4, [0, 4]) }), 4), "shape must be an array of non-negative integers", "w");
  bad("shape-overflow", "a shape whose byte count passes 2^53", file(j({ w: t("F64", [2 ** 31, 2 ** 31, 2 ** 31], [0, 8]) }), 8), "more than any file holds", "w");
  bad("dtype-unknown", "an unknown dtype", file(j({ w: t("F8_E4M3X", [2], [0, 2]) }), 2), 'unknown dtype "F8_E4M3X"', "w");
  bad("dtype-lowercase", "dtype spelt in lower case", file(j({ w: t("f32", [1], [0, 4]) }), 4), 'unknown dtype "f32"', "w");
  bad("dtype-prototype", "dtype naming an Object.prototype member", file(j({ w: t("toString", [1], [0, 1]) }), 1), 'unknown dtype "toString"', "w");
  bad("dtype-missing", "no dtype", file(j({ w: { shape: [1], data_offsets: [0, 1] } }), 1), "unknown dtype undefined", "w");
  bad("entry-number", "a tensor entry that is a number", file(j({ w: 5 }), 0), "entry must be an object", "w");
  bad("entry-array", "a tensor entry that is an array", file(j({ w: ["U8", [1], [0, 1]] }), 1), "entry must be an object", "w");
  bad("metadata-number", "a metadata value that is a number", file(j({ __metadata__: { a: 1 }, ...two }), 12), '__metadata__["a"] must be a string');
  bad("metadata-nested", "a metadata value that is an object", file(j({ __metadata__: { a: { b: "c" } }, ...two }), 12), '__metadata__["a"] must be a string');
  bad("metadata-array", "__metadata__ as an array", file(j({ __metadata__: ["a"], ...two }), 12), "__metadata__ must be an object of strings");
  return cases;
}
