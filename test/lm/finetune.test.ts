import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { promisify } from "node:util";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { installNodeShims } from "../../src/tensor/shims.js";
installNodeShims();
const { initBackend } = await import("../../src/tensor/backend.js");
const { saveModelFolder, paramsFromArrays, loadModelFolder } = await import("../../src/lm/folder.js");
const { parseModelConfig } = await import("../../src/lm/config.js");
const { finetuneModelFolder, FinetuneInterrupted } = await import("../../src/lm/finetune.js");
const { openSafetensors } = await import("../../src/node/safetensors.js");
const { mulberry32, gaussian } = await import("../../src/util/random.js");
const { Tokenizer } = await import("../../src/index.js");
await initBackend();
const run = promisify(execFile);

// A tiny untied Llama over GPT-2's real tokenizer (50,257 tokens, d = 16): steps take milliseconds, and an untied
// model has separate input and output rows for --embeddings-only to train.
const TOKENIZER = "assets/gpt2-tokenizer.json";
const V = 50257;
const FLORES_DEV = "../shared/data/flores200/dev/deu_Latn.dev";
const HELD_OUT = "../shared/data/flores200/devtest/deu_Latn.devtest";

async function tinyModelFolder(dir: string, raw: Record<string, unknown> = {}, tokenizer = TOKENIZER): Promise<void> {
  const config = parseModelConfig({ model_type: "llama", vocab_size: V, hidden_size: 16, intermediate_size: 24, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1, max_position_embeddings: 64, rms_norm_eps: 1e-5, tie_word_embeddings: false, bos_token_id: 50256, eos_token_id: 50256, ...raw });
  const rows = config.vocabSize;
  const normal = gaussian(mulberry32(5));
  const shapes: Record<string, number[]> = {
    "model.embed_tokens.weight": [rows, 16], "lm_head.weight": [rows, 16], "model.norm.weight": [16],
    "model.layers.0.input_layernorm.weight": [16], "model.layers.0.post_attention_layernorm.weight": [16],
    "model.layers.0.self_attn.q_proj.weight": [16, 16], "model.layers.0.self_attn.k_proj.weight": [8, 16],
    "model.layers.0.self_attn.v_proj.weight": [8, 16], "model.layers.0.self_attn.o_proj.weight": [16, 16],
    "model.layers.0.mlp.gate_proj.weight": [24, 16], "model.layers.0.mlp.up_proj.weight": [24, 16], "model.layers.0.mlp.down_proj.weight": [16, 24],
  };
  const arrays: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const [k, s] of Object.entries(shapes)) arrays[k] = { shape: s, data: new Float32Array(s.reduce((a, b) => a * b, 1)).map(() => (k.includes("norm") ? 1 : 0) + 0.2 * normal()) };
  await saveModelFolder(dir, config, paramsFromArrays(arrays), { tokenizerJson: await readFile(tokenizer, "utf8"), generationConfig: { bos_token_id: 50256, eos_token_id: 50256 } });
}

async function scratch() {
  const root = await mkdtemp(join(tmpdir(), "retoken-finetune-"));
  const model = join(root, "model");
  await tinyModelFolder(model);
  const evalFile = join(root, "de-eval.txt");
  await writeFile(evalFile, (await readFile(HELD_OUT, "utf8")).split("\n").slice(0, 4).join("\n") + "\n");
  // The training text: the first 100 lines of FLORES dev.
  const train = join(root, "de-train.txt");
  await writeFile(train, (await readFile(FLORES_DEV, "utf8")).split("\n").slice(0, 100).join("\n") + "\n");
  return { root, model, evalFile, train };
}

/** Every tensor of a folder's model.safetensors as raw bytes. */
async function tensorBytes(dir: string): Promise<Map<string, Buffer>> {
  const f = await openSafetensors(join(dir, "model.safetensors"));
  try {
    const out = new Map<string, Buffer>();
    for (const t of f.header.tensors) out.set(t.name, Buffer.from(await f.readBytes(t.name)));
    return out;
  } finally {
    await f.close();
  }
}

const withoutSeconds = (log: { seconds: number }[]) => log.map(({ seconds: _, ...rest }) => rest);

