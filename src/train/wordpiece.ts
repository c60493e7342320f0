// WordPiece training the way the HF trainer does it: BPE over words whose non-initial characters carry the "##"
// continuation prefix, saved as a WordPiece vocabulary (BERT style).

import type { Json, JsonObject } from "../tokenize/types.js";
import { TokenizerError } from "../tokenize/types.js";
import { trainBpeCore, type BpeTrainOptions } from "./bpe.js";
import type { PreTokenizerPlan } from "./pretokenize.js";
import { assembleTokenizerJson, uniqueTokens } from "./tokenizer-json.js";
import { setOwn } from "../tokenize/json-fields.js";

export const WORDPIECE_PREFIX = "##";

export function trainWordPiece(
  words: Map<string, number>,
  plan: PreTokenizerPlan,
  options: BpeTrainOptions & { unkToken?: string },
): JsonObject {
  if (words.size === 0) throw new TokenizerError("WordPiece training: the corpus has no words (empty input?)");
  const unk = options.unkToken ?? "[UNK]";
  // The unknown token must exist: a word with any unknown character becomes it.
  const specials = uniqueTokens([...(options.specialTokens ?? []), unk]);
  const core = trainBpeCore(words, { ...options, specialTokens: specials, continuingPrefix: WORDPIECE_PREFIX });
  const vocab: JsonObject = {};
  core.tokens.forEach((t, i) => setOwn(vocab, t, i));
  const model: JsonObject = {
    type: "WordPiece",
    unk_token: unk,
    continuing_subword_prefix: WORDPIECE_PREFIX,
    max_input_chars_per_word: 100,
    vocab,
  };
  const added = core.tokens.slice(0, core.specialCount).map((content, id) => ({ id, content }));
  const ids = new Map(added.map((t) => [t.content, t.id]));
  return assembleTokenizerJson(plan, model, added, { type: "WordPiece", prefix: WORDPIECE_PREFIX, cleanup: true }, bertTemplate(ids));
}

/** BERT's `[CLS] A [SEP] (B [SEP])` post-processor, when both tokens were asked for (as HF's BERT setup writes). */
function bertTemplate(ids: Map<string, number>): JsonObject | null {
  const cls = ids.get("[CLS]");
  const sep = ids.get("[SEP]");
  if (cls === undefined || sep === undefined) return null;
  const special = (id: string, typeId: number): Json => ({ SpecialToken: { id, type_id: typeId } });
  const seq = (id: string, typeId: number): Json => ({ Sequence: { id, type_id: typeId } });
  return {
    type: "TemplateProcessing",
    single: [special("[CLS]", 0), seq("A", 0), special("[SEP]", 0)],
    pair: [special("[CLS]", 0), seq("A", 0), special("[SEP]", 0), seq("B", 1), special("[SEP]", 1)],
    special_tokens: {
      "[CLS]": { id: "[CLS]", ids: [cls], tokens: ["[CLS]"] },
      "[SEP]": { id: "[SEP]", ids: [sep], tokens: ["[SEP]"] },
    },
  };
}
