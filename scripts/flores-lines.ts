// What the finetune scripts read of FLORES-200 ($FLORES, else ../shared/data/flores200 as in the main checkout, the
// same variable as scripts/mixture-experiment.ts): the first lines of one language's split.
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";

/** The languages with a tokenizer in assets/tokenizers (`<code>-8k.json`), by their FLORES-200 names. */
export const FLORES_CODES: Record<string, string> = { de: "deu_Latn", fr: "fra_Latn", es: "spa_Latn", ru: "rus_Cyrl", pl: "pol_Latn", ja: "jpn_Jpan" };

/** The first `n` non-empty lines of `language`'s FLORES `split` (dev or devtest), newline-terminated. */
export function floresLines(split: "dev" | "devtest", language: string, n: number): string {
  const code = FLORES_CODES[language];
  if (!code) throw new Error(`no FLORES code and tokenizer for "${language}" (one of ${Object.keys(FLORES_CODES).join(", ")})`);
  const file = join(resolve(process.env.FLORES ?? "../shared/data/flores200"), split, `${code}.${split}`);
  return readFileSync(file, "utf8").split("\n").filter((l) => l.length > 0).slice(0, n).join("\n") + "\n";
}
