// Replacing every occurrence of a string by another, literally.

/**
 * text.replaceAll(pattern, content) with `content` taken literally. A replacement string reads `$&`, `$1`… as
 * patterns; a function replacement does not, but costs a call per match (Llama 2's " " → "▁": one per word). The
 * string form is used whenever `content` has no `$`, the only character those patterns start with.
 */
export function replaceAllLiteral(text: string, pattern: string, content: string): string {
  return content.includes("$") ? text.replaceAll(pattern, () => content) : text.replaceAll(pattern, content);
}

/** The longest text a LiteralReplacer keeps (a paragraph, not a file). */
const KEPT_UNITS = 1 << 16;

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
