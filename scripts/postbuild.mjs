// After tsc: makes the CLI entries executable (tsc does not keep the mode bit), bundles the playground page for the
// browser (dist/web/playground.js and its worker, dist/web/worker.js), so an installed package serves it without a
// bundler, and bundles the package's Node entry points (dist/bundle/, below).
import { chmodSync, existsSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { relative, sep } from "node:path";
import { build } from "esbuild";
const dist = new URL("../dist/", import.meta.url).pathname;
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

// The package's entry points (package.json's exports and bin) as one set of ES modules with shared chunks: a fresh process
// loads a handful of files instead of ~90 (importing the tokenizer: ~50 -> ~22 ms; cold start is issue 15). Entries
// sit flat in dist/bundle/, so one relative path leads from any output file back to dist/. Each module's
// import.meta.url is rewritten to the URL of its own tsc output beside the bundle: the paths it resolves from there
// (assets, worker scripts, package.json) stay where they were. Packages stay external (npm installs them); the worker
// threads still load the unbundled modules. dist/ keeps the tsc output for the types and the workers. retoken/browser
// is an entry too, so that "retoken" and "retoken/browser" hand out the same classes (the browser entry's chunks hold
// no Node API: esbuild gives each chunk only the modules its entries reach).
const bundleDir = `${dist}bundle`;
const entries = { index: "index", browser: "browser", train: "train/index", analyze: "analyze/index", transfer: "transfer/index", lm: "lm/index", node: "node/index", decode: "decode/index", cli: "cli/main" };
const ownUrl = {
  name: "own-import-meta-url",
  setup(b) {
    b.onLoad({ filter: /\.js$/ }, async (args) => {
      const text = await readFile(args.path, "utf8");
      // (A URL path: forward slashes whatever the build machine's separator.)
      const own = `new URL(${JSON.stringify(relative(bundleDir, args.path).split(sep).join("/"))}, import.meta.url).href`;
      return { contents: text.replaceAll("import.meta.url", own), loader: "js" };
    });
  },
};
// Chunk names carry a content hash: a rebuild would leave the old ones beside the new (and in the tarball).
rmSync(bundleDir, { recursive: true, force: true });
await build({
  entryPoints: Object.fromEntries(Object.entries(entries).map(([name, path]) => [name, `${dist}${path}.js`])),
  outdir: bundleDir,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  packages: "external",
  plugins: [ownUrl],
  logLevel: "warning",
});
for (const bin of [`${dist}cli/main.js`, `${bundleDir}/cli.js`]) if (existsSync(bin)) chmodSync(bin, 0o755);
