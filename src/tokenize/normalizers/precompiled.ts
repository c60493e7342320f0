// SentencePiece's precompiled charsmap: a darts-clone double-array trie over UTF-8 bytes whose values index a blob of
// NUL-terminated replacement strings. Applied grapheme by grapheme as HF's Precompiled normalizer does: a grapheme
// shorter than 6 bytes is looked up whole first, otherwise (or when it has no rule) each character on its own.

import { bool } from "../json-fields.js";
import { base64Decode } from "../../util/base64.js";
import { utf8Length } from "../../util/utf8.js";
import { codePoints, cpLen, NormalizedString } from "../normalized.js";
import { utf8OfCodePoint } from "../models/spell.js";
import { TokenizerError, type JsonObject, type Normalizer } from "../types.js";

const utf8 = new TextEncoder();
const utf8d = new TextDecoder("utf-8", { ignoreBOM: true });

export class PrecompiledCharsmap {
  private readonly units: Uint32Array;
  private readonly blob: Uint8Array;
  private readonly strings = new Map<number, string>();

  constructor(bytes: Uint8Array, path = "precompiled_charsmap") {
    if (bytes.length < 4) throw new TokenizerError(`charsmap too short (${bytes.length} bytes)`, path);
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const trieSize = dv.getUint32(0, true);
    if (trieSize % 4 !== 0 || 4 + trieSize > bytes.length) throw new TokenizerError(`bad trie size ${trieSize} for ${bytes.length} bytes`, path);
    this.units = new Uint32Array(trieSize / 4);
    for (let i = 0; i < this.units.length; i++) this.units[i] = dv.getUint32(4 + 4 * i, true);
    this.blob = bytes.subarray(4 + trieSize);
    for (let a = 1; a < 0x80; a++) {
      const after = this.walk(offsetOf(this.units[0] ?? 0), a);
      let quiet = after === DEAD;
      if (after >= 0) {
        quiet = true;
        for (let b = 1; b < 0x80 && quiet; b++) if (this.walk(after, b) !== DEAD) quiet = false;
      }
      this.asciiQuiet[a] = quiet ? 1 : 0;
    }
  }

  /** Per ASCII character: 1 where no rule starts with it when the next character is ASCII too (or the text ends) —
   * no rule is the character alone and none continues with an ASCII byte, so plain ASCII text skips the walk. */
  private readonly asciiQuiet = new Uint8Array(0x80);
  /** Per BMP code unit beyond ASCII: 0 not yet known, 1 no rule starts with this character, 2 one may. */
  private readonly startStatus = new Uint8Array(0x10000);

  /** One step of the double-array walk: the next position, DEAD where the byte leads nowhere, or the next position
   * as −2 − pos where a rule ends on this byte. */
  private walk(pos: number, c: number): number {
    // No rule holds a NUL byte: the walk ends there (SentencePiece's lookup stops at one too).
    if (c === 0) return DEAD;
    const unit = this.units[pos ^ c] ?? 0;
    if ((unit & 0x800000ff) !== c) return DEAD;
    const next = pos ^ c ^ offsetOf(unit);
    return (unit >>> 8) & 1 ? -2 - next : next;
  }

  /** Whether a rule may start with the BMP character c (not a surrogate): some prefix of its bytes is a rule, or the
   * trie goes on past them. */
  private mayStartWith(c: number): boolean {
    let st = this.startStatus[c]!;
    if (st === 0) {
      const n = utf8OfCodePoint(c, walkBytes);
      let pos = offsetOf(this.units[0] ?? 0);
      st = 2;
      for (let k = 0; k < n; k++) {
        pos = this.walk(pos, walkBytes[k]!);
        if (pos === DEAD) st = 1;
        if (pos < 0) break;
      }
      this.startStatus[c] = st;
    }
    return st === 2;
  }

  /** The replacement of the shortest rule that is a prefix of `key` (as HF's lookup takes the first result). */
  lookup(key: Uint8Array): string | null {
    const u = this.units;
    if (u.length === 0) return null;
    let pos = offsetOf(u[0]!);
    for (let i = 0; i < key.length; i++) {
      pos = this.walk(pos, key[i]!);
      if (pos === DEAD) break;
      if (pos < DEAD) return this.stringAt((u[-2 - pos] ?? 0) & 0x7fffffff);
    }
    return null;
  }

