import { test } from "node:test";
import assert from "node:assert/strict";
import { installNodeShims } from "../../src/tensor/shims.js";
installNodeShims();
const { np, initBackend, fromFloat32, toFloat32, gatherRows } = await import("../../src/tensor/backend.js");
await initBackend();

test("matmul and gather through the adapter match a plain-JS computation", async () => {
  const a = new Float32Array(6 * 5).map((_, i) => Math.sin(i));
  const b = new Float32Array(5 * 4).map((_, i) => Math.cos(i * 0.7));
  const got = await toFloat32(np.matmul(fromFloat32(a, [6, 5]), fromFloat32(b, [5, 4])));
  for (let i = 0; i < 6; i++)
    for (let j = 0; j < 4; j++) {
      let s = 0;
      for (let k = 0; k < 5; k++) s += a[i * 5 + k] * b[k * 4 + j];
      assert.ok(Math.abs(got[i * 4 + j] - s) < 1e-5, `(${i},${j}) ${got[i * 4 + j]} vs ${s}`);
    }
  const rows = await toFloat32(gatherRows(fromFloat32(a, [6, 5]), [5, 0, 5]));
  assert.deepEqual(Array.from(rows.slice(0, 5)), Array.from(a.slice(25, 30)));
  assert.deepEqual(Array.from(rows.slice(5, 10)), Array.from(a.slice(0, 5)));
});

test("Iterator helpers exist after installNodeShims", () => {
  assert.deepEqual([1, 2, 3].values().map((x: number) => x * 2).toArray(), [2, 4, 6]);
});
