// Node-only file helpers shared by the CLI and the Node entry points.

import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
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
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new Error(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return textFromBytes(bytes, path, options);
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

/** Writes a file so that readers never see a half-written one: temp file in the same folder, then rename. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = tempPathBeside(path);
  try {
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
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

/** A temp path beside `path` (same folder, so a rename onto `path` is atomic), unique to this process and moment. */
export function tempPathBeside(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
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
    throw new Error(`${dir}: cannot read the folder (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
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
