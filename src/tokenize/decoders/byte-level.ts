// ByteLevel decoder: GPT-2's byte alphabet back to bytes, then UTF-8 (invalid bytes become U+FFFD).

import { byteLevelAlphabet } from "../byte-vocabulary.js";
import type { Decoder, JsonObject } from "../types.js";
import { bool, utf8Lossy } from "./util.js";

let charToByte: Int16Array | null = null;
/** Byte of each character of GPT-2's byte alphabet (all below U+0144), -1 elsewhere. */
function byteOf(): Int16Array {
  if (!charToByte) {
    const table = new Int16Array(0x144).fill(-1);
    byteLevelAlphabet().forEach((ch, b) => (table[ch.charCodeAt(0)] = b));
    charToByte = table;
  }
  return charToByte;
}

const encoder = new TextEncoder();

export class ByteLevelDecoder implements Decoder {
  readonly type = "ByteLevel";
  constructor(
    readonly addPrefixSpace = true,
    readonly trimOffsets = true,
    /** Absent from older files; kept absent on output so toJSON gives back the JSON read. */
    readonly useRegex: boolean | null = true,
  ) {}

  static fromJSON(json: JsonObject, path: string): ByteLevelDecoder {
    return new ByteLevelDecoder(
      bool(json, "add_prefix_space", path, true),
      bool(json, "trim_offsets", path, true),
      json.use_regex === undefined ? null : bool(json, "use_regex", path, true),
    );
  }

  decodeChain(tokens: string[]): string[] {
    const map = byteOf();
    let total = 0;
    for (const t of tokens) total += t.length * 3;
    const bytes = new Uint8Array(total);
    let n = 0;
    for (const t of tokens) {
      const start = n;
      let ok = true;
      for (let i = 0; i < t.length; i++) {
        const c = t.charCodeAt(i);
        const b = c < map.length ? map[c]! : -1;
        if (b < 0) {
          ok = false;
          break;
        }
        bytes[n++] = b;
      }
      if (!ok) {
        // Matches HF: a token with any character outside the byte alphabet (an added token) is kept as its UTF-8.
        n = start;
        const raw = encoder.encode(t);
        bytes.set(raw, n);
        n += raw.length;
      }
    }
    return [utf8Lossy(bytes.subarray(0, n))];
  }

  toJSON(): JsonObject {
    const out: JsonObject = { type: this.type, add_prefix_space: this.addPrefixSpace, trim_offsets: this.trimOffsets };
    if (this.useRegex !== null) out.use_regex = this.useRegex;
    return out;
  }
}
