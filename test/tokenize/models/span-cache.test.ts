// SpanIdCache against a Map: spans of one text as keys, generation turnovers forced by a small limit.

import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { SpanIdCache, spanHash } from "../../../src/tokenize/models/span-cache.js";

test("span cache: hits return what was added, across turnovers and growth", () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.string({ unit: "binary", maxLength: 6 }), fc.array(fc.integer({ min: 0, max: 1 << 20 }), { maxLength: 4 })), { maxLength: 300 }), fc.integer({ min: 1, max: 50 }), (entries, limit) => {
      const cache = new SpanIdCache(limit, 6);
      const seen = new Map<string, number[]>();
      for (const [key, ids] of entries) {
        const text = `«${key}»`; // the key is a span inside a longer string
        const h = spanHash(text, 1, 1 + key.length);
        assert.equal(h, spanHash(key, 0, key.length), "the hash depends on the span's units only");
        const out = [7];
        if (cache.append(h, text, 1, 1 + key.length, out)) assert.deepEqual(out.slice(1), seen.get(key), `hit ${JSON.stringify(key)}`);
        else {
          cache.add(h, text, 1, 1 + key.length, [9, ...ids], 1, 1 + ids.length);
          if (key.length <= 5) seen.set(key, ids);
        }
      }
      // The newest `limit` distinct keys are always still there.
      const recent = [...new Set(entries.map(([k]) => k).reverse())].filter((k) => k.length <= 5).slice(0, limit);
      for (const key of recent) {
        const out: number[] = [];
        assert.ok(cache.append(spanHash(key, 0, key.length), key, 0, key.length, out), `recent ${JSON.stringify(key)}`);
        assert.deepEqual(out, seen.get(key));
      }
      cache.clear();
      for (const key of recent) assert.equal(cache.append(spanHash(key, 0, key.length), key, 0, key.length, []), false);
    }),
  );
});
