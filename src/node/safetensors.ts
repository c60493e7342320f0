// Node-only safetensors I/O: streaming reads through a file handle (tensor by tensor, so files larger than memory
// work), sharded checkpoints (model.safetensors.index.json), and atomic writes (temp file, then rename).
import { open, readFile, rename, rm, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { tempPathBeside } from "./files.js";
import type { FileHandle } from "node:fs/promises";
import {
  buildHeader,
  decodeToFloat32,
  parseHeader,
  readHeaderLength,
  tensorByteLength,
  type SafetensorsHeader,
  type TensorInfo,
  type TensorLayout,
  type TensorToWrite,
} from "../tensor/safetensors.js";

export interface SafetensorsFile {
  path: string;
  header: SafetensorsHeader;
  /** Raw bytes of one tensor, read straight into one buffer; `onBytes` hears of each piece read. */
  readBytes(name: string, onBytes?: (n: number) => void): Promise<Uint8Array>;
  /** One tensor decoded to float32. */
  readFloat32(name: string): Promise<{ info: TensorInfo; data: Float32Array }>;
  /** Raw bytes of one tensor in pieces of at most `chunkBytes` (copies a tensor larger than memory allows). */
  readChunks(name: string, chunkBytes?: number): AsyncGenerator<Uint8Array>;
  close(): Promise<void>;
}

async function readExactly(fh: FileHandle, length: number, position: number, file: string, onBytes?: (n: number) => void): Promise<Uint8Array> {
  const buf = new Uint8Array(length);
  let done = 0;
  // One read is capped at 1 GiB (the OS reads at most ~2 GiB per call and Node rejects longer lengths), and at
  // 64 MiB when someone shows progress.
  const step = onBytes ? 64 << 20 : 1 << 30;
  while (done < length) {
    const { bytesRead } = await fh.read(buf, done, Math.min(length - done, step), position + done);
    if (bytesRead === 0) throw new Error(`${file}: unexpected end of file at byte ${position + done} (truncated?)`);
    done += bytesRead;
    onBytes?.(bytesRead);
  }
  return buf;
}

/** Opens a .safetensors file and validates its header; tensor data is read only when asked for. */
export async function openSafetensors(path: string): Promise<SafetensorsFile> {
  const fh = await open(path, "r");
  try {
    const size = (await fh.stat()).size;
    const first = await readExactly(fh, Math.min(8, size), 0, path);
    const n = readHeaderLength(first, size, path);
    const header = parseHeader(await readExactly(fh, n, 8, path), size, path);
    const byName = new Map(header.tensors.map((t) => [t.name, t]));
    const info = (name: string) => {
      const t = byName.get(name);
      if (!t) throw new Error(`${path}: no tensor "${name}"`);
      return t;
    };
    return {
      path,
      header,
      readBytes: async (name, onBytes) => {
        const t = info(name);
        return readExactly(fh, t.end - t.begin, header.dataStart + t.begin, path, onBytes);
      },
      readFloat32: async (name) => {
        const t = info(name);
        return { info: t, data: decodeToFloat32(await readExactly(fh, t.end - t.begin, header.dataStart + t.begin, path), t.dtype) };
      },
      readChunks: async function* (name, chunkBytes = 16 << 20) {
        const t = info(name);
        for (let at = t.begin; at < t.end; at += chunkBytes) yield readExactly(fh, Math.min(chunkBytes, t.end - at), header.dataStart + at, path);
      },
      close: () => fh.close(),
    };
  } catch (e) {
    await fh.close();
    throw e;
  }
}

/** Lists the weight files of a folder: the shards named by model.safetensors.index.json, else model.safetensors. */
export async function checkpointFiles(dir: string): Promise<{ files: string[]; weightMap: Map<string, string> | null; index: Record<string, unknown> | null }> {
  const indexPath = join(dir, "model.safetensors.index.json");
  let indexText: string | null = null;
  try {
    indexText = await readFile(indexPath, "utf8");
  } catch {
    /* not sharded */
  }
  if (indexText === null) {
    const single = join(dir, "model.safetensors");
    await stat(single).catch(() => {
      throw new Error(`${dir}: no model.safetensors and no model.safetensors.index.json`);
    });
    return { files: [single], weightMap: null, index: null };
  }
  let index: { weight_map?: Record<string, string> } & Record<string, unknown>;
  try {
    index = JSON.parse(indexText);
  } catch (e) {
    throw new Error(`${indexPath}: not valid JSON (${(e as Error).message})`);
  }
  if (!index.weight_map || typeof index.weight_map !== "object") throw new Error(`${indexPath}: missing "weight_map"`);
  const weightMap = new Map<string, string>();
  for (const [name, shard] of Object.entries(index.weight_map)) {
    if (typeof shard !== "string" || shard.includes("/") || shard.includes("\\")) throw new Error(`${indexPath}: weight_map["${name}"] must be a file name in the folder, got ${JSON.stringify(shard)}`);
    weightMap.set(name, join(dir, shard));
  }
  return { files: [...new Set(weightMap.values())], weightMap, index };
}

/** Visits every tensor of a (possibly sharded) checkpoint, one at a time, decoded to float32. */
export async function forEachTensor(dir: string, visit: (name: string, shape: number[], data: Float32Array, dtype: string) => void | Promise<void>): Promise<void> {
  const { files, weightMap } = await checkpointFiles(dir);
  const seen = new Set<string>();
  for (const file of files) {
    const f = await openSafetensors(file);
    try {
      for (const t of f.header.tensors) {
        if (weightMap && weightMap.get(t.name) !== file) continue;
        seen.add(t.name);
        const { data } = await f.readFloat32(t.name);
        await visit(t.name, t.shape, data, t.dtype);
      }
    } finally {
      await f.close();
    }
  }
  if (weightMap) {
    // Every tensor the index names must exist in its shard.
    for (const [name, file] of weightMap)
      if (!seen.has(name)) throw new Error(`${join(dir, "model.safetensors.index.json")}: tensor "${name}" is mapped to ${basename(file)} but that shard does not hold it`);
  }
}

/** Writes tensors to `path` atomically: streamed into a temp file in the same folder, then renamed over the target. */
export async function writeSafetensors(path: string, tensors: TensorToWrite[], metadata?: Record<string, string>): Promise<void> {
  await writeSafetensorsStreamed(
    path,
    tensors.map((t) => ({ ...t, chunks: () => [t.data] })),
    metadata,
  );
}

/** A tensor whose bytes arrive in pieces (copied from another file, or encoded a block of rows at a time). */
export interface StreamedTensor extends TensorLayout {
  chunks: () => AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
}

/** Writes tensors whose bytes are produced piece by piece, atomically (temp file, then rename); each tensor must
 * deliver exactly shape × dtype bytes, so a short or long producer cannot corrupt the offsets in the header. */
export async function writeSafetensorsStreamed(path: string, tensors: StreamedTensor[], metadata?: Record<string, string>): Promise<void> {
  const { header } = buildHeader(tensors, metadata, path);
  const tmp = tempPathBeside(path);
  const fh = await open(tmp, "w");
  try {
    await fh.write(header);
    for (const t of tensors) {
      const need = tensorByteLength(t.shape, t.dtype, path);
      let got = 0;
      for await (const chunk of t.chunks()) {
        got += chunk.length;
        if (got > need) break;
        await fh.write(chunk);
      }
      if (got !== need) throw new Error(`${path}: tensor "${t.name}" produced ${got > need ? "more than" : "only"} ${got} bytes, shape [${t.shape.join(", ")}] × ${t.dtype} needs ${need}`);
    }
    await fh.sync();
  } catch (e) {
    await fh.close();
    await rm(tmp, { force: true });
    throw e;
  }
  await fh.close();
  await rename(tmp, path);
}