test("finetune resumes bit for bit: stopped at step 3 (abort) or failing at step 5 (periodic checkpoint), the resumed run's log and weights equal an uninterrupted run's", async () => {
  const { root, model, evalFile, train } = await scratch();
  const base = { modelDir: model, texts: [train], steps: 6, batch: 2, seq: 16, checkpointEvery: 2, evalEvery: 3, eval: [{ name: "de", file: evalFile }] };
  const whole = await finetuneModelFolder({ ...base, out: join(root, "whole") });
  assert.deepEqual(whole.log.map((e) => e.step), [0, 1, 2, 3, 4, 5, 6]);
  assert.deepEqual(whole.log.filter((e) => e.eval).map((e) => e.step), [0, 3, 6]);
  assert.equal(whole.tokens, 6 * 2 * 16);
  assert.equal(whole.resumedFrom, null);
  // Training moves the loss: an evaluation that did not change would make the comparisons below vacuous.
  assert.notEqual(whole.log[6]!.eval!.de, whole.log[0]!.eval!.de);
  const wholeWeights = await tensorBytes(whole.out);

  // Stopped through the signal after step 3: a checkpoint at 3, no output folder.
  const controller = new AbortController();
  const stopped = join(root, "stopped");
  await assert.rejects(
    finetuneModelFolder({ ...base, out: stopped, signal: controller.signal, onProgress: (e) => void (e.step === 3 && controller.abort()) }),
    (e: unknown) => e instanceof FinetuneInterrupted && e.step === 3,
  );
  assert.ok(!(await readdir(root)).includes("stopped"));
  assert.ok((await readdir(root)).includes("stopped.checkpoint"));
  const resumed = await finetuneModelFolder({ ...base, out: stopped });
  assert.equal(resumed.resumedFrom, 3);
  assert.deepEqual(withoutSeconds(resumed.log), withoutSeconds(whole.log));
  assert.deepEqual(await tensorBytes(stopped), wholeWeights);

  // Failing during step 5 (after the periodic checkpoint at 4): the run resumes from 4.
  const failed = join(root, "failed");
  await assert.rejects(finetuneModelFolder({ ...base, out: failed, onProgress: (e) => { if (e.step === 5) throw new Error("power cut"); } }), /power cut/);
  assert.ok(!(await readdir(root)).includes("failed"));
  const again = await finetuneModelFolder({ ...base, out: failed });
  assert.equal(again.resumedFrom, 4);
  assert.deepEqual(withoutSeconds(again.log), withoutSeconds(whole.log));
  assert.deepEqual(await tensorBytes(failed), wholeWeights);

  // A checkpoint resumes only the same run; an abort after the last step still writes no folder.
  await assert.rejects(finetuneModelFolder({ ...base, lr: 2e-3, out: join(root, "other"), checkpoint: join(root, "failed.checkpoint") }), /failed\.checkpoint\/state\.json: the checkpoint is of another run \("lr" was 0\.001, now 0\.002\)/);
  const late = new AbortController();
  await assert.rejects(
    finetuneModelFolder({ ...base, out: join(root, "late"), signal: late.signal, onProgress: (e) => void (e.step === 6 && late.abort()) }),
    (e: unknown) => e instanceof FinetuneInterrupted && e.step === 6,
  );
  assert.deepEqual((await readdir(root)).filter((f) => !f.endsWith(".checkpoint")).sort(), ["de-eval.txt", "de-train.txt", "failed", "model", "stopped", "whole"]);
  await rm(root, { recursive: true });
});

test("finetune --embeddings-only trains the input and output rows and leaves every other tensor byte for byte; without it every tensor moves", async () => {
  const { root, model, train } = await scratch();
  const before = await tensorBytes(model);
  const options = { modelDir: model, texts: [train], steps: 3, batch: 2, seq: 16 };
  const emb = await finetuneModelFolder({ ...options, out: join(root, "emb"), embeddingsOnly: true });
  assert.deepEqual(emb.trained, ["lm_head.weight", "model.embed_tokens.weight"]);
  const after = await tensorBytes(emb.out);
  assert.deepEqual([...after.keys()].sort(), [...before.keys()].sort());
  for (const [name, bytes] of before) {
    if (emb.trained.includes(name)) assert.ok(!bytes.equals(after.get(name)!), `${name} was not trained`);
    else assert.ok(bytes.equals(after.get(name)!), `${name} changed`);
  }
  // The input row of a token the training text never has stays as it was (no gradient, no weight decay).
  const seen = new Set((await Tokenizer.fromFile(TOKENIZER)).encode(await readFile(train, "utf8")).ids);
  const unseenId = [...Array(V).keys()].find((id) => !seen.has(id))!;
  const row = (b: Buffer) => b.subarray(unseenId * 64, unseenId * 64 + 64);
  assert.ok(row(before.get("model.embed_tokens.weight")!).equals(row(after.get("model.embed_tokens.weight")!)));
  const all = await finetuneModelFolder({ ...options, out: join(root, "all") });
  const moved = await tensorBytes(all.out);
  for (const [name, bytes] of before) assert.ok(!bytes.equals(moved.get(name)!), `${name} was not trained`);
  await rm(root, { recursive: true });
});

