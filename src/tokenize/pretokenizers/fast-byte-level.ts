// encode() and encodeIds() without NormalizedString for the most common shape of tokenizer: no normalizer, then a
// split and the byte-level alphabet (GPT-2, GPT-3, Llama 3, Qwen, GPT-4o, DeepSeek, tiktoken rank files). One cache
// of ids, keyed by the piece's span of the text (a hit builds no string), serves both; encode() reads tokens from the
// vocabulary by id and offsets from each token's byte length. Gives the same Encoding as the general pipeline (the
// parity tests run both paths against the oracle).

import type { AddedVocabulary } from "../added-vocabulary.js";
import { findMatches, splitSpans, utf8Length, type SplitDelimiterBehavior, type SplitPattern } from "../normalized.js";
import { ByteLevelPreTokenizer } from "./byte-level.js";
import { gpt2Scanner } from "./scanners.js";
import { SequencePreTokenizer } from "./sequence.js";
import { SplitPreTokenizer } from "./split.js";
import { findAll } from "../regex.js";
import { spanHash, type SpanIdCache } from "../models/span-cache.js";
import { spelledLength } from "../models/spell.js";
import type { Model, PreTokenizer, Token } from "../types.js";
import { flatOffsets } from "../encoding.js";

export interface ByteLevelPlan {
  /** Splits in order (each keeps spans of its input); the byte-level mapping follows. */
  splits: { pattern: SplitPattern; behavior: SplitDelimiterBehavior; invert: boolean }[];
  spell: (raw: string) => string;
}

/** The plan when the pre-tokenizer is ByteLevel (no prefix space) alone or after Splits; else null. */
export function byteLevelPlan(pt: PreTokenizer | null): ByteLevelPlan | null {
  if (pt instanceof ByteLevelPreTokenizer) {
    if (pt.addPrefixSpace) return null;
    return { splits: pt.useRegex ? [{ pattern: gpt2Scanner, behavior: "isolated", invert: false }] : [], spell: (r) => pt.spell(r) };
  }
  if (pt instanceof SequencePreTokenizer) {
    const list = pt.preTokenizers;
    const last = list[list.length - 1];
    if (!(last instanceof ByteLevelPreTokenizer) || last.addPrefixSpace) return null;
    const splits: ByteLevelPlan["splits"] = [];
    for (const t of list.slice(0, -1)) {
      if (!(t instanceof SplitPreTokenizer)) return null;
      splits.push({ pattern: t.matcher, behavior: t.behavior, invert: t.invert });
    }
    if (last.useRegex) splits.push({ pattern: gpt2Scanner, behavior: "isolated", invert: false });
    return { splits, spell: (r) => last.spell(r) };
  }
  return null;
}

/** Spans [start, end) (pairs) of the pieces of `s` after all the splits. */
export function pieceSpans(s: string, base: number, splits: ByteLevelPlan["splits"], out: number[]): void {
  if (splits.length === 1 && splits[0]!.behavior === "isolated" && !splits[0]!.invert && typeof splits[0]!.pattern === "object") {
    // The usual case: one isolating scan; matches and the gaps between them, without intermediate arrays.
    const pattern = splits[0]!.pattern;
    const m = scanBuffer;
    m.length = 0;
    if (pattern instanceof RegExp) {
      for (const x of findAll(pattern, s)) m.push(x);
    } else pattern.scan(s, m);
    let prev = 0;
    for (let k = 0; k < m.length; k += 2) {
      const a = m[k]!;
      const b = m[k + 1]!;
      if (a > prev) out.push(base + prev, base + a);
      if (b > a) out.push(base + a, base + b);
      prev = b;
    }
    if (prev < s.length) out.push(base + prev, base + s.length);
    return;
  }
  if (splits.length === 0) {
    if (s.length > 0) out.push(base, base + s.length);
    return;
  }
  let cur = [base, base + s.length];
  for (const sp of splits) {
    const next: number[] = [];
    for (let k = 0; k < cur.length; k += 2) {
      const a = cur[k]! - base;
      const b = cur[k + 1]! - base;
      const sub = s.slice(a, b);
      const spans = splitSpans(findMatches(sub, sp.pattern), sp.behavior, sp.invert);
      for (let q = 0; q < spans.length; q += 2) if (spans[q + 1]! > spans[q]!) next.push(base + a + spans[q]!, base + a + spans[q + 1]!);
    }
    cur = next;
  }
  for (const x of cur) out.push(x);
}

