// SentencePiece reference outputs: spm_encode (Debian's `sentencepiece` package) run live, or its outputs saved in
// fixtures/spm-golden.json by make-spm-golden.ts for machines without it.
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import tk from "tokenizers";
import type { SentencePieceModel } from "../../src/formats/sentencepiece.js";
import type { JsonObject } from "../../src/tokenize/types.js";
import { floresSample, HARD_STRINGS, WHITESPACE_STRINGS } from "./data.js";

const FIXTURES = new URL("./fixtures/", import.meta.url).pathname;
const SHARED = "../shared/data/tokenizers/sentencepiece/";

/** The five real models from the shared data and five small ones trained with spm_train to cover other settings. */
export const SPM_MODELS: { name: string; path: string }[] = [
  ...["de-compoundpiece", "de-unigram", "en-unigram", "fi-unigram", "hi-unigram"].map((n) => ({ name: n, path: `${SHARED}${n}.model` })),
  ...["unigram-nfkc", "unigram-bytefallback", "bpe-bytefallback", "bpe-identity", "char-identity"].map((n) => ({ name: n, path: `${FIXTURES}${n}.model` })),
];

export const GOLDEN_PATH = `${FIXTURES}spm-golden.json`;

/** spm_encode reads one sentence per line, so texts with line breaks cannot be compared through it. */
export function spmTexts(perLanguage: number): string[] {
  return [...floresSample(perLanguage), ...WHITESPACE_STRINGS, ...HARD_STRINGS].filter((t) => !/[\r\n]/.test(t) && t.length > 0 && !/(^|[^\ud800-\udbff])[\udc00-\udfff]|[\ud800-\udbff](?![\udc00-\udfff])/.test(t));
}

export function hasSpmEncode(): boolean {
  return spawnSync("spm_encode", ["--version"], { stdio: "ignore" }).error === undefined;
}

export function spmEncode(modelPath: string, texts: string[]): number[][] {
  const out = execFileSync("spm_encode", [`--model=${modelPath}`, "--output_format=id"], { input: texts.join("\n") + "\n", maxBuffer: 1 << 30 })
    .toString()
    .split("\n");
  return texts.map((_, i) => (out[i]!.trim() === "" ? [] : out[i]!.trim().split(" ").map(Number)));
}

export function readGolden(): { texts: string[]; ids: Record<string, number[][]> } {
  return JSON.parse(readFileSync(GOLDEN_PATH, "utf8"));
}

/**
 * Two segmentations of the same text with equal total score: Viterbi ties. spm 0.1.97 keeps the later-starting
 * last piece on a tie where the HF oracle keeps the earlier one, which the tokenizer.json cannot change.
 */
export function isViterbiTie(model: SentencePieceModel, a: number[], b: number[]): boolean {
  const text = (ids: number[]) => ids.map((i) => model.pieces[i]?.piece ?? "\u0000").join("");
  const score = (ids: number[]) => ids.reduce((s, i) => s + (model.pieces[i]?.score ?? NaN), 0);
  if (a.includes(model.trainerSpec.unkId) || b.includes(model.trainerSpec.unkId)) {
    // Unknown pieces hide their text; accept equal lengths of known text and equal scores only.
    if (a.length !== b.length) return false;
  } else if (text(a) !== text(b)) return false;
  return Math.abs(score(a) - score(b)) <= 1e-4 * Math.max(1, Math.abs(score(a)));
}

export interface OracleComparison {
  compared: number;
  mismatches: number;
  ties: number;
  examples: string[];
}

/** Encodes `texts` with the oracle on `json` and counts differences from `want` (ties counted apart). */
export async function compareWithOracle(json: JsonObject, model: SentencePieceModel, texts: string[], want: number[][]): Promise<OracleComparison> {
  const t = tk.Tokenizer.fromString(JSON.stringify(json));
  const r: OracleComparison = { compared: texts.length, mismatches: 0, ties: 0, examples: [] };
  for (let i = 0; i < texts.length; i++) {
    const got = (await t.encode(texts[i]!, null, { addSpecialTokens: false })).getIds();
    if (JSON.stringify(got) === JSON.stringify(want[i])) continue;
    if (isViterbiTie(model, got, want[i]!)) r.ties++;
    else {
      r.mismatches++;
      if (r.examples.length < 5) r.examples.push(`${JSON.stringify(texts[i]!.slice(0, 80))}\n  spm ${want[i]!.slice(0, 40).join(" ")}\n  got ${got.slice(0, 40).join(" ")}`);
    }
  }
  return r;
}
