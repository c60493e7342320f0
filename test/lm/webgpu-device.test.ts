// webgpuDevice never leaves the page waiting: an adapter or device that does not answer, or none at all, gives the
// reason (the page then runs the CPU forward and names why), within the time it was allowed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { webgpuDevice } from "../../src/lm/webgpu-token-lm.js";

function withNavigator<T>(gpu: unknown, run: () => Promise<T>): Promise<T> {
  const had = Object.getOwnPropertyDescriptor(globalThis, "navigator");
  Object.defineProperty(globalThis, "navigator", { value: gpu === undefined ? {} : { gpu }, configurable: true, writable: true });
  return run().finally(() => {
    if (had) Object.defineProperty(globalThis, "navigator", had);
    else delete (globalThis as { navigator?: unknown }).navigator;
  });
}

test("webgpuDevice: no WebGPU, no adapter, a pending adapter and a pending device each give their reason, in time", async () => {
  assert.deepEqual(await withNavigator(undefined, () => webgpuDevice(50)), { unavailable: "this browser has no WebGPU" });
  assert.deepEqual(await withNavigator({ requestAdapter: async () => null }, () => webgpuDevice(50)), { unavailable: "no WebGPU adapter" });
  const t0 = performance.now();
  assert.deepEqual(await withNavigator({ requestAdapter: () => new Promise(() => {}) }, () => webgpuDevice(50)), { unavailable: "the WebGPU adapter did not answer within 0.05 s" });
  assert.ok(performance.now() - t0 < 5_000);
  const adapter = { limits: { maxStorageBufferBindingSize: 1 << 27, maxBufferSize: 1 << 28 }, info: {}, requestDevice: () => new Promise(() => {}) };
  assert.deepEqual(await withNavigator({ requestAdapter: async () => adapter }, () => webgpuDevice(50)), { unavailable: "the WebGPU device did not answer within 0.05 s" });
  const failing = { ...adapter, requestDevice: async () => Promise.reject(new Error("lost")) };
  assert.deepEqual(await withNavigator({ requestAdapter: async () => failing }, () => webgpuDevice(50)), { unavailable: "the WebGPU adapter gave no device" });
});
