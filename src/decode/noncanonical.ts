// Non-canonical mass: how much probability a token model puts on next tokens that its own tokenizer would never
// produce there (the sequence would stop being a prefix of any text's encoding). A model trained on the tokenizer's
// output learns to put almost none there; a model given a new tokenizer (transfer) shows by this how well it has
// learnt the new one's spelling rules — without any labelled text beyond what it reads.
import type { TokenLM, TokenState } from "../lm/token-lm.js";
import type { CoverRule } from "./byte-lm.js";
import { utf8Run } from "./utf8.js";

export interface NonCanonicalMass {
  /** Mean over positions of P(next token makes the sequence non-canonical). */
  mean: number;
  /** The largest value at one position. */
  max: number;
  /** Positions scored: every token of every text's canonical encoding (the first after the start token included). */
  positions: number;
  /** Per text: the values at each position (P before each of its tokens). */
  perText: number[][];
}

/**
 * Reads each text's canonical encoding after the model's start token and, before each token, sums the model's
 * probability of the tokens that may not come next (CoverRule.canExtend: the pair rule in context for BPE, re-encoding
 * otherwise). Special tokens and ids without a token are left out of the sum (ending the text is always allowed).
 */
export async function nonCanonicalMass(lm: TokenLM, rule: CoverRule, texts: readonly string[]): Promise<NonCanonicalMass> {
  if (lm.startId === null) throw new Error("non-canonical mass: the model has no start token (BOS or EOS in config.json)");
  const table = rule.table;
  const prefix = table.encodePrefix.length;
  const perText: number[][] = [];
  let sum = 0;
  let max = 0;
  let positions = 0;
  for (const text of texts) {
    const ids = rule.tokenizer.encodeIds(text, { addSpecialTokens: false });
    const spelled: number[] = [];
    const starts: number[] = [];
    for (const id of ids) {
      starts.push(spelled.length);
      for (const b of table.bytes(id)) spelled.push(b);
    }
    const bytes = Uint8Array.from(spelled);
    const values: number[] = [];
    let state: TokenState | null = null;
    let input = [lm.startId];
    for (let i = 0; i < ids.length && i < lm.maxPositions; i++) {
      const [r] = await lm.extend([{ from: state, ids: input, consume: true }]);
      state = r!.state;
      const left = i === 0 ? -1 : ids[i - 1]!;
      const context = rule.pairContext(i === 0 ? new Uint8Array(0) : bytes.subarray(prefix, Math.max(prefix, starts[i - 1]!)), Math.max(0, left));
      const path = () => ids.slice(0, i);
      // The text so far as UTF-8: a token whose bytes no UTF-8 text continues with here is never canonical.
      const run = utf8Run(bytes, prefix, i === 0 ? prefix : starts[i - 1]! + table.length(left));
      const utf8 = "badAt" in run ? null : run.state;
      let mass = 0;
      for (let t = 0; t < table.size; t++) {
        if (table.isSpecial(t)) continue;
        const ok = utf8 !== null && !("badAt" in utf8Run(table.bytes(t), 0, table.length(t), utf8)) && rule.canExtend(path, left, t, context);
        if (!ok) mass += Math.exp(r!.logProbs[t]!);
      }
      values.push(mass);
      sum += mass;
      max = Math.max(max, mass);
      positions++;
      input = [ids[i]!];
    }
    if (state) lm.release(state);
    perText.push(values);
  }
  return { mean: positions > 0 ? sum / positions : 0, max, positions, perText };
}
