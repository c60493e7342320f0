// The tokenizer-only healing property check: prompts cut at random byte offsets of FLORES text, healed with random
// choices among the allowed tokens (no model), checked for an altered prompt, a removed special token and a
// non-canonical result. Shared by the test suite (a sample) and `npm run check:canonical` (10⁴ prompts).
import type { Tokenizer } from "../../src/index.js";
import { HealingConstraint, continuationBytes, planHealing, splitPromptBytes, type Canonicality, type HealingPlan } from "../../src/decode/index.js";

export interface HealingCounts {
  prompts: number;
  healed: number;
  alteredPrompts: number;
  removedSpecials: number;
  nonCanonical: number;
  /** Prompts whose own kept tokens are not canonical (a character the tokenizer reads back as "<unk>"): not counted
   * as non-canonical results. */
  nonCanonicalPrompts: number;
  /** Prompts cut inside a character the tokenizer cannot spell (BERT, a .model: unknown characters): no token spells
   * the cut bytes canonically, so nothing can heal them. */
  unspellable: number;
  examples: string[];
}

const enc = new TextEncoder();

function spell(canon: Canonicality, ids: readonly number[]): Uint8Array {
  const parts = ids.map((id) => canon.table.bytes(id));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function startsWith(a: Uint8Array, p: Uint8Array): boolean {
  return p.length <= a.length && p.every((x, i) => a[i] === x);
}

/** Pays `plan`'s owed bytes with random allowed tokens (what a model would do under the mask); the tokens, or null
 * when no allowed token keeps the sequence canonical. */
function payRandomly(canon: Canonicality, plan: HealingPlan, random: () => number): number[] | null {
  const constraint = new HealingConstraint(canon, plan);
  const healed: number[] = [];
  while (constraint.active) {
    const candidates = constraint.candidates()!;
    let chosen = -1;
    for (let tries = candidates.length; tries > 0 && chosen < 0; tries--) {
      const id = candidates[Math.floor(random() * candidates.length)]!;
      if (constraint.canonicalWith(id)) chosen = id;
    }
    if (chosen < 0) chosen = candidates.find((id) => constraint.canonicalWith(id)) ?? -1;
    if (chosen < 0) return null;
    constraint.accept(chosen);
    healed.push(chosen);
  }
  return healed;
}

/** Heals one prompt without a model (random allowed tokens, the character completed if the healed tokens end inside
 * one) and checks the three properties. */
export function checkHealing(tokenizer: Tokenizer, canon: Canonicality, prompt: Uint8Array, random: () => number, counts: HealingCounts): void {
  counts.prompts++;
  const { text, partial } = splitPromptBytes(prompt);
  const ids = tokenizer.encodeIds(text, { addSpecialTokens: false });
  const plan = planHealing(canon, ids, partial, "rollback");
  if (plan.report.tokensRemoved > 0 || partial.length > 0) counts.healed++;
  const note = (what: string) => counts.examples.length < 5 && counts.examples.push(`${what}: ${JSON.stringify(new TextDecoder().decode(prompt))}`);
  if (plan.removedIds.some((id) => canon.table.isSpecial(id))) {
    counts.removedSpecials++;
    note("special removed");
  }
  if (!canon.isCanonical([...plan.keptIds, ...plan.removedIds])) {
    counts.nonCanonicalPrompts++;
    return;
  }
  const first = new HealingConstraint(canon, plan);
  if (first.active && !(first.candidates() ?? []).some((id) => first.canonicalWith(id))) {
    counts.unspellable++;
    return;
  }
  const healed = payRandomly(canon, plan, random);
  if (healed === null) {
    counts.nonCanonical++;
    note("no canonical candidate");
    return;
  }
  // The prompt's own bytes come first, then whatever the healed tokens add: never a changed prompt.
  // (A text of nothing but a cut character starts with the encoder's prefix, as its tokens will.)
  const want = new Uint8Array([...(ids.length === 0 && partial.length > 0 ? canon.table.encodePrefix : []), ...spell(canon, ids), ...partial]);
  const got = spell(canon, [...plan.keptIds, ...healed]);
  const extra = continuationBytes(canon, plan, healed);
  if (!startsWith(got, want) || got.length !== want.length + extra.length || !startsWith(got.subarray(want.length), extra)) {
    counts.alteredPrompts++;
    note("prompt altered");
  }
  const all = [...plan.keptIds, ...healed];
  if (healed.length > 0 && !canon.isCanonical(all)) {
    counts.nonCanonical++;
    note("non-canonical");
  }
  if (canon.hasPairRule) for (let i = 1; i < all.length; i++) if (!canon.validPair(all[i - 1]!, all[i]!)) {
    counts.nonCanonical++;
    note("invalid pair");
    break;
  }
}

/** A FLORES line cut at a random byte offset (possibly inside a character). */
export function cutPrompt(line: string, random: () => number): Uint8Array {
  const bytes = enc.encode(line);
  return bytes.subarray(0, 1 + Math.floor(random() * bytes.length));
}

export function emptyCounts(): HealingCounts {
  return { prompts: 0, healed: 0, alteredPrompts: 0, removedSpecials: 0, nonCanonical: 0, nonCanonicalPrompts: 0, unspellable: 0, examples: [] };
}
