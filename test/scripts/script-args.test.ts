// The scripts' command lines: --help lists the options and exits 0; an unknown option is named with the list and
// exits 2, without a stack trace (before, parseArgs' TypeError escaped with one).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";

const run = (...args: string[]) => spawnSync(process.execPath, ["--import", "tsx", "scripts/default-model/evaluate.ts", ...args], { encoding: "utf8", timeout: 120_000 });

test("a script's --help lists its options with their defaults", () => {
  const r = run("--help");
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^usage: evaluate\.ts \[options\]/);
  assert.match(r.stdout, /--model VALUE/);
});

test("an unknown option is named, with the usage, and exits 2 without a stack trace", () => {
  const r = run("--no-such-option", "1");
  assert.equal(r.status, 2);
  assert.match(r.stderr, /evaluate\.ts: Unknown option '--no-such-option'/);
  assert.match(r.stderr, /usage: evaluate\.ts/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});
