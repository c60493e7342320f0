// ByteFallback: runs of "<0xNN>" tokens back to the UTF-8 text they encode.

import type { Decoder, JsonObject } from "../types.js";
import { utf8Strict } from "./util.js";

/** How SentencePiece spells the byte-fallback piece of `byte`: "<0x0A>" (two upper-case hex digits). */
export function byteFallbackToken(byte: number): string {
  return `<0x${byte.toString(16).toUpperCase().padStart(2, "0")}>`;
}

/** True for a piece spelled exactly as spm writes byte pieces (its loader refuses any other spelling of a BYTE piece). */
export function isByteFallbackPiece(piece: string): boolean {
  return piece.length === 6 && byteFallbackValue(piece) >= 0 && byteFallbackToken(byteFallbackValue(piece)) === piece;
}

/** The byte a "<0xNN>" token stands for, or -1 (matches HF's test: 6 bytes long, "<0x" … ">", hex parse). */
export function byteFallbackValue(token: string): number {
  if (token.length !== 6 || token.charCodeAt(0) !== 0x3c || token.charCodeAt(5) !== 0x3e || !token.startsWith("<0x")) return -1;
  const h = hexDigit(token.charCodeAt(3));
  const l = hexDigit(token.charCodeAt(4));
  if (l < 0) return -1;
  if (h >= 0) return h * 16 + l;
  // Rust's u8::from_str_radix accepts a leading "+".
  return token.charCodeAt(3) === 0x2b ? l : -1;
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

export class ByteFallbackDecoder implements Decoder {
  readonly type = "ByteFallback";

  static fromJSON(): ByteFallbackDecoder {
    return new ByteFallbackDecoder();
  }

  decodeChain(tokens: string[]): string[] {
    const out: string[] = [];
    const run: number[] = [];
    const flush = (): void => {
      if (run.length === 0) return;
      const text = utf8Strict(Uint8Array.from(run));
      // Matches HF: an invalid run becomes one U+FFFD per byte, even where part of it was valid.
      if (text === null) for (let i = 0; i < run.length; i++) out.push("\ufffd");
      else out.push(text);
      run.length = 0;
    };
    for (const t of tokens) {
      const b = byteFallbackValue(t);
      if (b >= 0) run.push(b);
      else {
        flush();
        out.push(t);
      }
    }
    flush();
    return out;
  }

  toJSON(): JsonObject {
    return { type: this.type };
  }
}
