import { bool } from "../json-fields.js";
import { byteLevelText } from "../normalizers/byte-level.js";
import { splitText } from "../normalized.js";
import type { PreTokenizedString } from "../pretokenized.js";
import { GPT2_PATTERN_SOURCE } from "./patterns.js";
import { gpt2Scanner } from "./scanners.js";
import type { JsonObject, PreTokenizer } from "../types.js";

/** GPT-2's pre-tokenization pattern. */
export const GPT2_PATTERN = GPT2_PATTERN_SOURCE;

/** GPT-2's byte-level pre-tokenizer: optional prefix space, GPT-2 split, then bytes as printable characters. */
export class ByteLevelPreTokenizer implements PreTokenizer {
  readonly type = "ByteLevel";
  private readonly re = gpt2Scanner;
  /** Pre-token → its byte-level spelling (words repeat; the mapping is the costly part of this stage). */
  private readonly memo = new Map<string, string>();
  constructor(
    readonly addPrefixSpace = true,
    readonly trimOffsets = true,
    readonly useRegex = true,
  ) {}

  static fromJSON(json: JsonObject, path: string): ByteLevelPreTokenizer {
    return new ByteLevelPreTokenizer(bool(json, "add_prefix_space", path, true), bool(json, "trim_offsets", path, true), bool(json, "use_regex", path, true));
  }

  preTokenize(p: PreTokenizedString): void {
    p.split((_, n) => {
      if (this.addPrefixSpace && !n.normalized.startsWith(" ")) n.prepend(" ");
      return this.useRegex ? n.split(this.re, "isolated") : [n];
    });
    p.normalize((n) => n.mapUtf8Bytes(this.spell(n.normalized)));
  }

  preTokenizeText(piece: string, _atStart: boolean, out: string[]): void {
    if (this.addPrefixSpace && !piece.startsWith(" ")) piece = " " + piece;
    if (!this.useRegex) {
      if (piece.length > 0) out.push(byteLevelText(piece));
      return;
    }
    const start = out.length;
    splitText(piece, this.re, "isolated", false, out);
    for (let k = start; k < out.length; k++) out[k] = this.spell(out[k]!);
  }

  /** The byte-level spelling of a pre-token, memoized. */
  spell(raw: string): string {
    let mapped = this.memo.get(raw);
    if (mapped === undefined) {
      mapped = byteLevelText(raw);
      if (this.memo.size >= 65536) this.memo.clear();
      this.memo.set(raw, mapped);
    }
    return mapped;
  }

  toJSON(): JsonObject {
    return { type: this.type, add_prefix_space: this.addPrefixSpace, trim_offsets: this.trimOffsets, use_regex: this.useRegex };
  }
}
