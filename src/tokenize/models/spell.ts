// A piece's tokens from ids already known: encode() has the ids from the text-only path, and its tokens and offsets
// follow from them without running the model again. The ids must be the model's own ids for this very piece (the
// callers hold that: a cache keyed by the piece, or the same piece string from encodeIds' path). The models that
// spell (BPE without a prefix or suffix, Unigram) build every token from the piece's own text, so its string is the
// text at its place by construction and only lengths are checked. An unknown token covers text its spelling does not
// show: Unigram's is placed by the characters the model has no piece for (unknownWidth); elsewhere it gives null, as
// does a byte-fallback run that is not the character's UTF-8, and the caller asks the model.

import type { Token } from "../types.js";

/** How the tokens of a run of byte-fallback ids (<0xNN>) take their spans: "char" — each character's bytes share
 * that character's span (BPE); "run" — every byte of the run shares the run's span (Unigram, which falls back on a
 * whole unknown segment at once). */
export type ByteSpans = "char" | "run";

export interface Spelling {
  /** Each id's string, as far as known: a deferred vocabulary's (100k–200k tokens, spelled only if someone asks for
   * all) fills in as encode() meets ids, through `spell`. */
  tokens: (string | undefined)[];
  /** Spells id into `tokens` and returns it (undefined where no token has the id). */
  spell(id: number): string | undefined;
  /** Each id's string's length in UTF-16 units, 0 until encode() first meets the id: spelling reads lengths from
   * here rather than from the strings, which lie all over the heap (a third of spellInto's time went to loading them:
   * en-unigram.model, FLORES English). */
  lengths: Int32Array;
  /** The byte of each byte-fallback id, −1 for the others; null when the model has no byte fallback. */
  byteOf: Int16Array | null;
  byteSpans: ByteSpans;
  /** The unknown token's id, −1 if none. */
  unkId: number;
  /** Unigram's: the width in code units (1 or 2) of the character at text[at] when the model has no piece for that
   * character alone — what an unknown token covers —, else 0. Absent where an unknown token cannot be placed from the
   * ids (BPE, WordPiece): spelling then fails at the unknown token and the caller asks the model. */
  unknownWidth?(text: string, at: number): number;
}

/** The string of `id`: read from the list, or spelled into it the first time encode() meets the id. */
export function spelledToken(s: Spelling, id: number): string | undefined {
  return s.tokens[id] ?? s.spell(id);
}

/** The length in UTF-16 units of id's string, from the lengths table (spelled the first time the id is met); 0 where
 * no token has the id or its string is empty. */
export function spelledLength(s: Spelling, id: number): number {
  const n = s.lengths[id]!;
  if (n !== 0) return n;
  const t = spelledToken(s, id);
  return t === undefined ? 0 : (s.lengths[id] = t.length);
}

/** The byte value of each byte-fallback id (<0xNN> → NN) of a model, from its byte → id table. */
export function byteValues(byteIds: Int32Array, vocabSize: number): Int16Array {
  const out = new Int16Array(vocabSize).fill(-1);
  for (let b = 0; b < 256; b++) if (byteIds[b]! >= 0 && byteIds[b]! < vocabSize) out[byteIds[b]!] = b;
  return out;
}

/** Spells ids[from, to) — the model's ids for `piece` — over it flat: the string of the token at ids[q] goes to
 * values[at + q − from] and its span in the piece to spans[2(at + q − from)] and the slot after, so one set of arrays
 * takes a whole encoding's pieces, with no object per token. False where they cannot be spelled (what was written is
 * then junk). */
export function spellInto(piece: string, ids: ArrayLike<number>, from: number, to: number, s: Spelling, values: string[], spans: Int32Array | number[], at: number): boolean {
  let pos = 0;
  const shift = at - from;
  for (let q = from; q < to; ) {
    const id = ids[q]!;
    if (id === s.unkId) {
      const end = s.unknownWidth ? unknownRunEnd(piece, pos, ids, q, to, s) : -1;
      if (end < 0) return false;
      const k = q + shift;
      values[k] = piece.slice(pos, end);
      spans[2 * k] = pos;
      spans[2 * k + 1] = pos = end;
      q++;
      continue;
    }
    if (s.byteOf && s.byteOf[id]! >= 0) {
      let end = q;
      while (end < to && s.byteOf[ids[end]!]! >= 0) end++;
      const next = spellBytes(piece, pos, ids, q, end, s, values, spans, shift);
      if (next < 0) return false;
      pos = next;
      q = end;
      continue;
    }
    const len = spelledLength(s, id);
    if (len === 0) return false;
    // Lengths only (see the header): comparing each token's text cost more than a third of encode()'s fields
    // (en-unigram.model, FLORES English: ~1 ms a pass of 31k tokens).
    if (pos + len > piece.length) return false;
    const k = q + shift;
    values[k] = s.tokens[id]!;
    spans[2 * k] = pos;
    spans[2 * k + 1] = pos += len;
    q++;
  }
  return pos === piece.length;
}

