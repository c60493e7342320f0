// Replacing every occurrence of a string by another, literally.

/**
 * text.replaceAll(pattern, content) with `content` taken literally. A replacement string reads `$&`, `$1`… as
 * patterns; a function replacement does not, but costs a call per match (Llama 2's " " → "▁": one per word). The
 * string form is used whenever `content` has no `$`, the only character those patterns start with.
 */
export function replaceAllLiteral(text: string, pattern: string, content: string): string {
  return content.includes("$") ? text.replaceAll(pattern, () => content) : text.replaceAll(pattern, content);
}
