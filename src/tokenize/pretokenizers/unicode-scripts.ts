// Splits where the Unicode script changes (HF's UnicodeScripts): Hiragana, Katakana and U+30FC count as Han, a space
// joins the run before it (it never changes the current script), other scripts (Common included) split.

import type { PreTokenizedString } from "../pretokenized.js";
import type { JsonObject, PreTokenizer } from "../types.js";

const SCRIPT_NAMES = [
  "Latin", "Greek", "Cyrillic", "Armenian", "Hebrew", "Arabic", "Syriac", "Thaana", "Devanagari", "Bengali",
  "Gurmukhi", "Gujarati", "Oriya", "Tamil", "Telugu", "Kannada", "Malayalam", "Sinhala", "Thai", "Lao", "Tibetan",
  "Myanmar", "Georgian", "Hangul", "Ethiopic", "Cherokee", "Khmer", "Mongolian", "Han", "Hiragana", "Katakana",
  "Bopomofo", "Yi", "Tifinagh", "Inherited", "Common",
];
/** Each script's pattern, made when a text is first split by script (not at import: 36 property patterns cost every
 * `import "retoken"` ~1–2 ms, and few tokenizers split by script). */
let scripts: { name: string; re: RegExp }[] | null = null;

const cache = new Map<number, string>();

function scriptOf(c: number): string {
  if (c === 0x30fc) return "Han";
  if (c === 0x20) return "Any";
  let s = cache.get(c);
  if (s === undefined) {
    const ch = String.fromCodePoint(c);
    s = "Unknown";
    scripts ??= SCRIPT_NAMES.map((name) => ({ name, re: new RegExp(`\\p{Script=${name}}`, "u") }));
    for (const { name, re } of scripts) {
      if (re.test(ch)) {
        s = name;
        break;
      }
    }
    if (s === "Hiragana" || s === "Katakana") s = "Han";
    if (cache.size < 65536) cache.set(c, s);
  }
  return s;
}

/** [start, end) spans of same-script runs. As in HF, a run starts at each script change, so leading spaces (before
 * the first character with a script) belong to no run and are dropped. */
function scriptSpans(s: string): number[] {
  const cuts: number[] = [];
  let last: string | null = null;
  let i = 0;
  for (const ch of s) {
    const script = scriptOf(ch.codePointAt(0)!);
    if (script !== "Any" && last !== "Any" && last !== script) cuts.push(i);
    i += ch.length;
    if (script !== "Any") last = script;
  }
  const out: number[] = [];
  for (let k = 0; k < cuts.length; k++) out.push(cuts[k]!, k + 1 < cuts.length ? cuts[k + 1]! : s.length);
  return out;
}

export class UnicodeScriptsPreTokenizer implements PreTokenizer {
  readonly type = "UnicodeScripts";
  preTokenize(p: PreTokenizedString): void {
    p.split((_, n) => {
      const b = scriptSpans(n.normalized);
      const parts = [];
      for (let k = 0; k < b.length; k += 2) parts.push(n.slice(b[k]!, b[k + 1]!));
      return parts;
    });
  }
  preTokenizeText(piece: string, _atStart: boolean, out: string[]): void {
    const b = scriptSpans(piece);
    for (let k = 0; k < b.length; k += 2) out.push(piece.slice(b[k], b[k + 1]));
  }
  toJSON(): JsonObject {
    return { type: this.type };
  }
}
