// Node-only file helpers shared by the CLI and the Node entry points.

import { rmSync, statSync } from "node:fs";
import { readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { basename, dirname, extname, join } from "node:path";
import type { JsonObject } from "../tokenize/types.js";
import { sniffNotText } from "../util/sniff.js";

export interface ReadTextOptions {
  /** Read a file that sniffs as binary (a NUL byte near the start) anyway; compressed files are refused regardless. */
  allowBinary?: boolean;
  /** Refuse invalid UTF-8 instead of reading it as U+FFFD. */
  fatal?: boolean;
}

/** Reads a text file that a command was given, sniffing its content first: compressed data, an archive or binary
 * data is refused with the file named rather than decoded as text. A BOM is kept as text (as the reference keeps it). */
export async function readTextFile(path: string, options: ReadTextOptions = {}): Promise<string> {
  return textFromBytes(await readFileNamed(path), path, options);
}

/** The text of a file's bytes, refused as readTextFile refuses it. */
export function textFromBytes(bytes: Uint8Array, path: string, options: ReadTextOptions = {}): string {
  const notText = sniffNotText(bytes);
  if (notText && (notText.compressed || !options.allowBinary)) throw new Error(`${path}: ${notText.reason}${notText.compressed ? "" : " (--allow-binary reads it anyway)"}`);
  try {
    return new TextDecoder("utf-8", { fatal: options.fatal ?? false, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new Error(`${path}: not valid UTF-8`);
  }
}

const FS_ERRORS: Record<string, string> = {
  ENOENT: "no such file or directory",
  EISDIR: "is a directory, expected a file",
  ENOTDIR: "a part of the path is not a directory",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EEXIST: "already exists",
  ENOSPC: "no space left on the device",
  EROFS: "read-only file system",
};

/** A file-system error as `<path>: [<doing>: ]<what>` (Node's own message omits the path for EISDIR on read). */
export function fileErrorMessage(err: unknown, path: string, doing?: string): string {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  const what = code && FS_ERRORS[code] ? FS_ERRORS[code] : err instanceof Error ? err.message : String(err);
  return `${path}: ${doing ? `${doing}: ` : ""}${what}`;
}

/** Reads a whole file; errors name the path. */
export async function readFileNamed(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    // The code stays readable: callers tell a missing optional file (ENOENT) from a real failure.
    throw Object.assign(new Error(fileErrorMessage(err, path)), { code: (err as NodeJS.ErrnoException).code });
  }
}

/** Writes a file so that readers never see a half-written one: temp file in the same folder, then rename. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = tempPathBeside(path);
  try {
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw new Error(fileErrorMessage(err, path));
  }
}

/** Reads a JSON object from a file, with the path in every error. */
export async function readJsonFile(path: string): Promise<JsonObject> {
  const text = await readTextFile(path);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message})`);
  }
  if (!json || typeof json !== "object" || Array.isArray(json)) throw new Error(`${path}: expected a JSON object`);
  return json as JsonObject;
}

/**
 * A temp path beside `path` (same folder, so a rename onto `path` is atomic), unique to this process and moment.
 * The folder must exist: an output's missing parent is a typo to report, never a tree to create.
 */
export function tempPathBeside(path: string): string {
  const dir = dirname(path);
  const isDir = (() => {
    try {
      return statSync(dir).isDirectory();
    } catch {
      return false;
    }
  })();
  if (!isDir) throw new Error(`${path}: cannot write: the folder ${dir} does not exist`);
  return join(dir, `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
}

/** Moves a finished temp folder onto `dir`; an existing `dir` is swapped out first and removed after. */
export async function replaceFolder(tmp: string, dir: string): Promise<void> {
  const old = await stat(dir).then(
    () => `${tmp}.old`,
    () => null,
  );
  if (old) await rename(dir, old);
  await rename(tmp, dir);
  if (old) await rm(old, { recursive: true, force: true });
}

/**
 * Removes `path` if the process is interrupted (SIGINT/SIGTERM) while a temp folder is being written, then lets the
 * signal end the process as before; the returned function stops watching.
 */
export function removeOnSignal(path: string): () => void {
  const handler = (signal: NodeJS.Signals) => {
    rmSync(path, { recursive: true, force: true });
    dispose();
    process.kill(process.pid, signal);
  };
  const dispose = () => {
    process.off("SIGINT", handler);
    process.off("SIGTERM", handler);
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return dispose;
}

export interface NamedText {
  name: string;
  text: string;
  path: string;
}

/** Reads every regular file of a folder as one UTF-8 text, named after the file without its extension. */
export async function readTextFolder(dir: string): Promise<NamedText[]> {
  let entries: string[];
  try {
    entries = (await readdir(dir)).sort();
  } catch (err) {
    throw new Error(fileErrorMessage(err, dir, "cannot read the folder"));
  }
  const out: NamedText[] = [];
  for (const file of entries) {
    if (file.startsWith(".")) continue;
    const path = join(dir, file);
    if (!(await stat(path)).isFile()) continue;
    const text = textFromBytes(await readFile(path), path, { fatal: true });
    out.push({ name: basename(file, extname(file)), text, path });
  }
  if (out.length === 0) throw new Error(`${dir}: the folder has no text files`);
  return out;
}
