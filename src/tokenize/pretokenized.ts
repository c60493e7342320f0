// A text cut into pieces (splits), each a NormalizedString and, once tokenized, its tokens. Pre-tokenizers split
// the pieces further; the model tokenizes each; the result becomes an Encoding with offsets into the input text.

import { Encoding, flatOffsets } from "./encoding.js";
import type { Direction } from "./encoding-ops.js";
import { NormalizedString } from "./normalized.js";
import type { Token } from "./types.js";
import { spellInto, type Spelling } from "./models/spell.js";

/** The fields of an Encoding besides its ids, flat. */
export interface SequenceFields {
  tokens: string[];
  offsetSpans: Int32Array | number[];
  wordIds: number[];
}

/** The pieces encodeIds' path gave the model, in order, and the range [spans[2i], spans[2i + 1]) of piece i's ids. */
export interface PieceIds {
  spans: number[];
  texts: string[];
}

export interface Split {
  normalized: NormalizedString;
  /** Set once tokenized (added tokens are tokenized when they are split out). */
  tokens: Token[] | null;
}

export class PreTokenizedString {
  readonly original: string;
  splits: Split[];

  constructor(text: string | NormalizedString) {
    const n = typeof text === "string" ? new NormalizedString(text) : text;
    this.original = n.original;
    this.splits = [{ normalized: n, tokens: null }];
  }

  /** Replaces every not-yet-tokenized piece by the pieces `fn` returns (empty ones are dropped, as in HF). `fn` may
   * return [piece, tokens] pairs to tokenize some parts right away. */
  split(fn: (index: number, piece: NormalizedString) => (NormalizedString | [NormalizedString, Token[] | null])[]): void {
    const out: Split[] = [];
    for (let i = 0; i < this.splits.length; i++) {
      const s = this.splits[i]!;
      if (s.tokens) {
        out.push(s);
        continue;
      }
      for (const r of fn(i, s.normalized)) {
        const [n, tokens] = r instanceof NormalizedString ? [r, null] : r;
        if (n.length > 0) out.push({ normalized: n, tokens });
      }
    }
    this.splits = out;
  }

  /** Normalizes every not-yet-tokenized piece in place. */
  normalize(fn: (piece: NormalizedString) => void): void {
    for (const s of this.splits) if (!s.tokens) fn(s.normalized);
  }

  /** Tokenizes every piece that has no tokens yet. */
  tokenize(fn: (piece: string) => Token[]): void {
    for (const s of this.splits) if (!s.tokens) s.tokens = fn(s.normalized.normalized);
  }

  /** Tokenizes pieces from the start (or, for "Left", from the end) until they hold `maxTokens` tokens, and drops
   * the pieces beyond (before) the last one tokenized, so word ids count from the first piece kept. Matches HF's
   * early exit under truncation: only a newly tokenized piece can end the walk (added tokens count, but walk on),
   * and the piece that reaches the limit is kept whole, which decides what the overflowing windows hold. */
  tokenizeWithLimit(fn: (piece: string) => Token[], maxTokens: number, direction: Direction): void {
    const n = this.splits.length;
    const left = direction === "Left";
    let total = 0;
    // Pieces [0, edge) are kept going right; [edge, n) going left.
    let edge = left ? n : 0;
    for (let k = 0; k < n; k++) {
      const i = left ? n - 1 - k : k;
      const s = this.splits[i]!;
      edge = left ? i : i + 1;
      if (s.tokens) {
        total += s.tokens.length;
        continue;
      }
      s.tokens = fn(s.normalized.normalized);
      total += s.tokens.length;
      if (total >= maxTokens) break;
    }
    this.splits = left ? this.splits.slice(edge) : this.splits.slice(0, edge);
  }

