// After tsc: makes the CLI entry executable (tsc does not keep the mode bit) and bundles the playground page for the
// browser (dist/web/playground.js and its worker, dist/web/worker.js), so an installed package serves it without a bundler.
import { chmodSync, existsSync } from "node:fs";
import { build } from "esbuild";
const cli = new URL("../dist/cli/main.js", import.meta.url);
if (existsSync(cli)) chmodSync(cli, 0o755);
// The page and its worker (site.ts hands the worker to the page as text).
for (const [entry, out] of [["app", "playground"], ["worker", "worker"]])
  await build({
    entryPoints: [new URL(`../src/web/${entry}.ts`, import.meta.url).pathname],
    outfile: new URL(`../dist/web/${out}.js`, import.meta.url).pathname,
    bundle: true,
    platform: "browser",
    format: "iife",
    minify: true,
    target: "es2022",
    logLevel: "warning",
  });
