// Logits of the Llama-family and GPT-2 forward passes against golden files from an independent NumPy implementation
// (scripts/golden/*.py), on the same weights, to 1e-4 relative.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { maxRelErr } from "../support/numeric.js";
import { installNodeShims } from "../../src/tensor/shims.js";
installNodeShims();
const { initBackend, toFloat32 } = await import("../../src/tensor/backend.js");
const { loadModelFolder } = await import("../../src/lm/folder.js");
const { forward, disposeCache } = await import("../../src/lm/model.js");
const { parseSafetensors } = await import("../../src/tensor/safetensors.js");
await initBackend();

const FIX = "test/fixtures/lm";

for (const name of ["llama-gqa-llama3rope", "qwen2-bias-tied-yarn", "llama-linear-mlpbias", "mistral-dynamic", "gpt2-tiny"]) {
  test(`${name}: logits match the NumPy reference (full pass and token-by-token with the KV cache)`, async (t) => {
    let folder;
    try {
      folder = await loadModelFolder(`${FIX}/${name}`);
    } catch (e) {
      if (String(e).includes("cannot read")) return t.skip("fixture not generated");
      throw e;
    }
    const golden = parseSafetensors(new Uint8Array(await readFile(`${FIX}/${name}/golden.safetensors`)));
    const ids = Array.from(golden.read("input_ids"));
    const want = golden.read("logits");
    const { logits, cache } = forward(folder.config, folder.params, [ids]);
    const got = await toFloat32(logits);
    disposeCache(cache);
    const err = maxRelErr(got, want);
    assert.ok(err < 1e-4, `max relative error ${err}`);
    // Incremental decoding: a prefix, then one token at a time, must give the same last-position logits.
    // (Dynamic NTK recomputes the base from the running length, as HF does, so only compare it at full length.)
    const V = folder.config.vocabSize;
    let step = forward(folder.config, folder.params, [ids.slice(0, 5)]);
    step.logits.dispose();
    for (let i = 5; i < ids.length; i++) {
      const r = forward(folder.config, folder.params, [[ids[i]]], step.cache);
      const last = await toFloat32(r.logits);
      step = r;
      if (folder.config.arch === "llama" && folder.config.ropeScaling.kind === "dynamic") continue;
      const e = maxRelErr(last, want.subarray(i * V, (i + 1) * V));
      assert.ok(e < 1e-4, `position ${i} via the cache: relative error ${e}`);
    }
    disposeCache(step.cache);
  });
}
