// The direction of STYLE.md's picture, checked on the import graph of src/ (static imports, re-exports and dynamic
// import() with a literal specifier): tokenize knows nothing of formats/train/analyze/transfer/lm/tensor/node/decode,
// tensor nothing of node, and the browser-bound folders import no Node built-in.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const SRC = resolve("src");

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith(".ts") ? [p] : [];
  });
}

/** Every module a file imports: src-relative paths for ours, the bare specifier for the rest. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const out: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s*"([^"]+)"|import\(\s*"([^"]+)"\s*\)|(?:^|\n)\s*import\s*"([^"]+)"/g)) {
    const spec = m[1] ?? m[2] ?? m[3]!;
    out.push(spec.startsWith(".") ? relative(SRC, resolve(dirname(file), spec)).replace(/\.js$/, ".ts") : spec);
  }
  return out;
}

const FORBIDDEN: Record<string, string[]> = {
  tokenize: ["formats", "train", "analyze", "transfer", "lm", "tensor", "node", "decode", "cli"],
  formats: ["train", "analyze", "transfer", "lm", "tensor", "node", "decode", "cli"],
  tensor: ["node", "lm", "transfer", "cli"],
  decode: ["formats", "train", "analyze", "transfer", "cli"],
  util: ["tokenize", "formats", "train", "analyze", "transfer", "lm", "tensor", "node", "decode", "cli"],
};
const BROWSER_BOUND = ["tokenize", "decode", "formats", "util"];
const ENTRY_POINTS = ["index.ts", "browser.ts"];

test("imports follow STYLE.md's picture: tokenize ↛ formats, tensor ↛ node, browser-bound folders use no node: module, no module imports an entry point", () => {
  const problems: string[] = [];
  for (const file of files(SRC)) {
    const from = relative(SRC, file);
    const top = from.split("/")[0]!;
    for (const imp of importsOf(file)) {
      const target = imp.split("/")[0]!;
      if (FORBIDDEN[top]?.includes(target)) problems.push(`${from} imports ${imp}`);
      if (BROWSER_BOUND.includes(top) && imp.startsWith("node:")) problems.push(`${from} imports ${imp} (runs in a browser)`);
      // The entry points re-export modules (both src/exports.ts); no module depends on an entry point.
      if (ENTRY_POINTS.includes(imp)) problems.push(`${from} imports the entry point ${imp}`);
    }
  }
  assert.deepEqual(problems, []);
});

test("the import-graph reader sees the kinds of import there are (it would catch an offender)", () => {
  const seen = importsOf(join(SRC, "tokenize", "tokenizer.ts"));
  assert.ok(seen.includes("platform/files.ts"), seen.join(", "));
  assert.ok(importsOf(join(SRC, "exports.ts")).includes("formats/index.ts"));
  // Dynamic imports count: the CLI loads the LM lazily.
  assert.ok(importsOf(join(SRC, "cli", "commands", "bpb.ts")).includes("lm/node.ts"));
  assert.ok(importsOf(join(SRC, "index.ts")).includes("exports.ts") && importsOf(join(SRC, "browser.ts")).includes("exports.ts"));
  assert.ok(importsOf(join(SRC, "browser.ts")).includes("platform/browser-template.ts"));
});
