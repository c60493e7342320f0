// The tokenizers the decode tests run on: one of each type the runtime runs, all real files.
import { readFileSync } from "node:fs";
import { Tokenizer } from "../../src/index.js";
import { TOKENIZERS, bertUncasedJson, floresLanguages, floresLines } from "../support/corpora.js";

export interface NamedTokenizer {
  name: string;
  load(): Tokenizer;
}

const cache = new Map<string, Tokenizer>();

function once(name: string, make: () => Tokenizer): NamedTokenizer {
  return {
    name,
    load() {
      let t = cache.get(name);
      if (!t) cache.set(name, (t = make()));
      return t;
    },
  };
}

const file = (path: string) => () => Tokenizer.fromBytes(readFileSync(path), { fileName: path });

/** GPT-2 (byte-level BPE), Llama 3 (tiktoken rank file), Llama 2 (SentencePiece BPE with byte fallback), an English
 * SentencePiece Unigram .model, BERT (WordPiece) and the bundled default model's byte-level BPE. */
export const DECODE_TOKENIZERS: NamedTokenizer[] = [
  once("gpt-2", file(`${TOKENIZERS}/gpt-2.json`)),
  once("llama3-tiktoken", file(`${TOKENIZERS}/llama3.tiktoken`)),
  once("llama2", file(`${TOKENIZERS}/llama.json`)),
  once("en-unigram.model", file(`${TOKENIZERS}/sentencepiece/en-unigram.model`)),
  once("bert-wordpiece", () => Tokenizer.fromJSON(JSON.stringify(bertUncasedJson()))),
  once("default-model", file("assets/default-model/tokenizer.json")),
];

export function decodeTokenizer(name: string): Tokenizer {
  const t = DECODE_TOKENIZERS.find((x) => x.name === name);
  if (!t) throw new Error(`no test tokenizer ${name}`);
  return t.load();
}

/** `perLanguage` FLORES dev lines of every language, from spread-out positions. */
export function floresSpread(perLanguage: number, split: "dev" | "devtest" = "dev"): string[] {
  const out: string[] = [];
  for (const lang of floresLanguages()) {
    const lines = floresLines(lang, split);
    for (let i = 0; i < perLanguage; i++) out.push(lines[Math.floor(((i + 0.5) * lines.length) / perLanguage)]!);
  }
  return out;
}

export { mulberry32 as seeded } from "../../src/util/random.js";
