// A string being normalized, with the alignment of every normalized UTF-16 unit to a [start, end) span of the
// original text. Semantics follow Hugging Face `tokenizers`' NormalizedString (its alignments are per UTF-8 byte,
// ours per UTF-16 unit; both give every unit of one character the same span, so the offsets agree).

import { findAll } from "./regex.js";
import { replaceAllLiteral, replacesUnitForUnit, type LiteralReplacer } from "../util/replace-literal.js";

/** What Split does with the matched delimiters (HF's SplitDelimiterBehavior). */
export type SplitDelimiterBehavior = "removed" | "isolated" | "merged_with_previous" | "merged_with_next" | "contiguous";

/** Finds matches itself: appends [start, end) pairs (a hand-written scanner standing in for a known regex). */
export interface SpanScanner {
  scan(s: string, out: number[]): void;
}

/** Something to split on: a literal string, a (global) RegExp, a predicate on code points (each matching character
 * is one match), or a scanner. */
export type SplitPattern = string | RegExp | ((codePoint: number) => boolean) | SpanScanner;

/** Rust's char::is_whitespace: the White_Space property. */
export function isWhitespace(c: number): boolean {
  return (
    c === 0x20 ||
    (c >= 0x09 && c <= 0x0d) ||
    (c >= 0x80 &&
      (c === 0x85 || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000))
  );
}

/** UTF-16 length of the code point at s[i]. */
export function cpLen(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
    const d = s.charCodeAt(i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) return 2;
  }
  return 1;
}

/** Writes the identity alignment of s's units from `from` on (each unit spans its own character) into out[at…]. */
function identitySpans(s: string, from: number, out: Int32Array, at: number): void {
  for (let i = from, w = at; i < s.length; ) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff || i + 1 >= s.length || (s.charCodeAt(i + 1) & 0xfc00) !== 0xdc00) {
      out[w++] = i;
      out[w++] = ++i;
      continue;
    }
    out[w++] = i;
    out[w++] = i + 2;
    out[w++] = i;
    out[w++] = i + 2;
    i += 2;
  }
}

/** Whether replacing `pattern` by `content` puts one unit for one (" " → "▁"): then every alignment stays. */
export function isUnitForUnit(pattern: string | RegExp, content: string): pattern is string {
  return typeof pattern === "string" && replacesUnitForUnit(pattern, content);
}

/** Splits a string into code-point strings. */
export function codePoints(s: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < s.length; ) {
    const n = cpLen(s, i);
    out.push(n === 1 ? s[i]! : s.slice(i, i + 2));
    i += n;
  }
  return out;
}

/** Matches of a pattern as HF's Pattern::find_matches: spans covering the whole string, flagged match / not. */
export function findMatches(s: string, pattern: SplitPattern): { start: number; end: number; match: boolean }[] {
  if (s.length === 0) return [{ start: 0, end: 0, match: false }];
  const out: { start: number; end: number; match: boolean }[] = [];
  let prev = 0;
  const push = (start: number, end: number) => {
    if (prev !== start) out.push({ start: prev, end: start, match: false });
    out.push({ start, end, match: true });
    prev = end;
  };
  if (typeof pattern === "string") {
    if (pattern.length === 0) return [{ start: 0, end: s.length, match: false }];
    for (let i = s.indexOf(pattern); i >= 0; i = s.indexOf(pattern, i + pattern.length)) push(i, i + pattern.length);
  } else if (typeof pattern === "function") {
    for (let i = 0; i < s.length; ) {
      const n = cpLen(s, i);
      if (pattern(s.codePointAt(i)!)) push(i, i + n);
      i += n;
    }
  } else {
    let m: number[];
    if (pattern instanceof RegExp) m = findAll(pattern, s);
    else {
      m = [];
      pattern.scan(s, m);
    }
    for (let k = 0; k < m.length; k += 2) push(m[k]!, m[k + 1]!);
  }
  if (prev !== s.length) out.push({ start: prev, end: s.length, match: false });
  return out;
}

