// Readers other than the training corpus judge a file by its content, not its name: compressed or binary input given
// as a tokenizer or a text is refused with the file named (fixtures: scripts/make-compressed-fixtures.sh).
import { test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Tokenizer } from "../../src/index.js";
import { readJsonFile, readTextFile } from "../../src/node/files.js";
import { sniffNotText } from "../../src/util/sniff.js";

const FIX = "test/fixtures/compressed";
const KINDS = [["gz", /gzip-compressed/], ["zst", /zstd-compressed/], ["bz2", /bzip2-compressed/], ["xz", /xz-compressed/], ["zip", /a zip archive/]] as const;

test("compressed tokenizer files are refused whatever their name, naming the file", async () => {
  const plain = await Tokenizer.fromFile(`${FIX}/tokenizer.json`);
  assert.deepEqual(Array.from(plain.encode("hello there").ids), [1, 0]);
  const dir = mkdtempSync(join(tmpdir(), "retoken-sniff-"));
  for (const [ext, what] of KINDS) {
    for (const name of ["tokenizer.json", "ranks.tiktoken", "spm.model", `tokenizer.json.${ext}`]) {
      const path = join(dir, name);
      copyFileSync(`${FIX}/tokenizer.json.${ext}`, path);
      await assert.rejects(Tokenizer.fromFile(path), (e: Error) => e.message.startsWith(`${path}: the file is `) && what.test(e.message), `${ext} as ${name}`);
      await assert.rejects(readJsonFile(path), (e: Error) => e.message.startsWith(`${path}: `) && what.test(e.message) && /decompress|unpack/.test(e.message));
    }
  }
});

test("text readers refuse compressed and binary files; binary is read only when asked", async () => {
  const dir = mkdtempSync(join(tmpdir(), "retoken-sniff-"));
  const nul = join(dir, "utf16.txt");
  writeFileSync(nul, Buffer.from("\ufeffhello", "utf16le"));
  await assert.rejects(readTextFile(nul), /utf16\.txt: binary data \(a NUL byte at offset 3\), not text \(--allow-binary reads it anyway\)/);
  assert.equal(await readTextFile(nul, { allowBinary: true }), "\ufffd\ufffdh\0e\0l\0l\0o\0"); // asked for: read as UTF-8, as given
  const st = "assets/default-model/model.safetensors";
  await assert.rejects(readTextFile(st), /model\.safetensors: a safetensors file \(tensor data\), not text/);
  const zst = `${FIX}/tokenizer.json.zst`;
  await assert.rejects(readTextFile(zst, { allowBinary: true }), /tokenizer\.json\.zst: zstd-compressed, not text: decompress it first$/);
  // A text with a BOM and non-ASCII stays text (the BOM is kept, as the reference keeps it).
  const ok = join(dir, "ok.txt");
  writeFileSync(ok, "\ufeffGrüße, 世界\n");
  assert.equal(await readTextFile(ok), "\ufeffGrüße, 世界\n");
  assert.equal(sniffNotText(readFileSync(ok)), null);
});
