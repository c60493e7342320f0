// The contracts between the pipeline stages. Each stage is a plain object built from its tokenizer.json
// fragment and serialising back to the same JSON (toJSON), as in Hugging Face `tokenizers`.
//
// Offsets inside the pipeline are UTF-16 code-unit positions (JS string indices). The Tokenizer converts them
// to code points (what the HF binding reports) and UTF-8 bytes at the edge; see Encoding.

import type { NormalizedString } from "./normalized.js";
import type { PreTokenizedString } from "./pretokenized.js";
import type { Encoding } from "./encoding.js";
import type { Spelling } from "./models/spell.js";

/** Plain JSON value, as read from tokenizer.json. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** One token produced by a model for one pre-token. start/end are UTF-16 indices into the piece given to tokenize(). */
export interface Token {
  id: number;
  value: string;
  start: number;
  end: number;
}

export interface Normalizer {
  readonly type: string;
  /** Rewrites the string in place, keeping alignments to the original text. */
  normalize(s: NormalizedString): void;
  /** Optional fast path: the normalized text alone, without alignments (used when only ids are needed). */
  normalizeText?(text: string): string;
  toJSON(): JsonObject;
}

export interface PreTokenizer {
  readonly type: string;
  /** Splits (and may rewrite) the pieces of the string in place. */
  preTokenize(p: PreTokenizedString): void;
  /** Optional fast path: splits one plain piece (no offsets) the same way, appending the parts to `out` (used when
   * only ids are needed). `atStart`: the piece begins at the start of the input text. */
  preTokenizeText?(piece: string, atStart: boolean, out: string[]): void;
  toJSON(): JsonObject;
}

export interface Model {
  readonly type: string;
  /** Tokenizes one pre-token (already normalized and pre-tokenized). Never returns an empty list for non-empty input
   * unless the model truly has no way to represent it (then it throws a TokenizerError naming the piece). */
  tokenize(piece: string): Token[];
  /** Appends the ids of `piece` to `out`: the fast path used when only ids are needed. */
  tokenizeIds?(piece: string, out: number[]): void;
  /** Optional fast path for byte-level tokenizers: appends the ids of the GPT-2 byte-alphabet spelling of
   * text[start, end), or returns false (appending nothing) when this model cannot. */
  tokenizeByteLevelIds?(text: string, start: number, end: number, out: number[]): boolean;
  /** Optional: how ids spell the text they cover (each id's string, byte-fallback bytes, the unknown id), so that
   * tokens and offsets follow from known ids without merging or searching again (models/spell.ts); null where a
   * token's string is not the text it covers (a continuing-subword prefix, say). encode() derives its fields so from
   * the ids of its text-only path. */
  idSpelling?(): Spelling | null;
  /** False where tokenize draws its tokens at random (BPE dropout): its pieces are then never cached. */
  readonly deterministic?: boolean;
  tokenToId(token: string): number | undefined;
  idToToken(id: number): string | undefined;
  /** Number of entries in the model's own vocabulary (added tokens not counted). */
  readonly vocabSize: number;
  getVocab(): Map<string, number>;
  toJSON(): JsonObject;
}

export interface PostProcessor {
  readonly type: string;
  /** How many tokens process() adds for a single sequence (isPair false) or a pair. */
  addedTokens(isPair: boolean): number;
  /** Adds special tokens / fixes offsets. `pair` is null for single sequences. Returns the merged encoding. */
  process(encoding: Encoding, pair: Encoding | null, addSpecialTokens: boolean): Encoding;
  toJSON(): JsonObject;
}

export interface Decoder {
  readonly type: string;
  /** Maps token strings to output fragments; the Tokenizer joins the final fragments with "". */
  decodeChain(tokens: string[]): string[];
  toJSON(): JsonObject;
}

/** Errors that a user can act on: which file, which field, what was expected. */
export class TokenizerError extends Error {
  constructor(message: string, readonly path?: string) {
    super(path ? `${path}: ${message}` : message);
    this.name = "TokenizerError";
  }
}