/** Applies a delimiter behavior to find_matches output (HF's NormalizedString::split): the [start, end) spans kept. */
export function splitSpans(
  matches: { start: number; end: number; match: boolean }[],
  behavior: SplitDelimiterBehavior,
  invert = false,
): number[] {
  const out: number[] = [];
  if (invert) matches = matches.map((m) => ({ start: m.start, end: m.end, match: !m.match }));
  switch (behavior) {
    case "isolated":
      for (const m of matches) out.push(m.start, m.end);
      break;
    case "removed":
      for (const m of matches) if (!m.match) out.push(m.start, m.end);
      break;
    case "contiguous": {
      let prev = false;
      for (const m of matches) {
        if (m.match === prev && out.length > 0) out[out.length - 1] = m.end;
        else out.push(m.start, m.end);
        prev = m.match;
      }
      break;
    }
    case "merged_with_previous": {
      let prev = false;
      for (const m of matches) {
        if (m.match && !prev && out.length > 0) out[out.length - 1] = m.end;
        else out.push(m.start, m.end);
        prev = m.match;
      }
      break;
    }
    case "merged_with_next": {
      let prev = false;
      const rev: number[] = [];
      for (let k = matches.length - 1; k >= 0; k--) {
        const m = matches[k]!;
        if (m.match && !prev && rev.length > 0) rev[rev.length - 2] = m.start;
        else rev.push(m.start, m.end);
        prev = m.match;
      }
      for (let k = rev.length - 2; k >= 0; k -= 2) out.push(rev[k]!, rev[k + 1]!);
      break;
    }
  }
  return out;
}

const scratch: number[] = [];
/** spanInInput's table where there is none: it reads 0 from it. */
const NO_TABLE = new Int32Array(2);

/** Splits plain text like NormalizedString.split, appending the non-empty parts to `out`. */
export function splitText(s: string, pattern: SplitPattern, behavior: SplitDelimiterBehavior, invert: boolean, out: string[]): void {
  if (typeof pattern === "object" && !(pattern instanceof RegExp) && behavior === "isolated" && !invert) {
    const spans = scratch;
    spans.length = 0;
    pattern.scan(s, spans);
    let prev = 0;
    for (let k = 0; k < spans.length; k += 2) {
      const a = spans[k]!;
      const b = spans[k + 1]!;
      if (a > prev) out.push(s.slice(prev, a));
      if (b > a) out.push(s.slice(a, b));
      prev = b;
    }
    if (prev < s.length) out.push(s.slice(prev));
    return;
  }
  if (pattern instanceof RegExp && behavior === "isolated" && !invert) {
    // The common case (byte-level BPE patterns), without intermediate arrays: matches and the gaps between them.
    pattern.lastIndex = 0;
    let prev = 0;
    let m: RegExpExecArray | null;
    while ((m = pattern.exec(s)) !== null) {
      const start = m.index;
      const end = start + m[0].length;
      if (start > prev) out.push(s.slice(prev, start));
      if (end > start) out.push(m[0]);
      else pattern.lastIndex = end + (s.charCodeAt(end) >= 0xd800 && s.charCodeAt(end) <= 0xdbff ? 2 : 1);
      prev = end;
      if (pattern.lastIndex > s.length) break;
    }
    if (prev < s.length) out.push(s.slice(prev));
    return;
  }
  const spans = splitSpans(findMatches(s, pattern), behavior, invert);
  for (let k = 0; k < spans.length; k += 2) if (spans[k + 1]! > spans[k]!) out.push(s.slice(spans[k], spans[k + 1]));
}

export class NormalizedString {
  /** The original text of this piece. */
  readonly original: string;
  /** The normalized text. */
  normalized: string;
  /** For each normalized UTF-16 unit i: the original span [align[2i], align[2i+1]) (relative to `original`).
   * null means the identity: unit i spans [i, i + 1) (a surrogate pair its character), as when nothing has been
   * transformed yet or only one unit was replaced by one unit. */
  private align: Int32Array | null;
  /** With no table (align null) after a prepend onto the identity: the first `head` units all span [0, headEnd) (the
   * added characters and the first old one), and unit i from `head` on spans the original's unit i − lag. A line of
   * SentencePiece text ("▁" prepended, spaces replaced unit for unit) then needs no table. */
  private head = 0;
  private headEnd = 0;
  private lag = 0;
  /** Where `original` starts in the whole input text. */
  readonly originalShift: number;

