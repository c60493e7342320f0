// Non-canonical mass against brute force: before each token of short texts, the mass the model puts on tokens that
// may not come next must equal the sum over the tokens the oracle (oracle.ts: re-encoding completed texts) refuses,
// for the four tokenizer types, on a small random model (which, unlike a trained one, spreads mass everywhere).
import { test } from "node:test";
import assert from "node:assert/strict";
import { installNodeShims } from "../../src/tensor/shims.js";
installNodeShims();
const { initBackend } = await import("../../src/tensor/backend.js");
const { setPlatformGemm } = await import("../../src/tensor/gemm.js");
const { loadOpenBlas } = await import("../../src/node/openblas.js");
const { tokenLM } = await import("../../src/lm/token-lm.js");
const { coverRule, nonCanonicalMass } = await import("../../src/decode/index.js");
const { tinyLlama } = await import("../support/tiny-llama.js");
const { Oracle, oracleCases } = await import("./oracle.js");
await initBackend();
const blas = loadOpenBlas();
assert.ok("gemm" in blas, `OpenBLAS is needed for the CPU path: ${"error" in blas ? blas.error : ""}`);
setPlatformGemm(blas.gemm);

const TEXTS = ["the cat's 12", "Grüße 日本"];

for (const c of oracleCases()) {
  test(`non-canonical mass = brute force: ${c.name}`, async () => {
    const model = tinyLlama(c.tokenizer.vocabSize(), 11, { bos: c.tokenizer.tokenToId("<s>")!, eos: c.tokenizer.tokenToId("</s>")! });
    const lm = await tokenLM(model);
    const oracle = new Oracle(c, model, await tokenLM(model));
    const got = await nonCanonicalMass(lm, coverRule(c.tokenizer), TEXTS);
    let positions = 0;
    for (const [k, text] of TEXTS.entries()) {
      const ids = c.tokenizer.encodeIds(text, { addSpecialTokens: false });
      assert.equal(got.perText[k]!.length, ids.length);
      for (let i = 0; i < ids.length; i++) {
        const { next } = await oracle.score(ids.slice(0, i));
        let want = 0;
        for (let t = 0; t < oracle.bytes.length; t++) if (oracle.bytes[t] && !oracle.canonicalNext(ids.slice(0, i), t)) want += Math.exp(next[t]!);
        assert.ok(Math.abs(got.perText[k]![i]! - want) <= 1e-12, `${c.name} "${text}" before token ${i}: ${got.perText[k]![i]} vs brute force ${want}`);
        positions++;
      }
    }
    assert.equal(got.positions, positions);
    // A random model spreads its mass: most of it is on tokens that may not come next.
    assert.ok(got.mean > 0.3 && got.mean < 1, `${c.name}: mean ${got.mean}`);
  });
}
