// Generation with token healing: the prompt is planned (heal.ts; exact: heal-exact.ts), the model continues the kept
// tokens, and the first steps are masked to the candidates that spell the removed bytes (exact: the drawn cover's
// tokens come first); a sampled token that would make the sequence non-canonical is masked out and the step sampled
// again.

import type { Tokenizer } from "../tokenize/tokenizer.js";
import { TokenizerError } from "../tokenize/types.js";
import { generate, sampleFromLogits, seededRandom, type GenerateOptions } from "../lm/generate.js";
import { asTokenLM, type TokenLM } from "../lm/token-lm.js";
import type { ModelConfig } from "../lm/config.js";
import type { Params } from "../lm/model.js";
import type { Canonicality } from "./canonical.js";
import { coverRule } from "./byte-lm.js";
import { exactHealingCovers, exactHealingPlan } from "./heal-exact.js";
import { continuationBytes, HealingConstraint, longestToken, planHealing, splitPromptBytes, type HealingPlan, type HealingReport, type HealMode } from "./heal.js";

export interface HealedGenerateOptions extends Omit<GenerateOptions, "pick"> {
  heal?: HealMode;
  /** Called once the prompt is planned, before the first token (a streaming caller needs it for continuationBytes). */
  onPlan?: (plan: HealingPlan) => void;
}

export interface HealedGeneration {
  /** The prompt as given, in bytes. */
  prompt: Uint8Array;
  /** The bytes generated after the prompt: prompt + continuation is the whole text. */
  continuation: Uint8Array;
  /** Every generated id, the healing tokens first. */
  ids: number[];
  healing: HealingReport;
}

/** A loaded model folder (Node picks its forward), or a TokenLM as it is (the playground's browser forward). */
type LanguageModel = { config: ModelConfig; params: Params } | TokenLM;

/** `exact`: the first tokens are one canonical cover of the prompt's bytes, drawn from the byte-level model's exact
 * covering distribution (heal-exact.ts) with the generation's own sampling settings (greedy: the most likely cover). */
async function exactHead(lm: TokenLM, tokenizer: Tokenizer, canon: Canonicality, prompt: string | Uint8Array, options: HealedGenerateOptions): Promise<{ plan: HealingPlan; head: number[]; start: number[] }> {
  const healing = await exactHealingCovers(lm, tokenizer, coverRule(tokenizer), prompt);
  healing.model?.close();
  // Its own stream (not the token sampler's), so the cover and the first token are drawn independently.
  const random = seededRandom(((options.seed ?? 0) ^ 0x5bd1e995) >>> 0);
  const cover = healing.covers.length === 0 ? null : healing.covers[sampleFromLogits(Float64Array.from(healing.covers, (c) => c.logP), options, random)]!;
  // Generation starts where the covers were weighed: after the model's document start token.
  return { ...exactHealingPlan(canon.table, healing, cover, lm.startId), start: lm.startId === null ? [] : [lm.startId] };
}

/** Continues `prompt` (text, or bytes that may end inside a character) with healing; see HealingConstraint. */
export async function healedGenerate(model: LanguageModel, tokenizer: Tokenizer, canon: Canonicality, prompt: string | Uint8Array, options: HealedGenerateOptions = {}): Promise<HealedGeneration> {
  const mode = options.heal ?? "off";
  const { text, partial, bytes } = splitPromptBytes(prompt);
  const lm = await asTokenLM(model);
  const bos = lm.bosId;
  const { plan, head, start } =
    mode === "exact"
      ? await exactHead(lm, tokenizer, canon, bytes, options)
      : { plan: planHealing(canon, tokenizer.encodeIds(text, { addSpecialTokens: false }), partial, mode), head: [], start: bos === null ? [] : [bos] };
  options.onPlan?.(plan);
  const constraint = new HealingConstraint(canon, plan);
  for (const id of head) {
    constraint.accept(id);
    options.onToken?.(id);
  }
  const promptIds = [...start, ...plan.keptIds, ...head];
  if (promptIds.length === 0) throw new TokenizerError("the prompt has no tokens and the model has no BOS token to start from");
  const rest = await generate(lm, promptIds, {
    ...options,
    maxTokens: Math.max(0, (options.maxTokens ?? 64) - head.length),
    pick: (logits, sample) => {
      const id = constraint.active ? pickHealed(constraint, canon, logits, sample) : sample(logits);
      constraint.accept(id);
      return id;
    },
  });
  const ids = [...head, ...rest];
  return { prompt: bytes, continuation: continuationBytes(canon, plan, ids), ids, healing: plan.report };
}

/** One constrained step: sample among the candidates, masking out any whose sequence would not be canonical. */
function pickHealed(constraint: HealingConstraint, canon: Canonicality, logits: Float64Array, sample: (l: Float64Array) => number): number {
  const candidates = constraint.candidates()!;
  const masked = new Float64Array(logits.length).fill(-Infinity);
  for (const id of candidates) masked[id] = logits[id]!;
  for (let left = candidates.length; left > 0; left--) {
    const id = sample(masked);
    if (masked[id] === -Infinity) break;
    if (constraint.canonicalWith(id)) return id;
    masked[id] = -Infinity;
  }
  // No candidate keeps the sequence canonical (it cannot happen for the prompt's own tokens, which are): spell the
  // owed bytes with the longest candidate the bytes allow.
  if (candidates.length === 0) throw new TokenizerError(`token healing: no token spells the removed bytes (${canon.table.size} tokens)`);
  return longestToken(canon, candidates);
}
