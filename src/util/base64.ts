// Standard base64 (RFC 4648, "+/" alphabet, "=" padding) without Node's Buffer, so the formats run in a browser.

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const DECODE = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

/** Decodes base64 text; returns null when it is not valid base64 (wrong alphabet, length or padding). */
export function base64Decode(text: string): Uint8Array | null {
  const out = new Uint8Array(base64DecodedLength(text, 0, text.length));
  return base64DecodeInto(text, 0, text.length, out, 0) < 0 ? null : out;
}

/** The byte length text[start, end) decodes to (or would, if it is valid). */
function base64DecodedLength(text: string, start: number, end: number): number {
  const len = end - start;
  let pad = 0;
  if (len > 0 && text.charCodeAt(end - 1) === 61) pad++;
  if (len > 1 && text.charCodeAt(end - 2) === 61) pad++;
  return Math.max(0, Math.floor(len / 4) * 3 - pad);
}

/**
 * Decodes the base64 in text[start, end) into out[at, …); returns the number of bytes written, or −1 when it is not
 * valid base64. Rank files decode 200k tokens into one buffer this way, with no string or array per token.
 */
export function base64DecodeInto(text: string, start: number, end: number, out: Uint8Array, at: number): number {
  const len = end - start;
  if (len % 4 !== 0) return -1;
  const n = base64DecodedLength(text, start, end);
  const pad = (len / 4) * 3 - n;
  const stop = at + n;
  let o = at;
  for (let i = start; i < end; i += 4) {
    let v = 0;
    for (let j = 0; j < 4; j++) {
      const c = text.charCodeAt(i + j);
      let d: number;
      if (c === 61 && i + j >= end - pad) d = 0;
      else {
        d = c < 128 ? DECODE[c]! : -1;
        if (d < 0) return -1;
      }
      v = (v << 6) | d;
    }
    if (o < stop) out[o++] = (v >>> 16) & 255;
    if (o < stop) out[o++] = (v >>> 8) & 255;
    if (o < stop) out[o++] = v & 255;
  }
  return n;
}

export function base64Encode(bytes: Uint8Array): string {
  let s = "";
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    s += ALPHABET[v >>> 18]! + ALPHABET[(v >>> 12) & 63]! + ALPHABET[(v >>> 6) & 63]! + ALPHABET[v & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const v = bytes[i]! << 16;
    s += ALPHABET[v >>> 18]! + ALPHABET[(v >>> 12) & 63]! + "==";
  } else if (rest === 2) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    s += ALPHABET[v >>> 18]! + ALPHABET[(v >>> 12) & 63]! + ALPHABET[(v >>> 6) & 63]! + "=";
  }
  return s;
}
