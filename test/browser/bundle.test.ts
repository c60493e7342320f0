// The tokenizer core bundles for the browser with no Node built-in, and the bundle tokenizes correctly in a context
// that has no Node globals at all.
import { test } from "node:test";
import assert from "node:assert/strict";
import { builtinModules } from "node:module";
import { readFileSync } from "node:fs";
import vm from "node:vm";
import { build } from "esbuild";
import tk from "tokenizers";

test("src/browser.ts bundles for the browser without node: imports and runs without Node globals", async () => {
  const result = await build({ entryPoints: ["src/browser.ts"], bundle: true, platform: "browser", format: "iife", globalName: "retoken", write: false, logLevel: "silent" });
  const code = result.outputFiles[0]!.text;
  assert.doesNotMatch(code, /\bnode:/, "a node: import remains in the browser bundle");
  for (const name of builtinModules.filter((m) => !m.startsWith("_"))) {
    assert.ok(!code.includes(`require("${name}")`) && !code.includes(`from "${name}"`), `the bundle needs Node's ${name}`);
  }
  // A bare context: only what a browser also has (TextEncoder, TextDecoder, Intl), no process, Buffer or require.
  const context = vm.createContext({ TextEncoder, TextDecoder, Intl, console, atob, btoa });
  vm.runInContext(code + "\nglobalThis.retoken = retoken;", context);
  const json = readFileSync("../shared/data/tokenizers/gpt-2.json", "utf8");
  const text = "Hello from a browser — héllo, 日本語!";
  const ids = vm.runInContext(`Array.from(retoken.Tokenizer.fromJSON(${JSON.stringify(json)}).encode(${JSON.stringify(text)}).ids)`, context) as number[];
  const ref = (await tk.Tokenizer.fromString(json).encode(text, null, { addSpecialTokens: true })).getIds();
  assert.deepEqual([...ids], ref);
  const message = await (vm.runInContext(`retoken.Tokenizer.fromFile("x.json").then(() => "loaded", (e) => e.message)`, context) as Promise<string>);
  assert.match(message, /no file access in this environment/);
  // Chat templates: the browser entry plugs its Jinja engine in (Node's entry requires it on first use instead).
  const chat = vm.runInContext(`retoken.Tokenizer.fromJSON(${JSON.stringify(json)}).withConfig({ chat_template: "{% for m in messages %}<{{ m.role }}>{{ m.content }}{% endfor %}" }).applyChatTemplate([{ role: "user", content: "hi" }])`, context) as string;
  assert.equal(chat, "<user>hi");
});
