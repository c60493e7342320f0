// The coworker thread of the CPU model's forward (src/lm/coworker.ts, src/node/lm-coworker.ts): with the bundled
// default model on FLORES text, a forward whose steps are split between two threads agrees with the calling thread
// alone (to float rounding: OpenBLAS's sums depend on the shape of the product it is given, as they do on its thread
// count), bits per byte agrees, and a thread that never answers or never starts costs a delay, not a wrong answer.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { installNodeShims } from "../../src/tensor/shims.js";
installNodeShims();
const { loadLanguageModel } = await import("../../src/lm/node.js");
const { bitsPerByte } = await import("../../src/lm/bpb.js");
const { CpuWorkspace, llamaLogitsCpu } = await import("../../src/lm/llama-cpu.js");
const { cpuWeights, sharedCopy } = await import("../../src/lm/cpu-path.js");
const { platformCoworker, setPlatformCoworker } = await import("../../src/lm/coworker.js");
const { platformGemm } = await import("../../src/tensor/gemm.js");
const { WorkerCoworker } = await import("../../src/node/lm-coworker.js");
import type { LlamaConfig } from "../../src/lm/config.js";
import { errorRelativeToMax } from "../support/numeric.js";

const { folder, tokenizer } = await loadLanguageModel(undefined);
const config = folder.config as LlamaConfig;
const gemm = platformGemm();
assert.ok(gemm, "OpenBLAS is needed for the CPU path (bash scripts/setup.sh installs libopenblas0-pthread)");
const weights = Object.fromEntries(Object.entries(await cpuWeights(folder.params)).map(([k, w]) => [k, sharedCopy(w)]));
const text = readFileSync("../shared/data/flores200/dev/eng_Latn.dev", "utf8").split("\n").slice(0, 40).join("\n");
const textIds = tokenizer.encode(text, { addSpecialTokens: false }).ids;
const batchOf = (batch: number, len: number) => Int32Array.from(textIds.slice(0, batch * len));
const alone = (ids: Int32Array, batch: number, len: number) => llamaLogitsCpu(config, weights, ids, batch, len, gemm!, { workspace: new CpuWorkspace(), coworker: null }).slice();

test("a forward split with the coworker thread agrees with the calling thread alone, for several batch shapes", async () => {
  const coworker = new WorkerCoworker();
  assert.ok(await coworker.ready(), coworker.goneBecause ?? "");
  try {
    // Rows split in the middle of a sequence (1 × 200), sequences split unevenly (3 × 37), and the bench's shape.
    for (const [batch, len] of [[4, 128], [1, 200], [3, 37]] as const) {
      const ids = batchOf(batch, len);
      const before = coworker.done;
      const split = llamaLogitsCpu(config, weights, ids, batch, len, gemm!, { workspace: new CpuWorkspace(), coworker });
      // Three steps a layer and the output head, each half done by the coworker.
      assert.equal(coworker.done - before, 3 * config.numLayers + 1, `${batch} × ${len}`);
      const err = errorRelativeToMax(split, alone(ids, batch, len));
      assert.ok(err < 1e-5, `${batch} × ${len}: logits differ by ${err} of their largest`);
    }
  } finally {
    await coworker.close();
  }
});

test("bits per byte on FLORES text is the same with the platform's coworker as without it", async () => {
  const platform = platformCoworker();
  const coworker = new WorkerCoworker();
  assert.ok(await coworker.ready(), coworker.goneBecause ?? "");
  try {
    setPlatformCoworker(null);
    const without = await bitsPerByte(folder, tokenizer, text);
    setPlatformCoworker(coworker);
    const before = coworker.done;
    const withIt = await bitsPerByte(folder, tokenizer, text);
    // The weights bits per byte reads are shared (cpu-path.ts) when the model was loaded with a platform coworker.
    if (platform) assert.ok(coworker.done > before, "the coworker ran no task");
    assert.ok(Math.abs(withIt.bitsPerByte - without.bitsPerByte) < 1e-6 * without.bitsPerByte, `${withIt.bitsPerByte} vs ${without.bitsPerByte}`);
    assert.equal(withIt.tokens, without.tokens);
  } finally {
    setPlatformCoworker(platform);
    await coworker.close();
  }
});

