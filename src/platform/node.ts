// Node's file reader for Tokenizer.fromFile.

import { readFile } from "node:fs/promises";
import { setFileReader } from "./files.js";

export function installNodePlatform(): void {
  setFileReader(async (path) => {
    const b = await readFile(path);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  });
}
