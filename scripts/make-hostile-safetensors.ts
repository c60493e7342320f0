// Writes the hostile safetensors fixtures (test/fixtures/safetensors-hostile/): one file per case and verdicts.json
// with each file's expected verdict. Run: node --import tsx scripts/make-hostile-safetensors.ts
import { mkdirSync, writeFileSync } from "node:fs";
import { hostileSafetensors } from "../test/tensor/hostile-safetensors.js";

const dir = "test/fixtures/safetensors-hostile";
mkdirSync(dir, { recursive: true });
const verdicts = hostileSafetensors().map(({ bytes, ...c }) => {
  writeFileSync(`${dir}/${c.name}.safetensors`, bytes);
  return c;
});
writeFileSync(`${dir}/verdicts.json`, JSON.stringify(verdicts, null, 1) + "\n");
console.log(`${verdicts.length} files (${verdicts.filter((v) => v.verdict === "reject").length} to reject) in ${dir}`);
