// Metaspace decoder: "▁" back to spaces; the space the pre-tokenizer prepended is dropped from the first token.

import { TokenizerError, type Decoder, type JsonObject } from "../types.js";
import { char } from "./util.js";
import { boolAllowingNull } from "../json-fields.js";

export type PrependScheme = "always" | "first" | "never";

export class MetaspaceDecoder implements Decoder {
  readonly type = "Metaspace";
  constructor(
    readonly replacement = "\u2581",
    readonly prependScheme: PrependScheme = "always",
    readonly split = true,
  ) {}

  static fromJSON(json: JsonObject, path: string): MetaspaceDecoder {
    const replacement = char(json, "replacement", path, "\u2581");
    let scheme: PrependScheme;
    if (json.prepend_scheme !== undefined && json.prepend_scheme !== null) {
      const s = json.prepend_scheme;
      if (s !== "always" && s !== "first" && s !== "never") {
        throw new TokenizerError(`expected "always", "first" or "never", got ${JSON.stringify(s)}`, `${path}.prepend_scheme`);
      }
      scheme = s;
    } else {
      // Legacy files: add_prefix_space true means "always".
      scheme = boolAllowingNull(json, "add_prefix_space", path, true) ? "always" : "never";
    }
    return new MetaspaceDecoder(replacement, scheme, boolAllowingNull(json, "split", path, true));
  }

  decodeChain(tokens: string[]): string[] {
    return tokens.map((t, i) => {
      if (i === 0 && this.prependScheme !== "never") {
        // Matches HF: in the first token every replacement character is dropped, not only the leading one.
        return t.split(this.replacement).join("");
      }
      return t.split(this.replacement).join(" ");
    });
  }

  toJSON(): JsonObject {
    return { type: this.type, replacement: this.replacement, prepend_scheme: this.prependScheme, split: this.split };
  }
}
