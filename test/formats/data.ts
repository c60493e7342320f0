// Text for the format parity tests: FLORES-200 lines in all 42 languages and strings that break tokenizers.
import { readdirSync, readFileSync } from "node:fs";

export const FLORES = "../shared/data/flores200";

export function floresLanguages(): string[] {
  return readdirSync(`${FLORES}/dev`).filter((f) => f.endsWith(".dev")).map((f) => f.slice(0, -4)).sort();
}

export function floresLines(lang: string, split: "dev" | "devtest" = "dev"): string[] {
  return readFileSync(`${FLORES}/${split}/${lang}.${split}`, "utf8").split("\n").filter((l) => l.length > 0);
}

/** `perLanguage` lines from each language, taken from spread-out positions of the dev split. */
export function floresSample(perLanguage: number): string[] {
  const out: string[] = [];
  for (const lang of floresLanguages()) {
    const lines = floresLines(lang);
    for (let i = 0; i < perLanguage; i++) out.push(lines[Math.floor((i * lines.length) / perLanguage + 7) % lines.length]!);
  }
  return out;
}

/** Whitespace, digits, emoji, look-alikes of special tokens, contractions, mixed scripts, lone surrogates. */
export const HARD_STRINGS: string[] = [
  "",
  " ",
  "    ",
  "a" + " ".repeat(40) + "b",
  "   leading and trailing   ",
  "tabs\tand\t\tnewlines\n\nand\r\nCRLF\n",
  "\n\n\n",
  " \n \n ",
  "1234567890 12 123 1234 3.14159 -42 1,000,000 ٣٤٥ १२३",
  "😀 😀😀 👩‍👩‍👧‍👦 🇩🇪 x😀y",
  "<|endoftext|",
  "<|EndOfText|>",
  "< |endoftext| >",
  "<|begin_of_text|> look-alike <|reserved_special_token_999|>",
  "I'M YOU'LL he's THEY'RE we'Ve it'd",
  "Ａｂｃ　全角　１２３",
  "Hello\u00a0world\u2009thin\u3000ideographic",
  "日本語のテキストと English mixed, и русский, والعربية",
  "a\ud800b \udfff lone surrogates",
  "ﬁ ligature ǅ titlecase ß ẞ",
  "https://example.com/path?q=1&r=[2]#frag {\"json\": [1, 2]}",
  "x".repeat(300),
  "Ġ already byte-level ĊĠ",
  "▁ metaspace ▁▁",
];

/** Whitespace that SentencePiece normalizes, strips or collapses (spm_encode reads lines, so no newlines here). */
export const WHITESPACE_STRINGS: string[] = [
  " leading",
  "trailing ",
  "   both   ",
  "inner    spaces  here",
  "\ttab\tseparated\t\tvalues\t",
  " \t mixed \t whitespace \t ",
  "no\u00a0break\u00a0space \u00a0 nbsp",
  "thin\u2009space en\u2002space em\u2003space",
  "ideographic\u3000space\u3000\u3000two",
  "ＦＵＬＬ　ｗｉｄｔｈ　ＡＢＣ　１２３！？",
  "zero\u200bwidth\u200cnon\u200djoiner\ufeffbom",
  "▁literal▁metaspace▁ ▁",
  "  ▁  ",
  "\u00a0",
  "\t",
  "ｶﾀｶﾅ ﾊﾝｶｸ ㌀ ㍻ ①②③ ⅷ",
  "e\u0301 combining vs é precomposed, Å vs A\u030a",
  "control\u0001chars\u0007here\u007f",
  "soft\u00adhyphen",
];
