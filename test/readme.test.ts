// The README's library examples run as written: each ```ts block of its "Library" section is saved as a file with the
// package's subpath imports pointed at the sources, and run in a fresh process from the repository root.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const ROOT = resolve(new URL("..", import.meta.url).pathname);
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { exports: Record<string, unknown> };

/** "retoken/train" → src/train/index.ts: the source of the types package.json's exports give it (dist/train/index.d.ts;
 * the code itself is bundled into dist/bundle/). */
function sourceOf(specifier: string): string {
  const sub = specifier === "retoken" ? "." : `./${specifier.slice("retoken/".length)}`;
  const target = pkg.exports[sub] as { import?: string; types?: string } | undefined;
  if (!target?.import || !target.types) throw new Error(`README imports ${specifier}, which package.json does not export`);
  return join(ROOT, target.types.replace(/^\.\/dist\//, "src/").replace(/\.d\.ts$/, ".ts"));
}

const readme = readFileSync(join(ROOT, "README.md"), "utf8");
const library = readme.slice(readme.indexOf("## Library"), readme.indexOf("\n## ", readme.indexOf("## Library") + 1));
const blocks = [...library.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);

test("the README has a runnable example per capability", () => {
  const imported = new Set(blocks.flatMap((b) => [...b.matchAll(/from "(retoken[^"]*)"/g)].map((m) => m[1]!)));
  for (const sub of Object.keys(pkg.exports).filter((k) => k !== "./package.json" && k !== "./browser")) {
    assert.ok(imported.has(sub === "." ? "retoken" : `retoken/${sub.slice(2)}`), `no README example imports ${sub}`);
  }
});

test("every README library example runs", () => {
  const dir = mkdtempSync(join(tmpdir(), "retoken-readme-"));
  try {
    blocks.forEach((code, i) => {
      const file = join(dir, `example-${i}.mts`);
      writeFileSync(file, code.replace(/from "(retoken(?:\/[a-z]+)?)"/g, (_, spec: string) => `from ${JSON.stringify(sourceOf(spec))}`));
      const r = spawnSync(process.execPath, ["--import", "tsx", file], { cwd: ROOT, encoding: "utf8", timeout: 300_000 });
      assert.equal(r.status, 0, `README example ${i + 1} (${code.split("\n")[0]}) failed:\n${r.stderr.slice(-2000)}`);
      assert.ok(r.stdout.length > 0, `README example ${i + 1} printed nothing`);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
