// A tiktoken rank file's tables read by a small wasm module (rank-tables.wat): every token's base64 decoded into one
// buffer, filed by rank (PackedRanks' arrays) and by its bytes (ByteStringTable's). The module vouches only for text
// it can read whole; anything else — and a runtime without WebAssembly — gives null, and the JavaScript parser in
// tiktoken.ts reads the text (and names the line of any error).

import { wasmInstance } from "../util/wasm-instance.js";
import { rankTablesWasm } from "./rank-tables-wasm.js";

/** The tables, as views of the module's memory (one instance per text: nothing else writes there). */
export interface RankTables {
  /** Every token's bytes, in file order (the offsets below index this). */
  bytes: Uint8Array;
  /** Rank r is bytes[startAt[r], endAt[r]); endAt −1 where no token has rank r. (Where token e has rank e, both are
   * views of `at`.) */
  startAt: Int32Array;
  endAt: Int32Array;
  /** The highest rank + 1. */
  rankLimit: number;
  /** ByteStringTable's parts: entry e is token e of the file (bytes[at[e], at[e + 1]), rank ids[e]); slots hold
   * (hash, entry + 1) pairs. */
  slots: Int32Array;
  at: Int32Array;
  ids: Int32Array;
  count: number;
}

interface RankTablesExports {
  memory: WebAssembly.Memory;
  read(len: number, mode: number): number;
  cap: WebAssembly.Global;
  count: WebAssembly.Global;
  ids: WebAssembly.Global;
  at: WebAssembly.Global;
  startAt: WebAssembly.Global;
  endAt: WebAssembly.Global;
  rankLimit: WebAssembly.Global;
  slots: WebAssembly.Global;
  slotCount: WebAssembly.Global;
}

/** Where the module wants the text (its byte-class table is below). */
const TEXT_AT = 256;

/** How the text is laid out: "<base64> <rank>" lines (a rank file), "<mark> <first rank> <base64> <base64> …" lines
 * (the bpe_ranks of the tiktoken npm packages), or those as a JSON string's bytes lie in the file, no escape in them
 * (then a control character gives the text up: JSON.parse would refuse the file). */
export type RankLayout = "lines" | "groups" | "json-groups";

/**
 * The tables of `source` (text, or its UTF-8 bytes); null where the module does not read it whole.
 */
export function readRankTables(source: string | Uint8Array, layout: RankLayout): RankTables | null {
  const length = source.length;
  // The text, then `ids` and `at` (a token takes at least five characters), then the hash slots (a power of two, at
  // least two per token); by-rank arrays of their own only where tokens are not in rank order (p50k_base's hole).
  const cap = Math.floor(length / 5) + 2;
  let slots = 16;
  while (slots < 2 * cap) slots *= 2;
  const wasm = wasmInstance<RankTablesExports>(rankTablesWasm, TEXT_AT + length + 64 + 8 * (cap + 1) + 8 * slots);
  if (!wasm) return null;
  if (typeof source === "string") {
    // ASCII only: a wider character does not fit its one byte, and the text goes to the JavaScript parser.
    const { read, written } = new TextEncoder().encodeInto(source, new Uint8Array(wasm.memory.buffer, TEXT_AT, length));
    if (read !== length || written !== length) return null;
  } else new Uint8Array(wasm.memory.buffer, TEXT_AT, length).set(source);
  if (!wasm.read(length, layout === "lines" ? 0 : layout === "groups" ? 1 : 2)) return null;
  const buffer = wasm.memory.buffer;
  const i32 = (at: WebAssembly.Global, length: number) => new Int32Array(buffer, at.value as number, length);
  const entries = wasm.cap.value as number;
  const rankLimit = wasm.rankLimit.value as number;
  return {
    // Up to the text's end: what the decoding left free after the tokens is room for a table to add to.
    bytes: new Uint8Array(buffer, 0, TEXT_AT + length),
    startAt: i32(wasm.startAt, rankLimit),
    endAt: i32(wasm.endAt, rankLimit),
    rankLimit,
    slots: i32(wasm.slots, 2 * (wasm.slotCount.value as number)),
    // The entry arrays' whole capacity: a table that adds a few tokens (a file's specials) need not grow them.
    at: i32(wasm.at, entries + 1),
    ids: i32(wasm.ids, entries),
    count: wasm.count.value as number,
  };
}
