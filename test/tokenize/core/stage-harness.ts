// Test helper: runs our normalizer / pre-tokenizer / added tokens without a model, and the same stages in the HF
// oracle with a WordLevel model whose vocabulary is our pieces (so any different piece shows up as [UNK]).

import tk from "tokenizers";
import { AddedVocabulary, addedTokenFromJSON } from "../../../src/tokenize/added-vocabulary.js";
import { normalizerFromJSON } from "../../../src/tokenize/normalizers/index.js";
import { PreTokenizedString } from "../../../src/tokenize/pretokenized.js";
import { preTokenizerFromJSON } from "../../../src/tokenize/pretokenizers/index.js";
import type { JsonObject } from "../../../src/tokenize/types.js";

export interface Stages {
  normalizer?: JsonObject | null;
  pre_tokenizer?: JsonObject | null;
  added_tokens?: JsonObject[];
}

export interface Piece {
  token: string;
  offsets: [number, number];
}

/** Our pieces with code-point offsets. Added tokens appear as their content with brackets. */
export function ourPieces(stages: Stages, text: string): Piece[] {
  const normalizer = stages.normalizer ? normalizerFromJSON(stages.normalizer, "normalizer") : null;
  const pre = stages.pre_tokenizer ? preTokenizerFromJSON(stages.pre_tokenizer, "pre_tokenizer") : null;
  const added = new AddedVocabulary((stages.added_tokens ?? []).map((t, i) => addedTokenFromJSON(t, `added_tokens[${i}]`)), normalizer);
  const wf = text.toWellFormed();
  const p = new PreTokenizedString(wf);
  added.extractAndNormalize(p, normalizer);
  pre?.preTokenize(p);
  p.tokenize((piece) => [{ id: 0, value: piece, start: 0, end: piece.length }]);
  const e = p.intoEncoding(0, 0, wf);
  const cp = e.codePointOffsets;
  return e.tokens.map((token, i) => ({ token, offsets: cp[i]! }));
}

/** The oracle's pieces for the same stages. */
export async function oraclePieces(stages: Stages, text: string, vocabFrom: Piece[]): Promise<Piece[]> {
  const vocab: Record<string, number> = { "[UNK]": 0 };
  for (const p of vocabFrom) if (!(p.token in vocab)) vocab[p.token] = Object.keys(vocab).length;
  const added = (stages.added_tokens ?? []).map((t, i) => ({ ...t, id: 100000 + i }));
  const json = {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: stages.normalizer ?? null,
    pre_tokenizer: stages.pre_tokenizer ?? null,
    post_processor: null,
    decoder: null,
    model: { type: "WordLevel", vocab, unk_token: "[UNK]" },
  };
  const t = tk.Tokenizer.fromString(JSON.stringify(json));
  const e = await t.encode(text);
  const offs = e.getOffsets();
  return e.getTokens().map((token, i) => ({ token, offsets: [offs[i]![0]!, offs[i]![1]!] as [number, number] }));
}

export async function comparePieces(stages: Stages, text: string): Promise<{ ours: Piece[]; theirs: Piece[] }> {
  const ours = ourPieces(stages, text);
  const theirs = await oraclePieces(stages, text, ours);
  // Added tokens get ids 100000+ in the oracle, token = their content; ours keep the matched text.
  return { ours, theirs };
}

