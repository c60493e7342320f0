// Train-step time of the reference configuration of issue 5: a 6M-parameter Llama (d 256, 2 layers, 8 heads,
// vocab 8192, tied), batch 8 × 256 tokens, forward + backward + AdamW + clipping: through the tensor backend
// (jax-js, jit-compiled) and through the hand-written CPU model (src/lm/llama-cpu.ts: OpenBLAS matrix products,
// wasm-SIMD element-wise kernels).
// Run: npm run bench:lm (this, the forward bench and PyTorch side by side; alone: node --import tsx bench/lm-train.ts)
import "../src/tensor/install-node-shims.js";
import { initBackend } from "../src/tensor/backend.js";
import { parseModelConfig } from "../src/lm/config.js";
import { LanguageModelTrainer, cpuLossAndGradients, type LossAndGradients, type Shapes } from "../src/lm/train.js";
import { loadOpenBlas } from "../src/node/openblas.js";
import { useOpenBlas } from "../src/lm/node.js";
import { platformCoworker } from "../src/lm/coworker.js";
import type { WorkerCoworker } from "../src/node/lm-coworker.js";
import { vectorKernels } from "../src/tensor/vector-kernels.js";
import { warmupCosine, type Arrays } from "../src/tensor/optim.js";
import { mulberry32, gaussian } from "../src/util/random.js";

await initBackend();
const positional = process.argv.slice(2).filter((a) => !a.startsWith("--"));
// --only=cpu|jax: the backends whose name contains it (bench/lm.ts gives each its own process).
const only = process.argv.find((a) => a.startsWith("--only="))?.slice("--only=".length).toLowerCase();
const [batch, seq, reps] = [Number(positional[0] ?? 8), Number(positional[1] ?? 256), Number(positional[2] ?? 5)];
const d = 256, L = 2, V = 8192, ff = 688;
const config = parseModelConfig({ model_type: "llama", vocab_size: V, hidden_size: d, intermediate_size: ff, num_hidden_layers: L, num_attention_heads: 8, num_key_value_heads: 8, max_position_embeddings: 1024, tie_word_embeddings: true });
const shapes: Shapes = { "model.embed_tokens.weight": [V, d], "model.norm.weight": [d] };
for (let l = 0; l < L; l++) {
  const p = `model.layers.${l}`;
  Object.assign(shapes, {
    [`${p}.input_layernorm.weight`]: [d], [`${p}.post_attention_layernorm.weight`]: [d],
    [`${p}.self_attn.q_proj.weight`]: [d, d], [`${p}.self_attn.k_proj.weight`]: [d, d], [`${p}.self_attn.v_proj.weight`]: [d, d], [`${p}.self_attn.o_proj.weight`]: [d, d],
    [`${p}.mlp.gate_proj.weight`]: [ff, d], [`${p}.mlp.up_proj.weight`]: [ff, d], [`${p}.mlp.down_proj.weight`]: [d, ff],
  });
}
const normal = gaussian(mulberry32(1));
const arrays: Arrays = {};
let n = 0;
for (const [k, s] of Object.entries(shapes)) {
  const size = s.reduce((a, b) => a * b, 1);
  n += size;
  arrays[k] = k.includes("norm") ? new Float32Array(size).fill(1) : Float32Array.from({ length: size }, () => normal() * 0.02);
}
const rand = mulberry32(2);
const ids = Array.from({ length: batch }, () => Array.from({ length: seq + 1 }, () => Math.floor(rand() * V)));
const threads = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
const blas = loadOpenBlas();
const backends: [string, LossAndGradients | undefined][] = [["jax-js (wasm)", undefined]];
if ("gemm" in blas) {
  // As training runs it from the CLI (src/lm/node.ts): OpenBLAS as the platform Gemm and, on more than one core, the
  // coworker thread that takes half of each forward step.
  if (!only || "cpu path".includes(only)) {
    useOpenBlas();
    const coworker = platformCoworker();
    if (coworker && !(await (coworker as WorkerCoworker).ready())) console.error(`coworker did not start: ${(coworker as WorkerCoworker).goneBecause}`);
  }
  backends.push([`CPU path (${blas.gemm.name}, ${vectorKernels().name})`, cpuLossAndGradients(blas.gemm)]);
} else console.error(`OpenBLAS row skipped: ${blas.error}`);
for (const [backend, lossAndGradients] of backends) {
  if (only && !backend.toLowerCase().includes(only)) continue;
  const copy: Arrays = Object.fromEntries(Object.entries(arrays).map(([k, v]) => [k, v.slice()]));
  const trainer = new LanguageModelTrainer(config, copy, shapes, { schedule: warmupCosine({ peak: 1e-3, warmup: 1, total: 100 }), lossAndGradients });
  const first = await trainer.step(ids); // compiles (jax-js)
  const times: number[] = [];
  let loss = first.loss;
  for (let i = 0; i < reps; i++) {
    const log = await trainer.step(ids);
    times.push(log.seconds);
    loss = log.loss;
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)]!;
  console.log(JSON.stringify({ backend, params: n, batch, seqLen: seq, secondsPerStep: +median.toFixed(3), tokensPerSecond: Math.round((batch * seq) / median), firstLoss: +first.loss.toFixed(4), lastLoss: +loss.toFixed(4), threads }));
}
process.exit(0);
