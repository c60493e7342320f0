// Byte strings → ids in an open-addressing table over typed arrays: no string is built to look a token up and no
// Map boxes anything. The hash is polynomial, h(s) = Σ (s[k] + 1)·P^(n−1−k) mod 2^32, so the hash of any substring
// follows from prefix hashes in O(1) (substringHash) — what splitting each of a 200k-rank file's tokens into every
// (prefix, suffix) pair needs — and a piece's hash can be computed as its bytes are produced.

export const HASH_MULTIPLIER = 0x01000193;

/** h(bytes[start, end)). */
export function hashBytes(bytes: Uint8Array, start: number, end: number): number {
  let h = 0;
  for (let i = start; i < end; i++) h = (Math.imul(h, HASH_MULTIPLIER) + bytes[i]! + 1) | 0;
  return h;
}

/** h(s[i, j)) from prefix hashes (prefix[k] = h(s[0, k))) and powers (power[k] = P^k mod 2^32). */
export function substringHash(prefix: Int32Array, power: Int32Array, i: number, j: number): number {
  return (prefix[j]! - Math.imul(prefix[i]!, power[j - i]!)) | 0;
}

/** P^k mod 2^32 for k = 0..n. */
export function hashPowers(n: number): Int32Array {
  const power = new Int32Array(n + 1);
  power[0] = 1;
  for (let k = 1; k <= n; k++) power[k] = Math.imul(power[k - 1]!, HASH_MULTIPLIER);
  return power;
}

export class ByteStringTable {
  /** Per slot: the entry's hash, then its index + 1 (0: empty) — side by side, so a probe that fails (most lookups of
   * a token's splits do) reads one cache line. */
  private slots: Int32Array;
  /** Entry e's bytes are data[at[e], at[e + 1]). */
  private at: Int32Array;
  private ids: Int32Array;
  private data: Uint8Array;
  private count = 0;

  constructor(expectedEntries = 16, expectedBytes = 64) {
    let size = 16;
    while (size < expectedEntries * 2) size *= 2;
    this.slots = new Int32Array(2 * size);
    this.ids = new Int32Array(Math.max(1, expectedEntries));
    this.at = new Int32Array(Math.max(1, expectedEntries) + 1);
    this.data = new Uint8Array(Math.max(16, expectedBytes));
  }

  /** A table whose arrays were filled elsewhere (rank-tables.wat fills them for a rank file): entry e is
   * data[at[e], at[e + 1]) with id ids[e]; slots hold (hash, e + 1) pairs, a power of two of them,
   * at most half in use. */
  static fromParts(parts: { slots: Int32Array; at: Int32Array; ids: Int32Array; data: Uint8Array; count: number }): ByteStringTable {
    const table = new ByteStringTable(1, 1);
    table.slots = parts.slots;
    table.at = parts.at;
    table.ids = parts.ids;
    table.data = parts.data;
    table.count = parts.count;
    return table;
  }

  get size(): number {
    return this.count;
  }

  /** The id of bytes[start, end) (hash: its hashBytes, when the caller has it), or −1. */
  get(bytes: Uint8Array, start: number, end: number, hash = hashBytes(bytes, start, end)): number {
    const e = this.find(bytes, start, end, hash);
    return e < 0 ? -1 : this.ids[e]!;
  }

  /** False when no entry has this hash, so no byte string hashing to it is in the table: a lookup that can tell most
   * misses before building the bytes it would compare (RankMerges.pair). */
  mayHold(hash: number): boolean {
    const slots = this.slots;
    const mask = slots.length / 2 - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      if (slots[2 * slot + 1] === 0) return false;
      if (slots[2 * slot] === hash) return true;
    }
  }

  /** Adds bytes[start, end) → id; when those bytes are already in the table, leaves it and returns their id (else −1). */
  add(bytes: Uint8Array, start: number, end: number, id: number): number {
    const hash = hashBytes(bytes, start, end);
    const found = this.find(bytes, start, end, hash);
    if (found >= 0) return this.ids[found]!;
    const n = end - start;
    const e = this.count;
    if (e + 1 >= this.ids.length) {
      const grow = (a: Int32Array, size: number) => {
        const b = new Int32Array(size);
        b.set(a);
        return b;
      };
      this.at = grow(this.at, this.ids.length * 2 + 1);
      this.ids = grow(this.ids, this.ids.length * 2);
    }
    const w = this.at[e]!;
    if (w + n > this.data.length) {
      const data = new Uint8Array(Math.max(this.data.length * 2, w + n));
      data.set(this.data);
      this.data = data;
    }
    for (let i = 0; i < n; i++) this.data[w + i] = bytes[start + i]!; // (a subarray per call costs more)
    this.at[e + 1] = w + n;
    this.ids[e] = id;
    this.count++;
    if (this.count * 4 > this.slots.length) this.rehash(this.slots.length);
    this.place(hash, e);
    return -1;
  }

  private find(bytes: Uint8Array, start: number, end: number, hash: number): number {
    const slots = this.slots;
    const mask = slots.length / 2 - 1;
    const n = end - start;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const e = slots[2 * slot + 1]! - 1;
      if (e < 0) return -1;
      if (slots[2 * slot] !== hash) continue;
      const a = this.at[e]!;
      if (this.at[e + 1]! - a !== n) continue;
      let i = 0;
      while (i < n && this.data[a + i] === bytes[start + i]) i++;
      if (i === n) return e;
    }
  }

  private place(hash: number, e: number): void {
    const mask = this.slots.length / 2 - 1;
    let slot = hash & mask;
    while (this.slots[2 * slot + 1] !== 0) slot = (slot + 1) & mask;
    this.slots[2 * slot] = hash;
    this.slots[2 * slot + 1] = e + 1;
  }

  /** Twice the slots (size: the current array length, i.e. the new slot count), each entry moved with the hash its
   * slot held: the table keeps no array of hashes. */
  private rehash(size: number): void {
    const old = this.slots;
    this.slots = new Int32Array(2 * size);
    for (let s = 0; s < old.length; s += 2) if (old[s + 1] !== 0) this.place(old[s]!, old[s + 1]! - 1);
  }
}
