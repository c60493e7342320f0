// The package as a user gets it: build, `npm pack`, install the tarball into an empty folder (runtime dependencies
// only), typecheck a consumer that imports every subpath export (ESM, tsc --strict, moduleResolution nodenext), run
// it, then run `npx retoken demo` there. `npm run test:package` (CI runs it after `npm test`).
//   node scripts/check-package.mjs [--keep] [--no-demo]
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import vm from "node:vm";

const root = resolve(new URL("..", import.meta.url).pathname);
const keep = process.argv.includes("--keep");
const demo = !process.argv.includes("--no-demo");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const dir = mkdtempSync(join(tmpdir(), "retoken-package-"));
const step = (what) => process.stderr.write(`check-package: ${what}\n`);
const run = (cmd, args, cwd, extra = {}) => execFileSync(cmd, args, { cwd, stdio: ["ignore", "pipe", "inherit"], encoding: "utf8", maxBuffer: 1 << 26, ...extra });

try {
  step("build");
  run("npm", ["run", "build", "--silent"], root);
  step("npm pack");
  // Built just above; --ignore-scripts keeps `prepare` from building a second time.
  const packed = JSON.parse(run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", dir], root));
  const tarball = join(dir, packed[0].filename);
  const files = packed[0].files.map((f) => f.path);
  for (const need of ["dist/bundle/index.js", "dist/bundle/cli.js", "dist/node/encode-worker.js", "assets/default-model/config.json", "assets/gpt2-tokenizer.json"]) {
    if (!files.includes(need)) throw new Error(`the tarball lacks ${need}`);
  }
  step(`${packed[0].filename}: ${files.length} files, ${(packed[0].size / 1e6).toFixed(1)} MB packed`);

  const consumer = join(dir, "consumer");
  execFileSync("mkdir", ["-p", consumer]);
  writeFileSync(join(consumer, "package.json"), JSON.stringify({ name: "retoken-consumer", private: true, type: "module" }, null, 2));
  step("npm install (the tarball and its runtime dependencies only)");
  run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "--omit=dev", tarball], consumer);

  // Every subpath the package exports, each used through its types.
  const subpaths = Object.keys(pkg.exports).filter((k) => k !== "./package.json").map((k) => (k === "." ? "retoken" : `retoken/${k.slice(2)}`));
  const uses = {
    retoken: `import { Tokenizer, loadEncoding, type EncodeOptions } from "retoken";
const cl100k = await loadEncoding("cl100k_base");
const options: EncodeOptions = { addSpecialTokens: false };
const ids: number[] = cl100k.encodeIds("Hello world", options);
check("retoken", ids.join(",") === "9906,1917");
// The chat templates' Jinja engine, which the Node entry requires on first use (not at import).
const chat = cl100k.withConfig({ chat_template: "{% for m in messages %}<{{ m.role }}>{{ m.content }}{% endfor %}" }).applyChatTemplate([{ role: "user", content: "hi" }]);
check("retoken chat template", chat === "<user>hi");`,
    "retoken/browser": `import { Tokenizer as BrowserTokenizer } from "retoken/browser";
// One class across subpaths (all served by the bundle's shared chunks): a tokenizer from either works with the other.
check("retoken/browser", typeof BrowserTokenizer.fromJSON === "function" && BrowserTokenizer === Tokenizer);`,
    "retoken/train": `import { trainTokenizer, type TrainOptions } from "retoken/train";
const trainOptions: TrainOptions = { model: "bpe", vocabSize: 300 };
const trained = Tokenizer.fromJSON(await trainTokenizer("low lower lowest newer newest wider widest ".repeat(50), trainOptions));
check("retoken/train", trained.vocabSize() <= 300 && trained.decode(trained.encodeIds("lowest newer")) === "lowest newer");`,
    "retoken/analyze": `import { compareTokenizers, type CompareReport } from "retoken/analyze";
const report: CompareReport = compareTokenizers([{ name: "cl100k", tokenizer: cl100k }, { name: "trained", tokenizer: trained }], [{ name: "en", text: "the lowest newer text" }], { audit: false });
check("retoken/analyze", report.tokenizers.length === 2);`,
    "retoken/transfer": `import { buildVocabularyMap, TRANSFER_METHODS, type VocabularyMap } from "retoken/transfer";
const map: VocabularyMap = buildVocabularyMap(cl100k, trained);
check("retoken/transfer", map.targetSize === trained.vocabSize() && TRANSFER_METHODS.includes("fvt"));`,
    "retoken/lm": `import { loadLanguageModel, bitsPerByte, type BitsPerByteResult } from "retoken/lm";
const lm = await loadLanguageModel(undefined);
const bpb: BitsPerByteResult = await bitsPerByte(lm.folder, lm.tokenizer, "Die Datei wird geöffnet.");
check("retoken/lm", bpb.bitsPerByte > 0 && bpb.bitsPerByte < 20);`,
    "retoken/node": `import { TokenizerPool } from "retoken/node";
const pool = new TokenizerPool(cl100k, { workers: 1 });
const pooled = await pool.encodeIdsBatch(["Hello world"], { addSpecialTokens: false });
await pool.close();
check("retoken/node", pooled[0]!.join(",") === "9906,1917");`,
    "retoken/decode": `import { TokenByteTable, canonicality } from "retoken/decode";
const table = TokenByteTable.fromTokenizer(cl100k);
check("retoken/decode", table.size >= 100256 && canonicality(cl100k).isCanonical(ids));`,
  };
  const missing = subpaths.filter((s) => !(s in uses));
  if (missing.length) throw new Error(`no consumer use written for ${missing.join(", ")}`);
  // Imports first (a module's imports are hoisted anyway), then the uses in order.
  const blocks = subpaths.map((s) => uses[s].split("\n"));
  const source = [
    ...blocks.flatMap((b) => b.filter((l) => l.startsWith("import "))),
    `const checked: string[] = [];`,
    `function check(what: string, ok: boolean): void { if (!ok) throw new Error(what + ": wrong result"); checked.push(what); }`,
    ...blocks.flatMap((b) => b.filter((l) => !l.startsWith("import "))),
    `console.log("consumer ok: " + checked.join(" "));`,
  ].join("\n");
  writeFileSync(join(consumer, "consumer.ts"), source + "\n");
  writeFileSync(
    join(consumer, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        target: "ES2022",
        module: "nodenext",
        moduleResolution: "nodenext",
        strict: true,
        // As `tsc --init` writes it: @jax-js/jax's own .d.ts names WebGPU types and Float16Array that a Node project lacks.
        skipLibCheck: true,
        outDir: "out",
        // A Node project has @types/node; the one retoken develops with is borrowed so nothing is downloaded.
        typeRoots: [join(root, "node_modules/@types")],
        types: ["node"],
      },
      files: ["consumer.ts"],
    }, null, 2),
  );
  step(`tsc --strict (nodenext) on a consumer of ${subpaths.join(", ")}`);
  run(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.json"], consumer);
  step("run the consumer");
  process.stdout.write(run(process.execPath, ["out/consumer.js"], consumer));
  // The installed package as a browser bundler sees it: "retoken" under the browser condition, bundled for the browser,
  // must need no Node built-in and must tokenize in a context without Node's globals.
  step("bundle the installed retoken for the browser and run it without Node globals");
  const { build } = await import("esbuild");
  writeFileSync(join(consumer, "page.js"), `export { Tokenizer } from "retoken";\n`);
  const page = await build({ entryPoints: [join(consumer, "page.js")], absWorkingDir: consumer, bundle: true, platform: "browser", format: "iife", globalName: "page", write: false, logLevel: "silent" });
  const code = page.outputFiles[0].text;
  if (/\bnode:|require\("(fs|path|url|module|worker_threads)"\)/.test(code)) throw new Error("the browser bundle of the installed package needs a Node built-in");
  const context = vm.createContext({ TextEncoder, TextDecoder, Intl, console });
  vm.runInContext(code + "\nglobalThis.page = page;", context);
  const gpt2 = readFileSync(join(root, "assets/gpt2-tokenizer.json"), "utf8");
  const ids = vm.runInContext(`Array.from(page.Tokenizer.fromJSON(${JSON.stringify(gpt2)}).encodeIds("Hello world", { addSpecialTokens: false }))`, context);
  if (ids.join(",") !== "15496,995") throw new Error(`the browser bundle encoded "Hello world" as ${ids.join(",")}`);
  // The browser entry brings its own Jinja engine for chat templates (Node's requires it on first use).
  const chat = vm.runInContext(`page.Tokenizer.fromJSON(${JSON.stringify(gpt2)}).withConfig({ chat_template: "{{ messages[0].content }}!" }).applyChatTemplate([{ role: "user", content: "hi" }])`, context);
  if (chat !== "hi!") throw new Error(`the browser bundle rendered a chat template as ${JSON.stringify(chat)}`);
  if (demo) {
    step("npx retoken demo");
    const out = run("npx", ["--no-install", "retoken", "demo"], consumer, { timeout: 1_800_000 });
    if (!/bits per byte/.test(out) || !/original/.test(out)) throw new Error(`the demo printed no result:\n${out}`);
    process.stdout.write(out.split("\n").slice(-12).join("\n") + "\n");
  }
  step("ok");
} finally {
  if (keep) step(`kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}
