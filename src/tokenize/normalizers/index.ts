// Registry of normalizers: one line per tokenizer.json "type".

import { TokenizerError, type JsonObject, type Normalizer } from "../types.js";
import { BertNormalizer } from "./bert.js";
import { ByteLevelNormalizer } from "./byte-level.js";
import { LowercaseNormalizer } from "./lowercase.js";
import { PrecompiledNormalizer } from "./precompiled.js";
import { PrependNormalizer } from "./prepend.js";
import { ReplaceNormalizer } from "./replace.js";
import { SequenceNormalizer } from "./sequence.js";
import { StripAccentsNormalizer } from "./strip-accents.js";
import { StripNormalizer } from "./strip.js";
import { UnicodeNormalizer } from "./unicode.js";
import { asObject, reqArray } from "./util.js";

const registry: Record<string, (json: JsonObject, path: string) => Normalizer> = {
  NFC: () => new UnicodeNormalizer("NFC"),
  NFD: () => new UnicodeNormalizer("NFD"),
  NFKC: () => new UnicodeNormalizer("NFKC"),
  NFKD: () => new UnicodeNormalizer("NFKD"),
  Lowercase: () => new LowercaseNormalizer(),
  Strip: (j, p) => StripNormalizer.fromJSON(j, p),
  StripAccents: () => new StripAccentsNormalizer(),
  Replace: (j, p) => ReplaceNormalizer.fromJSON(j, p),
  Prepend: (j, p) => PrependNormalizer.fromJSON(j, p),
  Precompiled: (j, p) => PrecompiledNormalizer.fromJSON(j, p),
  BertNormalizer: (j, p) => BertNormalizer.fromJSON(j, p),
  ByteLevel: () => new ByteLevelNormalizer(),
  Sequence: (j, p) => new SequenceNormalizer(reqArray(j, "normalizers", p).map((n, i) => normalizerFromJSON(asObject(n, `${p}.normalizers[${i}]`), `${p}.normalizers[${i}]`))),
};

/** Builds the normalizer described by a tokenizer.json "normalizer" object; `path` names it in errors. */
export function normalizerFromJSON(json: JsonObject, path: string): Normalizer {
  const type = json.type;
  if (typeof type !== "string") throw new TokenizerError(`missing "type" (one of ${Object.keys(registry).join(", ")})`, path);
  const build = registry[type];
  if (!build) throw new TokenizerError(`unknown normalizer type "${type}" (expected one of ${Object.keys(registry).join(", ")})`, `${path}.type`);
  return build(json, path);
}

export {
  BertNormalizer,
  ByteLevelNormalizer,
  LowercaseNormalizer,
  PrecompiledNormalizer,
  PrependNormalizer,
  ReplaceNormalizer,
  SequenceNormalizer,
  StripAccentsNormalizer,
  StripNormalizer,
  UnicodeNormalizer,
};
