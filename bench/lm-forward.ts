// Forward tokens/s of the 6M-parameter reference Llama (d 256, 2 layers, 8 heads, vocab 8192), batch × 256 tokens.
// Run: node --import tsx bench/lm-forward.ts [batch] [reps] [--only=cpu|jax] (--only: the modes whose name contains it;
// bench/lm.ts runs each backend in a process of its own, since jax-js's worker threads keep spinning after its run).
// PyTorch comparison: python3 bench/lm-torch.py (if torch imports).
import "../src/tensor/install-node-shims.js";
import { initBackend, fromFloat32, fromInt32, toFloat32, jit, tree, type Tensor } from "../src/tensor/backend.js";
import { parseModelConfig } from "../src/lm/config.js";
import { forward, disposeCache, type Params } from "../src/lm/model.js";
import { CpuWorkspace, llamaLogitsCpu } from "../src/lm/llama-cpu.js";
import { loadOpenBlas } from "../src/node/openblas.js";
import { vectorKernels } from "../src/tensor/vector-kernels.js";
import { useOpenBlas } from "../src/lm/node.js";
import { platformCoworker } from "../src/lm/coworker.js";
import { sharedCopy } from "../src/lm/cpu-path.js";
import type { WorkerCoworker } from "../src/node/lm-coworker.js";
import type { LlamaConfig } from "../src/lm/config.js";

await initBackend();
const positional = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const only = process.argv.find((a) => a.startsWith("--only="))?.slice("--only=".length).toLowerCase();
const batch = Number(positional[0] ?? 4);
const reps = Number(positional[1] ?? 10);
const T = 256;
const config = parseModelConfig({ model_type: "llama", vocab_size: 8192, hidden_size: 256, intermediate_size: 688, num_hidden_layers: 2, num_attention_heads: 8, num_key_value_heads: 8, max_position_embeddings: 1024, tie_word_embeddings: true });
const shapes: Record<string, number[]> = { "model.embed_tokens.weight": [8192, 256], "model.norm.weight": [256] };
for (let l = 0; l < 2; l++) {
  const p = `model.layers.${l}`;
  Object.assign(shapes, {
    [`${p}.input_layernorm.weight`]: [256], [`${p}.post_attention_layernorm.weight`]: [256],
    [`${p}.self_attn.q_proj.weight`]: [256, 256], [`${p}.self_attn.k_proj.weight`]: [256, 256], [`${p}.self_attn.v_proj.weight`]: [256, 256], [`${p}.self_attn.o_proj.weight`]: [256, 256],
    [`${p}.mlp.gate_proj.weight`]: [688, 256], [`${p}.mlp.up_proj.weight`]: [688, 256], [`${p}.mlp.down_proj.weight`]: [256, 688],
  });
}
const params: Params = {};
const arrays: Record<string, Float32Array> = {};
let n = 0;
for (const [k, s] of Object.entries(shapes)) {
  const size = s.reduce((a, b) => a * b, 1);
  n += size;
  arrays[k] = new Float32Array(size).map(() => (Math.random() - 0.5) * 0.1);
  params[k] = fromFloat32(arrays[k], s);
}
const ids = Array.from({ length: batch }, () => Array.from({ length: T }, () => Math.floor(Math.random() * 8192)));
// Eager: op by op, as generation with the KV cache runs. Compiled: one jit-compiled graph per shape, as bpb runs.
const eager = async () => {
  const { logits, cache } = forward(config, params, ids);
  disposeCache(cache);
  await toFloat32(logits);
};
const compiledForward = jit((p: Params, inputs: Tensor): Tensor => {
  const { logits, cache } = forward(config, p, inputs);
  disposeCache(cache);
  tree.dispose(p);
  return logits;
}) as unknown as (p: Params, inputs: Tensor) => Tensor;
const inputs = Int32Array.from(ids.flat());
const compiled = async () => {
  await toFloat32(compiledForward(tree.ref(params), fromInt32(inputs, [batch, T])));
};
const threads = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
// The hand-written CPU model with OpenBLAS matrix products.
const blas = loadOpenBlas();
const modes: [string, () => Promise<void>][] = [["eager", eager], ["jit", compiled]];
// As bits per byte runs it: one workspace (activation and logits buffers) reused from call to call, and the platform's
// coworker thread with the weights in shared memory (src/lm/node.ts, cpu-path.ts); beside it, the same path with the
// calling thread alone (OpenBLAS on every core for the products, the rest on one thread).
const workspace = new CpuWorkspace();
if ("gemm" in blas) {
  useOpenBlas();
  const coworker = platformCoworker();
  const shared = Object.fromEntries(Object.entries(arrays).map(([k, a]) => [k, sharedCopy(a)]));
  if (coworker && !(await (coworker as WorkerCoworker).ready())) console.error(`coworker did not start: ${(coworker as WorkerCoworker).goneBecause}`);
  modes.push([`CPU path (${blas.gemm.name}, ${vectorKernels().name})`, async () => void llamaLogitsCpu(config as LlamaConfig, shared, inputs, batch, T, blas.gemm, { workspace })]);
  const alone = new CpuWorkspace();
  modes.push([`CPU path, calling thread alone`, async () => void llamaLogitsCpu(config as LlamaConfig, arrays, inputs, batch, T, blas.gemm, { workspace: alone, coworker: null })]);
} else console.error(`OpenBLAS row skipped: ${blas.error}`);
for (const [mode, once] of modes) {
  if (only && !(only === "jax" ? mode === "eager" || mode === "jit" : mode.toLowerCase().includes(only))) continue;
  await once();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) await once();
  const s = (performance.now() - t0) / 1000 / reps;
  console.log(JSON.stringify({ mode, params: n, batch, seqLen: T, secondsPerForward: +s.toFixed(4), tokensPerSecond: Math.round((batch * T) / s), threads }));
}
process.exit(0);