  constructor(original: string, normalized = original, align: Int32Array | null = null, originalShift = 0) {
    this.original = original;
    this.normalized = normalized;
    this.align = align;
    this.originalShift = originalShift;
  }

  get length(): number {
    return this.normalized.length;
  }

  isEmpty(): boolean {
    return this.normalized.length === 0;
  }

  /** The alignment table (built on first use when it is still the identity). */
  alignments(): Int32Array {
    if (this.align) return this.align;
    const a = new Int32Array(this.normalized.length * 2);
    for (let u = 0; u < this.head; u++) (a[2 * u] = 0), (a[2 * u + 1] = this.headEnd);
    if (this.head === 0) identitySpans(this.normalized, 0, a, 0);
    else identitySpans(this.original, this.head - this.lag, a, 2 * this.head);
    this.align = a;
    return a;
  }

  /** Maps a normalized [start, end) range to the original text of this piece (HF's convert_offsets, including its
   * quirk of returning an empty normalized range unchanged). */
  originalRange(start: number, end: number): [number, number] {
    if (start === end) return [start, end];
    if (this.normalized.length === 0 && start === 0 && end === 0) return [0, this.original.length];
    if (!this.align) return [start < this.head ? 0 : start - this.lag, end <= this.head ? this.headEnd : end - this.lag];
    const a = this.align;
    return [a[2 * start]!, a[2 * (end - 1) + 1]!];
  }

  /** Maps a normalized range to offsets in the whole input text, written to out[at], out[at + 1]. */
  spanInInput(start: number, end: number, out: Int32Array | number[], at: number): void {
    const shift = this.originalShift;
    // originalRange's cases, without its intermediate pair (this runs once per token).
    if (start === end) {
      out[at] = start + shift;
      out[at + 1] = end + shift;
      return;
    }
    // Both representations go through the same operations, weighted by m (1 with a table, 0 without): a branch that
    // only the table takes would have no type feedback until a text first changes length (a ¾ in English, after a
    // warm-up of text without one), and V8 would then drop the optimised code of encode()'s fields and recompile it —
    // ~10 ms of CPU, a third of a first pass over FLORES English devtest with en-unigram.model.
    const a = this.align;
    const table = a ?? NO_TABLE;
    const m = a === null ? 0 : 1;
    const s0 = m * 2 * start;
    const e0 = m * (2 * end - 1) + (1 - m) * 1;
    const ds = (1 - m) * (start < this.head ? 0 : start - this.lag);
    const de = (1 - m) * (end <= this.head ? this.headEnd : end - this.lag);
    out[at] = table[s0]! + ds + shift;
    out[at + 1] = table[e0]! + de + shift;
  }

  /** The piece covering normalized [start, end), keeping alignments (HF's slice on a normalized range). */
  slice(start: number, end: number): NormalizedString {
    if (!this.align && start >= this.head && start < end) {
      const lag = this.lag;
      return new NormalizedString(this.original.slice(start - lag, end - lag), this.normalized.slice(start, end), null, this.originalShift + start - lag);
    }
    const a = this.alignments();
    let os: number;
    let oe: number;
    if (start === end) {
      os = start;
      oe = end;
    } else {
      os = a[2 * start]!;
      oe = a[2 * (end - 1) + 1]!;
    }
    const na = new Int32Array((end - start) * 2);
    for (let i = start * 2, j = 0; i < end * 2; i++, j++) na[j] = a[i]! - os;
    return new NormalizedString(this.original.slice(os, oe), this.normalized.slice(start, end), na, this.originalShift + os);
  }

