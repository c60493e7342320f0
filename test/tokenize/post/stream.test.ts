// StreamDecoder: streamed text concatenates to decode(all ids), never shows U+FFFD from a cut character, and decodes
// a bounded window per id.

import test from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { byteFallbackValue, decoderFromJSON } from "../../../src/tokenize/decoders/index.js";
import { StreamDecoder } from "../../../src/tokenize/stream-decoder.js";
import { Tokenizer } from "../../../src/index.js";
import type { JsonObject } from "../../../src/tokenize/types.js";
import { flores, mixedLines, oracle, REAL, tokenizerJson, wordLevelWith, type Oracle } from "./oracle.js";

interface Decoding {
  decode: (ids: number[], skipSpecial?: boolean) => string;
  isByteToken: (id: number) => boolean;
  vocabSize: number;
  specialIds: number[];
}

/** A decode function built from our decoder and the oracle's id -> token map (standing in for Tokenizer.decode;
 * HF gives added tokens with normalized: true their normalized form, e.g. Mistral's "▁<s>", and never skips those). */
function decodingOf(json: JsonObject, o: Oracle = oracle(json)): Decoding {
  const byId: string[] = [];
  const size = o.getVocabSize(true);
  for (let i = 0; i < size; i++) {
    const t = o.idToToken(i);
    if (t !== null) byId[i] = t;
  }
  const special = new Set<number>();
  for (const a of (json.added_tokens as JsonObject[]) ?? []) {
    if (a.special && byId[a.id as number] === a.content) special.add(a.id as number);
  }
  const decoder = json.decoder ? decoderFromJSON(json.decoder as JsonObject, "decoder") : null;
  return {
    decode: (ids, skipSpecial = false) => {
      const tokens: string[] = [];
      for (const id of ids) if (!(skipSpecial && special.has(id)) && byId[id] !== undefined) tokens.push(byId[id]!);
      return decoder ? decoder.decodeChain(tokens).join("") : tokens.join(" ");
    },
    isByteToken: (id) => byId[id] !== undefined && byteFallbackValue(byId[id]!) >= 0,
    vocabSize: byId.length,
    specialIds: [...special],
  };
}

/** Streams `ids`; checks the concatenation and the absence of cut characters; returns the ids decoded per push. */
function checkStream(d: Decoding, ids: number[], skipSpecial: boolean, label: string, byteAware = true): number {
  let decoded = 0;
  const s = new StreamDecoder(
    (w) => {
      decoded += w.length;
      return d.decode(w, skipSpecial);
    },
    byteAware ? { isByteToken: (id) => d.isByteToken(id) || (skipSpecial && d.specialIds.includes(id)) } : {},
  );
  const full = d.decode(ids, skipSpecial);
  const parts = ids.map((id) => s.push(id));
  parts.push(s.flush());
  assert.equal(parts.join(""), full, label);
  if (!full.includes("\ufffd")) assert.ok(!parts.some((p) => p.includes("\ufffd")), `${label}: a part shows U+FFFD`);
  return ids.length ? decoded / ids.length : 0;
}

const LINES = mixedLines(2);

test("streaming FLORES text in many scripts (byte-level, byte-fallback, Metaspace) equals decode(all) and HF", async () => {
  let maxWindow = 0;
  for (const [name, path] of Object.entries(REAL)) {
    if (name === "gemma3") continue; // its decoder is Llama's without Strip; decoders.test.ts covers it
    const json = tokenizerJson(path);
    const o = oracle(json);
    const d = decodingOf(json, o);
    for (const line of LINES) {
      const ids = (await o.encode(line)).getIds();
      for (const skip of [false, true]) {
        assert.equal(d.decode(ids, skip), await o.decode(ids, skip), `${name} decode ${line.slice(0, 30)}`);
        maxWindow = Math.max(maxWindow, checkStream(d, ids, skip, `${name} ${skip} ${line.slice(0, 30)}`));
      }
    }
    // The whole set as one long stream: the window stays small however long the text.
    const all = (await o.encode(LINES.join("\n"))).getIds();
    const perId = checkStream(d, all, false, `${name} all lines`);
    assert.ok(perId < 6, `${name}: ${perId.toFixed(2)} ids decoded per pushed id`);
  }
  assert.ok(maxWindow < 12, `max ids decoded per pushed id ${maxWindow}`);
});