const scanBuffer: number[] = [];
let tableBuffer = new Int32Array(1024);

/** For each byte-level unit of `raw`, the [start, end) of its character in `raw` (`units` = byte-level length;
 * the returned buffer is reused by the next call). */
function unitTable(raw: string, units: number): Int32Array {
  if (tableBuffer.length < units * 2) tableBuffer = new Int32Array(units * 4);
  const t = tableBuffer;
  let w = 0;
  for (let i = 0; i < raw.length; ) {
    const bytes = utf8Length(raw, i);
    const units = bytes === 4 ? 2 : 1;
    for (let k = 0; k < bytes; k++) {
      t[w++] = i;
      t[w++] = i + units;
    }
    i += units;
  }
  return t;
}

/** Where encodeByteLevel writes: ids always; for encode(), also what the other fields are derived from later (see
 * byteLevelFields), so that an encode() whose tokens and offsets are never read costs no more than encodeIds. */
export interface ByteLevelSink {
  ids: number[];
  /** Per added token or piece, in order: [kind, start, end, first token index]; null for encodeIds. */
  pieces: number[] | null;
  /** The tokens of MODEL pieces (a model without plain byte tokens), offsets already in the text, in order. */
  modelTokens: Token[] | null;
}

/** The kinds of entry in ByteLevelSink.pieces. */
const ADDED = 0;
const BYTES = 1;
const MODEL = 2;

/** Added tokens, splits and the model over `text`. Each piece's ids are looked up by its span in `cache` (a hit
 * builds no string). */
export function encodeByteLevel(text: string, plan: ByteLevelPlan, added: AddedVocabulary, model: Model, cache: SpanIdCache, out: ByteLevelSink): void {
  const { ids, pieces: record } = out;
  const pieces = scratchPieces;
  const pieceIds = scratchPieceIds;
  const starts = scratchStarts;
  const ends = scratchEnds;
  pieces.length = pieceIds.length = starts.length = ends.length = 0;
  added.splitRawText(text, pieces, pieceIds, starts, ends);
  const nPieces = scratchNPieces;
  const nIds = scratchNIds;
  const nStarts = scratchNStarts;
  const nEnds = scratchNEnds;
  nPieces.length = nIds.length = nStarts.length = nEnds.length = 0;
  for (let i = 0; i < pieces.length; i++) {
    if (pieces[i] === null) {
      nPieces.push(null);
      nIds.push(pieceIds[i]!);
      nStarts.push(starts[i]!);
      nEnds.push(ends[i]!);
    } else added.splitNormalizedText(pieces[i]!, nPieces, nIds, nStarts, starts[i]!, nEnds);
  }
  const spans = scratchSpans;
  for (let i = 0; i < nPieces.length; i++) {
    const piece = nPieces[i];
    if (piece === null || piece === undefined) {
      record?.push(ADDED, nStarts[i]!, nEnds[i]!, ids.length);
      ids.push(nIds[i]!);
      continue;
    }
    spans.length = 0;
    pieceSpans(piece, nStarts[i]!, plan.splits, spans);
    for (let k = 0; k < spans.length; k += 2) {
      const a = spans[k]!;
      const b = spans[k + 1]!;
      // A span too long to keep is not looked up (nor hashed: a pathological piece is the whole text).
      const kept = b - a < cache.maxKey;
      const h = kept ? spanHash(text, a, b) : 0;
      const from = ids.length;
      if (!kept || !cache.append(h, text, a, b, ids)) {
        if (!model.tokenizeByteLevelIds?.(text, a, b, ids)) {
          // A model without plain byte tokens: its own tokens and offsets, uncached.
          record?.push(MODEL, a, b, from);
          appendModelTokens(text, a, b, plan, model, out);
          continue;
        }
        cache.add(h, text, a, b, ids, from, ids.length);
      }
      record?.push(BYTES, a, b, from);
    }
  }
}

/** Tokens, offsets and word ids of what encodeByteLevel wrote for encode() (one word per piece or added token).
 * Tokens are read from the vocabulary by id and offsets follow from the ids: a byte-level token has one unit per
 * byte, so it covers the characters of its first to its last byte. */
