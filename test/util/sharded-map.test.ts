import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { ShardedMap } from "../../src/util/sharded-map.js";

test("ShardedMap counts like a Map on real multilingual substrings, and spreads them over its shards", () => {
  const text = ["eng_Latn", "jpn_Jpan", "rus_Cyrl"].map((l) => readFileSync(`../shared/data/flores200/dev/${l}.dev`, "utf8").slice(0, 20_000)).join("\n");
  const plain = new Map<string, number>();
  const sharded = new ShardedMap<number>();
  for (const word of text.split(/\s+/)) {
    const cps = [...word];
    for (let s = 0; s < cps.length; s++) {
      let sub = "";
      for (let e = s; e < cps.length && e - s < 8; e++) {
        sub += cps[e];
        plain.set(sub, (plain.get(sub) ?? 0) + 1);
        sharded.set(sub, (sharded.get(sub) ?? 0) + 1);
      }
    }
  }
  assert.equal(sharded.size, plain.size);
  const entries = [...sharded];
  assert.equal(entries.length, plain.size);
  for (const [k, v] of entries) assert.equal(v, plain.get(k), k);
  // No shard holds more than a quarter of the keys: a Map per shard then reaches 2^24 only past ~2^26 keys in all.
  const perShard = (sharded as unknown as { shards: Map<string, number>[] }).shards.map((m) => m.size);
  assert.ok(Math.max(...perShard) < plain.size / 4, `shard sizes ${perShard.join(",")}`);
  sharded.clear();
  assert.equal(sharded.size, 0);
  assert.equal(sharded.get("the"), undefined);
});
