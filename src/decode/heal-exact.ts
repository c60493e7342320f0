// `exact` token healing (ByteSampler's prompt-boundary sampling; Phan et al. 2025): the prompt's bytes are read by the
// exact byte-level model, and generation starts from one canonical *cover* of them — a canonical token sequence whose
// last token reaches or passes the prompt's end — drawn with probability P(cover) / A(prompt), the model's own
// marginal over every way its tokenizer could have spelled a text that begins with the prompt. No rule decides how far
// to back up: every cover is weighed, so the continuation is distributed as the model's continuation of the bytes.
import type { Tokenizer } from "../tokenize/tokenizer.js";
import { TokenizerError } from "../tokenize/types.js";
import type { TokenLM } from "../lm/token-lm.js";
import { ByteLM, type Cover, type CoverNode, type CoverRule } from "./byte-lm.js";
import type { HealingPlan } from "./heal.js";
import { splitPromptBytes } from "./heal.js";

/** One way the prompt's end can be covered, and how likely exact healing starts with it. */
export interface HealingCover {
  /** The cover's text ids after the context: they spell the prompt's text (after the encoder's prefix), then `extra`. */
  ids: number[];
  /** log P(ids | context) under the model. */
  logP: number;
  /** P(ids | context) / A(prompt): the probability that exact healing starts with these ids. */
  p: number;
  /** Bytes the last token adds past the prompt. */
  extra: Uint8Array;
  /** The byte-level model's cover (its nodes keep the model states while the model is open). */
  cover: Cover;
}

/** The prompt read byte by byte, and its covers. */
export interface ExactHealing {
  /** Ids before the text the byte-level model read: the start token and the prompt's tokens up to its last special
   * token (a special token is never text, so healing never reaches back over it). */
  context: number[];
  /** The tokenizer's own ids of the text after the context (a trailing cut character left out). */
  textIds: number[];
  /** Every cover, most likely first; empty when there is no text after the context. */
  covers: HealingCover[];
  /** The byte-level model after the prompt's text (its live covers keep their model states); the caller closes it. */
  model: ByteLM | null;
}

/**
 * Reads `prompt` (text, or bytes that may end inside a character) with the exact byte-level model and lists every
 * canonical cover of its text with its probability. The text after the prompt's last special token is read as a
 * text of its own (as the tokenizer encodes it after a special token).
 */
export async function exactHealingCovers(lm: TokenLM, tokenizer: Tokenizer, rule: CoverRule, prompt: string | Uint8Array): Promise<ExactHealing> {
  const table = rule.table;
  const { text, partial } = splitPromptBytes(prompt);
  const encoding = tokenizer.encode(text, { addSpecialTokens: false });
  const ids = encoding.ids;
  let cut = ids.length;
  while (cut > 0 && !table.isSpecial(ids[cut - 1]!)) cut--;
  if (lm.startId === null && cut === 0) throw new TokenizerError("exact healing: the model has no start token (BOS or EOS in config.json) to read the prompt after");
  const context = [...(lm.startId === null ? [] : [lm.startId]), ...ids.slice(0, cut)];
  const after = cut === 0 ? text : text.slice(encoding.offsets[cut - 1]![1]);
  const textIds = ids.slice(cut);
  const bytes = new Uint8Array([...new TextEncoder().encode(after), ...partial]);
  if (bytes.length === 0) return { context, textIds, covers: [], model: null };
  const model = await ByteLM.create(lm, rule, { context });
  try {
    for (const b of bytes) await model.push(b);
  } catch (e) {
    model.close();
    throw new TokenizerError(`exact healing: ${(e as Error).message}`);
  }
  return { context, textIds, covers: rankedCovers(model), model };
}

/** Every cover of the text a byte-level model has read, with its probability among them, most likely first. */
export function rankedCovers(model: ByteLM): HealingCover[] {
  const table = model.rule.table;
  const end = table.encodePrefix.length + model.text.length;
  const raw = model.covers();
  let max = -Infinity;
  for (const c of raw) max = Math.max(max, c.logP);
  let total = 0;
  for (const c of raw) total += Math.exp(c.logP - max);
  const covers = raw.map((c): HealingCover => {
    const path: number[] = [];
    for (let n: CoverNode | null = c.parent; n && n.token >= 0; n = n.parent) path.push(n.token);
    path.reverse().push(c.token);
    return { ids: path, logP: c.logP, p: Math.exp(c.logP - max) / total, extra: table.bytes(c.token).slice(end - c.parent.end), cover: c };
  });
  return covers.sort((a, b) => b.p - a.p);
}

/**
 * The healing plan of one chosen cover: the prompt's tokens it shares are kept, the rest are removed, and the cover's
 * own tokens after them (`head`) are taken as the first generated tokens. `context` leaves out the start token.
 */
export function exactHealingPlan(table: CoverRule["table"], healing: ExactHealing, cover: HealingCover | null, startId: number | null): { plan: HealingPlan; head: number[] } {
  const before = startId === null ? healing.context : healing.context.slice(1);
  if (!cover) return { plan: { keptIds: [...before, ...healing.textIds], removed: new Uint8Array(0), removedIds: [], report: { tokensRemoved: 0, bytesRemoved: 0, candidates: 0 } }, head: [] };
  let common = 0;
  while (common < cover.ids.length && common < healing.textIds.length && cover.ids[common] === healing.textIds[common]) common++;
  const head = cover.ids.slice(common);
  let spelled = 0;
  for (const id of head) spelled += table.length(id);
  const removed = new Uint8Array(spelled - cover.extra.length);
  let at = 0;
  for (const id of head) {
    const b = table.bytes(id);
    removed.set(b.subarray(0, Math.min(b.length, removed.length - at)), at);
    at += b.length;
    if (at >= removed.length) break;
  }
  const removedIds = healing.textIds.slice(common);
  return {
    plan: { keptIds: [...before, ...healing.textIds.slice(0, common)], removed, removedIds, report: { tokensRemoved: removedIds.length, bytesRemoved: removed.length, candidates: healing.covers.length } },
    head,
  };
}