  /** The first position from `from` where a rule may start (longestAt's own quick checks, in one loop with no call
   * per character), or text.length: most text meets no rule, and a line without a candidate is not walked at all.
   * The checks are written out here and in longestAt: one helper called by both measured 10–30% slower on encodeIds
   * (en-unigram.model, FLORES English devtest, three alternating pairs). */
  firstCandidate(text: string, from: number): number {
    if (this.units.length === 0) return text.length;
    for (let i = from; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c < 0x80) {
        if (this.asciiQuiet[c] === 1 && (i + 1 === text.length || text.charCodeAt(i + 1) < 0x80)) continue;
        return i;
      }
      if ((c >= 0xd800 && c <= 0xdfff) || this.mayStartWith(c)) return i;
    }
    return text.length;
  }

  /** The replacement of the last match of longestAt. */
  lastReplacement = "";

  /**
   * The longest rule that is a prefix of text's UTF-8 from code unit `at` (SentencePiece's own lookup), the bytes
   * encoded as the walk goes (nothing allocated): the code units of the whole characters the rule covers (a rule
   * ending inside a character covers all of it), 0 if none matches; the replacement is left in lastReplacement. A lone
   * surrogate reads as U+FFFD, as TextEncoder writes it.
   */
  longestAt(text: string, at: number): number {
    const u = this.units;
    if (u.length === 0) return 0;
    const first = text.charCodeAt(at);
    if (first < 0x80) {
      if (this.asciiQuiet[first] === 1 && (at + 1 === text.length || text.charCodeAt(at + 1) < 0x80)) return 0;
    } else if ((first < 0xd800 || first > 0xdfff) && !this.mayStartWith(first)) return 0;
    let pos = offsetOf(u[0]!);
    let bestUnits = 0;
    let bestValue = -1;
    const bytes = walkBytes;
    for (let i = at; i < text.length; ) {
      let cp = text.charCodeAt(i);
      let width = 1;
      if (cp >= 0xd800 && cp <= 0xdfff) {
        const next = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
        if (cp <= 0xdbff && (next & 0xfc00) === 0xdc00) {
          cp = 0x10000 + ((cp - 0xd800) << 10) + (next - 0xdc00);
          width = 2;
        } else cp = 0xfffd;
      }
      const n = utf8OfCodePoint(cp, bytes);
      for (let k = 0; k < n; k++) {
        pos = this.walk(pos, bytes[k]!);
        if (pos === DEAD) return this.settle(bestUnits, bestValue);
        if (pos < DEAD) {
          pos = -2 - pos;
          bestUnits = i + width - at;
          bestValue = (u[pos] ?? 0) & 0x7fffffff;
        }
      }
      i += width;
    }
    return this.settle(bestUnits, bestValue);
  }

  private settle(units: number, value: number): number {
    if (units > 0) this.lastReplacement = this.stringAt(value);
    return units;
  }

  private stringAt(index: number): string {
    let s = this.strings.get(index);
    if (s === undefined) {
      let end = index;
      while (end < this.blob.length && this.blob[end] !== 0) end++;
      s = utf8d.decode(this.blob.subarray(index, end));
      this.strings.set(index, s);
    }
    return s;
  }
}

/** Texts of which one usually meets a rule of a charsmap (NFKC's fractions, superscripts, ligatures, full-width
 * letters, the ellipsis, a no-break space), each between ASCII letters and spaces, for exerciseRules. */
const RULE_SAMPLES = ["a \u00bd b", "a x\u00b2 b", "a \ufb01 b", "a \uff21 b", "a\u2026 b", "a\u00a0b"];

/** walk()'s answer where a byte leads nowhere. */
const DEAD = -1;

function offsetOf(unit: number): number {
  return (unit >>> 10) << ((unit & (1 << 9)) >>> 6);
}

let segmenter: Intl.Segmenter | null = null;

/** One character's UTF-8 bytes, for longestAt. */
const walkBytes = new Uint8Array(4);

