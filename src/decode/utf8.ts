// UTF-8 as a byte-by-byte automaton: which byte may come next. The byte-level model reads text, so a byte that no
// UTF-8 text continues with gets probability 0, and a text may only end between characters.

/** State after some bytes: how many continuation bytes the current character still needs (0: between characters),
 * and the range its next byte must lie in (narrower than 80–BF right after E0, ED, F0 and F4). */
export interface Utf8State {
  readonly need: number;
  readonly lo: number;
  readonly hi: number;
}

export const UTF8_START: Utf8State = { need: 0, lo: 0, hi: 0 };

/** The state after `byte`, or null when no UTF-8 text has it here. */
export function utf8Step(s: Utf8State, byte: number): Utf8State | null {
  if (s.need > 0) {
    if (byte < s.lo || byte > s.hi) return null;
    return s.need === 1 ? UTF8_START : { need: s.need - 1, lo: 0x80, hi: 0xbf };
  }
  if (byte < 0x80) return UTF8_START;
  if (byte >= 0xc2 && byte <= 0xdf) return { need: 1, lo: 0x80, hi: 0xbf };
  if (byte === 0xe0) return { need: 2, lo: 0xa0, hi: 0xbf };
  if (byte === 0xed) return { need: 2, lo: 0x80, hi: 0x9f };
  if (byte >= 0xe1 && byte <= 0xef) return { need: 2, lo: 0x80, hi: 0xbf };
  if (byte === 0xf0) return { need: 3, lo: 0x90, hi: 0xbf };
  if (byte === 0xf4) return { need: 3, lo: 0x80, hi: 0x8f };
  if (byte >= 0xf1 && byte <= 0xf3) return { need: 3, lo: 0x80, hi: 0xbf };
  return null;
}

/** The state after `bytes[start, end)` from `s`, or null with the offset of the first byte that breaks UTF-8. */
export function utf8Run(bytes: Uint8Array, start = 0, end = bytes.length, s: Utf8State = UTF8_START): { state: Utf8State } | { badAt: number } {
  let state = s;
  for (let i = start; i < end; i++) {
    const next = utf8Step(state, bytes[i]!);
    if (!next) return { badAt: i };
    state = next;
  }
  return { state };
}

/** Later bytes of a completed character stand in for all: the pre-tokenizers' classes change with the code point's
 * block, which the first missing byte decides. */
const LATER_CONTINUATIONS = [0x80, 0xa0, 0xbf];

/** `n` later continuation bytes, each one of LATER_CONTINUATIONS. */
export function* continuationTails(n: number): Generator<number[]> {
  if (n <= 0) {
    yield [];
    return;
  }
  for (const b of LATER_CONTINUATIONS) for (const rest of continuationTails(n - 1)) yield [b, ...rest];
}

/** The ways to finish the character a state is inside: every allowed value of the first missing byte, then
 * continuationTails for the rest (nothing when the state is between characters). */
export function* characterEndings(s: Utf8State): Generator<Uint8Array> {
  if (s.need === 0) {
    yield new Uint8Array(0);
    return;
  }
  for (let first = s.lo; first <= s.hi; first++) for (const rest of continuationTails(s.need - 1)) yield Uint8Array.from([first, ...rest]);
}

/** The parts' bytes one after another, in a new array. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
