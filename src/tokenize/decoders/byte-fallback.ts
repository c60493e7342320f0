// ByteFallback: runs of "<0xNN>" tokens back to the UTF-8 text they encode.

import type { Decoder, JsonObject } from "../types.js";
import { utf8Strict } from "./util.js";

/** The byte a "<0xNN>" token stands for, or -1 (matches HF's test: 6 bytes long, "<0x" … ">", hex parse). */
export function byteFallbackValue(token: string): number {
  if (token.length !== 6 || !token.startsWith("<0x") || token.charCodeAt(5) !== 0x3e) return -1;
  // Rust's u8::from_str_radix accepts a leading "+".
  const hex = token.slice(3, 5);
  const body = hex[0] === "+" ? hex.slice(1) : hex;
  if (!/^[0-9A-Fa-f]+$/.test(body)) return -1;
  return parseInt(body, 16);
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
