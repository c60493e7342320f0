// retoken/decode bundles for the browser with no Node built-in and runs without Node globals: canonicality and the
// healing plan of a GPT-2 prompt, the same as in Node.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import vm from "node:vm";
import { build } from "esbuild";
import { Tokenizer } from "../../src/index.js";
import { canonicality, planHealing } from "../../src/decode/index.js";

test("src/decode bundles for the browser without node: imports and heals a prompt without Node globals", async () => {
  const entry = `export * from "./src/decode/index.ts"; export { Tokenizer } from "./src/browser.ts";`;
  const result = await build({ stdin: { contents: entry, resolveDir: process.cwd(), loader: "ts" }, bundle: true, platform: "browser", format: "iife", globalName: "retoken", write: false, logLevel: "silent" });
  const code = result.outputFiles[0]!.text;
  assert.doesNotMatch(code, /\bnode:/, "a node: import remains in the browser bundle");
  const context = vm.createContext({ TextEncoder, TextDecoder, Intl, console, atob, btoa });
  vm.runInContext(code + "\nglobalThis.retoken = retoken;", context);
  const json = readFileSync("../shared/data/tokenizers/gpt-2.json", "utf8");
  const prompt = 'print("Hello, wo';
  const script = `(() => { const t = retoken.Tokenizer.fromJSON(${JSON.stringify(json)}); const c = retoken.canonicality(t);
    const ids = t.encodeIds(${JSON.stringify(prompt)}, { addSpecialTokens: false });
    const plan = retoken.planHealing(c, ids, new Uint8Array(0), "rollback");
    return JSON.stringify({ report: plan.report, kept: plan.keptIds, valid: c.validPair(ids[0], ids[1]), canonical: c.isCanonical(ids) }); })()`;
  const got = JSON.parse(vm.runInContext(script, context) as string);
  const tok = Tokenizer.fromJSON(json);
  const c = canonicality(tok);
  const ids = tok.encodeIds(prompt, { addSpecialTokens: false });
  const plan = planHealing(c, ids, new Uint8Array(0), "rollback");
  assert.deepEqual(got, { report: plan.report, kept: plan.keptIds, valid: true, canonical: true });
  assert.ok(plan.report.tokensRemoved > 0);
});
