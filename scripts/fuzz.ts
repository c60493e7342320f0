// `npm run fuzz [-- --cases N --seed S --format F]`: the long run of the file fuzzer (test/support/file-fuzz.ts),
// by default 1,000 damaged files of each format; prints the outcome counts and time per format and every failure.
import { FUZZ_FORMATS, fuzzFiles, type FuzzFormat } from "../test/support/file-fuzz.js";

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
const cases = Number(arg("cases", "1000"));
const seed = Number(arg("seed", "1"));
const formats = arg("format", FUZZ_FORMATS.join(",")).split(",") as FuzzFormat[];
let failed = 0;
for (const format of formats) {
  const report = await fuzzFiles(format, seed, cases, (c, i) => {
    if ((i + 1) % 100 === 0) process.stderr.write(`${format}: ${i + 1}/${cases}\n`);
    if (process.env.FUZZ_VERBOSE) process.stderr.write(`  ${c.outcome} | ${c.base} | ${c.mutation} | ${c.detail.slice(0, 160)}\n`);
  });
  console.log(`${format}: ${report.cases} damaged files in ${report.seconds.toFixed(1)} s: ${Object.entries(report.counts).map(([k, v]) => `${k} ${v}`).join(", ")}`);
  for (const f of report.failures) console.log(`  FAIL ${f.outcome} | ${f.base} | ${f.mutation} | ${f.detail}`);
  failed += report.failures.length;
}
process.exit(failed ? 1 : 0);
