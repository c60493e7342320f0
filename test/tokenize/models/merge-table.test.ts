import { test } from "node:test";
import assert from "node:assert/strict";
import { MERGE_ID_LIMIT, MERGE_RANK_LIMIT, MergeTable, NO_MERGE, NO_RANK, mergedIdOf, mergeRankOf, packMerge } from "../../../src/tokenize/models/merge-table.js";
import { TokenizerError } from "../../../src/tokenize/types.js";
import { mulberry32 } from "../../../src/util/random.js";

test("a merges list's table answers every pair as a Map does, through growth, overrides and the field limits", () => {
  const rand = mulberry32(5);
  const ranks = 300_000;
  const mergedIds = new Int32Array(ranks);
  for (let r = 0; r < ranks; r++) mergedIds[r] = Math.floor(rand() * MERGE_ID_LIMIT);
  // Sized for 16 pairs: it grows many times on the way.
  const table = new MergeTable(16, mergedIds);
  const expected = new Map<string, number>();
  const id = () => (rand() < 0.01 ? MERGE_ID_LIMIT - 1 - Math.floor(rand() * 2) : Math.floor(rand() * 5000));
  for (let k = 0; k < 120_000; k++) {
    const a = id();
    const b = id();
    const rank = Math.floor(rand() * ranks);
    table.set(a, b, rank);
    expected.set(`${a} ${b}`, rank);
  }
  for (const [key, rank] of expected) {
    const [a, b] = key.split(" ").map(Number) as [number, number];
    assert.equal(table.get(a, b), packMerge(rank, mergedIds[rank]!), key);
    assert.equal(table.rank(a, b), rank, key);
    assert.equal(table.mergedId(rank), mergedIds[rank], key);
  }
  let absent = 0;
  for (let k = 0; k < 20_000; k++) {
    const a = id();
    const b = id();
    if (expected.has(`${a} ${b}`)) continue;
    absent++;
    assert.equal(table.get(a, b), NO_MERGE);
    assert.equal(table.rank(a, b), NO_RANK);
  }
  assert.ok(absent > 1000);
  // The largest rank and ids a slot holds come back whole.
  const lastMerged = new Int32Array(MERGE_RANK_LIMIT);
  lastMerged[MERGE_RANK_LIMIT - 1] = MERGE_ID_LIMIT - 1;
  const wide = new MergeTable(4, lastMerged);
  wide.set(MERGE_ID_LIMIT - 1, MERGE_ID_LIMIT - 1, MERGE_RANK_LIMIT - 1);
  wide.set(0, 0, 0);
  const v = wide.get(MERGE_ID_LIMIT - 1, MERGE_ID_LIMIT - 1);
  assert.equal(mergeRankOf(v), MERGE_RANK_LIMIT - 1);
  assert.equal(mergedIdOf(v), MERGE_ID_LIMIT - 1);
  assert.equal(wide.get(0, 0), packMerge(0, 0));
  assert.equal(wide.get(0, 1), NO_MERGE);
  assert.equal(wide.rank(MERGE_ID_LIMIT - 1, MERGE_ID_LIMIT - 1), MERGE_RANK_LIMIT - 1);
  assert.ok(wide.rank(MERGE_ID_LIMIT - 1, MERGE_ID_LIMIT - 1) < NO_RANK);
  assert.throws(() => wide.set(MERGE_ID_LIMIT, 0, 1), TokenizerError);
  assert.throws(() => wide.set(0, -1, 1), TokenizerError);
  assert.throws(() => wide.set(0, 0, MERGE_RANK_LIMIT), TokenizerError);
});

test("a merges list read whole answers as its merges set one by one: the later of two equal pairs wins, ids outside the vocabulary are refused", () => {
  const rand = mulberry32(9);
  const count = 50_000;
  const triples = new Int32Array(3 * count);
  // Ids from a small range: many pairs repeat, so overrides are exercised.
  for (let t = 0; t < triples.length; t++) triples[t] = Math.floor(rand() * 400);
  const table = MergeTable.ofMergeList(triples, () => true);
  const expected = new Map<string, number>();
  for (let r = 0; r < count; r++) expected.set(`${triples[3 * r]} ${triples[3 * r + 1]}`, r);
  assert.ok(expected.size < count * 0.9);
  for (const [key, rank] of expected) {
    const [a, b] = key.split(" ").map(Number) as [number, number];
    assert.equal(table.rank(a, b), rank, key);
    assert.equal(table.get(a, b), packMerge(rank, triples[3 * rank + 2]!), key);
  }
  for (let k = 0; k < 5000; k++) {
    const a = 400 + Math.floor(rand() * 400);
    assert.equal(table.rank(a, 3), NO_RANK);
  }
  assert.equal(table.mergedIdsByRank()!.length, count);
  const bad = Int32Array.of(1, 2, 3, 4, 5, 6);
  assert.throws(() => MergeTable.ofMergeList(bad, (id) => id !== 5), /merge 1: ids \(4, 5\) → 6 are not all in the vocabulary/);
  assert.throws(() => MergeTable.ofMergeList(Int32Array.of(-1, 2, 3), () => true), TokenizerError);
  assert.throws(() => MergeTable.ofMergeList(Int32Array.of(MERGE_ID_LIMIT, 2, 3), () => true), TokenizerError);
});

test("a rule's table resolves each pair once and remembers the answer, found or not", () => {
  const asked = new Map<string, number>();
  // Pairs whose ids sum to a multiple of 3 make the token a + b.
  const table = new MergeTable(16, null, (a, b) => {
    asked.set(`${a} ${b}`, (asked.get(`${a} ${b}`) ?? 0) + 1);
    return (a + b) % 3 === 0 ? a + b : -1;
  });
  for (let round = 0; round < 3; round++) {
    for (let a = 0; a < 300; a++) {
      for (let b = 0; b < 30; b++) {
        const v = round === 1 ? table.rank(a, b) : table.get(a, b);
        if (round === 1) assert.equal(v, (a + b) % 3 === 0 ? a + b : NO_RANK);
        else assert.equal(v, (a + b) % 3 === 0 ? packMerge(a + b, a + b) : NO_MERGE);
      }
    }
  }
  assert.equal(asked.size, 9000);
  assert.ok([...asked.values()].every((n) => n === 1));
  // rank() resolves a pair not seen yet as get() does.
  const fresh = new MergeTable(16, null, (a, b) => ((a + b) % 3 === 0 ? a + b : -1));
  for (let a = 0; a < 100; a++) for (let b = 0; b < 10; b++) assert.equal(fresh.rank(a, b), (a + b) % 3 === 0 ? a + b : NO_RANK);
});