/** Appends `newPart`'s characters for `oldCount` replaced ones, with HF's change codes (+1 per inserted character on
 * the last ones, a negative count on the last for removed ones). */
function appendReplacement(chars: string[], changes: number[], oldCount: number, newPart: string): void {
  const parts = codePoints(newPart);
  for (const p of parts) {
    chars.push(p);
    changes.push(0);
  }
  const diff = parts.length - oldCount;
  if (diff > 0) for (let k = 0; k < diff; k++) changes[changes.length - 1 - k] = 1;
  else if (diff < 0 && changes.length > 0) changes[changes.length - 1]! += diff;
}

export class PrecompiledNormalizer implements Normalizer {
  readonly type = "Precompiled";
  private readonly map: PrecompiledCharsmap | null;
  private readonly charCache = new Map<string, string | null>();

  constructor(readonly base64: string | null, path = "Precompiled") {
    if (base64 === null || base64 === "") {
      this.map = null;
      return;
    }
    const bytes = base64Decode(base64);
    if (!bytes) throw new TokenizerError("precompiled_charsmap is not valid base64", `${path}.precompiled_charsmap`);
    this.map = new PrecompiledCharsmap(bytes, `${path}.precompiled_charsmap`);
  }

  static fromJSON(json: JsonObject, path: string): PrecompiledNormalizer {
    const v = json.precompiled_charsmap;
    if (v !== null && v !== undefined && typeof v !== "string") throw new TokenizerError("expected a base64 string", `${path}.precompiled_charsmap`);
    const n = new PrecompiledNormalizer(v ?? null, path);
    n.sentencePieceMatching = bool(json, "longest_match", path, false);
    n.exerciseRules();
    return n;
  }

  /**
   * Normalizes a few short texts that meet a rule, with and without alignments, so that the optimising compiler has
   * seen the replacement path before it compiles encode(). FLORES English dev meets no rule of en-unigram.model's
   * charsmap and devtest four (½, ², a zero-width space, two thirds of the way in): without this, the first of them
   * threw away the optimised normaliser with the functions it was inlined into, the rest of the first devtest pass ran
   * unoptimised (its fields 3.1 ms instead of 2.1, four pinned processes each), and recompiling cost 10–25 ms of CPU
   * in the next pass. The engine records no type feedback for a function's first few calls, hence the repetitions
   * (under half a millisecond at load).
   */
  private exerciseRules(): void {
    if (!this.map) return;
    const sample = RULE_SAMPLES.find((t) => this.normalizeText(t) !== t);
    if (sample === undefined) return;
    for (let k = 0; k < 16; k++) {
      this.normalizeText(sample);
      this.normalizeText("a b");
      this.normalize(new NormalizedString(sample));
      this.normalize(new NormalizedString("a b"));
    }
    this.lastUntouched = "";
    this.matchedText = "";
  }

  private rule(part: string): string | null {
    let r = this.charCache.get(part);
    if (r === undefined) {
      r = this.map!.lookup(utf8.encode(part));
      if (this.charCache.size < 100000) this.charCache.set(part, r);
    }
    return r;
  }

  /**
   * Match rules as spm_encode does — the longest rule at each position of the whole text, else one character — instead
   * of HF's grapheme by grapheme (they differ on stacked marks such as n + U+0303 + U+0303, where HF drops the second
   * mark). Set for SentencePiece .model files; tokenizer.json field `longest_match` (retoken's; HF ignores it).
   */
  sentencePieceMatching = false;

  /** spm's matching over `text`: each rule's start and length in code units (matchSpans) and its replacement
   * (matchReplacements), kept for the last text matched — encode() normalizes a text for its ids and, when its fields
   * are read, again with alignments, and the second time does not walk the trie (the second walk was ~8% of encode()'s
   * profile on FLORES' 42 languages with en-unigram.model; whole passes did not show it above this VM's noise). A text
   * no rule touches costs one walk per candidate character. */
  private matchLongest(text: string): void {
    if (text === this.matchedText) return;
    const map = this.map!;
    const spans = this.matchSpans;
    spans.length = 0;
    this.matchReplacements.length = 0;
    for (let i = map.firstCandidate(text, 0); i < text.length; ) {
      const units = map.longestAt(text, i);
      if (units === 0) {
        i = map.firstCandidate(text, i + cpLen(text, i));
        continue;
      }
      spans.push(i, units);
      this.matchReplacements.push(map.lastReplacement);
      i = map.firstCandidate(text, i + units);
    }
    this.matchedText = text;
  }
  private matchedText = "";
  private readonly matchSpans: number[] = [];
  private readonly matchReplacements: string[] = [];

