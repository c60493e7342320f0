// Replacing every occurrence of a string by another, literally.

import { isWellFormed } from "./utf8.js";

/**
 * text.replaceAll(pattern, content) with `content` taken literally. A replacement string reads `$&`, `$1`… as
 * patterns; a function replacement does not, but costs a call per match (Llama 2's " " → "▁": one per word). The
 * string form is used whenever `content` has no `$`, the only character those patterns start with.
 */
export function replaceAllLiteral(text: string, pattern: string, content: string): string {
  if (replacesUnitForUnit(pattern, content)) return replaceUnit(text, pattern, content);
  return content.includes("$") ? text.replaceAll(pattern, () => content) : text.replaceAll(pattern, content);
}

/** Whether replacing `pattern` by `content` puts one UTF-16 unit for one, neither half of a surrogate pair (" " →
 * "▁"): replaceUnit's case, and the one where a NormalizedString's alignments all stay. */
export function replacesUnitForUnit(pattern: string, content: string): boolean {
  return pattern.length === 1 && content.length === 1 && (pattern.charCodeAt(0) & 0xf800) !== 0xd800 && (content.charCodeAt(0) & 0xf800) !== 0xd800;
}

/** The longest text a LiteralReplacer keeps, and replaceUnit's buffer (a paragraph, not a file). */
const KEPT_UNITS = 1 << 16;

/** A UTF-16 decoder where the runtime has one (replaceUnit's fast path), else null. */
const utf16Decoder: TextDecoder | null = (() => {
  try {
    return new TextDecoder("utf-16le");
  } catch {
    return null;
  }
})();
let unitBuffer = new Uint16Array(1024);

/**
 * text with every `pattern` unit replaced by the `content` unit (one UTF-16 unit each, neither a surrogate). The units
 * are written into a buffer and decoded once: V8's replaceAll appends a slice per match (one per word for " " → "▁"),
 * ~1.7× the time on FLORES English lines. A lone surrogate in the text (which the decoder would turn into U+FFFD)
 * sends it to replaceAll.
 */
export function replaceUnit(text: string, pattern: string, content: string): string {
  const first = text.indexOf(pattern);
  if (first < 0) return text;
  // One unit of content cannot spell a `$` pattern: replaceAll takes it literally.
  if (!utf16Decoder) return text.replaceAll(pattern, content);
  const from = pattern.charCodeAt(0);
  const to = content.charCodeAt(0);
  // The buffer is kept for texts up to a paragraph's length; a longer one gets its own (not pinned after the call).
  if (unitBuffer.length < text.length && text.length <= KEPT_UNITS) unitBuffer = new Uint16Array(KEPT_UNITS);
  const buf = text.length <= unitBuffer.length ? unitBuffer : new Uint16Array(text.length);
  let surrogates = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    surrogates |= (c & 0xf800) ^ 0xd800 ? 0 : 1;
    buf[i] = c === from ? to : c;
  }
  if (surrogates !== 0 && !isWellFormed(text)) return text.replaceAll(pattern, content);
  return utf16Decoder.decode(buf.subarray(0, text.length));
}

/**
 * replaceAllLiteral for one pattern and content, with its last answer kept: encode() replaces the same text twice —
 * for its ids, then with alignments when its fields are read — and the second time costs one string comparison.
 */
export class LiteralReplacer {
  private lastText = "";
  private lastResult = "";
  constructor(
    readonly pattern: string,
    readonly content: string,
  ) {}

  apply(text: string): string {
    if (text === this.lastText) return this.lastResult;
    const result = replaceAllLiteral(text, this.pattern, this.content);
    // A long text is not kept: the replacer would pin it (and its result) until the next call.
    const keep = text.length <= KEPT_UNITS;
    this.lastText = keep ? text : "";
    this.lastResult = keep ? result : "";
    return result;
  }
}
