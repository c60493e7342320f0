// The trie over pieces that Unigram searches (the model's Viterbi, the trainer's lattices), as a double array: a step of the search's walk is three array reads and one
// compare, no hashing and no probing (a third faster on English than a hash table of edges, measured in session 19).

import { PairTable } from "./pair-table.js";

/** Free slots a node's children are tried at one after another before the search leaps ahead (bounds the build's
 * time on wide nodes, at some space). */
const MAX_TRIES = 16;

/**
 * Double-array trie over UTF-16 code units. Units are renumbered to dense codes (1..K, the most frequent first, so
 * busy nodes pack tightly); a node's child by code c sits at slot base[node] + c, and is that node's child only if
 * check[slot] === node. The root is slot 0. Slot base[node] itself is never node's child (codes start at 1), so a unit
 * no piece contains (code 0) needs no test of its own, and every base + code is inside the arrays.
 */
export class PieceTrie {
  /** UTF-16 unit → code, 0 for a unit no piece contains. */
  readonly code = new Int32Array(65536);
  readonly base: Int32Array;
  readonly check: Int32Array;
  /** The piece id ending at each slot, −1 where none does (of duplicate pieces, the last). */
  readonly terminal: Int32Array;

  /** Over `pieces[id]` for every id (empty pieces are left out). */
  constructor(pieces: readonly string[]) {
    // A linked trie first: children found through one hash table, each node's children in a sibling list.
    let units = 0;
    for (const piece of pieces) units += piece.length;
    const edges = new PairTable(units >> 1);
    const counts = new Float64Array(65536);
    const firstChild = new Int32Array(units + 1).fill(-1);
    const nextSibling = new Int32Array(units + 1);
    const unitOf = new Int32Array(units + 1);
    const pieceAt = new Int32Array(units + 1).fill(-1);
    let nodes = 1;
    for (let id = 0; id < pieces.length; id++) {
      const piece = pieces[id]!;
      if (piece.length === 0) continue;
      let node = 0;
      for (let i = 0; i < piece.length; i++) {
        const unit = piece.charCodeAt(i);
        counts[unit]!++;
        let child = edges.get(node, unit);
        if (child < 0) {
          child = nodes++;
          edges.set(node, unit, child);
          unitOf[child] = unit;
          nextSibling[child] = firstChild[node]!;
          firstChild[node] = child;
        }
        node = child;
      }
      pieceAt[node] = id;
    }

    // Dense codes, the most frequent unit first.
    const used: number[] = [];
    for (let u = 0; u < 65536; u++) if (counts[u]! > 0) used.push(u);
    used.sort((a, b) => counts[b]! - counts[a]! || a - b);
    for (let i = 0; i < used.length; i++) this.code[used[i]!] = i + 1;
    const alphabet = used.length;

    // Bases, breadth-first: each node's the first whose child slots are all free. A base only has to keep its
    // children's slots apart from every other node's, so bases are chosen before slots are known. `skip` leads to
    // the next free slot, halving its paths, so full stretches are crossed in near-constant time.
    let size = 2 * nodes + alphabet + 16;
    let taken = new Uint8Array(size);
    let skip = new Int32Array(size);
    for (let i = 0; i < size; i++) skip[i] = i;
    taken[0] = 1;
    skip[0] = 1;
    const grow = (): void => {
      const grown = 2 * size;
      const moreTaken = new Uint8Array(grown);
      moreTaken.set(taken);
      const moreSkip = new Int32Array(grown);
      moreSkip.set(skip);
      for (let i = size; i < grown; i++) moreSkip[i] = i;
      (taken = moreTaken), (skip = moreSkip), (size = grown);
    };
    const baseOf = new Int32Array(nodes);
    const order = new Int32Array(nodes);
    const codes = new Int32Array(alphabet + 1);
    let highest = 0;
    for (let head = 0, tail = 1; head < tail; head++) {
      const node = order[head]!;
      let width = 0;
      let minCode = alphabet + 1;
      let maxCode = 0;
      for (let c = firstChild[node]!; c >= 0; c = nextSibling[c]!) {
        const code = this.code[unitOf[c]!]!;
        codes[width++] = code;
        if (code < minCode) minCode = code;
        if (code > maxCode) maxCode = code;
        order[tail++] = c;
      }
      if (width === 0) continue;
      let base = 0;
      for (let at = minCode + 1, tries = 0; ; tries++) {
        // The first free slot at or after `at`; after MAX_TRIES misses the search leaps ahead by doubling strides, at
        // most to just past the last taken slot, where every slot is free.
        while (at + alphabet >= size) grow();
        while (skip[at] !== at) at = skip[at] = skip[skip[at]!]!;
        base = at - minCode;
        let k = 0;
        while (k < width && !taken[base + codes[k]!]) k++;
        if (k === width) break;
        at = tries < MAX_TRIES ? at + 1 : Math.min(at + (1 << Math.min(tries - MAX_TRIES, 24)), highest + 1);
      }
      baseOf[node] = base;
      for (let k = 0; k < width; k++) {
        const slot = base + codes[k]!;
        taken[slot] = 1;
        skip[slot] = slot + 1;
      }
      if (base + maxCode > highest) highest = base + maxCode;
    }

    // Slots, breadth-first from the root: a child's slot is its parent's base plus its code.
    const length = highest + alphabet + 1;
    this.base = new Int32Array(length);
    this.check = new Int32Array(length).fill(-1);
    this.terminal = new Int32Array(length).fill(-1);
    this.check[0] = -2;
    const slotOf = new Int32Array(nodes);
    for (let head = 0; head < nodes; head++) {
      const node = order[head]!;
      const slot = slotOf[node]!;
      const base = baseOf[node]!;
      this.base[slot] = base;
      for (let c = firstChild[node]!; c >= 0; c = nextSibling[c]!) {
        const childSlot = base + this.code[unitOf[c]!]!;
        this.check[childSlot] = slot;
        this.terminal[childSlot] = pieceAt[c]!;
        slotOf[c] = childSlot;
      }
    }
  }

  /** The child of `node` by `unit`, or −1. */
  child(node: number, unit: number): number {
    const slot = this.base[node]! + this.code[unit]!;
    return this.check[slot] === node ? slot : -1;
  }
}
