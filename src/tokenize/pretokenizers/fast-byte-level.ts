// encode() without NormalizedString for the most common shape of tokenizer: no normalizer, then a split and the
// byte-level alphabet (GPT-2, GPT-3, Llama 3, Qwen, GPT-4o, DeepSeek). Offsets come straight from the split spans;
// only pieces with non-ASCII characters need a table from byte-level units back to characters, and a piece seen
// before is found by its span of the text (ids and offsets cached, no string built). Gives the same
// Encoding as the general pipeline (the parity tests run both paths against the oracle).

import type { AddedVocabulary } from "../added-vocabulary.js";
import type { Encoding } from "../encoding.js";
import { sequenceEncoding } from "../pretokenized.js";
import { findMatches, splitSpans, utf8Length, type SplitDelimiterBehavior, type SplitPattern } from "../normalized.js";
import { ByteLevelPreTokenizer } from "./byte-level.js";
import { gpt2Scanner } from "./scanners.js";
import { SequencePreTokenizer } from "./sequence.js";
import { SplitPreTokenizer } from "./split.js";
import { findAll } from "../regex.js";
import { spanHash, type SpanIdCache } from "../models/span-cache.js";
import type { PreTokenizer, Token } from "../types.js";

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
/** (id, start, end) per token of one piece, offsets relative to the piece. */
const rows: number[] = [];
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

export function encodeByteLevel(
  text: string,
  typeId: number,
  plan: ByteLevelPlan,
  added: AddedVocabulary,
  tokenize: (piece: string) => Token[],
  cache: SpanIdCache,
  tokenString: (id: number) => string | undefined,
): Encoding {
  const ids: number[] = [];
  const tokens: string[] = [];
  const offsets: [number, number][] = [];
  const wordIds: number[] = [];
  const pieces: (string | null)[] = [];
  const pieceIds: number[] = [];
  const starts: number[] = [];
  const ends: number[] = [];
  added.splitRawText(text, pieces, pieceIds, starts, ends);
  const nPieces: (string | null)[] = [];
  const nIds: number[] = [];
  const nStarts: number[] = [];
  const nEnds: number[] = [];
  for (let i = 0; i < pieces.length; i++) {
    if (pieces[i] === null) {
      nPieces.push(null);
      nIds.push(pieceIds[i]!);
      nStarts.push(starts[i]!);
      nEnds.push(ends[i]!);
    } else added.splitNormalizedText(pieces[i]!, nPieces, nIds, nStarts, starts[i]!, nEnds);
  }
  let word = 0;
  const spans: number[] = [];
  for (let i = 0; i < nPieces.length; i++) {
    const piece = nPieces[i];
    if (piece === null || piece === undefined) {
      ids.push(nIds[i]!);
      tokens.push(text.slice(nStarts[i], nEnds[i]));
      offsets.push([nStarts[i]!, nEnds[i]!]);
      wordIds.push(word++);
      continue;
    }
    spans.length = 0;
    pieceSpans(piece, nStarts[i]!, plan.splits, spans);
    for (let k = 0; k < spans.length; k += 2) {
      const a = spans[k]!;
      const b = spans[k + 1]!;
      const h = spanHash(text, a, b);
      rows.length = 0;
      if (cache.append(h, text, a, b, rows)) {
        for (let q = 0; q < rows.length; q += 3) {
          const id = rows[q]!;
          ids.push(id);
          tokens.push(tokenString(id)!);
          offsets.push([a + rows[q + 1]!, a + rows[q + 2]!]);
          wordIds.push(word);
        }
        word++;
        continue;
      }
      const raw = text.slice(a, b);
      const mapped = plan.spell(raw);
      const toks = tokenize(mapped);
      const ascii = mapped.length === raw.length;
      const table = ascii ? null : unitTable(raw, mapped.length);
      let cacheable = true;
      for (const t of toks) {
        let s = t.start;
        let e = t.end;
        if (s !== e && table) {
          s = table[2 * t.start]!;
          e = table[2 * (t.end - 1) + 1]!;
        }
        ids.push(t.id);
        tokens.push(t.value);
        offsets.push([a + s, a + e]);
        wordIds.push(word);
        rows.push(t.id, s, e);
        // Rows keep ids only: a model whose token text is not its vocabulary entry is not cached here.
        if (t.value !== tokenString(t.id)) cacheable = false;
      }
      if (cacheable) cache.add(h, text, a, b, rows, 0, rows.length);
      word++;
    }
  }
  return sequenceEncoding(ids, tokens, offsets, wordIds, typeId, text);
}