test("streaming random ids (invalid UTF-8, special tokens, byte runs) equals decode(all)", () => {
  for (const path of [REAL.gpt2, REAL.llama, REAL.qwen3]) {
    const d = decodingOf(tokenizerJson(path));
    const bytes = Array.from({ length: d.vocabSize }, (_, i) => i).filter(d.isByteToken);
    const id = fc.oneof(
      { weight: 4, arbitrary: fc.integer({ min: 0, max: d.vocabSize - 1 }) },
      { weight: bytes.length ? 4 : 0, arbitrary: bytes.length ? fc.constantFrom(...bytes) : fc.constant(0) },
      { weight: 1, arbitrary: fc.constantFrom(...(d.specialIds.length ? d.specialIds : [0])) },
      { weight: 2, arbitrary: fc.integer({ min: 0, max: 300 }) },
    );
    fc.assert(
      fc.property(fc.array(id, { maxLength: 60 }), fc.boolean(), (ids, skip) => {
        checkStream(d, ids, skip, `${path} ${JSON.stringify(ids)}`);
      }),
      { numRuns: 300, seed: 7, reporter: (r) => { if (r.failed) throw new Error(`${path}: ${JSON.stringify(r.counterexample)} ${r.errorInstance}`); } },
    );
  }
});

test("streaming WordPiece ('##' joins, cleanup) and Metaspace (first-token space) equals decode(all)", () => {
  const pieces = ["[CLS]", "hello", "##s", "world", ",", "do", "not", "'", "s", "##ing", ".", "▁a", "▁", "b", "##▁", "日本", "##語", "[SEP]"];
  for (const decoder of [
    { type: "WordPiece", prefix: "##", cleanup: true },
    { type: "Metaspace", replacement: "▁", prepend_scheme: "always", split: true },
    { type: "CTC", pad_token: "[SEP]", word_delimiter_token: "b", cleanup: true },
    { type: "BPEDecoder", suffix: "</w>" },
  ]) {
    // End-of-word suffixes only end tokens (as in real BPE vocabularies).
    const { json } = wordLevelWith(decoder.type === "BPEDecoder" ? pieces.map((p, i) => (i % 3 ? p : p + "</w>")) : pieces, decoder);
    json.added_tokens = [{ id: 0, content: "[CLS]", single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }];
    const d = decodingOf(json);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: pieces.length - 1 }), { maxLength: 40 }), fc.boolean(), (ids, skip) => {
        checkStream(d, ids, skip, `${decoder.type} ${JSON.stringify(ids.map((i) => pieces[i]))}`);
      }),
      { numRuns: 300, seed: 11, reporter: (r) => { if (r.failed) throw new Error(`${decoder.type}: ${JSON.stringify(r.counterexample)} ${r.errorInstance}`); } },
    );
  }
});

test("a long run of ids that show nothing keeps the window bounded", () => {
  const d = decodingOf(tokenizerJson(REAL.llama));
  const ids = [1, 15043];
  for (let i = 0; i < 5000; i++) ids.push(2);
  ids.push(3186, 29991);
  const perId = checkStream(d, ids, true, "skipped specials");
  assert.ok(perId < 20, `${perId} ids decoded per id`);
  // Skipped special tokens after an incomplete character (byte-level): the text ends with U+FFFD all along.
  const json = tokenizerJson(REAL.gpt2);
  const o = oracle(json);
  const g = decodingOf(json, o);
  const cut = [o.tokenToId("ä")!];
  for (let i = 0; i < 5000; i++) cut.push(50256);
  cut.push(o.tokenToId("¸")!, o.tokenToId("Ń")!, o.tokenToId("x")!);
  let decoded = 0;
  const s = new StreamDecoder((w) => {
    decoded += w.length;
    return g.decode(w, true);
  });
  const parts = cut.map((id) => s.push(id));
  parts.push(s.flush());
  assert.equal(parts.join(""), g.decode(cut, true));
  assert.equal(parts.join(""), "中x");
  assert.ok(decoded / cut.length < 40, `${decoded / cut.length} ids decoded per id`);
});

test("text that keeps ending with invalid bytes is still emitted (bounded hold-back), and concatenates exactly", () => {
  const json = tokenizerJson(REAL.gpt2);
  const o = oracle(json);
  const d = decodingOf(json, o);
  const lead = o.tokenToId("Ã")!; // byte 0xC3: a lead byte that never gets its continuation here
  const ids = new Array<number>(50).fill(lead);
  ids.push(o.tokenToId("Ã")!, o.tokenToId("©")!); // the last pair is a valid "é"
  let decoded = 0;
  const s = new StreamDecoder((w) => {
    decoded += w.length;
    return d.decode(w);
  });
  const parts = ids.map((id) => s.push(id));
  parts.push(s.flush());
  assert.equal(parts.join(""), "\ufffd".repeat(50) + "é");
  assert.ok(parts.slice(0, 45).join("").length >= 20, "invalid bytes are not held back forever");
  assert.ok(decoded / ids.length < 40, `${decoded / ids.length} ids decoded per id`);
});

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

