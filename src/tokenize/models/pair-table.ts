// A table of integer pairs: the lookup in the hot loop of Unigram (its trie).

/**
 * Open-addressing hash table (a, b) → number (−1: absent), for two non-negative 32-bit integers: the Unigram trie's
 * (node, UTF-16 unit) → child. The hot loop looks up pairs without the boxing and hashing cost of a Map keyed by
 * doubles. (BPE's merges have a table of their own, merge-table.ts: eight-byte slots, for ids below 2^21, which a
 * trie's node numbers may pass.)
 */
export class PairTable {
  private keys: Int32Array;
  private values: Float64Array;
  private mask: number;
  private count = 0;

  constructor(capacity: number) {
    let size = 16;
    while (size < capacity * 2) size *= 2;
    this.keys = new Int32Array(size * 2).fill(-1);
    this.values = new Float64Array(size);
    this.mask = size - 1;
  }

  private slot(a: number, b: number): number {
    return (Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca6b)) & this.mask;
  }

  set(a: number, b: number, value: number): void {
    for (let i = this.slot(a, b); ; i = (i + 1) & this.mask) {
      const k = this.keys[2 * i]!;
      if (k === -1 || (k === a && this.keys[2 * i + 1] === b)) {
        if (k === -1 && ++this.count * 2 > this.mask + 1) {
          this.grow();
          this.set(a, b, value);
          return;
        }
        this.keys[2 * i] = a;
        this.keys[2 * i + 1] = b;
        this.values[i] = value;
        return;
      }
    }
  }

  /** The value, or −1 when the pair is absent. */
  get(a: number, b: number): number {
    for (let i = this.slot(a, b); ; i = (i + 1) & this.mask) {
      const k = this.keys[2 * i]!;
      if (k === a && this.keys[2 * i + 1] === b) return this.values[i]!;
      if (k === -1) return -1;
    }
  }

  private grow(): void {
    const { keys, values } = this;
    const size = 2 * (this.mask + 1);
    this.keys = new Int32Array(size * 2).fill(-1);
    this.values = new Float64Array(size);
    this.mask = size - 1;
    this.count = 0;
    for (let i = 0; i < values.length; i++) if (keys[2 * i] !== -1) this.set(keys[2 * i]!, keys[2 * i + 1]!, values[i]!);
  }
}
