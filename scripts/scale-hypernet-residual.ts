// Writes a copy of a residual hypernetwork whose predicted residual is multiplied by a factor (its outScale rescaler
// times the factor): prediction = base + factor · residual. A post-hoc hyper-parameter, chosen on FLORES dev
// (docs/transfer-results.md, "Session 16").
//   node --import tsx scripts/scale-hypernet-residual.ts IN_DIR FACTOR OUT_DIR
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadHypernet, saveHypernet } from "../src/transfer/hypernet/index.js";
import { scriptArgs } from "./script-args.js";

const { positionals } = scriptArgs(import.meta.url, { options: {}, allowPositionals: true });
const [inDir, factorText, outDir] = positionals;
const factor = Number(factorText);
if (!inDir || !outDir || !(factor > 0)) {
  console.error("usage: scale-hypernet-residual.ts IN_DIR FACTOR OUT_DIR (FACTOR > 0)");
  process.exit(2);
}
const net = await loadHypernet(inDir);
for (let j = 0; j < net.rescalers.outScale.length; j++) net.rescalers.outScale[j]! *= factor;
const meta = JSON.parse(readFileSync(join(inDir, "config.json"), "utf8")) as Record<string, unknown>;
const previous = typeof meta.residualScaled === "number" ? meta.residualScaled : 1;
await saveHypernet(outDir, net, { ...meta, residualScaled: previous * factor });
console.log(`${outDir}: residual × ${factor} (${previous * factor} of the trained network's)`);