  /**
   * Replaces normalized [start, end) by `chars` (one code point each) with HF's change codes: 0 replaces the next old
   * character (taking its alignment), 1 inserts (taking the alignment of the unit before), -N replaces the next old
   * character and removes the N after it. `initialOffset` old characters are removed first.
   */
  transformRange(start: number, end: number, chars: string[], changes: number[], initialOffset: number): void {
    const old = this.normalized;
    const a = this.alignments();
    let pos = start;
    for (let k = 0; k < initialOffset && pos < end; k++) pos += cpLen(old, pos);
    let newLen = 0;
    for (const c of chars) newLen += c.length;
    const na = new Int32Array(a.length - (end - start) * 2 + newLen * 2);
    na.set(a.subarray(0, start * 2), 0);
    let w = start * 2;
    for (let k = 0; k < chars.length; k++) {
      const c = chars[k]!;
      const ch = changes[k]!;
      let s: number;
      let e: number;
      if (ch > 0) {
        if (pos < 1) {
          s = 0;
          e = 0;
        } else {
          s = a[2 * (pos - 1)]!;
          e = a[2 * (pos - 1) + 1]!;
        }
      } else {
        const p = Math.min(pos, a.length / 2 - 1);
        s = p >= 0 ? a[2 * p]! : 0;
        e = p >= 0 ? a[2 * p + 1]! : 0;
        if (pos < end) pos += cpLen(old, pos);
        for (let r = 0; r < -ch && pos < end; r++) pos += cpLen(old, pos);
      }
      for (let u = 0; u < c.length; u++) {
        na[w++] = s;
        na[w++] = e;
      }
    }
    na.set(a.subarray(end * 2), w);
    this.normalized = old.slice(0, start) + chars.join("") + old.slice(end);
    this.align = na;
  }

  /** transformRange over the whole string. */
  transform(chars: string[], changes: number[], initialOffset = 0): void {
    this.transformRange(0, this.normalized.length, chars, changes, initialOffset);
  }

  /** Maps every character to zero or more characters: `fn` returns the replacement (the first output character
   * replaces, the others are inserted; an empty result removes the character). */
  mapChars(fn: (ch: string) => string): void {
    const p = planCharMap(this.normalized, fn);
    if (p.changed) this.transform(p.chars, p.changes, p.removedAtStart);
  }

  /** Replaces every character by one output unit per UTF-8 byte (`mapped` is that spelling of the whole text, e.g.
   * GPT-2's byte alphabet): each unit takes the alignment of its character, as HF's byte-level transform gives. */
  mapUtf8Bytes(mapped: string): void {
    const s = this.normalized;
    if (mapped === s) return;
    const a = this.alignments();
    const na = new Int32Array(mapped.length * 2);
    let w = 0;
    for (let i = 0; i < s.length; ) {
      const bytes = utf8Length(s, i);
      const units = bytes === 4 ? 2 : 1;
      const st = a[2 * i]!;
      const en = a[2 * i + 1]!;
      for (let k = 0; k < bytes; k++) {
        na[w++] = st;
        na[w++] = en;
      }
      i += units;
    }
    this.normalized = mapped;
    this.align = na;
  }

  /** Keeps only the characters for which `keep` is true. */
  filter(keep: (codePoint: number) => boolean): void {
    const s = this.normalized;
    let any = false;
    for (let i = 0; i < s.length; i += cpLen(s, i)) {
      if (!keep(s.codePointAt(i)!)) {
        any = true;
        break;
      }
    }
    if (any) this.mapChars((ch) => (keep(ch.codePointAt(0)!) ? ch : ""));
  }

  /** Lowercases character by character (Rust's char::to_lowercase: no context rules). */
  lowercase(): void {
    const s = this.normalized;
    if (s.toLowerCase() === s) return;
    this.mapChars((ch) => ch.toLowerCase());
  }

  uppercase(): void {
    if (this.normalized.toUpperCase() === this.normalized) return;
    this.mapChars((ch) => ch.toUpperCase());
  }

