// Hand-written scanners for the common byte-level split patterns (GPT-2; Llama 3, which cl100k-style tokenizer.json
// files also use; Qwen; o200k_base, GPT-4o's): the same matches as the regex (property-tested against it), several
// times faster than a Unicode-property RegExp in V8. A scanner appends [start, end) pairs of matches.

import { GPT2_PATTERN_SOURCE, LLAMA3_PATTERN_SOURCE, O200K_PATTERN_SOURCE, QWEN_PATTERN_SOURCE } from "./patterns.js";

import type { SpanScanner } from "../normalized.js";

export type { SpanScanner };

const OTHER = 0;
const LETTER = 1;
const NUMBER = 2;
const SPACE = 3;

const RE_L = /\p{L}/u;
const RE_N = /\p{N}/u;
const RE_WS = /\p{White_Space}/u;

/** A classification by regexes for one character each, the first that matches giving the class (none: 0). */
type ClassRegexes = readonly (readonly [RegExp, number])[];

const GPT2_CLASSES: ClassRegexes = [
  [RE_L, LETTER],
  [RE_N, NUMBER],
  [RE_WS, SPACE],
];

/** A character classification: a table for the BMP, filled a block of 256 code points at a time on first sight
 * (UNSEEN until then), astral code points classified on first sight. Class 0 is "other". */
interface CharClasses {
  readonly bmp: Uint8Array;
  readonly astral: Map<number, number>;
  readonly classify: (ch: string) => number;
  /** Each class's regex repeated (global), the first class's last: fillBlock's runs. */
  readonly runs: readonly (readonly [RegExp, number])[];
}

/** A BMP entry whose block is not classified yet. */
const UNSEEN = 255;

/**
 * A block of the BMP table is filled from runs: each class's regex, repeated, runs natively over one string of the
 * block's 256 code points, where testing one-character strings against each regex cost far more. The first regex
 * wins where two match, as in `classify`. Blocks are filled as text meets them (ASCII and Latin-1 at once): the whole
 * table at once was ~8 ms of a byte-level tokenizer's first encode, and a text meets a few dozen blocks.
 */
function charClasses(classes: ClassRegexes): CharClasses {
  const classify = (ch: string): number => {
    for (const [re, k] of classes) if (re.test(ch)) return k;
    return OTHER;
  };
  const runs = classes.map(([re, k]) => [new RegExp(`(?:${re.source})+`, "gu"), k] as const).reverse();
  const t: CharClasses = { bmp: new Uint8Array(0x10000).fill(UNSEEN), astral: new Map(), classify, runs };
  fillBlock(t, 0);
  return t;
}

/** Classifies the block of 256 BMP code points that holds c; returns c's class. Surrogates stand alone in no run:
 * their blocks are "other" (classAt never reads them). */
function fillBlock(t: CharClasses, c: number): number {
  const base = c & 0xff00;
  t.bmp.fill(OTHER, base, base + 256);
  if (base < 0xd800 || base >= 0xe000) {
    const units = new Uint16Array(256);
    for (let i = 0; i < 256; i++) units[i] = base + i;
    const block = utf16.decode(units);
    for (const [re, k] of t.runs) {
      re.lastIndex = 0;
      for (let m = re.exec(block); m; m = re.exec(block)) t.bmp.fill(k, base + m.index, base + m.index + m[0].length);
    }
  }
  return t.bmp[c]!;
}
const utf16 = new TextDecoder("utf-16le");

/** The whole BMP table (every block filled), for tests. */
function filled(t: CharClasses): CharClasses {
  for (let base = 0; base < 0x10000; base += 256) if (t.bmp[base] === UNSEEN) fillBlock(t, base);
  return t;
}

/** The class tables of the GPT-2 (and Llama 3) scanners and the o200k one, for tests. */
export function scannerClassTables(): { name: string; bmp: Uint8Array; classify: (ch: string) => number }[] {
  return [
    { name: "GPT-2", ...filled(table()) },
    { name: "o200k_base", ...filled(o200kTable()) },
  ];
}

let gpt2Classes: CharClasses | null = null;
function table(): CharClasses {
  return (gpt2Classes ??= charClasses(GPT2_CLASSES));
}

