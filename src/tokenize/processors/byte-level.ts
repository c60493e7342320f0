// ByteLevel as a post-processor: only trims the spaces out of the offsets (trim_offsets).

import type { Encoding } from "../encoding.js";
import { setSequenceId } from "../encoding-ops.js";
import type { JsonObject } from "../types.js";
import { BasePostProcessor, bool } from "./base.js";
import { trimByteLevelOffsets } from "./base.js";

export class ByteLevelProcessor extends BasePostProcessor {
  readonly type = "ByteLevel";
  constructor(
    readonly trimOffsets = true,
    readonly addPrefixSpace = true,
    /** Absent from older files; kept absent on output so toJSON gives back the JSON read. */
    readonly useRegex: boolean | null = true,
  ) {
    super();
  }

  static fromJSON(json: JsonObject, path: string): ByteLevelProcessor {
    return new ByteLevelProcessor(
      bool(json, "trim_offsets", path, true),
      bool(json, "add_prefix_space", path, true),
      json.use_regex === undefined ? null : bool(json, "use_regex", path, true),
    );
  }

  addedTokens(): number {
    return 0;
  }

  processEncodings(encodings: Encoding[]): Encoding[] {
    if (this.trimOffsets) {
      for (const e of encodings) {
        trimByteLevelOffsets(e, this.addPrefixSpace);
        for (const o of e.overflowing) trimByteLevelOffsets(o, this.addPrefixSpace);
      }
    }
    encodings.forEach((e, i) => setSequenceId(e, i));
    return encodings;
  }

  toJSON(): JsonObject {
    const out: JsonObject = { type: this.type, add_prefix_space: this.addPrefixSpace, trim_offsets: this.trimOffsets };
    if (this.useRegex !== null) out.use_regex = this.useRegex;
    return out;
  }
}