test("finetune evaluates at step 0, every evalEvery steps, at each evalAt step and at the end; a checkpoint of another evalAt is refused", async () => {
  const { root, model, evalFile, train } = await scratch();
  const options = { modelDir: model, texts: [train], steps: 5, batch: 2, seq: 16, evalEvery: 4, evalAt: [3, 1, 3, 9], eval: [{ name: "de", file: evalFile }] };
  const result = await finetuneModelFolder({ ...options, out: join(root, "a") });
  assert.deepEqual(result.log.filter((e) => e.eval).map((e) => e.step), [0, 1, 3, 4, 5]);
  await assert.rejects(finetuneModelFolder({ ...options, evalAt: [2], out: join(root, "b"), checkpoint: join(root, "a.checkpoint") }), /the checkpoint is of another run \("evalAt" was \[1,3,9\], now \[2\]\)/);
  await rm(root, { recursive: true });
});

test("finetune refuses a folder whose tokenizer does not match its embeddings, naming the file and field, and writes nothing", async () => {
  const { root, evalFile, train } = await scratch();
  const out = join(root, "out");
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ vocab_size: 1000 }, /model\/tokenizer\.json: has 50257 tokens but the model has 1000 embedding rows \(config\.json "vocab_size" and the embedding matrix say 1000\)/],
    [{ vocab_size: 100_000 }, /model\/tokenizer\.json: has 50257 tokens but the model has 100000 embedding rows .*padding is a few percent at most/],
    [{ bos_token_id: 50300, vocab_size: 50304 }, /model\/config\.json: "bos_token_id" is 50300, which is no token of .*tokenizer\.json \(50257 tokens\)/],
  ];
  for (const [raw, message] of cases) {
    const model = join(root, "model");
    await tinyModelFolder(model, raw);
    await assert.rejects(finetuneModelFolder({ modelDir: model, texts: [train], out, steps: 1, eval: [{ name: "de", file: evalFile }] }), message);
    assert.deepEqual((await readdir(root)).sort(), ["de-eval.txt", "de-train.txt", "model"]);
  }
  await rm(root, { recursive: true });
});

test("CLI: retoken finetune writes a loadable folder with progress lines; Ctrl-C stops with a checkpoint and no output folder", async () => {
  const { root, model, evalFile, train } = await scratch();
  const cli = ["--import", "tsx", "src/cli/main.ts", "finetune", "--model", model, "--text", train, "--batch", "2", "--seq", "16", "--eval", `de=${evalFile}`];
  const out = join(root, "out");
  const { stdout, stderr } = await run(process.execPath, [...cli, "--out", out, "--steps", "4", "--eval-every", "2", "--embeddings-only", "--lr", "3e-3", "--json"]);
  const result = JSON.parse(stdout);
  assert.equal(result.steps, 4);
  assert.equal(result.tokens, 4 * 2 * 16);
  assert.deepEqual(result.trained, ["lm_head.weight", "model.embed_tokens.weight"]);
  assert.match(stderr, /^step 0\/4  tokens 0  de \d\.\d{4} bits\/byte$/m);
  assert.match(stderr, /^step 2\/4  loss \d+\.\d{4}  lr \d\.\d\de-3  tokens 64  de \d\.\d{4} bits\/byte  \d+\.\d\d s\/step$/m);
  assert.deepEqual((await readdir(out)).sort(), ["config.json", "generation_config.json", "model.safetensors", "tokenizer.json", "train-log.jsonl"]);
  assert.equal(await readFile(join(out, "tokenizer.json"), "utf8"), await readFile(join(model, "tokenizer.json"), "utf8"));
  assert.equal((await loadModelFolder(out)).config.vocabSize, V);
  assert.equal((await readFile(join(out, "train-log.jsonl"), "utf8")).trim().split("\n").length, 5);
  // Bad flags are refused before anything runs.
  await assert.rejects(run(process.execPath, [...cli, "--out", out, "--steps", "2"]), /retoken: finetune: .*out already exists \(remove it, or overwrite it with --force\)/);
  await assert.rejects(finetuneModelFolder({ modelDir: model, texts: [train], out: join(root, "x"), steps: 2, tokens: 9 }), /finetune: give --steps or --tokens, not both/);

  // Ctrl-C mid-run: the process ends by SIGINT after writing a checkpoint; no output folder, no temp folder.
  const child = spawn(process.execPath, [...cli, "--out", join(root, "stopped"), "--steps", "100000", "--checkpoint-every", "100000"], { stdio: "pipe" });
  let err = "";
  child.stderr.on("data", (d) => {
    err += d;
    if (!child.killed && /^step 2\//m.test(err)) child.kill("SIGINT");
  });
  const signal = await new Promise((r) => child.on("exit", (code, sig) => r(sig ?? `exit code ${code}: ${err}`)));
  assert.equal(signal, "SIGINT");
  assert.match(err, /interrupted after step \d+; the checkpoint .*stopped\.checkpoint resumes it/);
  assert.deepEqual((await readdir(root)).sort(), ["de-eval.txt", "de-train.txt", "model", "out", "out.checkpoint", "stopped.checkpoint"]);
  assert.ok((await readdir(join(root, "stopped.checkpoint"))).includes("state.json"));
  await rm(root, { recursive: true });
});
