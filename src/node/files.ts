// Node-only file helpers shared by the CLI and the Node entry points.

import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { basename, dirname, extname, join } from "node:path";
import type { JsonObject } from "../tokenize/types.js";

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
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    throw new Error(`${path}: cannot read (is this a model folder?)`);
  }
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
    const bytes = await readFile(path);
    let text: string;
    try {
      text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
    } catch {
      throw new Error(`${path}: not valid UTF-8`);
    }
    out.push({ name: basename(file, extname(file)), text, path });
  }
  if (out.length === 0) throw new Error(`${dir}: the folder has no text files`);
  return out;
}
