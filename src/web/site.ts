// The playground as static files: index.html, the page's bundle and one script per bundled tokenizer (script tags
// load from file:// where fetch cannot, so the folder works opened from disk, from any static host, and offline).
// `retoken playground` serves the same files; nothing is computed on a server.
import { existsSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Manifest } from "./app.js";
import { writeFileAtomic } from "../node/files.js";
import { packagedEncoding, type EncodingName } from "../encodings.js";

const asset = (p: string) => fileURLToPath(new URL(`../../assets/${p}`, import.meta.url));

/** The tokenizers that ship with retoken, as the playground lists them. */
export const BUNDLED_TOKENIZERS: { key: string; title: string; file: string }[] = [
  { key: "gpt2", title: "GPT-2", file: asset("gpt2-tokenizer.json") },
  { key: "default-model", title: "retoken default model (8k byte-level BPE)", file: asset("default-model/tokenizer.json") },
  { key: "de-8k", title: "German 8k (trained by retoken)", file: asset("tokenizers/de-8k.json") },
  { key: "es-8k", title: "Spanish 8k (trained by retoken)", file: asset("tokenizers/es-8k.json") },
];

/** OpenAI's named encodings, from the rank tables js-tiktoken ships (loaded by the page only when chosen). */
export const NAMED_ENCODINGS: { key: EncodingName; title: string }[] = [
  { key: "cl100k_base", title: "cl100k_base (GPT-4, GPT-3.5)" },
  { key: "o200k_base", title: "o200k_base (GPT-4o)" },
];

/**
 * A script of the page (`app`: the page, `worker`: its worker): the prebuilt bundle shipped in dist/web (a package
 * install has no bundler), or, in a source checkout, src/web/NAME.ts bundled now with esbuild (a dev dependency).
 */
async function bundle(name: "app" | "worker"): Promise<string> {
  const prebuilt = fileURLToPath(new URL(`./${name === "app" ? "playground" : name}.js`, import.meta.url));
  if (existsSync(prebuilt)) return readFile(prebuilt, "utf8");
  const { build } = await import("esbuild");
  const result = await build({ entryPoints: [fileURLToPath(new URL(`./${name}.ts`, import.meta.url))], bundle: true, platform: "browser", format: "iife", minify: true, write: false, logLevel: "silent", target: "es2022" });
  return result.outputFiles[0]!.text;
}

/** JS source that hands `text` to the page (a string literal that cannot close a script element). */
const assetScript = (key: string, text: string) => `retokenAsset(${JSON.stringify(key)},${JSON.stringify(text).replace(/<\//g, "<\\/")});\n`;

const STYLE = `
:root{--fg:#1d1d1f;--muted:#666;--line:#ddd}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;padding:1em 1.5em;color:var(--fg);max-width:1500px}
h1{font-size:20px;margin:.2em 0}header p{color:var(--muted);margin:.2em 0 .8em}
.controls{display:flex;flex-wrap:wrap;gap:.6em 1.2em;align-items:center;margin-bottom:.6em}
textarea{width:100%;font:14px/1.4 ui-monospace,monospace;padding:.5em;border:1px solid #bbb;border-radius:4px}
.panels{display:grid;grid-template-columns:repeat(auto-fit,minmax(380px,1fr));gap:1em;margin-top:1em}
.panel{border:1px solid var(--line);border-radius:6px;padding:.6em;min-width:0}
.panel header{display:flex;gap:.6em;align-items:center;flex-wrap:wrap;margin-bottom:.4em}
.panel header button{margin-left:auto}
.stats{color:var(--muted)}
.tokens{white-space:pre-wrap;word-break:break-all;font:13px/1.9 ui-monospace,monospace;max-height:60vh;overflow:auto;padding:2px}
.t{background:hsl(var(--h) 80% 88%);border-radius:3px;padding:1px 1px;margin-right:1px;cursor:default}
.t:hover,.t.sel{outline:2px solid hsl(var(--h) 60% 35%)}
.t.s{background:#222;color:#fff}
.t.p{background:repeating-linear-gradient(135deg,hsl(var(--h) 80% 88%),hsl(var(--h) 80% 88%) 4px,hsl(var(--h) 70% 78%) 4px,hsl(var(--h) 70% 78%) 8px)}
.details{font:12px ui-monospace,monospace;color:#333;margin-top:.4em;min-height:2.4em;word-break:break-all}
.note{color:#a33}.status{color:var(--muted);min-height:1.2em;margin:.2em 0}
.chart{margin:1.5em 0}.chart figcaption{font-weight:600;margin-bottom:.3em}
.model-views{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:1em}
.ranked{position:absolute;left:-9999px}
.generate{margin:1.5em 0}.gen-output{white-space:pre-wrap;font:14px/1.6 ui-monospace,monospace;background:#f6f6f6;padding:.5em}.gen-window{color:#666}.gen-text{background:#e3f1e3}.heal{margin:1.5em 0}.heal-tokens{margin:.4em 0}.t.removed{text-decoration:line-through #a33;box-shadow:inset 0 -2px #a33;margin-right:2px}
.candidates{columns:3 14em;font:13px/1.9 ui-monospace,monospace}
:focus-visible{outline:3px solid #4269d0;outline-offset:1px}
`;

/** Every file of the static site, by path relative to its root. */
export async function playgroundFiles(): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const manifest: Manifest = { tokenizers: [], model: null, worker: null };
  for (const t of BUNDLED_TOKENIZERS) {
    const script = `assets/${t.key}.js`;
    files.set(script, assetScript(t.key, await readFile(t.file, "utf8")));
    manifest.tokenizers.push({ key: t.key, title: t.title, script });
  }
  for (const e of NAMED_ENCODINGS) {
    const script = `assets/${e.key}.js`;
    files.set(script, assetScript(e.key, JSON.stringify(await packagedEncoding(e.key))));
    manifest.tokenizers.push({ key: e.key, title: e.title, script, format: "tiktoken-packaged" });
  }
  const weights = await readFile(asset("default-model/model.safetensors"));
  const config = JSON.parse(await readFile(asset("default-model/config.json"), "utf8"));
  files.set("assets/model.js", assetScript("model", JSON.stringify({ config, weights: weights.toString("base64") })));
  manifest.model = { script: "assets/model.js", tokenizer: "default-model", bytes: weights.length };
  // The worker's code reaches the page as text (a worker is started from a blob: file:// pages cannot start one from a file).
  files.set("assets/worker.js", assetScript("worker", await bundle("worker")));
  manifest.worker = "assets/worker.js";
  files.set("playground.js", await bundle("app"));
  files.set(
    "index.html",
    `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>retoken playground</title><link rel="icon" href="data:,">
<style>${STYLE}</style>
<script>window.retokenManifest=${JSON.stringify(manifest).replace(/</g, "\\u003c")};</script>
</head><body>
<script src="playground.js"></script>
</body></html>
`,
  );
  return files;
}

/**
 * Writes the site into `dir` (made if missing, but not its parent: a mistyped path is an error, not a new tree); each
 * file is written whole (temp file, then rename), other files there are left alone.
 */
export async function writePlayground(dir: string): Promise<string[]> {
  const root = resolve(dir);
  if (!existsSync(dirname(root))) throw new Error(`playground --build: ${dirname(root)} does not exist`);
  const files = await playgroundFiles();
  for (const sub of new Set([...files.keys()].map((p) => dirname(join(root, p))))) await mkdir(sub, { recursive: true });
  const written: string[] = [];
  for (const [path, content] of files) {
    const out = join(root, path);
    await writeFileAtomic(out, content);
    written.push(out);
  }
  return written;
}
