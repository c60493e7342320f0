// One number for an ordered pair of ids, for Map keys and heaps over adjacent pairs (trainers, merge simulations):
// left · 2^22 + right is exact in a double (2^44 < 2^53) for every id below 2^22 = 4,194,304 — above any real
// vocabulary (Llama 3: 128,256; o200k: 200,019) and any symbol count the trainers reach.

/** Ids must stay below this for `pairKey` to be exact and reversible. */
export const PAIR_ID_LIMIT = 4194304;

export const pairKey = (left: number, right: number): number => left * PAIR_ID_LIMIT + right;
export const pairLeft = (key: number): number => Math.floor(key / PAIR_ID_LIMIT);
export const pairRight = (key: number): number => key % PAIR_ID_LIMIT;
