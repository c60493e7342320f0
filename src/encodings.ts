// OpenAI's named encodings (tiktoken's get_encoding), loaded from the rank tables the js-tiktoken package ships (a
// runtime dependency): nothing is downloaded. Each table is imported only when its name is asked for.

import { Tokenizer } from "./tokenize/tokenizer.js";
import { TokenizerError } from "./tokenize/types.js";
import { packagedTiktokenToTokenizerJson } from "./formats/tiktoken.js";

export const ENCODING_NAMES = ["gpt2", "r50k_base", "p50k_base", "p50k_edit", "cl100k_base", "o200k_base"] as const;
export type EncodingName = (typeof ENCODING_NAMES)[number];

type PackagedRanks = { pat_str: string; special_tokens?: Record<string, number>; bpe_ranks: string };

// One literal import per table, so bundlers can see (and split) them.
const tables: Record<EncodingName, () => Promise<{ default: PackagedRanks }>> = {
  gpt2: () => import("js-tiktoken/ranks/gpt2"),
  r50k_base: () => import("js-tiktoken/ranks/r50k_base"),
  p50k_base: () => import("js-tiktoken/ranks/p50k_base"),
  p50k_edit: () => import("js-tiktoken/ranks/p50k_edit"),
  cl100k_base: () => import("js-tiktoken/ranks/cl100k_base"),
  o200k_base: () => import("js-tiktoken/ranks/o200k_base"),
};

/** A named encoding's table as js-tiktoken packs it: {pat_str, special_tokens, bpe_ranks}. */
export async function packagedEncoding(name: EncodingName): Promise<PackagedRanks> {
  const table = Object.hasOwn(tables, name) ? tables[name] : undefined;
  if (!table) throw new TokenizerError(`loadEncoding: unknown encoding ${JSON.stringify(name)} (known: ${ENCODING_NAMES.join(", ")})`);
  return (await table()).default;
}

/** A tiktoken encoding by name ("cl100k_base", "o200k_base", …): the same ids as tiktoken's get_encoding. */
export async function loadEncoding(name: EncodingName): Promise<Tokenizer> {
  return Tokenizer.fromJSON(packagedTiktokenToTokenizerJson(await packagedEncoding(name), { fileName: name }), { fileName: name });
}
