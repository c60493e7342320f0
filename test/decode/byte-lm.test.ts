// The byte-level model against brute force (the core oracle, oracle.ts): for every prefix of short strings, the
// next-byte distribution must equal the one obtained by enumerating every token sequence that covers the bytes,
// keeping those that re-encoding gives back, and scoring each with the token-level model.
import { test } from "node:test";
import assert from "node:assert/strict";
import { installNodeShims } from "../../src/tensor/shims.js";
installNodeShims();
const { initBackend } = await import("../../src/tensor/backend.js");
const { setPlatformGemm } = await import("../../src/tensor/gemm.js");
const { loadOpenBlas } = await import("../../src/node/openblas.js");
const { tokenLM } = await import("../../src/lm/token-lm.js");
const { ByteLM, coverRule, END_OF_TEXT } = await import("../../src/decode/byte-lm.js");
const { tinyLlama } = await import("../support/tiny-llama.js");
const { Oracle, concat, oracleCases } = await import("./oracle.js");
await initBackend();
const blas = loadOpenBlas();
assert.ok("gemm" in blas, `OpenBLAS is needed for the CPU path: ${"error" in blas ? blas.error : ""}`);
setPlatformGemm(blas.gemm);

const utf8 = new TextEncoder();

// Up to 10 bytes each: multi-byte characters (2, 3 and 4 bytes), pre-tokenizer boundaries (spaces, digits,
// punctuation, a contraction, newlines).
const STRINGS = ["Grüße, 1", "the cat's", "日本 ab", "a  b\n\nc", "x😀y."];

for (const c of oracleCases()) {
  test(`next-byte distribution = brute force over canonical covers: ${c.name}`, async (t) => {
    const bos = c.tokenizer.tokenToId("<s>")!;
    const eos = c.tokenizer.tokenToId("</s>")!;
    const model = tinyLlama(c.tokenizer.vocabSize(), 7, { bos, eos });
    const lm = await tokenLM(model);
    const oracle = new Oracle(c, model, await tokenLM(model));
    const rule = coverRule(c.tokenizer);
    let worst = 0;
    let compared = 0;
    for (const s of STRINGS) {
      const text = utf8.encode(s);
      assert.ok(text.length <= 10, s);
      const byteLm = await ByteLM.create(lm, rule);
      for (let i = 0; i <= text.length; i++) {
        const X = concat(oracle.prefix, text.subarray(0, i));
        const want = await oracle.masses(X);
        const total = want.reduce((a, b) => a + b, 0);
        const got = await byteLm.next();
        // The unnormalised masses first (log A(X·b), log E(X)): a wrong cover shows at its own outcome.
        for (let o = 0; o < 257; o++) {
          const where = `${c.name} "${s}" after ${i} bytes, outcome ${o === END_OF_TEXT ? "end" : o}`;
          if (want[o] === 0) assert.equal(got.logMass[o], -Infinity, `${where}: mass ${got.logMass[o]}, brute force none`);
          else assert.ok(Math.abs(got.logMass[o]! - Math.log(want[o]!)) <= 1e-9, `${where}: log mass ${got.logMass[o]} vs brute force ${Math.log(want[o]!)}`);
        }
        for (let o = 0; o < 257; o++) {
          const p = want[o]! / total;
          if (p === 0) continue;
          const err = Math.abs(Math.exp(got.logProbs[o]!) - p) / p;
          worst = Math.max(worst, err);
          compared++;
          assert.ok(err <= 1e-5, `${c.name} "${s}" after ${i} bytes: outcome ${o === END_OF_TEXT ? "end" : o}: ${Math.exp(got.logProbs[o]!)} vs brute force ${p}`);
        }
        if (i < text.length) await byteLm.push(text[i]!);
      }
      byteLm.close();
    }
    t.diagnostic(`max relative error ${worst.toExponential(2)} over ${compared} outcomes, ${lm.forwardPasses} forward passes`);
    assert.ok(compared > 1000, `only ${compared} outcomes compared`);
  });
}

test("a text that starts with the space a Metaspace tokenizer adds itself: no canonical encoding spells it, and the error says why", async () => {
  const c = oracleCases().find((k) => k.name.startsWith("Unigram"))!;
  const model = tinyLlama(c.tokenizer.vocabSize(), 7, { bos: c.tokenizer.tokenToId("<s>")!, eos: c.tokenizer.tokenToId("</s>")! });
  const byteLm = await ByteLM.create(await tokenLM(model), coverRule(c.tokenizer));
  await byteLm.push(0x20);
  await assert.rejects(byteLm.next(), /starts with " ", the prefix the tokenizer adds itself .* encodes " x" as it encodes "x"/);
  byteLm.close();
});
