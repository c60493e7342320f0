import { test } from "node:test";
import assert from "node:assert/strict";
import { symmetricEigen, trainStaticEmbeddings } from "../../src/transfer/static-embeddings.js";
import { mulberry32 } from "../../src/util/random.js";

test("Jacobi eigen-decomposition reconstructs a symmetric matrix", () => {
  const m = 4;
  const s = Float64Array.from([4, 1, 0.5, 0, 1, 3, 0.2, 0.1, 0.5, 0.2, 2, 0.3, 0, 0.1, 0.3, 1]);
  const { values, vectors } = symmetricEigen(s, m);
  for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) {
    let r = 0;
    for (let k = 0; k < m; k++) r += vectors[i * m + k]! * values[k]! * vectors[j * m + k]!;
    assert.ok(Math.abs(r - s[i * m + j]!) < 1e-9);
  }
});

test("static embeddings put tokens that share contexts close together", () => {
  // Two "topics": tokens 0-4 occur together, tokens 5-9 occur together; token 10 never occurs.
  const rand = mulberry32(7);
  const sequences: number[][] = [];
  for (let s = 0; s < 400; s++) {
    const base = s % 2 === 0 ? 0 : 5;
    sequences.push(Array.from({ length: 12 }, () => base + Math.floor(rand() * 5)));
  }
  const dim = 4;
  const e = trainStaticEmbeddings(sequences, 11, { dim, window: 3 });
  const cos = (a: number, b: number) => {
    let d = 0, na = 0, nb = 0;
    for (let x = 0; x < dim; x++) {
      d += e[a * dim + x]! * e[b * dim + x]!;
      na += e[a * dim + x]! ** 2;
      nb += e[b * dim + x]! ** 2;
    }
    return d / Math.sqrt(na * nb);
  };
  assert.ok(cos(0, 3) > cos(0, 7) + 0.5, `same topic ${cos(0, 3)} vs other ${cos(0, 7)}`);
  assert.ok(cos(6, 9) > cos(6, 1) + 0.5);
  assert.deepEqual(Array.from(e.subarray(10 * dim, 11 * dim)), [0, 0, 0, 0]);
  assert.throws(() => trainStaticEmbeddings([[0, 12]], 11), /token id 12 outside/);
});
