// Rank files for tests: Llama 3's real .tiktoken file, and cl100k_base / o200k_base / p50k_base / gpt2 (r50k) rebuilt in tiktoken's own
// "<base64> <rank>" line format from the compact copies that the `tiktoken` npm package ships.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

export type PackagedName = "cl100k_base" | "o200k_base" | "p50k_base" | "gpt2";

export const LLAMA3_TIKTOKEN = "../shared/data/tokenizers/llama3.tiktoken";

export interface PackagedEncoding {
  pat_str: string;
  special_tokens: Record<string, number>;
  bpe_ranks: string;
}

export function packagedEncoding(name: PackagedName): PackagedEncoding {
  return JSON.parse(readFileSync(require.resolve(`tiktoken/encoders/${name}.json`), "utf8")) as PackagedEncoding;
}

/** The compact form is lines of "! <first rank> <base64> <base64> ..." (consecutive ranks). */
export function rankFileText(name: PackagedName): string {
  const lines: string[] = [];
  for (const group of packagedEncoding(name).bpe_ranks.split("\n")) {
    if (!group) continue;
    const [, first, ...tokens] = group.split(" ");
    tokens.forEach((t, i) => lines.push(`${t} ${Number(first) + i}`));
  }
  return lines.join("\n") + "\n";
}

export function llama3RankText(): string {
  return readFileSync(LLAMA3_TIKTOKEN, "utf8");
}
