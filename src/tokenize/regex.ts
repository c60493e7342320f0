// Regular expressions from tokenizer.json are written for Oniguruma (HF `tokenizers`) or fancy-regex (tiktoken).
// JS RegExp differs: no inline modifiers like `(?i:...)`, no possessive quantifiers, ASCII-only `\d`/`\w`, and
// `\s` includes U+FEFF but not U+0085; Oniguruma's (Ruby syntax) `^`/`$` match at line breaks, hence the m flag. compilePattern rewrites a pattern into a JS RegExp with the same meaning.

import { TokenizerError } from "./types.js";

const cache = new Map<string, RegExp>();

/** Compiles an Oniguruma-style pattern into a global Unicode JS RegExp with the same meaning (cached). */
export function compilePattern(pattern: string, path = "pattern"): RegExp {
  let re = cache.get(pattern);
  if (re) return new RegExp(re.source, re.flags);
  const source = translatePattern(pattern);
  try {
    re = new RegExp(source, "gmu");
  } catch (e) {
    throw new TokenizerError(`cannot compile regular expression ${JSON.stringify(pattern)}: ${(e as Error).message}`, path);
  }
  if (cache.size > 256) cache.clear();
  cache.set(pattern, re);
  return new RegExp(re.source, re.flags);
}

/** Escapes a literal string for use inside a RegExp. */
export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\\/-]/g, "\\$&");
}

// Oniguruma's Unicode \s is the White_Space property (includes U+0085, excludes U+FEFF unlike JS's \s).
const WS = "\\p{White_Space}";
const NOT_WS = "\\P{White_Space}";
// Unicode \d and \w as Oniguruma has them (checked against the oracle over all code points): \w is Alphabetic,
// Mark, Decimal_Number, Connector_Punctuation, plus the Latin-1 digits-like ² ³ ¹ ¼ ½ ¾ of its Latin-1 table.
const DIGIT = "\\p{Nd}";
const WORD_IN_CLASS = "\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\u00b2\\u00b3\\u00b9\\u00bc-\\u00be";

/** The pattern rewritten for JS (exported for tests). */
export function translatePattern(p: string): string {
  let out = "";
  let inClass = false;
  // Stack of groups: whether each is an inline case-insensitive group.
  const groups: boolean[] = [];
  let ci = 0; // depth of case-insensitive groups
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === "\\") {
      const n = p[i + 1];
      if (n === undefined) throw new TokenizerError(`pattern ends with a lone backslash`, JSON.stringify(p));
      i++;
      switch (n) {
        case "s":
          out += inClass ? WS : `[${WS}]`;
          break;
        case "S":
          out += inClass ? NOT_WS : `[${NOT_WS}]`;
          break;
        case "d":
          out += inClass ? DIGIT : `[${DIGIT}]`;
          break;
        case "D":
          out += inClass ? "\\P{Nd}" : "[^\\p{Nd}]";
          break;
        case "w":
          out += inClass ? WORD_IN_CLASS : `[${WORD_IN_CLASS}]`;
          break;
        case "W":
          if (inClass) throw new TokenizerError(`\\W inside a character class is not supported`, JSON.stringify(p));
          out += `[^${WORD_IN_CLASS}]`;
          break;
        case "p":
        case "P": {
          // \pL → \p{L}; \p{..} kept as is.
          if (p[i + 1] === "{") {
            const end = p.indexOf("}", i);
            out += "\\" + n + p.slice(i + 1, end + 1);
            i = end;
          } else {
            out += `\\${n}{${p[i + 1]}}`;
            i++;
          }
          break;
        }
        case "h": // Oniguruma \h: hexadecimal digit
          out += inClass ? "0-9a-fA-F" : "[0-9a-fA-F]";
          break;
        case "A":
          out += "(?<![\\s\\S])";
          break;
        case "z":
          out += "(?![\\s\\S])";
          break;
        case "Z":
          out += "(?=\\n?(?![\\s\\S]))";
          break;
        default:
          if (n === "-" || n === "/" || /[0-9a-zA-Z]/.test(n) || "\\^$.|?*+()[]{}".includes(n)) out += "\\" + n;
          else out += n; // identity escapes of other punctuation are not allowed with the u flag
      }
      continue;
    }
    if (inClass) {
      if (c === "]") inClass = false;
      else if (c === "[") {
        out += "\\[";
        continue;
      } else if (ci > 0 && /[a-zA-Z]/.test(c)) {
        out += caseVariants(c);
        continue;
      }
      out += c;
      continue;
    }
    if (c === "[") {
      inClass = true;
      out += c;
      if (p[i + 1] === "^") {
        out += "^";
        i++;
      }
      if (p[i + 1] === "]") {
        out += "\\]";
        i++;
      }
      continue;
    }
    if (c === "(") {
      if (p.startsWith("(?i:", i)) {
        groups.push(true);
        ci++;
        out += "(?:";
        i += 3;
        continue;
      }
      groups.push(false);
      out += c;
      continue;
    }
    if (c === ")") {
      if (groups.pop()) ci--;
      out += c;
      continue;
    }
    if ((c === "+" || c === "*" || c === "?" || c === "}") && p[i + 1] === "+") {
      // Possessive quantifier: the patterns we meet use it only where backtracking cannot change the match.
      out += c;
      i++;
      continue;
    }
    if (ci > 0 && /[a-zA-Z]/.test(c)) {
      out += `[${caseVariants(c)}]`;
      continue;
    }
    out += c;
  }
  return out;
}

/** The characters an ASCII letter matches case-insensitively in Oniguruma (Unicode case folding: ſ is an s, the
 * Kelvin sign a k). */
function caseVariants(c: string): string {
  const lo = c.toLowerCase();
  if (lo === "s") return "sS\u017f";
  if (lo === "k") return "kK\u212a";
  return lo + c.toUpperCase();
}

/** Finds the non-overlapping matches of `re` (global) in `s`: [start, end) pairs in UTF-16 units. Empty matches are
 * kept (as Oniguruma's find_iter reports them) and the scan steps over one code point after each. */
export function findAll(re: RegExp, s: string): number[] {
  const out: number[] = [];
  re.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    const start = m.index;
    const end = start + m[0].length;
    out.push(start, end);
    if (end === start) {
      const c = s.charCodeAt(end);
      re.lastIndex = end + (c >= 0xd800 && c <= 0xdbff ? 2 : 1);
      if (re.lastIndex > s.length) break;
    }
  }
  return out;
}
