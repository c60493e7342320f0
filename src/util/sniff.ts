// Whether a file's bytes can be read as text, by content rather than by name: the magic numbers of
// src/util/magic.ts (compressed streams, archives, containers) and a NUL byte near the start (git's test for binary).
// Every reader that expects text asks this first, so a .zst file or a .safetensors given as text is refused instead of
// read as mojibake. Browser-safe.
import { isCompressed, sniffFormat } from "./magic.js";

/** How far into a file binary detection looks for a NUL byte (git looks at the first 8,000 bytes too). */
export const NUL_SCAN_BYTES = 8000;

export interface NotText {
  /** What the bytes are instead, for the error message. */
  reason: string;
  /** Compressed streams and archives are refused even when binary input is allowed: their text is not in the bytes. */
  compressed: boolean;
}

/** Why `bytes` (a file's start is enough) cannot be read as text, or null when they may be text. */
export function sniffNotText(bytes: Uint8Array): NotText | null {
  const format = sniffFormat(bytes);
  if (isCompressed(format)) return { reason: format === "zip" ? "a zip archive, not text: unpack it first" : `${format}-compressed, not text: decompress it first`, compressed: true };
  if (format === "parquet") return { reason: "a Parquet file, not text", compressed: false };
  if (format === "safetensors-like") return { reason: "a safetensors file (tensor data), not text", compressed: false };
  const n = Math.min(bytes.length, NUL_SCAN_BYTES);
  for (let i = 0; i < n; i++) if (bytes[i] === 0) return { reason: `binary data (a NUL byte at offset ${i}), not text`, compressed: false };
  return null;
}
