// SentencePiece's precompiled charsmap: a darts-clone double-array trie over UTF-8 bytes whose values index a blob of
// NUL-terminated replacement strings. Applied grapheme by grapheme as HF's Precompiled normalizer does: a grapheme
// shorter than 6 bytes is looked up whole first, otherwise (or when it has no rule) each character on its own.

import { bool } from "../json-fields.js";
import { base64Decode } from "../../util/base64.js";
import type { NormalizedString } from "../normalized.js";
import { codePoints } from "../normalized.js";
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
  }

  /** The replacement of the shortest rule that is a prefix of `key` (as HF's lookup takes the first result). */
  lookup(key: Uint8Array): string | null {
    return this.match(key, 0, false)?.replacement ?? null;
  }

  /**
   * The longest rule that is a prefix of `bytes` from `start` (SentencePiece's own lookup): its length in bytes and
   * replacement, or null.
   */
  longest(bytes: Uint8Array, start: number): { length: number; replacement: string } | null {
    return this.match(bytes, start, true);
  }

  /** Walks the double-array trie along `bytes` from `start`; the first rule reached, or with `longest` the last. */
  private match(bytes: Uint8Array, start: number, longest: boolean): { length: number; replacement: string } | null {
    const u = this.units;
    if (u.length === 0) return null;
    let pos = offsetOf(u[0]!);
    let best: { length: number; replacement: string } | null = null;
    for (let i = start; i < bytes.length; i++) {
      const c = bytes[i]!;
      if (c === 0) break;
      pos ^= c;
      const unit = u[pos] ?? 0;
      if ((unit & 0x800000ff) !== c) break;
      pos ^= offsetOf(unit);
      if ((unit >>> 8) & 1) {
        best = { length: i - start + 1, replacement: this.stringAt((u[pos] ?? 0) & 0x7fffffff) };
        if (!longest) break;
      }
    }
    return best;
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

function offsetOf(unit: number): number {
  return (unit >>> 10) << ((unit & (1 << 9)) >>> 6);
}

let segmenter: Intl.Segmenter | null = null;

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
    return n;
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

  /** spm's matching: the same plan shape (chars and change codes) as HF's. */
  private planLongest(text: string): { chars: string[]; changes: number[] } | null {
    const map = this.map!;
    const bytes = utf8.encode(text);
    const chars: string[] = [];
    const changes: number[] = [];
    let modified = false;
    // Walk by characters, tracking the byte position; a rule may span several characters.
    const cps = codePoints(text);
    let ci = 0;
    let b = 0;
    while (ci < cps.length) {
      const m = map.longest(bytes, b);
      if (m) {
        // Characters covered by the match (rules start and end on character boundaries).
        let covered = 0;
        let oldCount = 0;
        while (covered < m.length && ci + oldCount < cps.length) covered += utf8Length(cps[ci + oldCount++]!);
        appendReplacement(chars, changes, oldCount, m.replacement);
        modified = true;
        ci += oldCount;
        b += covered;
      } else {
        chars.push(cps[ci]!);
        changes.push(0);
        b += utf8Length(cps[ci]!);
        ci++;
      }
    }
    return modified ? { chars, changes } : null;
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
    const p = this.plan(s.normalized);
    if (p) s.transform(p.chars, p.changes, 0);
  }

  normalizeText(text: string): string {
    const p = this.plan(text);
    return p ? p.chars.join("") : text;
  }

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

/** Bytes of a string in UTF-8 (a lone surrogate counts as U+FFFD's three). */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}
