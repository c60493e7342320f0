// Generation with token healing: the prompt is planned (heal.ts), the model continues the kept tokens, and the first
// steps are masked to the candidates that spell the removed bytes; a sampled token that would make the sequence
// non-canonical is masked out and the step sampled again.

import type { Tokenizer } from "../tokenize/tokenizer.js";
import { TokenizerError } from "../tokenize/types.js";
import { generate, type GenerateOptions } from "../lm/generate.js";
import type { ModelConfig } from "../lm/config.js";
import type { Params } from "../lm/model.js";
import type { Canonicality } from "./canonical.js";
import { continuationBytes, HealingConstraint, planHealing, splitPromptBytes, type HealingPlan, type HealingReport, type HealMode } from "./heal.js";

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

type LanguageModel = { config: ModelConfig; params: Params };

/**
 * `exact` healing: the tokens that cover the removed bytes, sampled from the exact covering distribution of the
 * byte-level model (the decode-bytes work plugs in here: return ids whose bytes start with plan.removed, as
 * HealingConstraint would allow). Until then it refuses clearly.
 */
export async function exactHealingTokens(_model: LanguageModel, _canon: Canonicality, _plan: HealingPlan, _options: HealedGenerateOptions): Promise<number[]> {
  throw new TokenizerError("--heal exact is not available yet: it needs the byte-level model (exact covering distribution); use --heal rollback");
}

/** Continues `prompt` (text, or bytes that may end inside a character) with healing; see HealingConstraint. */
export async function healedGenerate(model: LanguageModel, tokenizer: Tokenizer, canon: Canonicality, prompt: string | Uint8Array, options: HealedGenerateOptions = {}): Promise<HealedGeneration> {
  const mode = options.heal ?? "off";
  const { text, partial, bytes } = splitPromptBytes(prompt);
  const plan = planHealing(canon, tokenizer.encodeIds(text, { addSpecialTokens: false }), partial, mode);
  const head = mode === "exact" ? await exactHealingTokens(model, canon, plan, options) : [];
  options.onPlan?.(plan);
  const bos = model.config.bosTokenId;
  const start = bos === null ? [] : [bos];
  const constraint = new HealingConstraint(canon, plan);
  for (const id of head) constraint.accept(id);
  const promptIds = [...start, ...plan.keptIds, ...head];
  if (promptIds.length === 0) throw new TokenizerError("the prompt has no tokens and the model has no BOS token to start from");
  const rest = await generate(model, promptIds, {
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
  return candidates.reduce((a, b) => (canon.table.length(b) > canon.table.length(a) ? b : a));
}