/** The tokens that ids[from, to) — the model's ids for `piece` — spell over it, with spans in the piece; null where
 * they cannot be spelled. */
export function spellPiece(piece: string, ids: ArrayLike<number>, from: number, to: number, s: Spelling): Token[] | null {
  const n = to - from;
  const values = new Array<string>(n);
  const spans = new Array<number>(2 * n);
  if (!spellInto(piece, ids, from, to, s, values, spans, 0)) return null;
  const out = new Array<Token>(n);
  for (let k = 0; k < n; k++) out[k] = { id: ids[from + k]!, value: values[k]!, start: spans[2 * k]!, end: spans[2 * k + 1]! };
  return out;
}

/** Where the unknown token ids[q], at piece[pos…], ends: it covers characters the model has no piece for alone (the
 * search puts an unknown only there, and fuses neighbours), and the next token's text starts where it ends — or the
 * piece does. −1 where no end fits, or more than one (the next token starting with such a character, twice inside the
 * run): the caller then asks the model, which knows. */
function unknownRunEnd(piece: string, pos: number, ids: ArrayLike<number>, q: number, to: number, s: Spelling): number {
  let runEnd = pos;
  while (runEnd < piece.length) {
    const w = s.unknownWidth!(piece, runEnd);
    if (w === 0) break;
    runEnd += w;
  }
  if (runEnd === pos) return -1;
  if (q + 1 === to) return runEnd === piece.length ? runEnd : -1;
  const next = ids[q + 1]!;
  if (next === s.unkId || (s.byteOf && s.byteOf[next]! >= 0)) return -1;
  const text = spelledToken(s, next);
  if (!text) return -1;
  let found = -1;
  for (let e = pos; e < runEnd; ) {
    e += s.unknownWidth!(piece, e);
    if (!piece.startsWith(text, e)) continue;
    if (found >= 0) return -1;
    found = e;
  }
  return found;
}

/** Byte-fallback ids[from, to) at piece[pos…]: they must be the UTF-8 bytes of whole characters there. Writes their
 * strings and spans (at index q + shift) and returns the position after them, or −1. */
function spellBytes(piece: string, pos: number, ids: ArrayLike<number>, from: number, to: number, s: Spelling, values: string[], spans: Int32Array | number[], shift: number): number {
  let q = from;
  let at = pos;
  while (q < to) {
    if (at >= piece.length) return -1;
    // A lone surrogate's own three bytes are written by no model's fallback (TextEncoder writes U+FFFD): such a
    // piece fails here and is left to the model.
    const c = piece.codePointAt(at)!;
    const units = c > 0xffff ? 2 : 1;
    const n = utf8OfCodePoint(c, charBytes);
    if (q + n > to) return -1;
    for (let k = 0; k < n; k++) {
      const id = ids[q + k]!;
      if (s.byteOf![id] !== charBytes[k]) return -1;
      const j = q + k + shift;
      values[j] = spelledToken(s, id) ?? "";
      spans[2 * j] = at;
      spans[2 * j + 1] = at + units;
    }
    q += n;
    at += units;
  }
  if (s.byteSpans === "run") for (let j = from + shift; j < to + shift; j++) (spans[2 * j] = pos), (spans[2 * j + 1] = at);
  return at;
}

/** Writes the UTF-8 bytes of code point `cp` into out[at…] and returns how many (1–4). */
export function utf8OfCodePoint(cp: number, out: Uint8Array, at = 0): number {
  if (cp < 0x80) {
    out[at] = cp;
    return 1;
  }
  if (cp < 0x800) {
    out[at] = 0xc0 | (cp >> 6);
    out[at + 1] = 0x80 | (cp & 63);
    return 2;
  }
  if (cp < 0x10000) {
    out[at] = 0xe0 | (cp >> 12);
    out[at + 1] = 0x80 | ((cp >> 6) & 63);
    out[at + 2] = 0x80 | (cp & 63);
    return 3;
  }
  out[at] = 0xf0 | (cp >> 18);
  out[at + 1] = 0x80 | ((cp >> 12) & 63);
  out[at + 2] = 0x80 | ((cp >> 6) & 63);
  out[at + 3] = 0x80 | (cp & 63);
  return 4;
}

/** The bytes of the character spellBytes is checking. */
const charBytes = new Uint8Array(4);

/** Writes the UTF-8 bytes of `s` into `out` (grown when short) and returns how many; a lone surrogate is written as
 * U+FFFD, as TextEncoder writes it. */
export function utf8Encode(s: string, out: { bytes: Uint8Array }): number {
  if (out.bytes.length < 3 * s.length) out.bytes = new Uint8Array(3 * s.length);
  const b = out.bytes;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) {
      const d = s.charCodeAt(i + 1);
      if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      } else c = 0xfffd;
    }
    n += utf8OfCodePoint(c, b, n);
  }
  return n;
}
