// `retoken dynamic` as a user runs it: the JSON fields, the sweep's curve (JSON and an HTML chart), and flag
// errors that name the flag.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { floresLines } from "../support/corpora.js";

function retoken(args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { encoding: "utf8", timeout: 300_000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

const dir = mkdtempSync(join(tmpdir(), "retoken-dynamic-"));
const file = join(dir, "de.txt");
writeFileSync(file, floresLines("deu_Latn", "devtest").slice(10, 18).join("\n") + "\n");

test("dynamic --merges --json reports reduction, merges, bits per byte against the baseline, seconds", () => {
  const r = retoken(["dynamic", file, "--merges", "20", "--batch-lines", "4", "--json"]);
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  for (const k of ["reduction", "merges", "bitsPerByte", "baselineBitsPerByte", "seconds"]) assert.equal(typeof j[k], "number", k);
  assert.equal(j.merges, 20);
  assert.ok(j.reduction > 0 && j.reduction < 0.5, String(j.reduction));
  assert.ok(j.bitsPerByte > 0 && j.baselineBitsPerByte > 0);
  assert.equal(j.lines, 8);
});

test("dynamic --sweep writes the curve as JSON and an HTML report with the chart; --control adds the anchor's control", () => {
  const json = join(dir, "curve.json");
  const html = join(dir, "curve.html");
  const r = retoken(["dynamic", file, "--sweep", "0.1,0.2", "--boundary", "word", "--control", "--json", json, "--html", html]);
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(readFileSync(json, "utf8"));
  const kinds = j.points.map((p: { kind: string; boundary: string | null; targetReduction: number | null }) => [p.kind, p.boundary, p.targetReduction]);
  assert.deepEqual(kinds, [["dynamic", "word", 0.1], ["dynamic", "word", 0.2], ["control", null, null], ["control", "word", 0.1], ["control", "word", 0.2]]);
  // The control is the model's own tokenization (nothing shorter) with other rows, so another score.
  const control = j.points[2];
  assert.ok(control.reduction === 0 && control.merges === 0 && control.bitsPerByte !== j.baselineBitsPerByte, JSON.stringify(control));
  for (const p of j.points) assert.ok(p.reduction >= p.targetReduction && Math.abs(p.relative - (p.bitsPerByte / j.baselineBitsPerByte - 1)) < 1e-12);
  const page = readFileSync(html, "utf8");
  assert.match(page, /<svg/);
  assert.match(page, /target 20\.0%/);
  assert.match(page, /control \+ word @ 20\.0%/);
});

test("dynamic refuses contradictory or malformed flags, naming them", () => {
  const cases: [string[], RegExp][] = [
    [["dynamic", file], /give exactly one of --merges N and --reduction R/],
    [["dynamic", file, "--merges", "3", "--reduction", "0.1"], /give exactly one of --merges N and --reduction R/],
    [["dynamic", file, "--reduction", "15"], /--reduction takes a fraction in \[0, 1\)/],
    [["dynamic", file, "--merges", "3", "--boundary", "line"], /--boundary must be one of pretokens, word, sentence/],
    [["dynamic", file, "--merges", "3", "--html", "x.html"], /--static, --control and --html go with --sweep/],
    [["dynamic", file, "--merges", "3", "--control"], /--static, --control and --html go with --sweep/],
  ];
  for (const [args, message] of cases) {
    const r = retoken(args);
    assert.notEqual(r.code, 0);
    assert.match(r.err, message);
  }
});
