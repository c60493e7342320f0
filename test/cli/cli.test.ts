// The CLI as a user runs it: a child process, stdin in, stdout/stderr and exit code out.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tk from "tokenizers";
import { floresLines } from "../support/corpora.js";

const GPT2 = "../shared/data/tokenizers/gpt-2.json";
const LLAMA = "../shared/data/tokenizers/llama.json";

function retoken(args: string[], input = ""): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { input, encoding: "utf8", timeout: 120_000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

test("encode prints the oracle's ids; --count prints their number; decode inverts it", async () => {
  const text = floresLines("deu_Latn")[3]!;
  const ref = (await tk.Tokenizer.fromFile(LLAMA).encode(text, null, { addSpecialTokens: true })).getIds();
  const r = retoken(["encode", "-t", LLAMA], text);
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(JSON.parse(r.out), ref);
  assert.equal(retoken(["encode", "-t", LLAMA, "--count"], text).out.trim(), String(ref.length));
  const d = retoken(["decode", "-t", LLAMA, "--skip-special"], JSON.stringify(ref));
  assert.equal(d.out, text + "\n");
});

test("inspect describes the pipeline; demo transfers the bundled model to a German tokenizer", () => {
  const r = retoken(["inspect", LLAMA]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /model:\s+BPE, 32000 tokens/);
  assert.match(r.out, /decoder:\s+Sequence\[Replace/);
  assert.match(r.out, /<s>=1/);
  const j = JSON.parse(retoken(["inspect", GPT2, "--json"]).out);
  assert.equal(j.vocabSize, 50257);
  const demo = retoken(["demo", "--lines", "5"]);
  assert.equal(demo.code, 0, demo.err);
  assert.match(demo.out, /German tokenizer\s+\d+ tokens:/);
  assert.match(demo.out, /^de-8k\s+de\s+\d\.\d{3}\s+\d\.\d{3}/m);
  assert.match(demo.out, /^mean\s/m);
});

test("user errors: one clear line and exit code 1, no stack trace", () => {
  const dir = mkdtempSync(join(tmpdir(), "retoken-cli-"));
  writeFileSync(join(dir, "bad.json"), '{"model": {"type": "Nope"}}');
  for (const [args, input, pattern] of [
    [["encode", "-t", join(dir, "missing.json")], "x", /missing\.json/],
    [["encode", "-t", join(dir, "bad.json")], "x", /unknown model type "Nope"/],
    [["decode", "-t", GPT2], "not json", /stdin is not JSON/],
    // The library's own check (Tokenizer.unknownIdError): the id, its position and the file.
    // Content, not names: compressed or binary input is refused with the file named.
    [["encode", "-t", "test/fixtures/compressed/tokenizer.json.gz"], "x", /tokenizer\.json\.gz: the file is gzip-compressed, not text: decompress it first/],
    [["bpb", "test/fixtures/compressed/tokenizer.json.zst"], "", /tokenizer\.json\.zst: zstd-compressed, not text: decompress it first/],
    [["encode", "-t", GPT2], "a\0b", /stdin: binary data \(a NUL byte at offset 1\), not text \(--allow-binary reads it anyway\)/],
    [["decode", "-t", GPT2], "[15496, 99999999]", /gpt-2\.json: decode: id 99999999 at position 1 is not in the vocabulary \(50257 tokens, highest id 50256\)/],
  ] as [string[], string, RegExp][]) {
    const r = retoken(args, input);
    assert.equal(r.code, 1, `${args.join(" ")} should fail`);
    assert.match(r.err, pattern);
    assert.doesNotMatch(r.err, /\n\s+at /, "no stack trace");
  }
});

test("compare writes JSON and HTML; mixture rejects a tokenizer without merges and empty categories", () => {
  const dir = mkdtempSync(join(tmpdir(), "retoken-cli-"));
  const corpus = join(dir, "corpus");
  mkdirSync(corpus);
  for (const lang of ["eng_Latn", "fra_Latn"]) writeFileSync(join(corpus, `${lang}.txt`), floresLines(lang).slice(0, 20).join("\n"));
  const r = retoken(["compare", GPT2, LLAMA, "--corpus", corpus, "--json", join(dir, "out.json"), "--html", join(dir, "out.html"), "--no-audit"]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /fra_Latn/);
  const json = JSON.parse(readFileSync(join(dir, "out.json"), "utf8"));
  assert.deepEqual(json.tokenizers, ["gpt-2", "llama"]);
  assert.match(readFileSync(join(dir, "out.html"), "utf8"), /Text measured:<\/strong> the text files of .*\(eng_Latn, fra_Latn\)/);
  assert.equal(readFileSync(join(dir, "out.csv"), "utf8").trim().split("\r\n").length, 1 + 2 * 2, "CSV beside the JSON: a row per tokenizer and text");
  const missing = retoken(["compare", GPT2, "--corpus", join(dir, "nope")]);
  assert.equal(missing.code, 1);
  assert.match(missing.err, /cannot read the folder/);
  writeFileSync(join(corpus, "empty.txt"), "");
  assert.match(retoken(["compare", GPT2, "--corpus", corpus, "--no-audit"]).err, /corpus text "empty" is empty/);
  const bert = join(dir, "wordlevel.json");
  writeFileSync(bert, JSON.stringify({ model: { type: "WordLevel", vocab: { a: 0, "[UNK]": 1 }, unk_token: "[UNK]" }, pre_tokenizer: { type: "Whitespace" } }));
  assert.match(retoken(["mixture", bert, "--categories", corpus]).err, /needs a BPE merge list/);
  assert.match(retoken(["mixture", GPT2, "--categories", corpus]).err, /empty/);
});
