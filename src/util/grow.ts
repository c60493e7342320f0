// Growing a typed array that is filled by appends (caches, queues): the next power-of-two multiple of its length.

/** A copy of `a` at least `atLeast` long: its length doubled until it is. */
export function grow<T extends Int32Array | Uint16Array>(a: T, atLeast: number): T {
  let size = a.length * 2;
  while (size < atLeast) size *= 2;
  const b = new (a.constructor as new (n: number) => T)(size);
  b.set(a);
  return b;
}