test("Tokenizer.createStreamDecoder on FLORES ids with specials and byte tokens spliced in equals decode(all) and HF", async () => {
  // Scripts Llama and Mistral mostly spell with <0xNN> byte tokens (Ethiopic, Tibetan, Myanmar, Khmer) and ones they
  // do not; specials spliced into a byte run are skipped by decode, so the run around them must stay whole.
  const lines = ["amh_Ethi", "bod_Tibt", "mya_Mymr", "khm_Khmr", "zho_Hans", "kor_Hang", "hin_Deva", "eng_Latn"].flatMap((l) => flores(l, 3));
  for (const path of [REAL.llama, REAL.mistral, REAL.gpt2]) {
    const t = await Tokenizer.fromFile(path);
    const o = oracle(tokenizerJson(path));
    const encoded = lines.map((l) => t.encode(l).ids);
    const size = t.vocabSize();
    const specials = t.addedTokens.filter((a) => a.special).map((a) => a.id);
    const bytes = Array.from({ length: size }, (_, i) => i).filter((i) => /^<0x[0-9A-F]{2}>$/.test(t.idToToken(i)!));
    const extra = fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...specials) },
      { weight: bytes.length ? 2 : 0, arbitrary: fc.constantFrom(...(bytes.length ? bytes : [0])) },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: size - 1 }) },
    );
    const sequence = fc
      .record({
        line: fc.nat(encoded.length - 1),
        from: fc.nat(),
        length: fc.integer({ min: 0, max: 80 }),
        inserts: fc.array(fc.tuple(fc.nat(), fc.array(extra, { minLength: 1, maxLength: 3 })), { maxLength: 6 }),
      })
      .map(({ line, from, length, inserts }) => {
        const all = encoded[line]!;
        const start = all.length ? from % all.length : 0;
        const ids = all.slice(start, start + length);
        for (const [at, add] of inserts) ids.splice(at % (ids.length + 1), 0, ...add);
        return ids;
      });
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(sequence, fc.boolean(), async (ids, skipSpecialTokens) => {
        runs++;
        const full = t.decode(ids, { skipSpecialTokens });
        assert.equal(full, await o.decode(ids, skipSpecialTokens), "decode(all) is HF's");
        const s = t.createStreamDecoder({ skipSpecialTokens });
        const parts = ids.map((id) => s.push(id));
        parts.push(s.flush());
        assert.equal(parts.join(""), full);
        // Never a cut character: no lone surrogate, and no U+FFFD that the whole text does not have.
        for (const p of parts) assert.ok(!LONE_SURROGATE.test(p), `lone surrogate in ${JSON.stringify(p)}`);
        if (!full.includes("\ufffd")) assert.ok(!parts.some((p) => p.includes("\ufffd")), "a part shows U+FFFD");
      }),
      { numRuns: 250, seed: 23, reporter: (r) => { if (r.failed) throw new Error(`${path}: ${JSON.stringify(r.counterexample)} ${r.errorInstance}`); } },
    );
    assert.equal(runs >= 250, true);
  }
});

test("a byte-fallback run around skipped specials streams as one run (Llama)", async () => {
  const t = await Tokenizer.fromFile(REAL.llama);
  const o = oracle(tokenizerJson(REAL.llama));
  const [bos, eos, unk] = [t.tokenToId("<s>")!, t.tokenToId("</s>")!, t.tokenToId("<unk>")!];
  const b = (x: number) => t.tokenToId(`<0x${x.toString(16).toUpperCase().padStart(2, "0")}>`)!;
  for (const ids of [
    [b(0xe4), eos, b(0xb8), bos, b(0xad)], // "中" with specials inside its bytes
    [b(0x00), unk, b(0x97)], // an invalid run: U+FFFD per byte, as HF
    [b(0xe4), ...new Array<number>(3000).fill(eos), b(0xb8), b(0xad), t.tokenToId("▁x")!],
  ]) {
    for (const skipSpecialTokens of [true, false]) {
      const s = t.createStreamDecoder({ skipSpecialTokens });
      const parts = ids.map((id) => s.push(id));
      parts.push(s.flush());
      assert.equal(parts.join(""), await o.decode(ids, skipSpecialTokens), `${ids.slice(0, 5)} ${skipSpecialTokens}`);
    }
  }
});
