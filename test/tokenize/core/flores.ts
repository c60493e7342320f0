// Test helper: a few FLORES-200 sentences per language, plus strings that break tokenizers.

import { readdirSync, readFileSync } from "node:fs";

const DIR = "../shared/data/flores200/dev";

/** `perLanguage` sentences from each of the 42 languages (spread over the file). */
export function floresSample(perLanguage: number): string[] {
  const out: string[] = [];
  for (const f of readdirSync(DIR).sort()) {
    const lines = readFileSync(`${DIR}/${f}`, "utf8").split("\n").filter((l) => l.length > 0);
    for (let i = 0; i < perLanguage; i++) out.push(lines[Math.floor((i * lines.length) / perLanguage)]!);
  }
  return out;
}

export const HARD_STRINGS: string[] = [
  "",
  " ",
  "   leading and trailing   ",
  "e\u0301te\u0301 cafe\u0301 \u1100\u1161\u11a8",
  "👨‍👩‍👧‍👦 family, 🏳️‍🌈 flag, 👍🏽 thumbs",
  "a\ud800b lone \udc00 surrogates \ud83d",
  "control \u0000\u0001\u0007\u001b chars\r\n\ttabs\u000b\u000c",
  "many          spaces \n\n\n newlines \u00a0\u3000\u2009 unicode spaces \u0085 nel",
  "digits 1234567890 ٣٤٥ ① ½ 3.14159 1,000,000",
  "special look-alikes <s> </s> <unk> <|endoftext|> [CLS] <mask> <pad>",
  "ﬁne ｶﾞｷﾞ ＡＢＣ Ω K Å ẛ̣ İstanbul ΣΑΣ ß",
  "code: if (x != 0) { return y->z; } // comment\n\tdef f(a, b): return a ** b",
  "HE'S I'M WE'LL they've it'd you're 's 'T",
  "zero\u200bwidth\u200cjoiners\u200d and \ufeffbom",
  "mixed 中文字符 日本語のテキスト 한국어 텍스트 ไทย العربية עברית हिन्दी",
];
