// Exact token healing against brute force: on the bundled model and its real tokenizer, the covers of short prompts
// cut inside words (and inside a character) and their probabilities must equal the oracle's enumeration of every
// canonical token sequence covering the prompt's bytes, scored by the model; generation then starts with the drawn
// cover and gives back prompt + continuation byte for byte.
import { test } from "node:test";
import assert from "node:assert/strict";
import { installNodeShims } from "../../src/tensor/shims.js";
installNodeShims();
const { loadLanguageModel } = await import("../../src/lm/node.js");
const { tokenLM } = await import("../../src/lm/token-lm.js");
const { canonicality, coverRule, exactHealingCovers, healedGenerate } = await import("../../src/decode/index.js");
const { Oracle } = await import("./oracle.js");

const { folder, tokenizer } = await loadLanguageModel(undefined);
const lm = await tokenLM(folder);
const rule = coverRule(tokenizer);
const utf8 = new TextEncoder();
const oracle = new Oracle({ name: "default model", tokenizer, spelling: "byte-level", prefix: "" }, folder, await tokenLM(folder));

// Cut inside a word, after a space, across two prompt tokens ("http:/" → "://"), inside a digit group, and inside a
// two-byte character.
const PROMPTS: (string | Uint8Array)[] = ["The capital of Fran", "Hello wor", "see http:/", "in 202", "Hello ", utf8.encode("Grüß").subarray(0, 4)];

test("exact healing: the covers and their probabilities equal brute-force enumeration (default model)", async (t) => {
  let worst = 0;
  let compared = 0;
  for (const prompt of PROMPTS) {
    const bytes = typeof prompt === "string" ? utf8.encode(prompt) : prompt;
    const healing = await exactHealingCovers(lm, tokenizer, rule, prompt);
    healing.model!.close();
    const want = await oracle.covers(bytes);
    const where = JSON.stringify(new TextDecoder().decode(bytes));
    // A digit group of three is closed: its one token is the only cover.
    assert.ok(want.length >= (prompt === "in 202" ? 1 : 2), `${where}: only ${want.length} covers`);
    compared += want.length;
    assert.deepEqual(healing.covers.map((c) => c.ids.join(",")).sort(), want.map((c) => c.ids.join(",")).sort(), `${where}: cover sets differ`);
    let total = 0;
    for (const c of want) total += Math.exp(c.logP);
    const byIds = new Map(want.map((c) => [c.ids.join(","), Math.exp(c.logP) / total]));
    let sum = 0;
    for (const c of healing.covers) {
      const p = byIds.get(c.ids.join(","))!;
      const err = Math.abs(c.p - p) / p;
      worst = Math.max(worst, err);
      assert.ok(err <= 1e-9, `${where}: cover ${c.ids} p ${c.p} vs brute force ${p}`);
      // The bytes past the prompt are what the last token adds.
      const spelled = utf8.encode(tokenizer.decode(c.ids));
      if (c.extra.length > 0 && !c.extra.some((b) => b >= 0x80)) assert.equal(new TextDecoder().decode(spelled.subarray(spelled.length - c.extra.length)), new TextDecoder().decode(c.extra));
      sum += c.p;
    }
    assert.ok(Math.abs(sum - 1) < 1e-12);
  }
  t.diagnostic(`max relative error ${worst.toExponential(2)} over ${compared} covers of ${PROMPTS.length} prompts`);
});

test("exact healing in generation: greedy starts with the most likely cover; the prompt is never changed; specials stay", async () => {
  const canon = canonicality(tokenizer);
  for (const prompt of ["The capital of Fran", "see http:/"]) {
    const healing = await exactHealingCovers(lm, tokenizer, rule, prompt);
    healing.model!.close();
    const out = await healedGenerate(folder, tokenizer, canon, prompt, { heal: "exact", maxTokens: 3 });
    const best = healing.covers[0]!;
    // The generated ids begin with the cover's tokens after those it shares with the prompt's own encoding.
    const own = tokenizer.encodeIds(prompt, { addSpecialTokens: false });
    let common = 0;
    while (common < own.length && own[common] === best.ids[common]) common++;
    assert.deepEqual(out.ids.slice(0, best.ids.length - common), best.ids.slice(common), prompt);
    assert.deepEqual(out.healing, { tokensRemoved: own.length - common, bytesRemoved: utf8.encode(prompt).length - utf8.encode(tokenizer.decode(best.ids.slice(0, common))).length, candidates: healing.covers.length });
    const continuation = new TextDecoder().decode(out.continuation);
    assert.ok(continuation.startsWith(new TextDecoder().decode(best.extra)), `${prompt}: ${continuation}`);
    assert.equal(tokenizer.decode([...own.slice(0, common), ...out.ids]), prompt + continuation);
  }
  // Nothing is read back over a special token: the text after it is healed on its own.
  const special = await exactHealingCovers(lm, tokenizer, rule, "x = 1<|end_of_text|>Hel");
  special.model!.close();
  assert.deepEqual(special.context, [lm.startId, ...tokenizer.encodeIds("x = 1<|end_of_text|>", { addSpecialTokens: false })]);
  assert.ok(special.covers.every((c) => tokenizer.decode(c.ids).startsWith("Hel")));
  const ends = await exactHealingCovers(lm, tokenizer, rule, "x<|end_of_text|>");
  assert.deepEqual([ends.covers.length, ends.model], [0, null]);
});
