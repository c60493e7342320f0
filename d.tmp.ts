import tk from "tokenizers";
import { readFileSync } from "node:fs";
import { Tokenizer } from "./src/index.js";
const base = JSON.parse(readFileSync("assets/tokenizers/de-8k.json", "utf8"));
const tries: [string, (j: any) => void][] = [






  ["padding fixed 1e6", (j) => (j.padding = { strategy: { Fixed: 1e6 }, direction: "Right", pad_to_multiple_of: null, pad_id: 0, pad_type_id: 0, pad_token: "[PAD]" })],

  ["trunc stride>max", (j) => (j.truncation = { direction: "Right", max_length: 4, strategy: "LongestFirst", stride: 10 })],
  ["trunc stride=max", (j) => (j.truncation = { direction: "Right", max_length: 4, strategy: "LongestFirst", stride: 4 })],
  ["trunc max 1e12", (j) => (j.truncation = { direction: "Right", max_length: 1e12, strategy: "LongestFirst", stride: 0 })],
  ["trunc max 0", (j) => (j.truncation = { direction: "Right", max_length: 0, strategy: "LongestFirst", stride: 0 })],
];
for (const [name, f] of tries) {
  const j = structuredClone(base); f(j);
  const s = JSON.stringify(j);
  let hf = "ok", ours = "ok";
  try { const t = tk.Tokenizer.fromString(s); const e = await t.encode("Hallo Welt, wie geht es?", null, { addSpecialTokens: true }); hf = "ok " + e.getIds().length; } catch (e) { hf = String(e).slice(0, 100); }
  try { const t = Tokenizer.fromJSON(s, { fileName: "f.json" }); const e = t.encode("Hallo Welt, wie geht es?"); ours = "ok " + e.ids.length; } catch (e) { ours = String(e).slice(0, 140); }
  console.log(name, "| HF:", hf, "| ours:", ours);
}
