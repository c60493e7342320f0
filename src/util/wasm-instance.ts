// The project's hand-written wasm modules (carried as base64 in their -wasm.ts files), each compiled once and
// instantiated fresh for every caller: an instance's memory is its caller's alone.

import { base64Decode } from "./base64.js";

const compiled = new Map<string, WebAssembly.Module | null>();

/**
 * A new instance's exports of the module whose bytes `base64` holds, its memory grown to at least `bytes` bytes; null
 * where this runtime cannot compile or run it (no WebAssembly, no SIMD) or the memory cannot grow — each caller then
 * has a JavaScript path.
 */
export function wasmInstance<T extends { memory: WebAssembly.Memory }>(base64: string, bytes = 0): T | null {
  let module = compiled.get(base64);
  if (module === undefined) {
    try {
      module = new WebAssembly.Module(base64Decode(base64)! as Uint8Array<ArrayBuffer>);
    } catch {
      module = null;
    }
    compiled.set(base64, module);
  }
  if (!module) return null;
  const exports = new WebAssembly.Instance(module).exports as unknown as T;
  const pages = Math.ceil(bytes / 65536) - exports.memory.buffer.byteLength / 65536;
  try {
    if (pages > 0) exports.memory.grow(pages);
  } catch {
    return null;
  }
  return exports;
}
