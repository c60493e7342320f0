// Registry of pre-tokenizers: one line per tokenizer.json "type".

import { asObject, reqArray } from "../normalizers/util.js";
import { TokenizerError, type JsonObject, type PreTokenizer } from "../types.js";
import { BertPreTokenizer } from "./bert.js";
import { ByteLevelPreTokenizer } from "./byte-level.js";
import { CharDelimiterSplitPreTokenizer } from "./char-delimiter.js";
import { DigitsPreTokenizer } from "./digits.js";
import { FixedLengthPreTokenizer } from "./fixed-length.js";
import { MetaspacePreTokenizer } from "./metaspace.js";
import { PunctuationPreTokenizer } from "./punctuation.js";
import { SequencePreTokenizer } from "./sequence.js";
import { SplitPreTokenizer } from "./split.js";
import { UnicodeScriptsPreTokenizer } from "./unicode-scripts.js";
import { WhitespacePreTokenizer, WhitespaceSplitPreTokenizer } from "./whitespace.js";

const registry: Record<string, (json: JsonObject, path: string) => PreTokenizer> = {
  ByteLevel: (j, p) => ByteLevelPreTokenizer.fromJSON(j, p),
  Split: (j, p) => SplitPreTokenizer.fromJSON(j, p),
  Whitespace: () => new WhitespacePreTokenizer(),
  WhitespaceSplit: () => new WhitespaceSplitPreTokenizer(),
  Metaspace: (j, p) => MetaspacePreTokenizer.fromJSON(j, p),
  Punctuation: (j, p) => PunctuationPreTokenizer.fromJSON(j, p),
  Digits: (j, p) => DigitsPreTokenizer.fromJSON(j, p),
  BertPreTokenizer: () => new BertPreTokenizer(),
  CharDelimiterSplit: (j, p) => CharDelimiterSplitPreTokenizer.fromJSON(j, p),
  UnicodeScripts: () => new UnicodeScriptsPreTokenizer(),
  FixedLength: (j, p) => FixedLengthPreTokenizer.fromJSON(j, p),
  Sequence: (j, p) =>
    new SequencePreTokenizer(reqArray(j, "pretokenizers", p).map((t, i) => preTokenizerFromJSON(asObject(t, `${p}.pretokenizers[${i}]`), `${p}.pretokenizers[${i}]`))),
};

/** Builds the pre-tokenizer described by a tokenizer.json "pre_tokenizer" object; `path` names it in errors. */
export function preTokenizerFromJSON(json: JsonObject, path: string): PreTokenizer {
  const type = json.type;
  if (typeof type !== "string") throw new TokenizerError(`missing "type" (one of ${Object.keys(registry).join(", ")})`, path);
  const build = registry[type];
  if (!build) throw new TokenizerError(`unknown pre-tokenizer type "${type}" (expected one of ${Object.keys(registry).join(", ")})`, `${path}.type`);
  return build(json, path);
}

export {
  BertPreTokenizer,
  ByteLevelPreTokenizer,
  CharDelimiterSplitPreTokenizer,
  DigitsPreTokenizer,
  FixedLengthPreTokenizer,
  MetaspacePreTokenizer,
  PunctuationPreTokenizer,
  SequencePreTokenizer,
  SplitPreTokenizer,
  UnicodeScriptsPreTokenizer,
  WhitespacePreTokenizer,
  WhitespaceSplitPreTokenizer,
};
