// The CLI for scripts and people (issue 14 item 4): --version, line/JSONL batches, the trailing newline, labelled
// output and --json, one error style naming the path, no silent mkdir -p.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync, type SpawnSyncOptions } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tk from "tokenizers";
import { floresLines, TOKENIZERS } from "../support/corpora.js";

const GPT2 = `${TOKENIZERS}/gpt-2.json`;
const LLAMA = `${TOKENIZERS}/llama.json`;

function retoken(args: string[], input = "", options: SpawnSyncOptions = {}): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { input, encoding: "utf8", timeout: 120_000, ...options });
  return { code: r.status ?? -1, out: String(r.stdout), err: String(r.stderr) };
}

test("--version prints package.json's version", () => {
  const r = retoken(["--version"]);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out.trim(), JSON.parse(readFileSync("package.json", "utf8")).version);
});

test("encode drops one trailing newline of stdin (the README's example) unless --keep-newline", () => {
  // The README: `echo "Hello world" | npx retoken encode` prints GPT-2's ids of "Hello world".
  assert.deepEqual(JSON.parse(retoken(["encode"], "Hello world\n").out), [15496, 995]);
  assert.deepEqual(JSON.parse(retoken(["encode"], "Hello world\r\n").out), [15496, 995]);
  assert.deepEqual(JSON.parse(retoken(["encode", "--keep-newline"], "Hello world\n").out), [15496, 995, 198]);
  // Only one newline goes: the second is text.
  assert.deepEqual(JSON.parse(retoken(["encode"], "Hello world\n\n").out), [15496, 995, 198]);
  const j = JSON.parse(retoken(["encode", "--json"], "Hello world\n").out);
  assert.deepEqual(j, { ids: [15496, 995], tokens: ["Hello", "Ġworld"], offsets: [[0, 5], [5, 11]] });
});

test("encode --lines and --jsonl: one text per input line, one JSON line per text, the oracle's ids", async () => {
  const lines = [...floresLines("fra_Latn").slice(0, 5), "", "  leading spaces", ...floresLines("jpn_Jpan").slice(0, 3)];
  const hf = await tk.Tokenizer.fromFile(LLAMA);
  const ref = await Promise.all(lines.map(async (l) => (await hf.encode(l, null, { addSpecialTokens: true })).getIds()));
  const byLines = retoken(["encode", "-t", LLAMA, "--lines"], lines.join("\n") + "\n");
  assert.equal(byLines.code, 0, byLines.err);
  assert.deepEqual(byLines.out.trimEnd().split("\n").map((l) => JSON.parse(l)), ref);
  // CRLF line ends are line ends, not text.
  assert.deepEqual(retoken(["encode", "-t", LLAMA, "--lines"], lines.join("\r\n")).out.trimEnd().split("\n").map((l) => JSON.parse(l)), ref);
  // JSONL: strings or {"text"} objects; a text may hold newlines; blank lines are skipped.
  const jsonl = lines.map((l, i) => JSON.stringify(i % 2 ? { text: l } : l)).join("\n") + "\n\n" + JSON.stringify("two\nlines") + "\n";
  const byJsonl = retoken(["encode", "-t", LLAMA, "--jsonl", "--count"], jsonl);
  assert.equal(byJsonl.code, 0, byJsonl.err);
  const twoLines = (await hf.encode("two\nlines", null, { addSpecialTokens: true })).getIds().length;
  assert.deepEqual(byJsonl.out.trimEnd().split("\n").map(Number), [...ref.map((r) => r.length), twoLines]);
  const bad = retoken(["encode", "--jsonl"], '"ok"\n{"txt": 1}\n');
  assert.equal(bad.code, 1);
  assert.match(bad.err, /^retoken: encode: stdin line 2: expected a JSON string or an object with a string "text" field\n$/);
});

