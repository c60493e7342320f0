// Token healing: the tokenizer-only properties on prompts cut at random byte offsets of FLORES text in every test
// tokenizer, the regression prompts from the anchors' issues, the generate CLI's JSON contract on the default model,
// and bad input.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { canonicality, healingCandidates, planHealing, splitPromptBytes, HealingConstraint } from "../../src/decode/index.js";
import { DECODE_TOKENIZERS, decodeTokenizer, floresSpread, seeded } from "./tokenizers.js";
import { checkHealing, cutPrompt, emptyCounts } from "./heal-property.js";

const run = promisify(execFile);
const enc = new TextEncoder();

test("healing never alters the prompt, removes a special token or leaves a non-canonical sequence (FLORES cuts, every tokenizer)", () => {
  const lines = floresSpread(1).filter((_, i) => i % 2 === 0);
  for (const { name, load } of DECODE_TOKENIZERS) {
    const tok = load();
    const canon = canonicality(tok);
    const random = seeded(2026);
    const counts = emptyCounts();
    for (const line of lines) checkHealing(tok, canon, cutPrompt(line, random), random, counts);
    // A special token at the end is never backed over.
    const special = tok.addedTokens.find((t) => t.special)!;
    checkHealing(tok, canon, enc.encode("Hello wor" + special.content), random, counts);
    assert.deepEqual([counts.alteredPrompts, counts.removedSpecials, counts.nonCanonical], [0, 0, 0], `${name}: ${counts.examples.join("; ")}`);
    // Byte-level and byte-fallback tokenizers spell every character; BERT and the .model read some as unknown. (GPT-2
    // cut inside a Tamil character needs single-byte tokens after it, which the search alone did not reach.)
    if (["gpt-2", "llama3-tiktoken", "llama2", "default-model"].includes(name)) assert.equal(counts.unspellable, 0, `${name}: ${counts.unspellable} unspellable`);
    assert.ok(counts.healed > lines.length / 3, `${name}: ${counts.healed} of ${counts.prompts} prompts healed`);
  }
});

/** The tokens allowed first when healing `prompt` with a tokenizer, as strings. */
function firstCandidates(name: string, prompt: string | Uint8Array) {
  const tok = decodeTokenizer(name);
  const canon = canonicality(tok);
  const { text, partial } = splitPromptBytes(prompt);
  const plan = planHealing(canon, tok.encodeIds(text, { addSpecialTokens: false }), partial, "rollback");
  const tokens = healingCandidates(canon, plan.keptIds, plan.removed).map((id) => tok.idToToken(id)!);
  return { plan, tokens, canon, tok };
}

test("regression prompts: the healed token can cover the cut, also across two prompt tokens", () => {
  assert.ok(firstCandidates("gpt-2", "The capital of Fran").tokens.includes("ĠFrance"));
  assert.ok(firstCandidates("gpt-2", 'print("Hello, wo').tokens.includes("Ġworld"));
  assert.ok(firstCandidates("gpt-2", "Five, Four, Thr").tokens.includes("ĠThree"));
  assert.ok(firstCandidates("llama2", "The capital of Fran").tokens.includes("▁France"));
  // '<a href="http:' — "://" covers the prompt's ":" and the two slashes to come.
  const http = firstCandidates("gpt-2", '<a href="http:');
  assert.ok(http.tokens.includes("://"), http.tokens.slice(0, 20).join(" "));
  // "http:/" ends in two tokens that "://" spans: both are backed up.
  const slash = firstCandidates("default-model", "see http:/");
  assert.ok(slash.plan.report.tokensRemoved >= 2 && slash.tokens.includes("://"), `${slash.plan.report.tokensRemoved} ${slash.tokens.slice(0, 10)}`);
  // A prompt ending in a special token: nothing is removed.
  for (const [name, prompt] of [["gpt-2", "x = 1<|endoftext|>"], ["llama3-tiktoken", "def f():<|eot_id|>"]] as const) {
    const tok = decodeTokenizer(name);
    const ids = tok.encodeIds(prompt, { addSpecialTokens: false });
    assert.ok(tok.addedTokens.some((t) => t.id === ids[ids.length - 1]), `${name}: the prompt ends in a special token`);
    assert.equal(firstCandidates(name, prompt).plan.report.tokensRemoved, 0);
  }
  // Trailing space and newline: the whitespace token is backed up and longer whitespace or words may follow.
  const space = firstCandidates("gpt-2", "Hello ");
  assert.deepEqual([space.plan.report.tokensRemoved, space.plan.report.bytesRemoved], [1, 1]);
  assert.ok(space.tokens.includes("Ġworld") && space.tokens.includes("Ġ"));
  assert.ok(firstCandidates("gpt-2", "Hello\n").tokens.includes("ĊĊ"));
  // A partial emoji: its bytes are owed and only tokens that continue them are allowed.
  const emoji = enc.encode("I love 😀").subarray(0, -2);
  for (const name of ["gpt-2", "llama2"]) {
    const c = firstCandidates(name, emoji);
    assert.ok(c.plan.removed.length >= 2 && c.tokens.length > 0, name);
    for (const t of healingCandidates(c.canon, c.plan.keptIds, c.plan.removed)) {
      const b = c.canon.table.bytes(t);
      const n = Math.min(b.length, c.plan.removed.length);
      assert.deepEqual([...b.subarray(0, n)], [...c.plan.removed.subarray(0, n)], `${name}: ${c.tok.idToToken(t)}`);
    }
  }
  // A digit run: the healed number must regroup as the pre-tokenizer groups digits.
  const digits = firstCandidates("llama3-tiktoken", "The year 2024 had 36");
  assert.ok(digits.tokens.includes("365"));
});

