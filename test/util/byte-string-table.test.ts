// ByteStringTable against a Map of the same byte strings (as latin1 keys): adds, duplicates, growth past the expected
// size, and substring hashes from prefix hashes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ByteStringTable, hashBytes, hashPowers, substringHash, HASH_MULTIPLIER } from "../../src/util/byte-string-table.js";
import { mulberry32 } from "../../src/util/random.js";

const key = (b: Uint8Array) => String.fromCharCode(...b);

test("a ByteStringTable finds what was added, refuses duplicates, and grows from a tiny start", () => {
  const rand = mulberry32(3);
  const table = new ByteStringTable(1, 1); // every array grows many times
  const reference = new Map<string, number>();
  for (let i = 0; i < 20_000; i++) {
    const bytes = Uint8Array.from({ length: 1 + Math.floor(rand() * 6) }, () => Math.floor(rand() * 4) * 60); // many collisions of content
    const had = reference.get(key(bytes));
    assert.equal(table.add(bytes, 0, bytes.length, i), had ?? -1);
    if (had === undefined) reference.set(key(bytes), i);
  }
  assert.equal(table.size, reference.size);
  for (const [k, id] of reference) {
    const bytes = Uint8Array.from(k, (c) => c.charCodeAt(0));
    assert.equal(table.get(bytes, 0, bytes.length), id);
  }
  // Absent strings, and lookups of a window inside a longer array.
  assert.equal(table.get(Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]), 0, 8), -1);
  const first = [...reference.keys()][0]!;
  const padded = Uint8Array.from(`xx${first}yy`, (c) => c.charCodeAt(0));
  assert.equal(table.get(padded, 2, 2 + first.length), reference.get(first));
  assert.equal(table.get(new Uint8Array(0), 0, 0), -1);
});

test("substring hashes from prefix hashes equal hashing the substring", () => {
  const rand = mulberry32(9);
  const bytes = Uint8Array.from({ length: 300 }, () => Math.floor(rand() * 256));
  const prefix = new Int32Array(bytes.length + 1);
  for (let i = 0; i < bytes.length; i++) prefix[i + 1] = (Math.imul(prefix[i]!, HASH_MULTIPLIER) + bytes[i]! + 1) | 0;
  const power = hashPowers(bytes.length);
  for (let t = 0; t < 2000; t++) {
    const i = Math.floor(rand() * bytes.length);
    const j = i + Math.floor(rand() * (bytes.length - i + 1));
    assert.equal(substringHash(prefix, power, i, j), hashBytes(bytes, i, j), `[${i}, ${j})`);
  }
});

test("mayHold is true for every entry's hash and for a concatenation's hash made from its halves' (RankMerges.pair)", () => {
  const rand = mulberry32(17);
  const table = new ByteStringTable(1, 1);
  const entries: Uint8Array[] = [];
  for (let i = 0; i < 5_000; i++) {
    const bytes = Uint8Array.from({ length: 2 + Math.floor(rand() * 8) }, () => Math.floor(rand() * 256));
    if (table.add(bytes, 0, bytes.length, i) < 0) entries.push(bytes);
  }
  const power = hashPowers(16);
  for (const bytes of entries) {
    assert.ok(table.mayHold(hashBytes(bytes, 0, bytes.length)));
    // h(a‖b) = h(a)·P^|b| + h(b): the pair rule's hash of a merge without building it.
    const cut = 1 + Math.floor(rand() * (bytes.length - 1));
    const halves = (Math.imul(hashBytes(bytes, 0, cut), power[bytes.length - cut]!) + hashBytes(bytes, cut, bytes.length)) | 0;
    assert.equal(halves, hashBytes(bytes, 0, bytes.length));
  }
  // Absent strings: mayHold false for most (an empty slot ends the probe), and never a get that finds one.
  let held = 0;
  for (let i = 0; i < 5_000; i++) {
    const bytes = Uint8Array.from({ length: 11 + Math.floor(rand() * 4) }, () => Math.floor(rand() * 256));
    if (table.mayHold(hashBytes(bytes, 0, bytes.length))) held++;
    assert.equal(table.get(bytes, 0, bytes.length), -1);
  }
  assert.ok(held < 50, `${held} of 5000 absent strings shared a hash with an entry`);
});
