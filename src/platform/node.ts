// Node's file reader for Tokenizer.fromFile, and its loader of the chat templates' Jinja engine.

import { createRequire } from "node:module";
import { readFileNamed } from "../node/files.js";
import { setFileReader, setTemplateEngine } from "./files.js";

export function installNodePlatform(): void {
  setFileReader(async (path) => {
    const b = await readFileNamed(path);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  });
  // Synchronously (applyChatTemplate is), from the package's CommonJS build, the first time a template is rendered.
  setTemplateEngine(() => (createRequire(import.meta.url)("@huggingface/jinja") as typeof import("@huggingface/jinja")).Template);
}
