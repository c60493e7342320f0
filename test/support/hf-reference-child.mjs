// The HF binding in a child process for the file fuzzer: a damaged tokenizer.json can make it abort the whole process
// (a Rust panic on stride ≥ max_length, a failed allocation on padding to 10^12), which must not take the test down.
// Messages: { id, json, texts } → { id, ids } or { id, error }.
import { createRequire } from "node:module";
const tk = createRequire(import.meta.url)("tokenizers");

process.on("message", async ({ id, json, texts }) => {
  try {
    const t = tk.Tokenizer.fromString(json);
    const ids = [];
    for (const s of texts) ids.push((await t.encode(s, null, { addSpecialTokens: true })).getIds());
    process.send({ id, ids });
  } catch (e) {
    process.send({ id, error: String(e?.message ?? e).slice(0, 300) });
  }
});
