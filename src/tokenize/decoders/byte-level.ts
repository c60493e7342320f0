// ByteLevel decoder: GPT-2's byte alphabet back to bytes, then UTF-8 (invalid bytes become U+FFFD).

import { byteLevelAlphabet } from "../byte-vocabulary.js";
import type { Decoder, JsonObject } from "../types.js";
import { bool, utf8Lossy } from "./util.js";

let charToByte: Map<number, number> | null = null;
function byteOf(): Map<number, number> {
  if (!charToByte) {
    charToByte = new Map();
    byteLevelAlphabet().forEach((ch, b) => charToByte!.set(ch.codePointAt(0)!, b));
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
        const b = map.get(t.charCodeAt(i));
        if (b === undefined) {
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
