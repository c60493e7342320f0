// The UTF-8 length of a JavaScript string, without encoding it.

/** Bytes of `text` in UTF-8; a lone surrogate counts as U+FFFD's three, as TextEncoder writes it (and as the
 * tokenizers see it). */
export function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** Whether a string has no lone surrogate (String.prototype.isWellFormed where the runtime has it; in a /u regex a
 * surrogate pair is one code point, so the class matches lone ones only). */
export function isWellFormed(s: string): boolean {
  return (s as { isWellFormed?: () => boolean }).isWellFormed?.() ?? !/[\ud800-\udfff]/u.test(s);
}
