// JSON helpers shared by the decoder files.

import { TokenizerError, type JsonObject } from "../types.js";

export { str, bool } from "../json-fields.js";
import { nonNegativeInt, str } from "../json-fields.js";

export function uint(o: JsonObject, key: string, path: string, fallback: number): number {
  const v = o[key];
  if (v === undefined || v === null) return fallback;
  return nonNegativeInt(v, `${path}.${key}`);
}

/** One character (code point), as the Rust structs that hold a `char` require. */
export function char(o: JsonObject, key: string, path: string, fallback: string): string {
  const v = str(o, key, path, fallback);
  if (Array.from(v).length !== 1) throw new TokenizerError(`expected a single character, got ${JSON.stringify(v)}`, `${path}.${key}`);
  return v;
}

const utf8 = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** UTF-8 to string with U+FFFD for each maximal invalid subsequence (same as Rust's from_utf8_lossy). */
export function utf8Lossy(bytes: Uint8Array): string {
  return utf8.decode(bytes);
}

/** UTF-8 to string, or null when the bytes are not valid UTF-8. */
export function utf8Strict(bytes: Uint8Array): string | null {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return null;
  }
}

/** Rust's str::replace: an empty pattern matches at every character boundary, start and end included. */
export function rustReplace(s: string, from: string, to: string): string {
  if (from !== "") return s.split(from).join(to);
  if (to === "") return s;
  return to + Array.from(s).join(to) + (s === "" ? "" : to);
}
