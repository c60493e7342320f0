import { test } from "node:test";
import assert from "node:assert/strict";
import { fastExp } from "../../src/util/fast-exp.js";
import { mulberry32 } from "../../src/util/random.js";

test("fastExp is within 3e-9 of Math.exp over the whole double range, with exact edges", () => {
  const rand = mulberry32(11);
  let worst = 0;
  for (let i = 0; i < 200_000; i++) {
    const x = -745 + rand() * 1454;
    const want = Math.exp(x);
    if (want > 1e-300 && Number.isFinite(want)) worst = Math.max(worst, Math.abs(fastExp(x) / want - 1));
  }
  assert.ok(worst < 3e-9, `worst relative error ${worst}`);
  assert.equal(fastExp(-1e6), 0);
  assert.equal(fastExp(-Infinity), 0);
  assert.equal(fastExp(1e6), Infinity);
  assert.ok(Number.isNaN(fastExp(NaN)));
  assert.ok(Math.abs(fastExp(0) - 1) < 3e-9);
});