/** Class of the character at i (surrogate pairs looked up by code point; lone surrogates are class 0). */
function classAt(t: CharClasses, s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c < 0xd800 || c > 0xdbff) {
    if (c >= 0xdc00 && c <= 0xdfff) return OTHER;
    const k = t.bmp[c]!;
    return k !== UNSEEN ? k : fillBlock(t, c);
  }
  const d = s.charCodeAt(i + 1);
  if (!(d >= 0xdc00 && d <= 0xdfff)) return OTHER;
  const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
  let k = t.astral.get(cp);
  if (k === undefined) {
    k = t.classify(String.fromCodePoint(cp));
    if (t.astral.size < 100000) t.astral.set(cp, k);
  }
  return k;
}

function unitLen(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c >= 0xd800 && c <= 0xdbff) {
    const d = s.charCodeAt(i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) return 2;
  }
  return 1;
}

/** End of the run of characters of class k starting at i. */
function runEnd(t: CharClasses, s: string, i: number, k: number): number {
  const n = s.length;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) {
      const b = t.bmp[c]!;
      if (b !== k && (b !== UNSEEN || fillBlock(t, c) !== k)) break;
      i++;
    } else {
      if (classAt(t, s, i) !== k) break;
      i += unitLen(s, i);
    }
  }
  return i;
}

/** `\s+(?!\S)|\s+` from i (s[i] is whitespace): the run, less its last character when a non-space follows. */
function spaceRun(t: CharClasses, s: string, i: number): number {
  const e = runEnd(t, s, i, SPACE);
  if (e === s.length || e - 1 <= i) return e;
  return e - 1; // whitespace characters are all in the BMP
}

/** Per ASCII character after an apostrophe: 1 where it ends a contraction ('s 't 'm 'd), the character that must
 * follow it where it starts a longer one ('re 've 'll), −2 where neither (no character code is −2). */
const CONTRACTION_NEXT = (() => {
  const t = new Int16Array(0x80).fill(-2);
  for (const c of "stmd") t[c.charCodeAt(0)] = 1;
  t[114] = t[118] = 101; // 're 've
  t[108] = 108; // 'll
  return t;
})();

/** Length of the contraction 's 't 'm 'd 're 've 'll at s[i] (an apostrophe), or 0. `fold` 0x20 makes it
 * case-insensitive as Oniguruma's (?i:...) is (ſ folds to s). One table read and the same comparisons for every
 * apostrophe: a chain of && and || compares each letter only when the ones before failed, and the first 're or 'll
 * after a warm-up on text without one (FLORES English dev) dropped the optimised scanner around it. */
function contraction(s: string, i: number, fold: number): number {
  const c = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
  const d = fold && c === 0x17f ? 115 : c | fold; // case folding makes ſ an s
  const next = d < 0x80 ? CONTRACTION_NEXT[d]! : -2;
  const e = i + 2 < s.length ? s.charCodeAt(i + 2) | fold : -1;
  return next === 1 ? 2 : next === e ? 3 : 0;
}

/** GPT-2: 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+ */
export const gpt2Scanner: SpanScanner = {
  scan(s: string, out: number[]): void {
    const t = table();
    const n = s.length;
    let i = 0;
    while (i < n) {
      const c = s.charCodeAt(i);
      const q = c === 39 ? contraction(s, i, 0) : 0;
      if (q > 0) {
        out.push(i, i + q);
        i += q;
        continue;
      }
      const j = c === 32 ? i + 1 : i;
      if (j < n) {
        const k = classAt(t, s, j);
        if (k !== SPACE) {
          const e = runEnd(t, s, j, k);
          out.push(i, e);
          i = e;
          continue;
        }
      }
      const e = spaceRun(t, s, i);
      out.push(i, e);
      i = e;
    }
  },
};

function isNewline(c: number): boolean {
  return c === 10 || c === 13;
}

/** Llama 3: (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
 * (Qwen: the same with \p{N} alone, maxDigits 1). */
function llama3Like(maxDigits: number): SpanScanner {
  return { scan: (s, out) => scanLlama3(s, out, maxDigits) };
}

