// Truncation against the HF binding on real tokenizer.json files and FLORES lines: HF's model step stops at the word
// that reaches max_length (its early exit), then truncates with overflowing windows. Ids, tokens, code-point offsets,
// word ids, type ids, masks, sequence ids and every overflowing window must be identical, for single inputs and pairs,
// directions Left/Right, strategies LongestFirst/OnlyFirst/OnlySecond, with and without stride.
import assert from "node:assert/strict";
import { test } from "node:test";
import tk from "tokenizers";
import { Tokenizer, TokenizerError } from "../../src/index.js";
import { bertUncasedJson } from "../support/corpora.js";
import { flores, REAL, tokenizerJson, viewOracle, viewOurs } from "../tokenize/post/oracle.js";
import { truncationFromJSON } from "../../src/tokenize/encoding-ops.js";
import type { JsonObject } from "../../src/tokenize/types.js";

const gpt2 = tokenizerJson(REAL.gpt2);
const bert = bertUncasedJson() as JsonObject;
const FILES: Record<string, JsonObject> = {
  "gpt-2": gpt2,
  // RoBERTa's processing (<s> A </s></s> B </s>, trimmed offsets) over GPT-2's byte-level BPE.
  "roberta-like": { ...gpt2, post_processor: { type: "RobertaProcessing", sep: ["<|endoftext|>", 50256], cls: ["<|endoftext|>", 50256], trim_offsets: true, add_prefix_space: false } },
  bert,
  "bert (BertProcessing)": { ...bert, post_processor: { type: "BertProcessing", sep: ["[SEP]", 102], cls: ["[CLS]", 101] } },
  llama: tokenizerJson(REAL.llama),
  mistral: tokenizerJson(REAL.mistral),
  llama3: tokenizerJson(REAL.llama3),
  qwen3: tokenizerJson(REAL.qwen3),
};

const TEXTS = [
  ...["eng_Latn", "deu_Latn", "rus_Cyrl", "zho_Hans", "jpn_Jpan", "hin_Deva", "arb_Arab", "tha_Thai", "amh_Ethi", "kor_Hang"].flatMap((l) => flores(l, 1)),
  // Added tokens are split out before the model: they count towards the limit but never end the walk.
  "Hello<|endoftext|>world [CLS] a b [SEP] <s>hi</s> <|begin_of_text|> x<|im_end|>y and more words after them",
  "[SEP][SEP] one<|endoftext|><|endoftext|>",
  "x",
  "",
];

const TRUNCATIONS: JsonObject[] = [];
for (const direction of ["Right", "Left"]) {
  for (const strategy of ["LongestFirst", "OnlyFirst", "OnlySecond"]) {
    for (const [max_length, stride] of [[2, 0], [9, 3], [25, 0], [25, 6]] as const) {
      TRUNCATIONS.push({ direction, strategy, max_length, stride });
    }
  }
}

/** Our encoding, or the error's kind: "stride" (HF asserts and aborts the process: not asked), "error" (HF errs too). */
function ours(t: Tokenizer, a: string, b: string | undefined, addSpecialTokens: boolean): ReturnType<Tokenizer["encode"]> | "stride" | "error" {
  try {
    return t.encode(a, { pair: b, addSpecialTokens });
  } catch (e) {
    assert.ok(e instanceof TokenizerError, String(e));
    return /stride/.test(e.message) ? "stride" : "error";
  }
}

test("truncation (early exit, overflowing windows, stride, Left/Right, all strategies, pairs) matches HF exactly", async () => {
  const counts = { compared: 0, errors: 0, strideSkipped: 0, windows: 0, earlyExits: 0 };
  for (const [name, json] of Object.entries(FILES)) {
    const src = JSON.stringify(json);
    const t = Tokenizer.fromJSON(src);
    const ref = tk.Tokenizer.fromString(src);
    const full = Tokenizer.fromJSON(src);
    for (const truncation of TRUNCATIONS) {
      t.setTruncation(truncationFromJSON(truncation, "truncation"));
      // The binding spells directions in lower case here (tokenizer.json has "Left"/"Right").
      ref.setTruncation(truncation.max_length as number, { stride: truncation.stride as number, strategy: truncation.strategy as never, direction: (truncation.direction as string).toLowerCase() });
      for (let i = 0; i < TEXTS.length; i++) {
        const a = TEXTS[i]!;
        for (const b of [undefined, TEXTS[(i + 7) % TEXTS.length]!]) {
          for (const addSpecialTokens of b === undefined ? [true, false] : [true]) {
            const where = `${name} ${JSON.stringify(truncation)} special=${addSpecialTokens} ${JSON.stringify(a.slice(0, 30))} | ${JSON.stringify(b?.slice(0, 30))}`;
            const e = ours(t, a, b, addSpecialTokens);
            if (e === "stride") {
              counts.strideSkipped++;
              continue;
            }
            let r: Awaited<ReturnType<typeof ref.encode>>;
            try {
              r = await ref.encode(a, b ?? null, { addSpecialTokens });
            } catch {
              assert.equal(e, "error", `HF errs, we do not: ${where}`);
              counts.errors++;
              continue;
            }
            assert.notEqual(e, "error", `we err, HF does not: ${where}`);
            if (e === "error") continue;
            assert.deepEqual(viewOurs(e), viewOracle(r), where);
            if (b === undefined) assert.deepEqual(t.encodeIds(a, { addSpecialTokens }), e.ids, `encodeIds ${where}`);
            counts.compared++;
            counts.windows += e.overflowing.length;
            const all = [e, ...e.overflowing].reduce((n, x) => n + x.ids.length, 0);
            if (all < full.encode(a, { pair: b, addSpecialTokens }).ids.length) counts.earlyExits++;
          }
        }
      }
    }
  }
  console.log(`truncation parity: ${JSON.stringify(counts)} over ${Object.keys(FILES).length} tokenizers, ${TRUNCATIONS.length} settings, ${TEXTS.length} texts`);
  assert.ok(counts.compared > 3000 && counts.windows > 1000 && counts.earlyExits > 500 && counts.errors > 50, JSON.stringify(counts));
});

test("the early exit keeps the word that reaches max_length whole; Left drops the words before and renumbers", async () => {
  const json = tokenizerJson(REAL.gpt2);
  const cases = {
    Right: [
      ["a antidisestablishmentarianism b c", ["a|Ġant", "idis|establishment", "arian|ism"], [[0, 1], [1, 1], [1, 1]]],
      ["a b c antidisestablishmentarianism", ["a|Ġb"], [[0, 1]]],
    ],
    Left: [
      ["a antidisestablishmentarianism b c", ["Ġb|Ġc"], [[0, 1]]],
      ["a b c antidisestablishmentarianism", ["arian|ism", "idis|establishment", "Ġant"], [[0, 0], [0, 0], [0]]],
    ],
  } as const;
  for (const direction of ["Right", "Left"] as const) {
    const src = JSON.stringify({ ...json, truncation: { direction, strategy: "LongestFirst", max_length: 2, stride: 0 } });
    const t = Tokenizer.fromJSON(src);
    const ref = tk.Tokenizer.fromString(src);
    for (const [text, windows, words] of cases[direction]) {
      const e = t.encode(text);
      assert.deepEqual(viewOurs(e), viewOracle(await ref.encode(text)), `${direction} ${text}`);
      const all = [e, ...e.overflowing];
      assert.deepEqual(all.map((x) => x.tokens.join("|")), windows, `${direction} ${text}`);
      assert.deepEqual(all.map((x) => x.wordIds), words, `${direction} ${text}`);
    }
  }
});
