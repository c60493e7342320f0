import { bool, boolAllowingNull } from "../json-fields.js";
import { reqChar } from "../normalizers/util.js";
import { splitText } from "../normalized.js";
import type { PreTokenizedString } from "../pretokenized.js";
import { TokenizerError, type JsonObject, type PreTokenizer } from "../types.js";
import { replaceAllLiteral } from "../../util/replace-literal.js";

export type PrependScheme = "always" | "first" | "never";

/** SentencePiece-style: spaces become the replacement "▁", a "▁" is prepended (always, only at the start of the
 * text, or never), and the text is split before each "▁". */
export class MetaspacePreTokenizer implements PreTokenizer {
  readonly type = "Metaspace";
  constructor(
    readonly replacement = "\u2581",
    readonly prependScheme: PrependScheme = "always",
    readonly splitPieces = true,
    /** Kept only to write back the legacy field when the input had it. */
    readonly legacyAddPrefixSpace: boolean | null = null,
  ) {}

  /**
   * Keep the text whole even when `split` is set (tokenizer.json field `keep_whole`, retoken's; HF ignores it and
   * splits). spm_encode runs its Viterbi over the whole
   * normalised sentence: splitting at "▁" gives the same segmentation in real arithmetic, but spm's float32 path
   * scores round differently from a fresh start at every word, so score ties break differently. Set for .model files.
   */
  keepWhole = false;

  static fromJSON(json: JsonObject, path: string): MetaspacePreTokenizer {
    const legacy = json.add_prefix_space;
    let scheme: PrependScheme;
    const ps = json.prepend_scheme;
    if (ps === undefined || ps === null) scheme = boolAllowingNull(json, "add_prefix_space", path, true) ? "always" : "never";
    else if (ps === "always" || ps === "first" || ps === "never") scheme = ps;
    else throw new TokenizerError(`expected "always", "first" or "never", got ${JSON.stringify(ps)}`, `${path}.prepend_scheme`);
    const p = new MetaspacePreTokenizer(reqChar(json, "replacement", path, "\u2581"), scheme, boolAllowingNull(json, "split", path, true), typeof legacy === "boolean" ? legacy : null);
    p.keepWhole = bool(json, "keep_whole", path, false);
    return p;
  }

  preTokenize(p: PreTokenizedString): void {
    const r = this.replacement;
    p.split((_, n) => {
      n.replace(" ", r);
      if (this.prependScheme === "always" || (this.prependScheme === "first" && n.originalShift === 0)) {
        if (!n.normalized.startsWith(r)) n.prepend(r);
      }
      return this.splitPieces && !this.keepWhole ? n.split(r, "merged_with_next") : [n];
    });
  }

  preTokenizeText(piece: string, atStart: boolean, out: string[]): void {
    const r = this.replacement;
    piece = replaceAllLiteral(piece, " ", r);
    if ((this.prependScheme === "always" || (this.prependScheme === "first" && atStart)) && piece.length > 0 && !piece.startsWith(r)) piece = r + piece;
    if (this.splitPieces && !this.keepWhole) splitText(piece, r, "merged_with_next", false, out);
    else if (piece.length > 0) out.push(piece);
  }

  toJSON(): JsonObject {
    const j: JsonObject = { type: this.type, replacement: this.replacement, prepend_scheme: this.prependScheme, split: this.splitPieces };
    if (this.legacyAddPrefixSpace !== null) j.add_prefix_space = this.legacyAddPrefixSpace;
    if (this.keepWhole) j.keep_whole = true;
    return j;
  }
}