export const llama3Scanner = llama3Like(3);
export const qwenScanner = llama3Like(1);

function scanLlama3(s: string, out: number[], maxDigits: number): void {
  {
    const t = table();
    const n = s.length;
    let i = 0;
    while (i < n) {
      const c = s.charCodeAt(i);
      const q = c === 39 ? contraction(s, i, 0x20) : 0;
      if (q > 0) {
        out.push(i, i + q);
        i += q;
        continue;
      }
      const k = classAt(t, s, i);
      if (k === LETTER) {
        const e = runEnd(t, s, i, LETTER);
        out.push(i, e);
        i = e;
        continue;
      }
      const len = unitLen(s, i);
      if (k !== NUMBER && !isNewline(c) && i + len < n && classAt(t, s, i + len) === LETTER) {
        const e = runEnd(t, s, i + len, LETTER);
        out.push(i, e);
        i = e;
        continue;
      }
      if (k === NUMBER) {
        let e = i;
        for (let q = 0; q < maxDigits && e < n && classAt(t, s, e) === NUMBER; q++) e += unitLen(s, e);
        out.push(i, e);
        i = e;
        continue;
      }
      const j = c === 32 ? i + 1 : i;
      if (j < n && classAt(t, s, j) === OTHER) {
        let e = runEnd(t, s, j, OTHER);
        while (e < n && isNewline(s.charCodeAt(e))) e++;
        out.push(i, e);
        i = e;
        continue;
      }
      i = whitespaceMatch(s, i, runEnd(t, s, i, SPACE), out);
    }
  }
}

// ---- o200k_base (GPT-4o): letters split at case changes, so letters need finer classes than \p{L}.
// Upper-side letters [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}] and lower-side [\p{Ll}\p{Lm}\p{Lo}\p{M}] overlap in Lm, Lo and
// marks; marks are not \p{L}, so a mark may also be the one-character prefix or part of a punctuation run.
const O_OTHER = 0;
const O_UPPER = 1; // Lu, Lt
const O_LOWER = 2; // Ll
const O_MODIFIER_OR_OTHER_LETTER = 3; // Lm, Lo
const O_MARK = 4; // M
const O_NUMBER = 5;
const O_SPACE = 6;
const UPPER_SIDE = (1 << O_UPPER) | (1 << O_MODIFIER_OR_OTHER_LETTER) | (1 << O_MARK);
const LOWER_SIDE = (1 << O_LOWER) | (1 << O_MODIFIER_OR_OTHER_LETTER) | (1 << O_MARK);
const BOTH_SIDES = UPPER_SIDE & LOWER_SIDE;
/** [^\s\p{L}\p{N}] */
const PUNCTUATION = (1 << O_OTHER) | (1 << O_MARK);
/** [^\r\n\p{L}\p{N}] (less \r and \n, checked apart) */
const PREFIX = (1 << O_OTHER) | (1 << O_MARK) | (1 << O_SPACE);

const RE_UPPER = /[\p{Lu}\p{Lt}]/u;
const RE_LOWER = /\p{Ll}/u;
const RE_LM_LO = /[\p{Lm}\p{Lo}]/u;
const RE_M = /\p{M}/u;

const O200K_CLASSES: ClassRegexes = [
  [RE_UPPER, O_UPPER],
  [RE_LOWER, O_LOWER],
  [RE_LM_LO, O_MODIFIER_OR_OTHER_LETTER],
  [RE_M, O_MARK],
  [RE_N, O_NUMBER],
  [RE_WS, O_SPACE],
];

let o200kClasses: CharClasses | null = null;
function o200kTable(): CharClasses {
  return (o200kClasses ??= charClasses(O200K_CLASSES));
}

/** End of the run of characters whose class is in `mask`, from i. */
function o200kRunEnd(t: CharClasses, s: string, i: number, mask: number): number {
  const n = s.length;
  while (i < n && (mask >> classAt(t, s, i)) & 1) i += unitLen(s, i);
  return i;
}

/**
 * End of upper* lower+ from j (greedy with the regex's backtracking), or -1. When the greedy upper-side run is not
 * followed by a lower-only letter, the regex gives characters back until the lower-side run can start: at the last
 * character of the run that is on both sides, and it ends right after it (everything later is upper-only).
 */
