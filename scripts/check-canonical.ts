// `npm run check:canonical`: the full canonicality and healing checks behind the in-suite samples.
// 1. modelPair against the model re-encoding the pair's bytes, on 10⁶ random pairs per BPE tokenizer (and validPair
//    speed); 2. validPair on every adjacent pair and isCanonical on every encoding of all FLORES text (dev + devtest,
//    42 languages) per tokenizer; 3. healing on 10⁴ prompts cut at random byte offsets of FLORES text per tokenizer.
// Prints one JSON line per tokenizer and check. Usage: npm run check:canonical [-- --pairs N --prompts N --only NAME
// --checks pairs,flores,healing] (default: all three; healing also prints its CPU seconds per prompt).
import { canonicality } from "../src/decode/index.js";
import { byteLevelAlphabet } from "../src/tokenize/byte-vocabulary.js";
import { DECODE_TOKENIZERS, seeded } from "../test/decode/tokenizers.js";
import { checkHealing, cutPrompt, emptyCounts } from "../test/decode/heal-property.js";
import { allFloresLines } from "../test/support/corpora.js";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const only = process.argv.includes("--only") ? process.argv[process.argv.indexOf("--only") + 1] : null;
const PAIRS = arg("pairs", 1_000_000);
const PROMPTS = arg("prompts", 10_000);
const CHECKS = new Set((process.argv.includes("--checks") ? process.argv[process.argv.indexOf("--checks") + 1]! : "pairs,flores,healing").split(","));
for (const c of CHECKS) if (!["pairs", "flores", "healing"].includes(c)) throw new Error(`--checks: unknown check "${c}" (expected pairs, flores, healing)`);
const lines = allFloresLines();
const alphabet = byteLevelAlphabet();
// ignoreBOM: a pair starting with Llama 2's U+FEFF token must keep it (the default decoder drops a leading BOM).
const utf8 = new TextDecoder("utf-8", { ignoreBOM: true });
const BPE = new Set(["gpt-2", "llama3-tiktoken", "llama2", "default-model"]);

for (const { name, load } of DECODE_TOKENIZERS) {
  if (only && name !== only) continue;
  const tok = load();
  const canon = canonicality(tok);
  if (BPE.has(name) && CHECKS.has("pairs")) {
    const random = seeded(1);
    const ids: number[] = [];
    for (let id = 0; id < canon.table.size; id++) if (!canon.table.isSpecial(id)) ids.push(id);
    const pairs: [number, number][] = [];
    for (let k = 0; k < PAIRS; k++) pairs.push([ids[Math.floor(random() * ids.length)]!, ids[Math.floor(random() * ids.length)]!]);
    let disagreements = 0;
    let checked = 0;
    let valid = 0;
    let skipped = 0;
    for (const [l, r] of pairs) {
      const bytes = new Uint8Array([...canon.table.bytes(l), ...canon.table.bytes(r)]);
      let oracle: number[];
      if (name !== "llama2") oracle = tok.model.tokenize([...bytes].map((b) => alphabet[b]).join("")).map((t) => t.id);
      else {
        const s = utf8.decode(bytes);
        if (s.includes("\ufffd")) {
          skipped++;
          continue;
        }
        oracle = tok.model.tokenize(s.split(" ").join("\u2581")).map((t) => t.id);
      }
      const want = oracle.length === 2 && oracle[0] === l && oracle[1] === r;
      if (canon.modelPair(l, r) !== want) disagreements++;
      if (want) valid++;
      checked++;
    }
    // Speed, warm (derivations cached): validPair and modelPair over the same pairs.
    const t0 = performance.now();
    for (const [l, r] of pairs) canon.modelPair(l, r);
    const modelRate = pairs.length / ((performance.now() - t0) / 1000);
    const t1 = performance.now();
    const some = pairs.slice(0, 100_000);
    for (const [l, r] of some) canon.validPair(l, r);
    const validRate = some.length / ((performance.now() - t1) / 1000);
    const t2 = performance.now();
    for (const [l, r] of some) canon.validPair(l, r);
    const validWarm = some.length / ((performance.now() - t2) / 1000);
    console.log(JSON.stringify({ tokenizer: name, check: "modelPair vs model re-encoding", pairs: checked, validPairs: valid, skippedInsideCharacter: skipped, disagreements, modelPairPerSecond: Math.round(modelRate), validPairPerSecondFirst: Math.round(validRate), validPairPerSecondWarm: Math.round(validWarm) }));
  }
  if (CHECKS.has("flores")) {
    let encodings = 0;
    let adjacent = 0;
    let rejected = 0;
    let notCanonical = 0;
    for (const line of lines) {
      const ids = tok.encodeIds(line, { addSpecialTokens: false });
      encodings++;
      if (canon.hasPairRule) for (let i = 0; i + 1 < ids.length; i++) {
        adjacent++;
        if (!canon.validPair(ids[i]!, ids[i + 1]!)) rejected++;
      }
      if (!canon.isCanonical(ids)) notCanonical++;
    }
    console.log(JSON.stringify({ tokenizer: name, check: "all FLORES encodings", lines: encodings, adjacentPairs: adjacent, validPairRejected: rejected, isCanonicalFalse: notCanonical }));
  }
  if (CHECKS.has("healing")) {
    const random = seeded(2026);
    const counts = emptyCounts();
    const cpu = process.cpuUsage();
    for (let k = 0; k < PROMPTS; k++) checkHealing(tok, canon, cutPrompt(lines[Math.floor(random() * lines.length)]!, random), random, counts);
    const { user, system } = process.cpuUsage(cpu);
    console.log(JSON.stringify({ tokenizer: name, check: "healing on FLORES cuts", ...counts, cpuSecondsPerPrompt: +((user + system) / 1e6 / Math.max(1, PROMPTS)).toFixed(4) }));
  }
}
