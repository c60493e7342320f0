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
  // Dynamic NTK recomputes the rotary base from the running length (as HF does), so cached keys rotated at shorter
  // lengths cannot give the full pass's logits: there the cache is compared with full passes up to max_position_embeddings
  // (where the base does not move yet), not with the golden file.
  const dynamic = name === "mistral-dynamic";
  const title = dynamic ? "full pass; the KV cache against full passes while the base is fixed" : "full pass and token-by-token with the KV cache";
  test(`${name}: logits match the NumPy reference (${title})`, async () => {
    const folder = await loadModelFolder(`${FIX}/${name}`);
    const golden = parseSafetensors(new Uint8Array(await readFile(`${FIX}/${name}/golden.safetensors`)));
    const ids = Array.from(golden.read("input_ids"));
    const want = golden.read("logits");
    const { logits, cache } = forward(folder.config, folder.params, [ids]);
    const got = await toFloat32(logits);
    disposeCache(cache);
    const err = maxRelErr(got, want);
    assert.ok(err < 1e-4, `max relative error ${err}`);
    // Incremental decoding: a prefix, then one token at a time, must give the same last-position logits.
    const V = folder.config.vocabSize;
    const end = dynamic ? folder.config.maxPositions : ids.length;
    assert.ok(end > 5 && end <= ids.length, `${end} positions to compare`);
    let step = forward(folder.config, folder.params, [ids.slice(0, 5)]);
    step.logits.dispose();
    for (let i = 5; i < end; i++) {
      const r = forward(folder.config, folder.params, [[ids[i]]], step.cache);
      const last = await toFloat32(r.logits);
      step = r;
      let reference = want.subarray(i * V, (i + 1) * V);
      if (dynamic) {
        const full = forward(folder.config, folder.params, [ids.slice(0, i + 1)]);
        reference = (await toFloat32(full.logits)).subarray(i * V, (i + 1) * V);
        disposeCache(full.cache);
      }
      const e = maxRelErr(last, reference);
      assert.ok(e < 1e-4, `position ${i} via the cache: relative error ${e}`);
    }
    disposeCache(step.cache);
  });
}
