// Node's file reader for Tokenizer.fromFile.

import { readFileNamed } from "../node/files.js";
import { setFileReader } from "./files.js";

export function installNodePlatform(): void {
  setFileReader(async (path) => {
    const b = await readFileNamed(path);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  });
}
