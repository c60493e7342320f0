import { readFileSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
const b = readFileSync("test/formats/fixtures/unigram-bytefallback.model");
for (const n of [5058]) {
  for (const base of ["test/formats/fixtures/unigram-bytefallback.model","test/formats/fixtures/bpe-bytefallback.model","test/formats/fixtures/unigram-nfkc.model","test/formats/fixtures/char-identity.model"]) {
  const bb = readFileSync(base); if (bb.length !== 13653) continue;
  writeFileSync("/tmp/t.model", bb.subarray(0, n));
  const r = spawnSync("spm_encode", ["--model=/tmp/t.model"], { input: "hello\n" });
  console.log(base, r.status, r.stderr.toString().slice(0, 500));
  }
}
