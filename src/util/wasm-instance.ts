// The project's hand-written wasm modules (carried as base64 in their -wasm.ts files), each compiled once and
// instantiated fresh for every caller: an instance's memory is its caller's alone.

import { base64Decode } from "./base64.js";

const compiled = new Map<string, WebAssembly.Module | null>();

/**
 * A new instance's exports of the module whose bytes `base64` holds, with a memory of its own of at least `bytes`
 * bytes; null where this runtime cannot compile or run it (no WebAssembly, no SIMD) or the memory cannot be had —
 * each caller then has a JavaScript path. Callers ask for all the memory they expect to use: a memory that grows
 * detaches its old ArrayBuffer, and from the first detached buffer on V8 checks every typed-array access of the
 * process for one (GPT-2's encodeIds over FLORES 2–7% slower after it, A/B in fresh processes). Pages asked for and
 * never touched cost address space, not memory. `functions`: the module's other imports from "env".
 */
export function wasmInstance<T extends { memory: WebAssembly.Memory }>(base64: string, bytes = 0, functions: Record<string, (...args: number[]) => number> = {}): T | null {
  const module = wasmModule(base64);
  if (!module) return null;
  try {
    const memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil(bytes / 65536)) });
    return new WebAssembly.Instance(module, { env: { memory, ...functions } }).exports as unknown as T;
  } catch {
    return null;
  }
}

/** The module whose bytes `base64` holds, compiled once; null where this runtime cannot compile it. */
export function wasmModule(base64: string): WebAssembly.Module | null {
  let module = compiled.get(base64);
  if (module === undefined) {
    try {
      module = new WebAssembly.Module(base64Decode(base64)! as Uint8Array<ArrayBuffer>);
    } catch {
      module = null;
    }
    compiled.set(base64, module);
  }
  return module;
}