  /** Adds `s` in front: every added character takes the alignment of the current first character. */
  prepend(s: string): void {
    const old = this.normalized;
    if (old.length === 0 || s.length === 0) return;
    // transformRange's rule written out (this runs once per text for SentencePiece's "▁"): the first added character
    // replaces the first old one and takes its first unit's span; the other added characters and the old first one,
    // inserted after it, take the span of its last unit. Onto the identity that is [0, n) for all of them, kept as
    // head and lag with no table.
    const n = cpLen(old, 0);
    if (!this.align && this.head === 0) {
      this.head = s.length + n;
      this.headEnd = n;
      this.lag = s.length;
      this.normalized = s + old;
      return;
    }
    const a = this.alignments();
    const lead = cpLen(s, 0);
    const na = new Int32Array(2 * (old.length + s.length));
    for (let u = 0; u < lead; u++) (na[2 * u] = a[0]!), (na[2 * u + 1] = a[1]!);
    for (let u = lead; u < s.length + n; u++) (na[2 * u] = a[2 * (n - 1)]!), (na[2 * u + 1] = a[2 * (n - 1) + 1]!);
    na.set(a.subarray(2 * n), 2 * (s.length + n));
    this.normalized = s + old;
    this.align = na;
  }

  /** Adds `s` at the end: every added character takes the alignment of the current last character. */
  append(s: string): void {
    const t = this.normalized;
    if (t.length === 0 || s.length === 0) return;
    let b = t.length - 1;
    const c = t.charCodeAt(b);
    if (c >= 0xdc00 && c <= 0xdfff && b > 0 && cpLen(t, b - 1) === 2) b--;
    const chars = [t.slice(b)].concat(codePoints(s));
    const changes = chars.map((_, i) => (i === 0 ? 0 : 1));
    this.transformRange(b, t.length, chars, changes, 0);
  }

  /** replace() by a replacer that puts one unit for one (isUnitForUnit): the alignments stay. */
  replaceUnits(replacer: LiteralReplacer): void {
    this.normalized = replacer.apply(this.normalized);
  }

  /** Replaces every match of `pattern` by `content` (HF's replace: new characters take the alignment of the last
   * matched character). */
  replace(pattern: string | RegExp, content: string): void {
    if (isUnitForUnit(pattern, content)) {
      // One unit for one (" " → "▁"): each new unit takes the span of the unit it replaces, its own: the alignments
      // stay as they are, the identity included (no table is built for it).
      this.normalized = replaceAllLiteral(this.normalized, pattern, content);
      return;
    }
    const matches = findMatches(this.normalized, pattern);
    if (!matches.some((m) => m.match)) return;
    // One pass over the string (a transform per match would copy the alignments once per match: quadratic).
    const old = this.normalized;
    const a = this.alignments();
    const parts: string[] = [];
    let size = 0;
    for (const m of matches) size += m.match ? content.length : m.end - m.start;
    const na = new Int32Array(size * 2);
    let w = 0;
    for (const m of matches) {
      if (!m.match) {
        parts.push(old.slice(m.start, m.end));
        na.set(a.subarray(m.start * 2, m.end * 2), w);
        w += (m.end - m.start) * 2;
        continue;
      }
      parts.push(content);
      // New characters take the alignment of the last matched character (of the one before, for an empty match).
      let at = m.end > m.start ? m.end - 1 : m.start - 1;
      if (at > 0 && (old.charCodeAt(at) & 0xfc00) === 0xdc00 && (old.charCodeAt(at - 1) & 0xfc00) === 0xd800) at--;
      const s0 = at >= 0 ? a[2 * at]! : 0;
      const e0 = at >= 0 ? a[2 * at + 1]! : 0;
      for (let u = 0; u < content.length; u++) {
        na[w++] = s0;
        na[w++] = e0;
      }
    }
    this.normalized = parts.join("");
    this.align = na;
  }

  /** Splits into pieces by a pattern and a delimiter behavior (empty pieces included; callers drop them). */
  split(pattern: SplitPattern, behavior: SplitDelimiterBehavior, invert = false): NormalizedString[] {
    const spans = splitSpans(findMatches(this.normalized, pattern), behavior, invert);
    if (spans.length === 2 && spans[0] === 0 && spans[1] === this.normalized.length) return [this];
    const out: NormalizedString[] = [];
    for (let k = 0; k < spans.length; k += 2) out.push(this.slice(spans[k]!, spans[k + 1]!));
    return out;
  }

