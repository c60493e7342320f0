// Growing arrays that are filled by appends: a typed array (caches, queues) by the next power-of-two multiple of its
// length; a plain array of ids by one allocation for a long run; and the chunks long passes run in.

/** A copy of `a` at least `atLeast` long: its length doubled until it is. */
export function grow<T extends Int32Array | Uint16Array>(a: T, atLeast: number): T {
  let size = a.length * 2;
  while (size < atLeast) size *= 2;
  const b = new (a.constructor as new (n: number) => T)(size);
  b.set(a);
  return b;
}

/**
 * How many elements a pass over a long array handles per call. V8 keeps the optimised code of a function it sees
 * called again and again; a single call that loops a million times is compiled on the stack partway through (its
 * start interpreted), and again at the next such call. A pass of 10^6 characters (session 35, cold process): 26 ms
 * in one call against 20 ms in chunks of 64k; warm, 14 against 8.
 */
export const PASS_CHUNK = 1 << 16;

/** Appends src[from, to) to `out`. A long run takes one allocation: pushed one by one, a million ids regrow the
 * array ~30 times past the young generation (~40 ns an id, against ~10). */
export function appendRange(out: number[], src: ArrayLike<number>, from: number, to: number): void {
  if (to - from < PASS_CHUNK) {
    for (let k = from; k < to; k++) out.push(src[k]!);
    return;
  }
  let at = out.length;
  out.length = at + (to - from);
  for (let k = from; k < to; k += PASS_CHUNK) at = copyInto(out, at, src, k, Math.min(to, k + PASS_CHUNK));
}

function copyInto(out: number[], at: number, src: ArrayLike<number>, from: number, to: number): number {
  for (let k = from; k < to; k++) out[at++] = src[k]!;
  return at;
}

/** The end of a chunk of a string pass from `start`: PASS_CHUNK units on, or one more so that no surrogate pair is
 * cut, or `end`. */
export function chunkEnd(text: string, start: number, end: number): number {
  let b = start + PASS_CHUNK;
  if (b >= end) return end;
  const c = text.charCodeAt(b - 1);
  if (c >= 0xd800 && c <= 0xdbff) b++;
  return b;
}
