// Loading tokenizers must not detach an ArrayBuffer: a WebAssembly.Memory that grows detaches its old buffer, and V8
// then drops its ArrayBufferDetaching protector and checks every typed-array access of the process (the hand-written
// modules get a memory as large as they need instead). Checked in a plain Node process (tsx's loader detaches buffers
// of its own) running the library bundled by esbuild, with V8's trace of protector invalidations.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createRequire } from "node:module";
import { build } from "esbuild";

const require = createRequire(import.meta.url);

test("loading a tokenizer.json, rank files and a .model and encoding with them (long pieces too) detaches no ArrayBuffer", async () => {
  const dir = mkdtempSync(join(tmpdir(), "retoken-protector-"));
  try {
    const bundle = join(dir, "retoken.mjs");
    await build({ entryPoints: ["src/index.ts"], bundle: true, platform: "node", format: "esm", outfile: bundle, logLevel: "silent", external: ["koffi", "tokenizers"] });
    const files = [
      "../shared/data/tokenizers/gpt-2.json",
      "../shared/data/tokenizers/llama.json",
      "../shared/data/tokenizers/llama3.tiktoken",
      require.resolve("tiktoken/encoders/o200k_base.json"),
      require.resolve("tiktoken/encoders/p50k_base.json"),
      "../shared/data/tokenizers/sentencepiece/en-unigram.model",
    ].map((f) => resolve(f));
    const script = join(dir, "load.mjs");
    writeFileSync(
      script,
      `const { Tokenizer } = await import(${JSON.stringify(bundle)});\n` +
        `for (const f of ${JSON.stringify(files)}) { const t = await Tokenizer.fromFile(f); t.encode("hello w\\u00f6rld \\u65e5\\u672c", { addSpecialTokens: false }).offsets; t.encodeIds("ab".repeat(40000)); }\n` +
        `console.log("loaded ${files.length}");\n`,
    );
    const out = execFileSync(process.execPath, ["--trace-protector-invalidation", script], { encoding: "utf8" });
    assert.match(out, new RegExp(`loaded ${files.length}`));
    assert.doesNotMatch(out, /ArrayBufferDetaching/, out);
    // The check can fail: a memory that grows does invalidate the protector in such a process.
    const grown = execFileSync(process.execPath, ["--trace-protector-invalidation", "-e", "new WebAssembly.Memory({ initial: 1 }).grow(1)"], { encoding: "utf8" });
    assert.match(grown, /ArrayBufferDetaching/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
