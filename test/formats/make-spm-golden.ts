// Regenerates fixtures/spm-golden.json: spm_encode's ids for every model in SPM_MODELS on a fixed set of texts, and
// spm_decode's text for those ids.
// Run: node --import tsx test/formats/make-spm-golden.ts   (needs Debian's `sentencepiece` package)
import { writeFileSync } from "node:fs";
import { GOLDEN_PATH, SPM_MODELS, spmDecode, spmEncode, spmTexts } from "./spm-reference.js";

const texts = spmTexts(1);
const ids: Record<string, number[][]> = {};
const decoded: Record<string, string[]> = {};
for (const m of SPM_MODELS) {
  ids[m.name] = spmEncode(m.path, texts);
  decoded[m.name] = spmDecode(m.path, ids[m.name]!);
}
writeFileSync(GOLDEN_PATH, JSON.stringify({ generator: "spm_encode/spm_decode 0.1.97, ids", texts, ids, decoded }) + "\n");
console.log(`${texts.length} texts × ${SPM_MODELS.length} models → ${GOLDEN_PATH}`);
