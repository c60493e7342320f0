// A string-keyed map that may hold more than V8's 2^24 entries per Map: keys are spread over several Maps by a
// hash of their last code units. Trainers count every substring of millions of words; one Map throws
// "Map maximum size exceeded" there (issue 12: the Unigram seed counts of a 100 MB corpus).

const SHARD_BITS = 5;
const SHARDS = 1 << SHARD_BITS;

/** Map<string, V> over 32 shards; iteration order is per shard, so callers that need an order must sort. */
export class ShardedMap<V> {
  private readonly shards: Map<string, V>[] = Array.from({ length: SHARDS }, () => new Map<string, V>());

  private shard(key: string): Map<string, V> {
    // The last code units differ between the many extensions of one prefix, so they spread the substrings well.
    const n = key.length;
    const h = n === 0 ? 0 : Math.imul(key.charCodeAt(n - 1), 31) + (n > 1 ? key.charCodeAt(n - 2) : 0) + n;
    return this.shards[(h ^ (h >>> SHARD_BITS)) & (SHARDS - 1)]!;
  }

  get(key: string): V | undefined {
    return this.shard(key).get(key);
  }

  set(key: string, value: V): this {
    this.shard(key).set(key, value);
    return this;
  }

  get size(): number {
    let n = 0;
    for (const m of this.shards) n += m.size;
    return n;
  }

  clear(): void {
    for (const m of this.shards) m.clear();
  }

  *[Symbol.iterator](): IterableIterator<[string, V]> {
    for (const m of this.shards) yield* m;
  }
}
