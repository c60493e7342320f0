import { test } from "node:test";
import assert from "node:assert/strict";
import { EmbeddingView } from "../../src/transfer/embedding-view.js";
import { orthogonalMatchingPursuit, sparsemax, initializeEmbeddings, copyInit, fvtInit, randomInit, auxKnnInit, ompInit } from "../../src/transfer/init/index.js";
import type { VocabularyMap } from "../../src/transfer/vocabulary-map.js";
import { gaussian, mulberry32 } from "../../src/util/random.js";

function randomMatrix(rows: number, dim: number, seed: number): Float32Array[] {
  const g = gaussian(mulberry32(seed));
  return Array.from({ length: rows }, () => Float32Array.from({ length: dim }, g));
}

test("OMP recovers a sparse combination exactly", () => {
  const atoms = randomMatrix(200, 64, 1);
  const signal = new Float32Array(64);
  const truth: [number, number][] = [[3, 0.5], [77, -1.25], [150, 2]];
  for (const [a, w] of truth) for (let x = 0; x < 64; x++) signal[x]! += w * atoms[a]![x]!;
  const { chosen, weights } = orthogonalMatchingPursuit(signal, atoms, 10);
  const found = new Map(chosen.map((c, i) => [c, weights[i]!]));
  for (const [a, w] of truth) assert.ok(Math.abs((found.get(a) ?? 0) - w) < 1e-4, `atom ${a}: ${found.get(a)} vs ${w}`);
  assert.equal(chosen.length, 3, "stops once the residual vanishes");
});

test("sparsemax projects onto the simplex and zeroes small scores", () => {
  const w = sparsemax([0.9, 0.8, 0.1, -1]);
  assert.ok(Math.abs(w.reduce((a, b) => a + b, 0) - 1) < 1e-12);
  assert.deepEqual(w.map((x) => Number(x.toFixed(6))), [0.55, 0.45, 0, 0]);
  assert.deepEqual(sparsemax([5, 0]), [1, 0]);
});

// A toy map: target 0 = source 2 (shared), target 1 = pieces [0, 1], target 2 = special with no source, target 3 = pieces [2].
function toyMap(): VocabularyMap {
  return {
    sourceSize: 3,
    targetSize: 4,
    shared: Int32Array.from([2, -1, -1, -1]),
    pieces: [[2], [0, 1], [], [2]],
    specials: new Set([2]),
    targetTokens: [],
  };
}

test("strategies compose: copy, then FVT, then random for the rest", () => {
  const source = EmbeddingView.fromMatrices(Float32Array.from([1, 0, 0, 1, 5, 5]), Float32Array.from([2, 0, 0, 2, 6, 6]), 3, 2);
  const { embeddings, counts, filledBy } = initializeEmbeddings(source, toyMap(), [copyInit(), fvtInit(), randomInit({ seed: 3 })]);
  assert.deepEqual(counts, { copy: 1, fvt: 2, random: 1, unfilled: 0 });
  assert.deepEqual(Array.from(embeddings.row(0)), [5, 5, 6, 6]);
  assert.deepEqual(Array.from(embeddings.row(1)), [0.5, 0.5, 1, 1]);
  assert.deepEqual(Array.from(filledBy), [0, 1, 2, 1]);
  assert.ok(Array.from(embeddings.row(2)).every(Number.isFinite));
});

test("FVT first-piece and length-weighted modes", () => {
  const source = EmbeddingView.fromMatrices(Float32Array.from([1, 0, 0, 1, 5, 5]), null, 3, 2);
  const first = initializeEmbeddings(source, toyMap(), [fvtInit({ mode: "first" })]);
  assert.deepEqual(Array.from(first.embeddings.row(1)), [1, 0]);
  const weighted = initializeEmbeddings(source, toyMap(), [fvtInit({ mode: "length-weighted", pieceBytes: (id) => (id === 0 ? 3 : 1) })]);
  assert.deepEqual(Array.from(weighted.embeddings.row(1)), [0.75, 0.25]);
});

test("aux-kNN and OMP build new rows from shared tokens only, and check shapes", () => {
  const source = EmbeddingView.fromMatrices(Float32Array.from([1, 0, 0, 1, 5, 5]), null, 3, 2);
  // Target token 1's auxiliary vector points the same way as target 0's (the only anchor).
  const space = Float32Array.from([1, 0, 2, 0, 0, 0, 0, 1]);
  const aux = initializeEmbeddings(source, toyMap(), [copyInit(), auxKnnInit({ space, dim: 2, k: 4 })]);
  assert.deepEqual(Array.from(aux.embeddings.row(1)), [5, 5]);
  assert.equal(aux.counts.unfilled, 1, "a token without an auxiliary vector stays for the next strategy");
  assert.throws(() => initializeEmbeddings(source, toyMap(), [auxKnnInit({ space: new Float32Array(4), dim: 2 })]), /auxiliary space has 2 rows/);
  const donor = new EmbeddingView(4, 1, 2, Float32Array.from([1, 1, 3, 3, 0, 0, 2, 2]));
  const omp = initializeEmbeddings(source, toyMap(), [copyInit(), ompInit({ donor })]);
  assert.deepEqual(Array.from(omp.embeddings.row(1)).map((x) => Number(x.toFixed(4))), [15, 15]);
  assert.throws(() => initializeEmbeddings(source, toyMap(), [ompInit({ donor: new EmbeddingView(3, 1, 2) })]), /donor must use the target tokenizer/);
});