  /** spm's matching as a plan of the same shape (chars and change codes) as HF's; null where no rule applies. */
  private planLongest(text: string): { chars: string[]; changes: number[] } | null {
    this.matchLongest(text);
    const spans = this.matchSpans;
    if (spans.length === 0) return null;
    const chars = codePoints(text.slice(0, spans[0]));
    const changes: number[] = new Array<number>(chars.length).fill(0);
    let i = spans[0]!;
    for (let k = 0; k <= spans.length; k += 2) {
      const start = k < spans.length ? spans[k]! : text.length;
      for (; i < start; ) {
        const n = cpLen(text, i);
        chars.push(n === 1 ? text[i]! : text.slice(i, i + n));
        changes.push(0);
        i += n;
      }
      if (k === spans.length) break;
      const units = spans[k + 1]!;
      appendReplacement(chars, changes, codePoints(text.slice(start, start + units)).length, this.matchReplacements[k >> 1]!);
      i = start + units;
    }
    return { chars, changes };
  }

  /** spm's matching on plain text: the replaced string, built from slices. */
  private normalizeLongest(text: string): string {
    this.matchLongest(text);
    const spans = this.matchSpans;
    if (spans.length === 0) return text;
    let out = "";
    let copied = 0;
    for (let k = 0; k < spans.length; k += 2) {
      out += text.slice(copied, spans[k]) + this.matchReplacements[k >> 1]!;
      copied = spans[k]! + spans[k + 1]!;
    }
    return out + text.slice(copied);
  }

  /** The replacement chars with HF's change codes. Returns null when nothing changes. */
  private plan(text: string): { chars: string[]; changes: number[] } | null {
    if (!this.map) return null;
    if (this.sentencePieceMatching) return this.planLongest(text);
    const chars: string[] = [];
    const changes: number[] = [];
    let modified = false;
    const replace = (oldPart: string, newPart: string) => appendReplacement(chars, changes, codePoints(oldPart).length, newPart);
    segmenter ??= new Intl.Segmenter(undefined, { granularity: "grapheme" });
    const graphemes = isSimple(text) ? codePoints(text) : Array.from(segmenter.segment(text), (s) => s.segment);
    for (const g of graphemes) {
      if (utf8Length(g) < 6) {
        const r = this.rule(g);
        if (r !== null) {
          modified = true;
          replace(g, r);
          continue;
        }
      }
      for (const ch of g.length === 1 ? [g] : codePoints(g)) {
        const r = g.length === 1 ? null : this.rule(ch);
        if (r !== null) {
          modified = true;
          replace(ch, r);
        } else {
          chars.push(ch);
          changes.push(0);
        }
      }
    }
    return modified ? { chars, changes } : null;
  }

  normalize(s: NormalizedString): void {
    // encode() normalizes a text without alignments for its ids and, when its fields are read, again with them.
    if (s.normalized === this.lastUntouched) return;
    const p = this.plan(s.normalized);
    if (p) s.transform(p.chars, p.changes, 0);
  }

  normalizeText(text: string): string {
    const normalized = this.map && this.sentencePieceMatching ? this.normalizeLongest(text) : (this.plan(text)?.chars.join("") ?? text);
    if (normalized === text) this.lastUntouched = text;
    return normalized;
  }

  /** The last text normalizeText left as it was: normalizing it again changes nothing. */
  private lastUntouched = "";

  toJSON(): JsonObject {
    const json: JsonObject = { type: this.type, precompiled_charsmap: this.base64 };
    if (this.sentencePieceMatching) json.longest_match = true;
    return json;
  }
}

/** Text whose graphemes are single code points: printable ASCII only (no CR LF pair, no combining marks). */
function isSimple(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7e || c === 0x0d) return false;
  }
  return true;
}

