import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { mkdtemp, readdir, readFile, rm, writeFile, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { installNodeShims } from "../../src/tensor/shims.js";
installNodeShims();
const { initBackend, toFloat32 } = await import("../../src/tensor/backend.js");
const { loadModelFolder, saveModelFolder, paramsFromArrays } = await import("../../src/lm/folder.js");
const { parseModelConfig } = await import("../../src/lm/config.js");
const { bitsPerByte } = await import("../../src/lm/bpb.js");
const { generate } = await import("../../src/lm/generate.js");
const { Tokenizer } = await import("../../src/index.js");
await initBackend();
const run = promisify(execFile);

const TOKENIZER = "assets/gpt2-tokenizer.json";

async function randomModelFolder(dir: string, options: { maxShardBytes?: number; dtype?: "F32" | "BF16" } = {}) {
  const raw = { model_type: "llama", vocab_size: 50257, hidden_size: 16, intermediate_size: 24, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1, max_position_embeddings: 256, rms_norm_eps: 1e-5, tie_word_embeddings: true, bos_token_id: 50256, eos_token_id: 50256 };
  const config = parseModelConfig(raw);
  let seed = 1;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5) * 0.6;
  const shapes: Record<string, number[]> = {
    "model.embed_tokens.weight": [50257, 16], "model.norm.weight": [16],
    "model.layers.0.input_layernorm.weight": [16], "model.layers.0.post_attention_layernorm.weight": [16],
    "model.layers.0.self_attn.q_proj.weight": [16, 16], "model.layers.0.self_attn.k_proj.weight": [8, 16],
    "model.layers.0.self_attn.v_proj.weight": [8, 16], "model.layers.0.self_attn.o_proj.weight": [16, 16],
    "model.layers.0.mlp.gate_proj.weight": [24, 16], "model.layers.0.mlp.up_proj.weight": [24, 16], "model.layers.0.mlp.down_proj.weight": [16, 24],
  };
  const arrays: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const [k, s] of Object.entries(shapes)) arrays[k] = { shape: s, data: new Float32Array(s.reduce((a, b) => a * b, 1)).map(() => (k.includes("norm") ? 1 : 0) + rnd()) };
  const params = paramsFromArrays(arrays);
  await saveModelFolder(dir, config, params, { tokenizerJson: await readFile(TOKENIZER, "utf8"), generationConfig: { bos_token_id: 50256 }, ...options });
  return { config, params, arrays };
}

test("model folders: save (sharded, BF16) and load back; replacing a folder is atomic", async () => {
  const root = await mkdtemp(join(tmpdir(), "retoken-folder-"));
  const dir = join(root, "m");
  const { arrays } = await randomModelFolder(dir, { maxShardBytes: 1_000_000, dtype: "BF16" });
  const files = (await readdir(dir)).sort();
  assert.deepEqual(files, ["config.json", "generation_config.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors", "model.safetensors.index.json", "tokenizer.json"]);
  const loaded = await loadModelFolder(dir);
  assert.equal(JSON.parse(await readFile(join(dir, "config.json"), "utf8")).torch_dtype, "bfloat16");
  const got = await toFloat32(loaded.params["model.layers.0.mlp.up_proj.weight"].ref);
  const want = arrays["model.layers.0.mlp.up_proj.weight"].data;
  for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i] - want[i]) <= Math.abs(want[i]) * 2 ** -8, `${i}`);
  // Overwrite with a single-file F32 save: no shard or temp folder survives.
  await randomModelFolder(dir);
  assert.ok((await readdir(dir)).includes("model.safetensors"));
  assert.ok(!(await readdir(dir)).some((f) => f.startsWith("model-0")));
  assert.deepEqual((await readdir(root)).sort(), ["m"]);
  // A config that lies about a shape is caught with the weight's name.
  const cfg = JSON.parse(await readFile(join(dir, "config.json"), "utf8"));
  await writeFile(join(dir, "config.json"), JSON.stringify({ ...cfg, intermediate_size: 32 }));
  await assert.rejects(loadModelFolder(dir), /weight "model\.layers\.0\.mlp\.gate_proj\.weight" has shape \[24, 16\], config\.json implies \[32, 16\]/);
  await rm(root, { recursive: true });
});

test("CLI: bpb --json and generate stream through the real tokenizer", async () => {
  const root = await mkdtemp(join(tmpdir(), "retoken-cli-"));
  const dir = join(root, "m");
  const model = await randomModelFolder(dir);
  const text = "Hello world! Ceci est un test. 你好。\n";
  await writeFile(join(root, "t.txt"), text);
  const cli = ["--import", "tsx", "src/cli/main.ts"];
  const { stdout } = await run("node", [...cli, "bpb", "--model", dir, join(root, "t.txt"), "--json"]);
  const out = JSON.parse(stdout);
  const tokenizer = await Tokenizer.fromFile(TOKENIZER);
  const lib = await bitsPerByte(model, tokenizer, text);
  assert.equal(out.model, dir);
  assert.equal(out.bytes, Buffer.byteLength(text));
  // The CLI scores on the CPU path when OpenBLAS loads, this library call on the tensor backend: equal to float rounding.
  assert.ok(Math.abs(out.bitsPerByte - lib.bitsPerByte) < 1e-5 * lib.bitsPerByte, `${out.bitsPerByte} vs ${lib.bitsPerByte}`);
  assert.ok(out.bitsPerByte > 1 && out.bitsPerByte < 40);
  const gen = await run("node", [...cli, "generate", "--model", dir, "The", "--max-tokens", "5"]);
  const ids = await generate(model, [50256, ...tokenizer.encode("The", { addSpecialTokens: false }).ids], { maxTokens: 5 });
  assert.equal(gen.stdout, "The" + tokenizer.decode(ids, { skipSpecialTokens: true }) + "\n");
  await assert.rejects(run("node", [...cli, "bpb", "--model", join(root, "nope"), join(root, "t.txt")]), /nope: not a model folder/);
  const hasDefault = await stat("assets/default-model").then(() => true, () => false);
  if (!hasDefault) await assert.rejects(run("node", [...cli, "bpb", join(root, "t.txt")]), /default model folder .* does not exist yet/);
  await rm(root, { recursive: true });
});
