// The next byte after a prompt, two ways: exact (every canonical cover of the prompt's bytes, byte-lm.ts) and naive
// (the tokenization-biased baseline: encode the prompt, take the next-token distribution, sum it by first byte).
import type { Tokenizer } from "../tokenize/tokenizer.js";
import type { TokenLM } from "../lm/token-lm.js";
import { ByteLM, END_OF_TEXT, type CoverRule } from "./byte-lm.js";
import type { TokenByteTable } from "./token-bytes.js";

export interface NextByteDistribution {
  /** P(next byte = b) for b = 0…255. */
  bytes: Float64Array;
  /** P(the text ends here). The 256 bytes and the end sum to 1. */
  endOfText: number;
}

export async function exactNextBytes(lm: TokenLM, rule: CoverRule, prompt: string): Promise<NextByteDistribution> {
  const model = await ByteLM.create(lm, rule);
  try {
    await model.pushText(prompt);
    const { logProbs } = await model.next();
    return { bytes: Float64Array.from(logProbs.subarray(0, 256), Math.exp), endOfText: Math.exp(logProbs[END_OF_TEXT]!) };
  } finally {
    model.close();
  }
}

/**
 * The prompt's canonical encoding after the start token, then the next token's distribution summed by the token's
 * first byte (after the tokenizer's text prefix when the prompt is empty); end-of-text tokens give the end. Mass on
 * other special tokens is left out and the 257 outcomes renormalised.
 */
export async function naiveNextBytes(lm: TokenLM, tokenizer: Tokenizer, table: TokenByteTable, prompt: string): Promise<NextByteDistribution> {
  if (lm.startId === null) throw new Error("next-bytes: the model has no start token (BOS or EOS in config.json)");
  const ids = [lm.startId, ...tokenizer.encodeIds(prompt, { addSpecialTokens: false })];
  const [r] = await lm.extend([{ from: null, ids }]);
  const lp = r!.logProbs;
  lm.release(r!.state);
  const bytes = new Float64Array(256);
  let end = 0;
  const ends = new Set(lm.endIds);
  const skip = prompt.length === 0 ? table.encodePrefix.length : 0;
  for (let id = 0; id < table.size; id++) {
    if (ends.has(id)) {
      end += Math.exp(lp[id]!);
      continue;
    }
    if (table.isSpecial(id)) continue;
    const b = table.bytes(id);
    const at = skip > 0 && b.length > skip && b.subarray(0, skip).every((v, i) => v === table.encodePrefix[i]) ? skip : 0;
    if (b.length > at) bytes[b[at]!]! += Math.exp(lp[id]!);
  }
  let total = end;
  for (const p of bytes) total += p;
  if (!(total > 0)) throw new Error("next-bytes: the model gives no mass to any text token or end of text");
  return { bytes: bytes.map((p) => p / total), endOfText: end / total };
}
