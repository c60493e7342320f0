// A .model tokenizer in-process, after toJSON → fromJSON and through the worker pool, against spm_encode on every
// FLORES-200 line (dev + devtest, 42 languages) and the spm hard strings: prints the id differences per model.
//   node --import tsx scripts/spm-serialised.ts [model names...]
import { readFileSync } from "node:fs";
import { Tokenizer } from "../src/index.js";
import { TokenizerPool } from "../src/node/tokenizer-pool.js";
import { allFloresLines } from "../test/support/corpora.js";
import { HARD_STRINGS, WHITESPACE_STRINGS } from "../test/formats/data.js";
import { SPM_MODELS, spmEncode } from "../test/formats/spm-reference.js";

const only = process.argv.slice(2);
// spm_encode reads one sentence per line and cannot be given lone surrogates.
const texts = [...allFloresLines(), ...WHITESPACE_STRINGS, ...HARD_STRINGS].filter((t) => t.length > 0 && !/[\r\n]/.test(t) && !/(^|[^\ud800-\udbff])[\udc00-\udfff]|[\ud800-\udbff](?![\udc00-\udfff])/.test(t));
const differences = (a: number[][], b: number[][]) => a.filter((x, i) => JSON.stringify(x) !== JSON.stringify(b[i])).length;
let total = 0;
for (const m of SPM_MODELS.filter((x) => only.length === 0 || only.includes(x.name))) {
  const t0 = Date.now();
  const tokenizer = Tokenizer.fromBytes(new Uint8Array(readFileSync(m.path)), { fileName: m.name });
  const spm = spmEncode(m.path, texts);
  const inProcess = texts.map((t) => tokenizer.encodeIds(t, { addSpecialTokens: false }));
  const readBack = Tokenizer.fromJSON(tokenizer.toString());
  const afterJson = texts.map((t) => readBack.encodeIds(t, { addSpecialTokens: false }));
  const pool = new TokenizerPool(tokenizer, { workers: 2 });
  const pooled = await pool.encodeIdsBatch(texts, { addSpecialTokens: false });
  await pool.close();
  const row = { model: m.name, texts: texts.length, inProcessVsSpm: differences(inProcess, spm), jsonVsInProcess: differences(afterJson, inProcess), poolVsInProcess: differences(pooled, inProcess), seconds: (Date.now() - t0) / 1000 };
  total += row.inProcessVsSpm + row.jsonVsInProcess + row.poolVsInProcess;
  console.log(JSON.stringify(row));
}
console.log(`total differences: ${total}`);
process.exitCode = total === 0 ? 0 : 1;
