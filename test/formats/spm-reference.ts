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

/** A missing reference is a failure that says how to install it, never a skip. */
function requireSpmTools(): void {
  if (!hasSpmEncode()) throw new Error("spm_encode is not installed (Debian's sentencepiece package): bash scripts/setup.sh --dev");
}

export function spmEncode(modelPath: string, texts: string[]): number[][] {
  requireSpmTools();
  const out = execFileSync("spm_encode", [`--model=${modelPath}`, "--output_format=id"], { input: texts.join("\n") + "\n", maxBuffer: 1 << 30 })
    .toString()
    .split("\n");
  return texts.map((_, i) => (out[i]!.trim() === "" ? [] : out[i]!.trim().split(" ").map(Number)));
}

export function spmDecode(modelPath: string, ids: number[][]): string[] {
  requireSpmTools();
  const out = execFileSync("spm_decode", [`--model=${modelPath}`, "--input_format=id"], { input: ids.map((x) => x.join(" ")).join("\n") + "\n", maxBuffer: 1 << 30 })
    .toString()
    .split("\n");
  return ids.map((_, i) => out[i]!);
}

export function readGolden(): { texts: string[]; ids: Record<string, number[][]>; decoded: Record<string, string[]> } {
  return JSON.parse(readFileSync(GOLDEN_PATH, "utf8"));
}

/**
 * Two segmentations of the same text whose differing stretch has (nearly) equal total score: Viterbi ties. spm sums
 * scores in float32 and keeps the later-starting last piece on a tie, the HF oracle sums in float64 and keeps the
 * earlier one; no tokenizer.json setting changes that.
 */
export function isViterbiTie(model: SentencePieceModel, a: number[], b: number[]): boolean {
  const unk = model.trainerSpec.unkId;
  let i = 0;
  let j = 0;
  let differs = false;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) (i++, j++);
    else {
      // Grow both sides of the differing stretch until they spell the same text; unknown pieces hide their text.
      let sa = "";
      let sb = "";
      let scoreA = 0;
      let scoreB = 0;
      do {
        const fromA = sa.length <= sb.length;
        const id = fromA ? a[i] : b[j];
        if (id === undefined || id === unk) return false;
        const p = model.pieces[id]!;
        if (fromA) (sa += p.piece, scoreA += p.score, i++);
        else (sb += p.piece, scoreB += p.score, j++);
        if (!(sa.startsWith(sb) || sb.startsWith(sa))) return false;
      } while (sa.length !== sb.length);
      if (Math.abs(scoreA - scoreB) > 2e-3) return false;
      differs = true;
    }
  }
  return differs && i === a.length && j === b.length;
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
