// FLORES-200 material for the analyze tests.
import { readFileSync } from "node:fs";

export const FLORES = "../shared/data/flores200";

export function floresLines(lang: string, split: "dev" | "devtest" = "dev"): string[] {
  return readFileSync(`${FLORES}/${split}/${lang}.${split}`, "utf8").split("\n").filter((l) => l.length > 0);
}

/** The first `lines` dev sentences of each language, one text per language. */
export function floresCorpus(langs: string[], lines: number): { name: string; text: string }[] {
  return langs.map((lang) => ({ name: lang, text: floresLines(lang).slice(0, lines).join("\n") }));
}

/** Petrov et al.'s preparation: dev and devtest split on "\n" (keeping the empty string after the last newline),
 * concatenated and joined with one space. */
export function petrovText(lang: string): string {
  const dev = readFileSync(`${FLORES}/dev/${lang}.dev`, "utf8").split("\n");
  const devtest = readFileSync(`${FLORES}/devtest/${lang}.devtest`, "utf8").split("\n");
  return [...dev, ...devtest].join(" ");
}

/** Whole dev lines of each language up to its share of `budget` bytes, and the byte shares they make (the truth a
 * mixture estimate is scored against). */
export function floresMixture(langs: string[], shares: number[], budget: number): { parts: string[]; truth: number[] } {
  const parts = langs.map((l, i) => {
    let text = "";
    for (const line of floresLines(l, "dev")) {
      if (Buffer.byteLength(text + line + "\n") > shares[i]! * budget) break;
      text += line + "\n";
    }
    return text;
  });
  const bytes = parts.map((p) => Buffer.byteLength(p));
  return { parts, truth: bytes.map((b) => b / bytes.reduce((x, y) => x + y, 0)) };
}
