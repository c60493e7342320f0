// The file a user's `import "retoken"` loads (package.json's exports: the bundle), for the benches that measure the
// build rather than the sources.
import { existsSync, readFileSync } from "node:fs";

export function builtEntry(root: string, bench: string): string {
  const pkg = JSON.parse(readFileSync(`${root}package.json`, "utf8")) as { exports: { ".": { import: string } } };
  const entry = `${root}${pkg.exports["."].import.slice(2)}`;
  if (!existsSync(entry)) throw new Error(`${bench} measures the built library: run npm run build first`);
  return entry;
}