test("a training step's loss and gradients agree with and without the coworker taking half of its forward, softmax and attention backward", async () => {
  const { llamaLossAndGradientsCpu } = await import("../../src/lm/llama-cpu.js");
  const { cpuLossAndGradients } = await import("../../src/lm/train.js");
  const [batch, len] = [3, 64];
  const rows = Array.from({ length: batch }, (_, b) => textIds.slice(b * (len + 1), (b + 1) * (len + 1)));
  const inputs = Int32Array.from(rows.flatMap((r) => r.slice(0, len)));
  const targets = Int32Array.from(rows.flatMap((r) => r.slice(1)));
  const without = llamaLossAndGradientsCpu(config, weights, inputs, targets, batch, len, gemm!, { workspace: new CpuWorkspace(), coworker: null });
  const compare = (got: { loss: number; grads: Record<string, Float32Array> }, label: string) => {
    assert.ok(Math.abs(got.loss - without.loss) < 1e-5 * without.loss, `${label}: loss ${got.loss} vs ${without.loss}`);
    for (const [name, g] of Object.entries(without.grads)) {
      const err = errorRelativeToMax(got.grads[name]!, g);
      assert.ok(err < 1e-4, `${label}: ${name}'s gradient differs by ${err} of its largest`);
    }
  };
  const platform = platformCoworker();
  const coworker = new WorkerCoworker();
  assert.ok(await coworker.ready(), coworker.goneBecause ?? "");
  try {
    let before = coworker.done;
    compare(llamaLossAndGradientsCpu(config, weights, inputs, targets, batch, len, gemm!, { workspace: new CpuWorkspace(), coworker }), "split forward");
    // Three steps a layer forward and its heads backward, the output head and the loss's softmax, each half done by
    // the coworker.
    assert.equal(coworker.done - before, 4 * config.numLayers + 2);
    // The trainer's loss function with the platform's coworker: plain weights, copied to shared memory each step.
    setPlatformCoworker(coworker);
    const plain = Object.fromEntries(Object.entries(weights).map(([k, w]) => [k, Float32Array.from(w)]));
    const step = cpuLossAndGradients(gemm!);
    for (const round of [1, 2]) {
      before = coworker.done;
      compare(await step(config, plain, {}, rows), `trainer, step ${round}`);
      assert.equal(coworker.done - before, 4 * config.numLayers + 2, `trainer, step ${round}: the coworker's tasks`);
    }
  } finally {
    setPlatformCoworker(platform);
    await coworker.close();
  }
});

/** Logits of a forward split with a live coworker thread. */
async function withLiveCoworker(ids: Int32Array, batch: number, len: number): Promise<Float32Array> {
  const coworker = new WorkerCoworker();
  assert.ok(await coworker.ready(), coworker.goneBecause ?? "");
  try {
    const logits = llamaLogitsCpu(config, weights, ids, batch, len, gemm!, { workspace: new CpuWorkspace(), coworker }).slice();
    assert.equal(coworker.done, 3 * config.numLayers + 1);
    return logits;
  } finally {
    await coworker.close();
  }
}

test("a coworker that never answers is given up on after its deadline; the caller runs its half, with the same logits", async () => {
  const coworker = new WorkerCoworker({ worker: { caller: import.meta.url, name: "../fixtures/lm/silent-coworker" }, minWaitMs: 300 });
  assert.ok(await coworker.ready(), coworker.goneBecause ?? "");
  const ids = batchOf(2, 64);
  // A thread given up on may still write its half: the forward's later steps must not reuse the buffers it was given.
  const workspace = new CpuWorkspace();
  const firstLayerX = workspace.take("x", 2 * 64 * config.hiddenSize, true).buffer;
  const plain = workspace.take("probs", 64 * 64);
  const t0 = performance.now();
  const split = llamaLogitsCpu(config, weights, ids, 2, 64, gemm!, { workspace, coworker }).slice();
  assert.ok(performance.now() - t0 >= 300, "did not wait for the silent thread");
  assert.notEqual(workspace.take("x", 2 * 64 * config.hiddenSize, true).buffer, firstLayerX);
  assert.equal(workspace.take("probs", 64 * 64), plain);
  assert.match(coworker.goneBecause ?? "", /no answer in 300 ms/);
  assert.equal(coworker.done, 0);
  // The same halves, the second run here: bit for bit the live coworker's logits.
  assert.deepEqual(split, await withLiveCoworker(ids, 2, 64));
  // Gone: the next forward does not wait for it.
  const t1 = performance.now();
  const again = llamaLogitsCpu(config, weights, ids, 2, 64, gemm!, { workspace: new CpuWorkspace(), coworker });
  assert.ok(performance.now() - t1 < 300, `the forward after giving up took ${performance.now() - t1} ms`);
  assert.deepEqual(again, split);
  // Given up on, not stopped (it may be inside a native call); close() stops it.
  await coworker.close();
});

test("a coworker whose thread fails to start: forwards run both halves here, with the live coworker's logits", async () => {
  const coworker = new WorkerCoworker({ worker: { caller: import.meta.url, name: "../fixtures/lm/broken-coworker" } });
  assert.equal(await coworker.ready(), false);
  assert.match(coworker.goneBecause ?? "", /cannot start/);
  const ids = batchOf(3, 37);
  const split = llamaLogitsCpu(config, weights, ids, 3, 37, gemm!, { workspace: new CpuWorkspace(), coworker });
  assert.deepEqual(split, await withLiveCoworker(ids, 3, 37));
  assert.ok(errorRelativeToMax(split, alone(ids, 3, 37)) < 1e-5);
});

test("a process exits only once its coworker thread has loaded (stopping it inside OpenBLAS's loading is fatal), then at once", () => {
  const script = fileURLToPath(new URL("../fixtures/lm/exit-while-loading.ts", import.meta.url));
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ["--import", "tsx", script], { encoding: "utf8", timeout: 30_000 });
  const ms = performance.now() - t0;
  assert.equal(r.status, 0, r.stderr);
  assert.ok(ms >= 1500, `exited after ${ms.toFixed(0)} ms, before the thread had loaded`);
  assert.ok(ms < 10_000, `took ${ms.toFixed(0)} ms: the thread kept the process alive after loading`);
});
