// What a file is, judged by its first bytes (never by its name): compressed streams and the binary formats retoken
// reads or refuses. Pure bytes, so it runs in a browser too.

/** Formats recognisable from a file's first bytes. */
export type SniffedFormat = "gzip" | "zstd" | "bzip2" | "xz" | "lz4" | "zip" | "parquet" | "safetensors-like" | "unknown";

/** Bytes `sniffFormat` looks at: enough for every signature below. */
export const SNIFF_BYTES = 16;

function startsWith(head: Uint8Array, sig: readonly number[]): boolean {
  if (head.length < sig.length) return false;
  for (let i = 0; i < sig.length; i++) if (head[i] !== sig[i]) return false;
  return true;
}

/** Names the format of a file from its first `SNIFF_BYTES` (or fewer) bytes. */
export function sniffFormat(head: Uint8Array): SniffedFormat {
  if (startsWith(head, [0x1f, 0x8b])) return "gzip";
  if (startsWith(head, [0x28, 0xb5, 0x2f, 0xfd])) return "zstd";
  if (startsWith(head, [0x42, 0x5a, 0x68])) return "bzip2"; // "BZh"
  if (startsWith(head, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) return "xz";
  if (startsWith(head, [0x04, 0x22, 0x4d, 0x18])) return "lz4";
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04])) return "zip";
  if (startsWith(head, [0x50, 0x41, 0x52, 0x31])) return "parquet"; // "PAR1"
  // safetensors: u64 little-endian header length, then a JSON object.
  if (head.length >= 9 && head[8] === 0x7b && head[4] === 0 && head[5] === 0 && head[6] === 0 && head[7] === 0) return "safetensors-like";
  return "unknown";
}

/** True for the compressed-stream formats (whatever retoken can or cannot decompress). */
export function isCompressed(format: SniffedFormat): boolean {
  return format === "gzip" || format === "zstd" || format === "bzip2" || format === "xz" || format === "lz4" || format === "zip";
}