export function byteLevelFields(text: string, model: Model, sink: ByteLevelSink): { tokens: string[]; offsetSpans: Int32Array | number[]; wordIds: number[] } {
  const { ids, pieces, modelTokens } = sink;
  /** Each id's string, read straight from the model's table where it has one (a call per token otherwise). */
  const spelling = model.idSpelling?.() ?? null;
  // Filled by index, not pushed: a text of 10^5 tokens would otherwise grow (and copy) each array many times.
  const tokens = new Array<string>(ids.length);
  const offsets = flatOffsets(ids.length);
  const wordIds = new Array<number>(ids.length);
  let o = 0;
  let k = 0;
  let m = 0;
  for (let p = 0, word = 0; p < pieces!.length; p += 4, word++) {
    const kind = pieces![p]!;
    const a = pieces![p + 1]!;
    const b = pieces![p + 2]!;
    const from = pieces![p + 3]!;
    const to = p + 4 < pieces!.length ? pieces![p + 7]! : ids.length;
    if (kind === ADDED) {
      tokens[k] = text.slice(a, b);
      offsets[o++] = a;
      offsets[o++] = b;
      wordIds[k++] = word;
      continue;
    }
    if (kind === MODEL) {
      for (let q = from; q < to; q++) {
        const t = modelTokens![m++]!;
        tokens[k] = t.value;
        offsets[o++] = t.start;
        offsets[o++] = t.end;
        wordIds[k++] = word;
      }
      continue;
    }
    // An ASCII piece: each token covers as many characters as its spelling has units.
    let ascii = true;
    for (let i = a; i < b; i++) if (text.charCodeAt(i) >= 0x80) {
      ascii = false;
      break;
    }
    if (ascii) {
      let end = a;
      for (let q = from; q < to; q++) {
        const id = ids[q]!;
        // The length from the spelling's table, not from the string (a load from anywhere in the heap per token).
        const n = spelling ? spelledLength(spelling, id) : model.idToToken(id)!.length;
        tokens[k] = spelling ? spelling.tokens[id]! : model.idToToken(id)!;
        offsets[o++] = end;
        offsets[o++] = end += n;
        wordIds[k++] = word;
      }
      continue;
    }
    let end = a; // end of the character whose bytes are being consumed
    let charStart = a;
    let left = 0; // its bytes not yet in a token
    for (let q = from; q < to; q++) {
      const id = ids[q]!;
      let n = spelling ? spelledLength(spelling, id) : model.idToToken(id)!.length;
      const token = spelling ? spelling.tokens[id]! : model.idToToken(id)!;
      const start = left > 0 ? charStart : end;
      while (n > 0) {
        if (left === 0) {
          charStart = end;
          const c = text.charCodeAt(end);
          left = c < 0x80 ? 1 : utf8Length(text, end);
          end += left === 4 ? 2 : 1;
        }
        const take = n < left ? n : left;
        n -= take;
        left -= take;
      }
      tokens[k] = token;
      offsets[o++] = start;
      offsets[o++] = end;
      wordIds[k++] = word;
    }
  }
  return { tokens, offsetSpans: offsets, wordIds };
}

/** text[a, b) through model.tokenize on its byte-level spelling, offsets mapped back to characters. */
function appendModelTokens(text: string, a: number, b: number, plan: ByteLevelPlan, model: Model, out: ByteLevelSink): void {
  const raw = text.slice(a, b);
  const mapped = plan.spell(raw);
  const table = mapped.length === raw.length ? null : unitTable(raw, mapped.length);
  for (const t of model.tokenize(mapped)) {
    out.ids.push(t.id);
    if (!out.modelTokens) continue;
    let s = t.start;
    let e = t.end;
    if (s !== e && table) {
      s = table[2 * t.start]!;
      e = table[2 * (t.end - 1) + 1]!;
    }
    out.modelTokens.push({ id: t.id, value: t.value, start: a + s, end: a + e });
  }
}

const scratchPieces: (string | null)[] = [];
const scratchPieceIds: number[] = [];
const scratchStarts: number[] = [];
const scratchEnds: number[] = [];
const scratchSpans: number[] = [];
const scratchNPieces: (string | null)[] = [];
const scratchNIds: number[] = [];
const scratchNStarts: number[] = [];
const scratchNEnds: number[] = [];
