// What the hand-written CPU Llama (./llama-cpu.ts) needs from a model loaded for the tensor backend: whether it runs
// here at all (a Llama-family model and a platform Gemm — OpenBLAS on Node), float32 copies of its weights, and a
// workspace whose buffers outlive one call. Bits per byte and generation share them per params record.
import { toFloat32 } from "../tensor/backend.js";
import { platformGemm, type Gemm } from "../tensor/gemm.js";
import type { Arrays } from "../tensor/optim.js";
import type { LlamaConfig, ModelConfig } from "./config.js";
import type { Params } from "./model.js";
import { CpuWorkspace } from "./llama-cpu.js";
import { platformCoworker } from "./coworker.js";

/** `a` copied into a SharedArrayBuffer (weights a coworker thread can read). */
export function sharedCopy(a: Float32Array): Float32Array {
  const copy = new Float32Array(new SharedArrayBuffer(a.byteLength));
  copy.set(a);
  return copy;
}

/** The model's config and the Gemm to run it on the CPU path with, or null: then the tensor backend runs it. */
export function cpuPath(config: ModelConfig): { config: LlamaConfig; gemm: Gemm } | null {
  const gemm = platformGemm();
  return config.arch === "llama" && gemm ? { config, gemm } : null;
}

/** Plain-array copies of a model's weights, made once per params record (records are not mutated: transfer builds a
 * new one per method). */
const weights = new WeakMap<Params, Promise<Arrays>>();

export function cpuWeights(params: Params): Promise<Arrays> {
  let w = weights.get(params);
  if (!w) {
    w = (async () => {
      const out: Arrays = {};
      // In shared memory where a coworker thread may run the forwards (it reads the weights in place).
      const shared = platformCoworker() !== null;
      for (const [name, t] of Object.entries(params)) {
        const w = await toFloat32(t.ref);
        out[name] = shared ? sharedCopy(w) : w;
      }
      return out;
    })();
    weights.set(params, w);
  }
  return w;
}

const workspaces = new WeakMap<Params, CpuWorkspace>();

/** One workspace per model: its callers read each call's logits before making the next call. */
export function cpuWorkspace(params: Params): CpuWorkspace {
  let w = workspaces.get(params);
  if (!w) workspaces.set(params, (w = new CpuWorkspace()));
  return w;
}