test("generate --heal --json on the default model: text is prompt + continuation, healing reported", async () => {
  const cli = ["--import", "tsx", "src/cli/main.ts", "generate"];
  const http = JSON.parse((await run("node", [...cli, '<a href="http:', "--heal", "rollback", "--max-tokens", "4", "--greedy", "--json"])).stdout);
  assert.equal(http.prompt, '<a href="http:');
  assert.equal(http.text, http.prompt + http.continuation);
  assert.deepEqual([http.healing.tokensRemoved, http.healing.bytesRemoved], [1, 1]);
  assert.ok(http.healing.candidates >= 2);
  // Only special tokens: nothing to heal, generation goes on after them.
  const special = JSON.parse((await run("node", [...cli, "<|end_of_text|>", "--heal", "rollback", "--max-tokens", "3", "--json"])).stdout);
  assert.equal(special.healing.tokensRemoved, 0);
  assert.equal(special.text, special.prompt + special.continuation);
  // exact: the first token is a cover of the prompt's end drawn from the byte-level model (heal-exact.test.ts).
  const exact = JSON.parse((await run("node", [...cli, '<a href="http:', "--heal", "exact", "--max-tokens", "3", "--greedy", "--json"])).stdout);
  assert.equal(exact.text, exact.prompt + exact.continuation);
  assert.ok(exact.healing.candidates >= 2 && exact.healing.bytesRemoved >= 1, JSON.stringify(exact.healing));
  await assert.rejects(run("node", [...cli, "Hello", "--heal", "maybe"]), /bad --heal "maybe" \(expected off, rollback, exact\)/);
});

test("bad input: invalid UTF-8 inside a prompt, a cut character without healing", () => {
  assert.throws(() => splitPromptBytes(Uint8Array.of(0x41, 0xff, 0x42)), /not valid UTF-8 at byte 1 \(0xff\)/);
  assert.throws(() => splitPromptBytes(Uint8Array.of(0x41, 0xe6, 0x97, 0x41)), /not valid UTF-8 at byte 1 \(0xe6\)/);
  const cut = splitPromptBytes(enc.encode("ab😀").subarray(0, 4));
  assert.deepEqual([cut.text, [...cut.partial]], ["ab", [0xf0, 0x9f]]);
  // A leading U+FEFF is text (Llama 2 has a token for it), not a byte-order mark to drop: the prompt stays as given.
  assert.equal(splitPromptBytes("\ufeffab").text, "\ufeffab");
  const canon = canonicality(decodeTokenizer("gpt-2"));
  assert.throws(() => planHealing(canon, [1, 2], cut.partial, "off"), /the prompt ends inside a UTF-8 character \(2 of its bytes\)/);
  // Owed bytes are paid exactly once: a constraint is inactive after a token that covers them.
  const plan = planHealing(canon, decodeTokenizer("gpt-2").encodeIds("Hello wor", { addSpecialTokens: false }), new Uint8Array(), "rollback");
  const c = new HealingConstraint(canon, plan);
  c.accept(decodeTokenizer("gpt-2").tokenToId("Ġworld")!);
  assert.equal(c.active, false);
});
