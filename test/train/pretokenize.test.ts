import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { planPreTokenizer, setupFromTokenizerJson, type PreTokenizerSetup } from "../../src/train/pretokenize.js";
import type { JsonObject } from "../../src/tokenize/types.js";

const tk = createRequire(import.meta.url)("tokenizers");
const FLORES = "../shared/data/flores200";
const LANGS = ["eng_Latn", "deu_Latn", "rus_Cyrl", "zho_Hans", "jpn_Jpan", "hin_Deva", "arb_Arab", "kor_Hang", "tha_Thai", "amh_Ethi"];
const lines = LANGS.flatMap((l) => readFileSync(`${FLORES}/devtest/${l}.devtest`, "utf8").split("\n").slice(0, 40).map((x) => x + "\n"));
// U+0085 is white space to Oniguruma and not to JS's \s; U+FEFF the other way round.
lines.push("wow!\u0085 ok ?\ufeff!\n", "Price: 1234567.89 USD\t\ttabs  and   spaces \n", "it's DON'T We'Ll 😀😀 ok\r\n", "  leading", "trailing   ");

// The trainer's word splitter must cut text exactly as the tokenizer.json it writes: check against the oracle's
// normalizer + pre-tokenizer on real multilingual text.
for (const setup of [
  { kind: "byte-level" },
  { kind: "byte-level", pattern: "llama3", digits: "rtl3" },
  { kind: "byte-level", digits: "individual", nfkc: true, lowercase: true },
  { kind: "byte-level", digits: "ltr3" },
  { kind: "metaspace" },
  { kind: "metaspace", digits: "individual" },
  { kind: "bert", lowercase: true },
  { kind: "whitespace" },
] as PreTokenizerSetup[]) {
  test(`word splitting matches the oracle: ${JSON.stringify(setup)}`, () => {
    const plan = planPreTokenizer(setup);
    const json: JsonObject = {
      version: "1.0", truncation: null, padding: null, added_tokens: [], normalizer: plan.normalizer, pre_tokenizer: plan.preTokenizer,
      post_processor: null, decoder: null, model: { type: "WordLevel", vocab: { a: 0 }, unk_token: "a" },
    };
    const t = tk.Tokenizer.fromString(JSON.stringify(json));
    const norm = t.getNormalizer();
    const pre = t.getPreTokenizer();
    for (const line of lines) {
      // Metaspace training reads one sentence per line (the line break is not part of a word).
      const input = setup.kind === "metaspace" ? line.replace(/\r?\n$/, "") : line;
      const expected = (pre.preTokenizeString(norm ? norm.normalizeString(input) : input) as [string, unknown][]).map((p) => p[0]);
      const ours: string[] = [];
      plan.split(line, (w) => ours.push(plan.mapWord(w)));
      assert.deepEqual(ours, expected.filter((w) => w.length > 0), line);
    }
    assert.deepEqual(setupFromTokenizerJson(json), { pattern: "gpt2", digits: "none", ...setup, ...(setup.pattern === "llama3" ? { pattern: (plan.preTokenizer.pretokenizers as JsonObject[])[1]!.pattern && ((plan.preTokenizer.pretokenizers as JsonObject[])[1]!.pattern as JsonObject).Regex } : {}) });
  });
}