test("inspect names the model type of a file without \"type\" (GPT-2) as HF infers it", () => {
  const r = retoken(["inspect", GPT2]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^model:\s+BPE, 50257 tokens/m);
  assert.match(r.out, /^model settings:\s+BPE\(/m);
  assert.doesNotMatch(r.out, /\?/);
});

test("errors: `retoken: <path>: <what>` for a missing file, a directory, an unreadable file and a missing output folder", () => {
  const dir = mkdtempSync(join(tmpdir(), "retoken-cli-"));
  chmodSync(dir, 0o755);
  const locked = join(dir, "locked.json");
  writeFileSync(locked, "{}");
  chmodSync(locked, 0o000);
  const cases: [string[], string, RegExp, SpawnSyncOptions?][] = [
    [["encode", "-t", join(dir, "missing.json")], "x", new RegExp(`^retoken: ${join(dir, "missing.json")}: no such file or directory\n$`)],
    [["encode", "-t", dir], "x", new RegExp(`^retoken: ${dir}: is a directory, expected a file\n$`)],
    [["bpb", dir], "", new RegExp(`^retoken: ${dir}: is a directory, expected a file\n$`)],
    // Root reads anything: the unreadable file is read as nobody.
    [["encode", "-t", locked], "x", new RegExp(`^retoken: ${locked}: permission denied\n$`), process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {}],
    [["encode", "--bogus"], "", /^retoken: unknown option '--bogus'\n$/],
  ];
  if (process.getuid?.() === 0) {
    // nobody must reach the checkout (a clone inside a mode-700 folder such as `mktemp -d` hides tsx from it).
    const probe = spawnSync(process.execPath, ["-e", "require.resolve('tsx')"], { cwd: process.cwd(), uid: 65534, gid: 65534, encoding: "utf8" });
    assert.equal(probe.status, 0, `the unreadable-file check runs the CLI as nobody (uid 65534), who cannot read this checkout (${process.cwd()}): clone it under a folder others may enter (e.g. chmod 755 on its parents)`);
  }
  for (const [args, input, pattern, options] of cases) {
    const r = retoken(args, input, options);
    assert.equal(r.code, 1, `${args.join(" ")} should fail`);
    assert.match(r.err, pattern);
  }
  // A missing output folder is an error, not a silent mkdir -p; nothing is created.
  const corpus = join(dir, "corpus.txt");
  writeFileSync(corpus, floresLines("eng_Latn").slice(0, 50).join("\n"));
  const out = join(dir, "no", "such", "x.json");
  const r = retoken(["train", "--vocab-size", "300", "--no-progress", "--out", out, corpus]);
  assert.equal(r.code, 1);
  assert.equal(r.err, `retoken: ${out}: cannot write: the folder ${join(dir, "no", "such")} does not exist\n`);
  assert.equal(existsSync(join(dir, "no")), false);
  // With the folder there the same command writes, and --json says what.
  const ok = retoken(["train", "--vocab-size", "300", "--no-progress", "--json", "--out", join(dir, "x.json"), corpus]);
  assert.equal(ok.code, 0, ok.err);
  assert.deepEqual(JSON.parse(ok.out), { out: join(dir, "x.json"), model: "BPE", vocabSize: 300 });
});

test("bpb: labelled output, --json, and one note on stderr when the slower path runs (no OpenBLAS) naming the fix", () => {
  const dir = mkdtempSync(join(tmpdir(), "retoken-cli-"));
  const file = join(dir, "t.txt");
  writeFileSync(file, floresLines("deu_Latn")[0]!);
  const slow = retoken(["bpb", file], "", { env: { ...process.env, RETOKEN_OPENBLAS: join(dir, "no-libopenblas.so") } });
  assert.equal(slow.code, 0, slow.err);
  assert.match(slow.out, /^bits per byte:\s+\d+\.\d{4}\n/);
  assert.match(slow.out, /^model:\s+\S+default-model/m);
  assert.equal(slow.err.match(/retoken: note: language models run on the slower jax-js path/g)?.length, 1, slow.err);
  assert.match(slow.err, /Fix: bash scripts\/setup\.sh/);
  const json = retoken(["bpb", file, "--json"]);
  assert.equal(json.code, 0, json.err);
  const j = JSON.parse(json.out);
  assert.equal(j.bytes, Buffer.byteLength(floresLines("deu_Latn")[0]!));
  // Same model, same text: the two paths agree to float rounding, and the fast one says nothing.
  assert.ok(Math.abs(j.bitsPerByte - Number(slow.out.match(/\d+\.\d{4}/)![0])) < 1e-3);
  assert.doesNotMatch(json.err, /note:/);
});

test("a reader that closes the pipe early (`| head -1`) ends the command quietly: exit 0, no EPIPE stack", () => {
  const text = floresLines("deu_Latn").slice(0, 400).join("\n");
  const r = spawnSync("bash", ["-c", `${JSON.stringify(process.execPath)} --import tsx src/cli/main.ts encode --lines | head -1; echo "status \${PIPESTATUS[0]}" >&2`], { input: text.repeat(20), encoding: "utf8", timeout: 120_000 });
  assert.equal(r.stdout.split("\n").filter(Boolean).length, 1);
  assert.match(r.stderr, /status 0\n$/);
  assert.doesNotMatch(r.stderr, /EPIPE|Error/);
});

test("numeric flags: one parser for every command, its message names the command and flag and quotes the text", async () => {
  const { numberFlag, numberArg, intFlag } = await import("../../src/cli/commands/shared.js");
  assert.equal(numberFlag("x", "top-p", "0.5", { min: 0, above: true, max: 1 }), 0.5);
  assert.equal(numberFlag("x", "seed", undefined, { integer: true }), undefined);
  for (const [value, range, what] of [
    ["0", { min: 0, above: true, max: 1 }, "a number in (0, 1]"],
    ["1.5", { integer: true }, "an integer"],
    ["", { min: 0 }, "a non-negative number"],
    ["-1", { integer: true, min: 0 }, "a non-negative integer"],
    ["70000", { integer: true, min: 0, max: 65535 }, "an integer 0–65535"],
    ["Infinity", {}, "a number"],
    ["0", { integer: true, min: 1 }, "a positive integer"],
    ["0", { min: 0, above: true }, "a positive number"],
  ] as const) {
    assert.throws(() => numberFlag("cmd", "flag", value, range), new RegExp(`^Error: cmd: --flag must be ${what.replace(/[()[\]]/g, "\\$&")}, got "${value}"$`), `${value} ${what}`);
  }
  assert.throws(() => intFlag("transfer", "seed", "x"), /transfer: --seed must be an integer, got "x"/);
  assert.throws(() => numberArg({ integer: true, min: 1 })("0"), /expected a positive integer, got "0"/);
  // Through the CLI: commander's parser (train) and a command's own check (generate) say the same thing.
  assert.match(retoken(["train", "--vocab-size", "0", "--out", "x.json", "a.txt"]).err, /^retoken: option '--vocab-size <n>' argument '0' is invalid\. expected a positive integer, got "0"/);
  const r = retoken(["generate", "Hi", "--top-p", "2"]);
  assert.equal(r.code, 1);
  assert.match(r.err, /^retoken: generate: --top-p must be a number in \(0, 1\], got "2"/);
});
