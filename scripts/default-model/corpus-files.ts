// What the corpus scripts (make-corpus.ts, make-english-prose.ts) share: walking an unpacked package tree, and the
// lines of the shipped held-out texts that must never enter training text.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** Every regular file below `dir`, in name order (dangling symlinks of unpacked packages skipped); [] if it is absent. */
export function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const files: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    const st = statSync(p, { throwIfNoEntry: false });
    if (!st) continue; // dangling symlink
    if (st.isDirectory()) files.push(...walk(p));
    else if (st.isFile()) files.push(p);
  }
  return files;
}

/** The trimmed lines of assets/text/*-heldout.txt (8 characters or more: shorter ones are too common to hold out). */
export function heldOutLines(): Set<string> {
  const dir = fileURLToPath(new URL("../../assets/text/", import.meta.url));
  const lines = new Set<string>();
  for (const name of existsSync(dir) ? readdirSync(dir) : []) {
    if (!name.endsWith("-heldout.txt")) continue;
    for (const line of readFileSync(join(dir, name), "utf8").split("\n")) if (line.trim().length >= 8) lines.add(line.trim());
  }
  return lines;
}
