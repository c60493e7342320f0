// Regenerates fixtures/spm-golden.json: spm_encode's ids for every model in SPM_MODELS on a fixed set of texts.
// Run: node --import tsx test/formats/make-spm-golden.ts   (needs Debian's `sentencepiece` package)
import { writeFileSync } from "node:fs";
import { GOLDEN_PATH, SPM_MODELS, spmEncode, spmTexts } from "./spm-reference.js";

const texts = spmTexts(1);
const ids: Record<string, number[][]> = {};
for (const m of SPM_MODELS) ids[m.name] = spmEncode(m.path, texts);
writeFileSync(GOLDEN_PATH, JSON.stringify({ generator: "spm_encode 0.1.97 --output_format=id", texts, ids }) + "\n");
console.log(`${texts.length} texts × ${SPM_MODELS.length} models → ${GOLDEN_PATH}`);
