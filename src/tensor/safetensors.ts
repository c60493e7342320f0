// safetensors format (browser-safe, no I/O): header parsing and validation, decoding tensor bytes to float32, encoding.
// Layout: u64 little-endian header length N, N bytes of JSON header, then the data region; each tensor's
// data_offsets [begin, end) are relative to the start of the data region. The files come from strangers, so the
// header is checked in full before any data is trusted (sizes vs shape × dtype, bounds, overlaps, dtype).

import { findDuplicateKey } from "../util/json-duplicate-keys.js";

export type SafetensorsDtype = "F64" | "F32" | "F16" | "BF16" | "I64" | "I32" | "I16" | "I8" | "U8" | "BOOL";
export const DTYPE_BYTES: Record<SafetensorsDtype, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

export interface TensorInfo {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** Byte range inside the data region. */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  /** Bytes before the data region (8 + header length). */
  dataStart: number;
  tensors: TensorInfo[];
  metadata: Record<string, string>;
}

/** The largest header we accept (the reference implementation caps it at 100 MB too). */
export const MAX_HEADER_BYTES = 100_000_000;

/** Reads the 8-byte header length; `fileSize` bounds it. */
export function readHeaderLength(first8: Uint8Array, fileSize: number, file: string): number {
  if (first8.length < 8 || fileSize < 8) throw new Error(`${file}: not a safetensors file (${fileSize} bytes, need at least 8 for the header length)`);
  const n = new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) throw new Error(`${file}: header length ${n} is larger than the ${MAX_HEADER_BYTES}-byte limit (not a safetensors file?)`);
  if (Number(n) + 8 > fileSize) throw new Error(`${file}: header length ${n} runs past the end of the file (${fileSize} bytes): truncated file?`);
  return Number(n);
}

/** Parses and validates the JSON header by the format's rules (those of the reference reader, plus duplicate names):
 * it starts with "{", names each tensor once, and the tensors' data_offsets tile the data region exactly — from 0,
 * each starting where the previous ends, the last ending at the end of the file — so no byte is aliased, hidden
 * in a hole or smuggled after the last tensor. `fileSize` is the whole file's size in bytes. */