function upperStarLowerPlus(t: CharClasses, s: string, j: number): number {
  const n = s.length;
  let i = j;
  let afterLastBoth = -1;
  while (i < n) {
    const k = classAt(t, s, i);
    if (!((UPPER_SIDE >> k) & 1)) break;
    i += unitLen(s, i);
    if ((BOTH_SIDES >> k) & 1) afterLastBoth = i;
  }
  if (i < n && classAt(t, s, i) === O_LOWER) return o200kRunEnd(t, s, i, LOWER_SIDE);
  return afterLastBoth;
}

/** End of upper+ lower* from j, or -1. */
function upperPlusLowerStar(t: CharClasses, s: string, j: number): number {
  const a = o200kRunEnd(t, s, j, UPPER_SIDE);
  return a === j ? -1 : o200kRunEnd(t, s, a, LOWER_SIDE);
}

/** o200k_base: [^\r\n\p{L}\p{N}]?UPPER*LOWER+(?i:'s|…)?|[^\r\n\p{L}\p{N}]?UPPER+LOWER*(?i:'s|…)?|\p{N}{1,3}|
 * ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+ */
export const o200kScanner: SpanScanner = {
  scan(s: string, out: number[]): void {
    const t = o200kTable();
    const n = s.length;
    let i = 0;
    while (i < n) {
      const c = s.charCodeAt(i);
      const k = classAt(t, s, i);
      const afterPrefix = (PREFIX >> k) & 1 && !isNewline(c) ? i + unitLen(s, i) : -1;
      // The two letter alternatives, each first with the optional prefix, then without.
      let e = afterPrefix >= 0 ? upperStarLowerPlus(t, s, afterPrefix) : -1;
      if (e < 0) e = upperStarLowerPlus(t, s, i);
      if (e < 0 && afterPrefix >= 0) e = upperPlusLowerStar(t, s, afterPrefix);
      if (e < 0) e = upperPlusLowerStar(t, s, i);
      if (e >= 0) {
        e += s.charCodeAt(e) === 39 ? contraction(s, e, 0x20) : 0;
        out.push(i, e);
        i = e;
        continue;
      }
      if (k === O_NUMBER) {
        e = i;
        for (let q = 0; q < 3 && e < n && classAt(t, s, e) === O_NUMBER; q++) e += unitLen(s, e);
        out.push(i, e);
        i = e;
        continue;
      }
      const j = c === 32 ? i + 1 : i;
      if (j < n && (PUNCTUATION >> classAt(t, s, j)) & 1) {
        e = o200kRunEnd(t, s, j, PUNCTUATION);
        for (let d = s.charCodeAt(e); e < n && (d === 10 || d === 13 || d === 47); d = s.charCodeAt(++e));
        out.push(i, e);
        i = e;
        continue;
      }
      i = whitespaceMatch(s, i, o200kRunEnd(t, s, i, 1 << O_SPACE), out);
    }
  },
};

/** The match of \s*[\r\n]+|\s+(?!\S)|\s+ at i, where [i, e) is the whitespace run; returns its end. */
function whitespaceMatch(s: string, i: number, e: number, out: number[]): number {
  if (e <= i) e = i + unitLen(s, i); // unreachable by the class tables; a scanner must never stand still
  for (let p = e - 1; p >= i; p--) {
    if (isNewline(s.charCodeAt(p))) {
      out.push(i, p + 1);
      return p + 1;
    }
  }
  const f = e === s.length || e - 1 <= i ? e : e - 1;
  out.push(i, f);
  return f;
}

/** The scanner for a pattern written exactly as one we know, else null. */
export function scannerFor(pattern: string): SpanScanner | null {
  if (pattern === O200K_PATTERN_SOURCE) return o200kScanner;
  if (pattern === GPT2_PATTERN_SOURCE) return gpt2Scanner;
  if (pattern === LLAMA3_PATTERN_SOURCE) return llama3Scanner;
  if (pattern === QWEN_PATTERN_SOURCE) return qwenScanner;
  return null;
}
