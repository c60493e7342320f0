// Every trained tokenizer loads in the oracle (HF `tokenizers`) and in retoken, and both encode held-out FLORES
// devtest text (10 languages) to the same ids and tokens, and decode to the same text.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { Tokenizer } from "../../src/index.js";
import { trainTokenizer, type TrainOptions } from "../../src/train/train.js";

const tk = createRequire(import.meta.url)("tokenizers");
const FLORES = "../shared/data/flores200";
const LANGS = ["eng_Latn", "deu_Latn", "rus_Cyrl", "zho_Hans", "jpn_Jpan", "hin_Deva", "arb_Arab", "kor_Hang", "tha_Thai", "amh_Ethi"];
const train = LANGS.map((l) => readFileSync(`${FLORES}/dev/${l}.dev`, "utf8").split("\n").slice(0, 150).join("\n")).join("\n");
const held = LANGS.flatMap((l) => readFileSync(`${FLORES}/devtest/${l}.devtest`, "utf8").split("\n").slice(0, 25));
held.push("Price: $1,234,567.89 (2024)   tabs\t\there  ", "😀 emoji ☃ and \u00e9\u0301 combining", "");

const configs: TrainOptions[] = [
  { model: "bpe", vocabSize: 2000, specialTokens: ["<|endoftext|>"] },
  { model: "bpe", vocabSize: 2000, pattern: "llama3", digits: "rtl3", forcedTokens: ["    ", " 2024"] },
  { model: "bpe", vocabSize: 1500, digits: "individual", nfkc: true, lowercase: true, padToPowerOfTwo: true },
  { model: "char-bpe", vocabSize: 3000, byteFallback: true, characterCoverage: 0.995 },
  { model: "char-bpe", vocabSize: 2500, limitAlphabet: 300 },
  { model: "wordpiece", vocabSize: 5000, lowercase: true },
  { model: "wordpiece", vocabSize: 5000, specialTokens: ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] },
  { model: "unigram", vocabSize: 5000 },
  { model: "unigram", vocabSize: 3000, byteFallback: true, digits: "individual", characterCoverage: 0.995 },
];

for (const options of configs) {
  const { onProgress: _, ...label } = options;
  test(`retoken and the oracle agree on a trained tokenizer: ${JSON.stringify(label)}`, async () => {
    const json = await trainTokenizer(train, options);
    const ours = Tokenizer.fromJSON(json);
    const ref = tk.Tokenizer.fromString(JSON.stringify(json));
    for (const line of held) {
      const e = ours.encode(line);
      const r = await ref.encode(line);
      assert.deepEqual(e.ids, r.getIds(), line);
      assert.deepEqual(e.tokens, r.getTokens(), line);
      assert.equal(ours.decode(e.ids), await ref.decode(r.getIds(), false), line);
    }
  });
}