export function parseHeader(headerBytes: Uint8Array, fileSize: number, file: string): SafetensorsHeader {
  if (headerBytes[0] !== 0x7b) throw new Error(`${file}: header must start with "{", found byte 0x${(headerBytes[0] ?? 0).toString(16).padStart(2, "0")} (not a safetensors file?)`);
  let text: string;
  let json: unknown;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(headerBytes);
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw new Error(`${file}: header must be a JSON object`);
  const dup = findDuplicateKey(text);
  if (dup) {
    const where = dup.path.length === 0 ? (dup.key === "__metadata__" ? `"__metadata__"` : `tensor "${dup.key}"`) : dup.path[0] === "__metadata__" ? `__metadata__["${dup.key}"]` : `tensor "${dup.path[0]}": field "${dup.key}"`;
    throw new Error(`${file}: ${where} appears twice in the header (JSON readers would silently keep one)`);
  }
  const dataStart = 8 + headerBytes.length;
  const dataSize = fileSize - dataStart;
  const tensors: TensorInfo[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(json as Record<string, unknown>)) {
    if (name === "__metadata__") {
      if (raw === null) continue;
      if (typeof raw !== "object" || Array.isArray(raw)) throw new Error(`${file}: __metadata__ must be an object of strings`);
      for (const [k, v] of Object.entries(raw)) if (typeof v !== "string") throw new Error(`${file}: __metadata__["${k}"] must be a string, got ${JSON.stringify(v)}`);
      metadata = raw as Record<string, string>;
      continue;
    }
    const where = `${file}: tensor "${name}"`;
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new Error(`${where}: entry must be an object with dtype, shape, data_offsets`);
    const { dtype, shape, data_offsets: offs } = raw as Record<string, unknown>;
    if (typeof dtype !== "string" || !Object.hasOwn(DTYPE_BYTES, dtype)) throw new Error(`${where}: unknown dtype ${JSON.stringify(dtype)} (known: ${Object.keys(DTYPE_BYTES).join(", ")})`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new Error(`${where}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isSafeInteger(o) && o >= 0)) throw new Error(`${where}: data_offsets must be [begin, end], got ${JSON.stringify(offs)}`);
    const [begin, end] = offs as number[];
    if (end < begin) throw new Error(`${where}: data_offsets [${begin}, ${end}] end before they begin`);
    const expected = tensorByteLength(shape as number[], dtype as SafetensorsDtype, where);
    if (end - begin !== expected) throw new Error(`${where}: ${end - begin} bytes in data_offsets but shape [${shape.join(", ")}] × ${dtype} needs ${expected}`);
    if (end > dataSize) throw new Error(`${where}: data_offsets end ${end} is past the end of the data (${dataSize} bytes): truncated or lying header`);
    tensors.push({ name, dtype: dtype as SafetensorsDtype, shape: shape as number[], begin, end });
  }
  const sorted = [...tensors].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  for (let i = 0; i < sorted.length; i++) {
    const t = sorted[i]!;
    const prev = sorted[i - 1];
    if (t.begin < at) throw new Error(`${file}: tensors "${prev!.name}" and "${t.name}" overlap (bytes ${t.begin}..${at})`);
    if (t.begin > at)
      throw new Error(prev ? `${file}: tensor "${t.name}" starts at byte ${t.begin} but the previous tensor "${prev.name}" ends at ${at}: a hole of ${t.begin - at} bytes` : `${file}: tensor "${t.name}" starts at byte ${t.begin}: the first tensor must start at 0`);
    at = t.end;
  }
  if (at !== dataSize) {
    const last = sorted[sorted.length - 1];
    throw new Error(last ? `${file}: ${dataSize - at} bytes after the last tensor "${last.name}" (it ends at ${at}, the data region holds ${dataSize})` : `${file}: the header lists no tensor but ${dataSize} data bytes follow it`);
  }
  return { dataStart, tensors, metadata };
}

/** Bytes of a tensor of this shape and dtype; refuses sizes past 2^53 (a lying shape must not wrap around). */
export function tensorByteLength(shape: readonly number[], dtype: SafetensorsDtype, where: string): number {
  const n = shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[dtype];
  if (!Number.isSafeInteger(n)) throw new Error(`${where}: shape [${shape.join(", ")}] × ${dtype} is ${n} bytes, more than any file holds`);
  return n;
}

function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);
function f32ToF16(x: number): number {
  f32Scratch[0] = x;
  const bits = u32Scratch[0];
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  let mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  return sign | half;
}

const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** Decodes a tensor's raw little-endian bytes to float32 (integers are converted; I64 beyond 2^53 loses precision). */
export function decodeToFloat32(bytes: Uint8Array, dtype: SafetensorsDtype): Float32Array {
  return decodeInto(bytes, dtype, new Float32Array(bytes.length / DTYPE_BYTES[dtype]));
}

/** Decodes raw little-endian bytes into `out` (which must hold bytes.length / dtype-size values); returns `out`.
 * Reused buffers let callers decode one row at a time out of a large matrix without allocating. */
export function decodeInto(bytes: Uint8Array, dtype: SafetensorsDtype, out: Float32Array): Float32Array {
  const n = bytes.length / DTYPE_BYTES[dtype];
  if (out.length < n) throw new Error(`decodeInto: ${n} ${dtype} values do not fit in ${out.length}`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // Hot path of row-by-row decoding: aligned F32/BF16 on a little-endian host are read through typed arrays.
  if (LITTLE_ENDIAN && dtype === "F32" && bytes.byteOffset % 4 === 0) {
    out.set(new Float32Array(bytes.buffer, bytes.byteOffset, n));
    return out;
  }
  if (LITTLE_ENDIAN && dtype === "BF16" && bytes.byteOffset % 2 === 0) {
    const h = new Uint16Array(bytes.buffer, bytes.byteOffset, n);
    const u = new Uint32Array(out.buffer, out.byteOffset, n);
    for (let i = 0; i < n; i++) u[i] = h[i]! << 16;
    return out;
  }
  switch (dtype) {
    case "F32":
      for (let i = 0; i < n; i++) out[i] = dv.getFloat32(i * 4, true);
      break;
    case "F64":
      for (let i = 0; i < n; i++) out[i] = dv.getFloat64(i * 8, true);
      break;
    case "F16":
      for (let i = 0; i < n; i++) out[i] = f16ToF32(dv.getUint16(i * 2, true));
      break;
    case "BF16": {
      const u = new Uint32Array(out.buffer, out.byteOffset, n);
      for (let i = 0; i < n; i++) u[i] = dv.getUint16(i * 2, true) << 16;
      break;
    }
    case "I64":
      for (let i = 0; i < n; i++) out[i] = Number(dv.getBigInt64(i * 8, true));
      break;
    case "I32":
      for (let i = 0; i < n; i++) out[i] = dv.getInt32(i * 4, true);
      break;
    case "I16":
      for (let i = 0; i < n; i++) out[i] = dv.getInt16(i * 2, true);
      break;
    case "I8":
      for (let i = 0; i < n; i++) out[i] = dv.getInt8(i);
      break;
    case "U8":
    case "BOOL":
      for (let i = 0; i < n; i++) out[i] = bytes[i];
      break;
  }
  return out;
}

/** Encodes values into a dtype's little-endian bytes (F16 rounds to nearest even; BF16 rounds to nearest even). */
export function encodeFromNumbers(values: ArrayLike<number>, dtype: SafetensorsDtype): Uint8Array {
  const n = values.length;
  const out = new Uint8Array(n * DTYPE_BYTES[dtype]);
  // Hot path of writing embeddings: float32 input to BF16 on a little-endian host, through typed arrays.
  if (LITTLE_ENDIAN && dtype === "BF16" && values instanceof Float32Array) {
    const bits = new Uint32Array(values.buffer, values.byteOffset, n);
    const h = new Uint16Array(out.buffer);
    for (let i = 0; i < n; i++) {
      const b = bits[i]!;
      h[i] = (b & 0x7fffffff) > 0x7f800000 ? (b >>> 16) | 0x40 : (b + 0x7fff + ((b >>> 16) & 1)) >>> 16;
    }
    return out;
  }
  const dv = new DataView(out.buffer);
  for (let i = 0; i < n; i++) {
    const x = values[i];
    switch (dtype) {
      case "F32": dv.setFloat32(i * 4, x, true); break;
      case "F64": dv.setFloat64(i * 8, x, true); break;
      case "F16": dv.setUint16(i * 2, f32ToF16(x), true); break;
      case "BF16": {
        f32Scratch[0] = x;
        const b = u32Scratch[0];
        const r = Number.isNaN(x) ? (b >>> 16) | 0x40 : (b + 0x7fff + ((b >>> 16) & 1)) >>> 16;
        dv.setUint16(i * 2, r & 0xffff, true);
        break;
      }
      case "I64": dv.setBigInt64(i * 8, BigInt(Math.trunc(x)), true); break;
      case "I32": dv.setInt32(i * 4, x, true); break;
      case "I16": dv.setInt16(i * 2, x, true); break;
      case "I8": dv.setInt8(i, x); break;
      case "U8": case "BOOL": out[i] = x; break;
    }
  }
  return out;
}

/** Where a tensor goes in a file: its bytes follow in the order given. */
export interface TensorLayout {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
}

export interface TensorToWrite extends TensorLayout {
  data: Uint8Array; // raw little-endian bytes
}

/** Builds the header bytes (padded with spaces to a multiple of 8, as the reference writer does) and data offsets.
 * Tensors given with `data` are checked against their shape; layouts alone serve writers that stream the bytes. */
export function buildHeader(tensors: (TensorLayout & { data?: Uint8Array })[], metadata?: Record<string, string>, file = "safetensors"): { header: Uint8Array; dataSize: number } {
  const obj: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length) {
    for (const [k, v] of Object.entries(metadata)) if (typeof v !== "string") throw new Error(`${file}: __metadata__["${k}"] must be a string, got ${typeof v}`);
    obj.__metadata__ = metadata;
  }
  let offset = 0;
  const seen = new Set<string>();
  for (const t of tensors) {
    const where = `${file}: tensor "${t.name}"`;
    if (t.name === "__metadata__") throw new Error(`${where}: the name is reserved for the metadata`);
    if (seen.has(t.name)) throw new Error(`${where} is written twice`);
    seen.add(t.name);
    if (!Object.hasOwn(DTYPE_BYTES, t.dtype)) throw new Error(`${where}: unknown dtype ${JSON.stringify(t.dtype)}`);
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new Error(`${where}: shape must be non-negative integers, got ${JSON.stringify(t.shape)}`);
    const need = tensorByteLength(t.shape, t.dtype, where);
    if (t.data && need !== t.data.length) throw new Error(`${where} has ${t.data.length} bytes, shape [${t.shape.join(", ")}] × ${t.dtype} needs ${need}`);
    obj[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + need] };
    offset += need;
  }
  let json = JSON.stringify(obj);
  const len = new TextEncoder().encode(json).length;
  json += " ".repeat((8 - ((8 + len) % 8)) % 8);
  const body = new TextEncoder().encode(json);
  if (body.length > MAX_HEADER_BYTES) throw new Error(`${file}: the header would be ${body.length} bytes, over the ${MAX_HEADER_BYTES}-byte limit readers enforce`);
  const header = new Uint8Array(8 + body.length);
  new DataView(header.buffer).setBigUint64(0, BigInt(body.length), true);
  header.set(body, 8);
  return { header, dataSize: offset };
}

/** Parses a whole in-memory safetensors buffer (browser use); tensors decoded to float32 on demand. */
export function parseSafetensors(bytes: Uint8Array, file = "model.safetensors"): { header: SafetensorsHeader; read(name: string): Float32Array } {
  const n = readHeaderLength(bytes.subarray(0, 8), bytes.length, file);
  const header = parseHeader(bytes.subarray(8, 8 + n), bytes.length, file);
  const byName = new Map(header.tensors.map((t) => [t.name, t]));
  return {
    header,
    read(name: string) {
      const t = byName.get(name);
      if (!t) throw new Error(`${file}: no tensor "${name}"`);
      return decodeToFloat32(bytes.subarray(header.dataStart + t.begin, header.dataStart + t.end), t.dtype);
    },
  };
}

/** Serialises tensors into one safetensors buffer. */
export function serializeSafetensors(tensors: TensorToWrite[], metadata?: Record<string, string>, file?: string): Uint8Array {
  const { header, dataSize } = buildHeader(tensors, metadata, file);
  const out = new Uint8Array(header.length + dataSize);
  out.set(header, 0);
  let o = header.length;
  for (const t of tensors) {
    out.set(t.data, o);
    o += t.data.length;
  }
  return out;
}