  /** The fields intoEncoding would give when the ids are known already — `ids` as encodeIds' path gives them for
   * this text, with the pieces it gave the model. Each piece's tokens are spelled from its ids straight into the flat
   * fields (no Token per token), and `tokenize` is asked only where they cannot be. Null where the pieces are not the
   * ones encodeIds' path tokenized (the caller then tokenizes them). */
  fieldsFromIds(ids: number[], pieces: PieceIds, spelling: Spelling | null, tokenize: (piece: string) => Token[]): SequenceFields | null {
    const pieceIds = pieces.spans;
    const n = ids.length;
    const tokens = new Array<string>(n);
    const offsetSpans = flatOffsets(n);
    const wordIds = new Array<number>(n);
    const fields: SequenceFields = { tokens, offsetSpans, wordIds };
    let k = 0;
    let j = 0;
    for (let w = 0; w < this.splits.length; w++) {
      const s = this.splits[w]!;
      const from = k;
      if (s.tokens) {
        if ((k = placeTokens(s.tokens, w, ids, k, fields)) < 0) return null;
      } else {
        const piece = s.normalized.normalized;
        if (piece.length === 0) continue;
        // The same text as the piece whose ids these are: spellInto relies on it.
        if (pieceIds[j] !== k || pieces.texts[j >> 1] !== piece) return null;
        const to = pieceIds[j + 1]!;
        j += 2;
        if (spelling && spellInto(piece, ids, k, to, spelling, tokens, offsetSpans, k)) {
          for (; k < to; k++) wordIds[k] = w;
        } else {
          const spelled = tokenize(piece);
          if (k + spelled.length !== to || (k = placeTokens(spelled, w, ids, k, fields)) < 0) return null;
        }
      }
      // Spans in the piece → spans in the input text, in place.
      for (let q = from; q < k; q++) s.normalized.spanInInput(offsetSpans[2 * q]!, offsetSpans[2 * q + 1]!, offsetSpans, 2 * q);
    }
    return k === n && j === pieceIds.length ? fields : null;
  }

  /** The encoding: offsets into the input text (UTF-16), word ids = index of the piece (HF style). */
  intoEncoding(typeId: number, sequenceId: number, input: string): Encoding {
    let n = 0;
    for (const s of this.splits) if (s.tokens) n += s.tokens.length;
    // Filled by index, offsets flat: no per-token pair unless the caller reads `offsets`.
    const ids = new Array<number>(n);
    const tokens = new Array<string>(n);
    const offsetSpans = flatOffsets(n);
    const wordIds = new Array<number>(n);
    let k = 0;
    for (let w = 0; w < this.splits.length; w++) {
      const s = this.splits[w]!;
      if (!s.tokens) continue;
      for (const t of s.tokens) {
        ids[k] = t.id;
        tokens[k] = t.value;
        s.normalized.spanInInput(t.start, t.end, offsetSpans, 2 * k);
        wordIds[k++] = w;
      }
    }
    return sequenceEncoding(ids, tokens, offsetSpans, wordIds, typeId, input, sequenceId);
  }
}

/** Writes the tokens of piece `w` into `fields` from index k on and returns the index after them; −1 where their ids
 * are not ids[k…] (a function, not a closure made per call: tsx names each closure it makes, at a cost per call). */
function placeTokens(list: Token[], w: number, ids: number[], k: number, fields: SequenceFields): number {
  for (const t of list) {
    if (k >= ids.length || ids[k] !== t.id) return -1;
    fields.tokens[k] = t.value;
    fields.offsetSpans[2 * k] = t.start;
    fields.offsetSpans[2 * k + 1] = t.end;
    fields.wordIds[k++] = w;
  }
  return k;
}

/** The Encoding of one input sequence before post-processing (`typeId` 0 or 1 also numbers the sequence). */
export function sequenceEncoding(
  ids: number[],
  tokens: string[],
  offsetSpans: Int32Array | number[],
  wordIds: number[],
  typeId: number,
  input: string,
  sequenceId = typeId,
): Encoding {
  // Type ids, masks and sequence ids are constant here: filled only if read.
  return Encoding.deferred(ids, sequenceId === 1 ? ["", input] : [input], () => ({ tokens, offsetSpans, wordIds }), { typeId, sequenceId });
}