  /** Strips leading and/or trailing whitespace (Unicode White_Space). */
  strip(left = true, right = true): void {
    const s = this.normalized;
    let a = 0;
    let b = s.length;
    if (left) while (a < b && isWhitespace(s.charCodeAt(a))) a++;
    if (right) while (b > a && isWhitespace(s.charCodeAt(b - 1))) b--;
    if (a === 0 && b === s.length) return;
    const chars = codePoints(s.slice(a, b));
    const changes = new Array<number>(chars.length).fill(0);
    if (chars.length > 0) changes[chars.length - 1] = -(s.length - b);
    this.transform(chars, changes, a);
  }

  /** Unicode normalization with alignments: composed characters align to the characters they came from. */
  unicodeNormalize(form: "NFC" | "NFD" | "NFKC" | "NFKD"): void {
    const s = this.normalized;
    if (isAscii(s)) return;
    const target = s.normalize(form);
    if (target === s) return;
    const decompose: "NFD" | "NFKD" = form === "NFC" || form === "NFD" ? "NFD" : "NFKD";
    // Decompose character by character: the first part replaces it, the rest are insertions.
    const { chars: dChars, changes: dChanges } = planCharMap(s, (ch) => ch.normalize(decompose));
    let chars: string[];
    let changes: number[];
    if (form === "NFD" || form === "NFKD") {
      chars = codePoints(target);
      // Canonical reordering keeps the count, so the changes carry over position by position.
      changes = chars.map((_, k) => dChanges[k] ?? 1);
    } else {
      // Compose: each output character consumes as many decomposed characters as its own canonical decomposition
      // has; the changes of the consumed ones fold into it (each absorbed character counts one removal).
      chars = codePoints(target);
      changes = [];
      let j = 0;
      for (const t of chars) {
        const k = codePoints(t.normalize(decompose)).length;
        let c = 0;
        for (let q = 0; q < k && j < dChanges.length; q++, j++) c += dChanges[j]! - (q > 0 ? 1 : 0);
        changes.push(c);
      }
      if (j < dChanges.length && changes.length > 0) {
        for (; j < dChanges.length; j++) changes[changes.length - 1]! += dChanges[j]! - 1;
      }
    }
    this.transform(chars, changes, 0);
  }
}

/** A per-character replacement as HF change codes: the first output character of each input replaces it, the rest
 * are insertions; a character mapped to "" is a removal (counted on the character before it, or at the start). */
function planCharMap(s: string, fn: (ch: string) => string): { chars: string[]; changes: number[]; removedAtStart: number; changed: boolean } {
  const chars: string[] = [];
  const changes: number[] = [];
  let removedAtStart = 0;
  let changed = false;
  for (let i = 0; i < s.length; ) {
    const n = cpLen(s, i);
    const ch = n === 1 ? s[i]! : s.slice(i, i + 2);
    const r = fn(ch);
    if (r !== ch) changed = true;
    if (r.length === 0) {
      if (chars.length === 0) removedAtStart++;
      else changes[changes.length - 1]! -= 1;
    } else if (r === ch) {
      chars.push(ch);
      changes.push(0);
    } else {
      const parts = codePoints(r);
      for (let k = 0; k < parts.length; k++) {
        chars.push(parts[k]!);
        changes.push(k === 0 ? 0 : 1);
      }
    }
    i += n;
  }
  return { chars, changes, removedAtStart, changed };
}

/** UTF-8 length of the character at s[i] (a lone surrogate counts as U+FFFD: 3 bytes). It spans 2 UTF-16 units
 * exactly when it is 4 bytes long. */
export function utf8Length(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c < 0x80) return 1;
  if (c < 0x800) return 2;
  return c >= 0xd800 && c <= 0xdbff && cpLen(s, i) === 2 ? 4 : 3;
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}
