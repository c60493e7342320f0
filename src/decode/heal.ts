// Token healing: a prompt that ends inside what would be one token ("The capital of Fran", '<a href="http:') is
// backed up to a token boundary, and the next tokens are constrained — hard, over as many steps as it takes — to
// spell the removed bytes again before anything new. Works on bytes (no Ġ/▁ confusion, partial UTF-8 characters
// allowed), never backs up over a special or added token, never changes the prompt (the output is prompt +
// continuation, byte for byte) and never emits a pair the tokenizer would not produce.

import { TokenizerError } from "../tokenize/types.js";
import type { Canonicality } from "./canonical.js";
import { isValidUtf8, utf8State } from "./canonical.js";
import { concatBytes } from "./utf8.js";

export type HealMode = "off" | "rollback" | "exact";

export const HEAL_MODES: readonly HealMode[] = ["off", "rollback", "exact"];

/** What healing did (the CLI's `healing` JSON object). */
export interface HealingReport {
  /** Prompt tokens taken off the end. */
  tokensRemoved: number;
  /** Bytes the continuation must spell again first (the removed tokens' bytes plus a trailing partial character). */
  bytesRemoved: number;
  /** Tokens allowed at the first constrained step (0 when nothing was removed). */
  candidates: number;
}

/** A prompt split into the tokens that stay and the bytes the continuation must begin with. */
export interface HealingPlan {
  /** The prompt's text tokens that are kept (no post-processor tokens: the caller adds a BOS). */
  keptIds: number[];
  /** Bytes the next tokens must spell first, in the tokens' own spelling (bytes(id), mid-sequence). */
  removed: Uint8Array;
  /** The ids that were removed (with a trailing partial character they spell less than `removed`). */
  removedIds: number[];
  report: HealingReport;
}

const utf8 = new TextEncoder();

/** The prompt as bytes: its complete characters, and a trailing partial character (a prompt cut at any byte offset).
 * Invalid UTF-8 anywhere else is an error naming the byte offset. */
export function splitPromptBytes(prompt: string | Uint8Array): { text: string; partial: Uint8Array; bytes: Uint8Array } {
  const bytes = typeof prompt === "string" ? utf8.encode(prompt) : prompt;
  let end = bytes.length;
  // Back up over at most three continuation bytes and their lead byte: a character cut short at the end.
  let k = end - 1;
  while (k >= 0 && k >= end - 3 && (bytes[k]! & 0xc0) === 0x80) k--;
  if (k >= 0 && bytes[k]! >= 0xc0) {
    const need = bytes[k]! >= 0xf0 ? 4 : bytes[k]! >= 0xe0 ? 3 : 2;
    if (end - k < need) end = k;
  }
  const head = bytes.subarray(0, end);
  if (!isValidUtf8(head)) {
    let at = 0;
    while (at < head.length && isValidUtf8(head.subarray(0, at + 1 + utf8Continuation(head, at)))) at += 1 + utf8Continuation(head, at);
    throw new TokenizerError(`the prompt is not valid UTF-8 at byte ${at} (0x${head[at]!.toString(16).padStart(2, "0")})`);
  }
  return { text: new TextDecoder("utf-8", { ignoreBOM: true }).decode(head), partial: bytes.slice(end), bytes };
}

function utf8Continuation(bytes: Uint8Array, at: number): number {
  const b = bytes[at]!;
  return b < 0x80 ? 0 : b >= 0xf0 ? 3 : b >= 0xe0 ? 2 : b >= 0xc0 ? 1 : 0;
}


/**
 * Where to heal a prompt (`rollback`): remove whole tokens from the end — never a special or added token, never more
 * bytes than the longest token — and keep the longest removal that some token extends (a token whose bytes start with
 * all the removed bytes and go on), as llama.cpp's dynamic rollback does, but on bytes. A trailing partial character
 * is always removed. `off`: nothing is removed (a trailing partial character is then an error).
 */
export function planHealing(canon: Canonicality, promptIds: readonly number[], partial: Uint8Array, mode: HealMode): HealingPlan {
  const table = canon.table;
  const ids = [...promptIds];
  if (mode === "off") {
    if (partial.length > 0) throw new TokenizerError(`the prompt ends inside a UTF-8 character (${partial.length} of its bytes): heal it (--heal rollback) or end the prompt on a whole character`);
    return { keptIds: ids, removed: new Uint8Array(0), removedIds: [], report: { tokensRemoved: 0, bytesRemoved: 0, candidates: 0 } };
  }
  // How many tokens may be removed: never a special, never more bytes than the longest token.
  let most = 0;
  for (let bytes = partial.length; most < ids.length; most++) {
    const id = ids[ids.length - 1 - most]!;
    if (table.isSpecial(id) || (bytes += table.length(id)) > table.maxTokenBytes) break;
  }
  const lead = (k: number) => (k === ids.length && partial.length > 0 ? table.encodePrefix : new Uint8Array(0));
  const planFor = (k: number): HealingPlan => {
    const removedIds = ids.slice(ids.length - k);
    // A text of nothing but removed tokens and a cut character: the tokens will start the text, so they spell the
    // encoder's prefix first.
    const removed = concatBytes(lead(k), ...removedIds.map((id) => table.bytes(id)), partial);
    return { keptIds: ids.slice(0, ids.length - k), removed, removedIds, report: { tokensRemoved: k, bytesRemoved: removed.length, candidates: 0 } };
  };
  // Worth removing k tokens when one token spells the removed bytes and more, or spells exactly what now takes
  // several pieces (tokens, or a token and a cut character); the longest such removal wins.
  let best = 0;
  for (let k = 1; k <= most; k++) {
    const removed = planFor(k).removed;
    const pieces = k + (partial.length > 0 ? 1 : 0);
    if (table.withPrefix(removed).some((t) => table.length(t) > removed.length || (pieces > 1 && table.length(t) === removed.length))) best = k;
  }
  // The canonical spelling may reach further back still: remove more until some first token keeps the text canonical.
  let plan = planFor(best);
  for (let k = best; k <= most; k++) {
    const p = planFor(k);
    if (p.removed.length === 0) break;
    const c = new HealingConstraint(canon, p);
    if ((c.candidates() ?? []).some((id) => c.canonicalWith(id))) {
      plan = p;
      break;
    }
  }
  if (plan.removed.length > 0) plan.report.candidates = healingCandidates(canon, plan.keptIds, plan.removed).length;
  return plan;
}

/** Tokens that may come next while `remaining` bytes are still owed after `context`: their bytes start with all of
 * `remaining`, or are a shorter prefix of it (the rest follows in later steps); specials never; and the pair with the
 * previous token must be one the tokenizer produces (validPair where the model has a pair rule). */
export function healingCandidates(canon: Canonicality, context: readonly number[], remaining: Uint8Array): number[] {
  const table = canon.table;
  const prev = context.length > 0 ? context[context.length - 1]! : -1;
  const pairs = (left: number, right: number) => left < 0 || !canon.hasPairRule || table.isSpecial(left) || canon.validPair(left, right);
  // A token that leaves bytes owed must leave them payable: some valid chain of tokens spells the rest (memoised by
  // the token and how many bytes it leaves).
  const memo = new Map<number, boolean>();
  const payable = (left: number, at: number): boolean => {
    const key = left * (remaining.length + 1) + at;
    let ok = memo.get(key);
    if (ok !== undefined) return ok;
    ok = false;
    const rest = remaining.subarray(at);
    for (const id of table.withPrefix(rest)) if ((ok = pairs(left, id))) break;
    if (!ok) for (const id of table.prefixesOf(rest)) if (table.length(id) < rest.length && (ok = pairs(left, id) && payable(id, at + table.length(id)))) break;
    memo.set(key, ok);
    return ok;
  };
  const out: number[] = [];
  for (const id of table.withPrefix(remaining)) if (pairs(prev, id)) out.push(id);
  for (const id of table.prefixesOf(remaining)) if (table.length(id) < remaining.length && pairs(prev, id) && payable(id, table.length(id))) out.push(id);
  return out;
}

/**
 * The constraint of one healed generation, step by step: candidates() lists the tokens that may come next while it is
 * active — while removed bytes are owed, and after that while the text ends inside a character (the character must
 * be completed by a valid pair, not by whatever the model likes); canonicalWith() checks a sampled token against the
 * whole context by re-encoding; accept() takes it. Candidate lookups are range queries on the byte-sorted vocabulary.
 */
export class HealingConstraint {
  private remaining: Uint8Array;
  private readonly context: number[];
  /** The last bytes of the text so far (enough to see whether it ends inside a character). */
  private tail: Uint8Array;

  /** Whether the prompt's own encoding (kept and removed tokens) is canonical; when it is not (a character the
   * tokenizer has no token for, read back as "<unk>"), no healed sequence can be, and only the bytes and the pair
   * rule constrain. */
  private readonly promptCanonical: boolean;

  constructor(
    private readonly canon: Canonicality,
    plan: HealingPlan,
  ) {
    this.remaining = plan.removed;
    this.context = [...plan.keptIds];
    this.tail = this.canon.table.textBytes(this.context.slice(-4));
    this.promptCanonical = canon.isCanonical([...plan.keptIds, ...plan.removedIds]);
  }

  /** Whether the next token is still constrained. */
  get active(): boolean {
    return this.remaining.length > 0 || utf8State(lastCharacter(this.tail)) === "incomplete";
  }

  /** The tokens allowed now (null: any). */
  candidates(): number[] | null {
    if (this.remaining.length > 0) return healingCandidates(this.canon, this.context, this.remaining);
    if (!this.active) return null;
    return completionCandidates(this.canon, this.context, lastCharacter(this.tail));
  }

  /** Whether `id` may be taken: the prompt's kept tokens, the healed ones and `id` must be canonical — the text they
   * spell re-encodes to them — or, while bytes are still owed or the text ends inside a character, some allowed
   * tokens must complete them into such a text. The direct witness (continuesThrough: one re-encoding per way to
   * finish an open character) comes first; the bounded search over token paths after it can spend its budget on long
   * tokens where the canonical way on is a run of single bytes (GPT-2 on Tamil). */
  canonicalWith(id: number): boolean {
    const table = this.canon.table;
    if (table.isSpecial(id) || !this.promptCanonical) return true;
    const n = table.length(id);
    this.context.push(id);
    const owed = n >= this.remaining.length ? new Uint8Array(0) : this.remaining.subarray(n);
    const ok = this.canon.continuesThrough(this.context, owed) || (owed.length === 0 ? canonicalOrCompletable(this.canon, this.context, 3) : payableCanonically(this.canon, this.context, owed));
    this.context.pop();
    return ok;
  }

  /** The tokens a healed step can take (null: any): the candidates that keep the sequence canonical, or — when none
   * does — the longest candidate, as generation falls back to. Checks every candidate (generation samples first and
   * checks only what it drew; the distribution is the same). */
  allowed(): number[] | null {
    const candidates = this.candidates();
    if (candidates === null) return null;
    const ok = candidates.filter((id) => this.canonicalWith(id));
    return ok.length > 0 || candidates.length === 0 ? ok : [longestToken(this.canon, candidates)];
  }

  /** An independent copy (to follow several next tokens from the same point). */
  fork(): HealingConstraint {
    const copy = Object.create(HealingConstraint.prototype) as HealingConstraint;
    // remaining and tail are replaced, never written into, so only the context needs its own array.
    return Object.assign(copy, this, { context: [...this.context] });
  }

  /** Takes the chosen token: consumes the owed bytes it spells. */
  accept(id: number): void {
    this.context.push(id);
    this.tail = lastBytes(concatBytes(this.tail, this.canon.table.bytes(id)), 8);
    const n = this.canon.table.length(id);
    if (this.remaining.length > 0) this.remaining = n >= this.remaining.length ? new Uint8Array(0) : this.remaining.subarray(n);
  }
}

/** The candidate with the most bytes (the first of equals). */
export function longestToken(canon: Canonicality, ids: readonly number[]): number {
  return ids.reduce((a, b) => (canon.table.length(b) > canon.table.length(a) ? b : a));
}

/** Tokens that go on with the character `open` starts (continuation bytes first) and pair validly after the context. */
function completionCandidates(canon: Canonicality, context: readonly number[], open: Uint8Array): number[] {
  const table = canon.table;
  const prev = context[context.length - 1]!;
  const out: number[] = [];
  for (let b = 0x80; b < 0xc0; b++) {
    for (const id of table.withPrefix(Uint8Array.of(b))) {
      if (utf8State(concatBytes(open, table.bytes(id))) === "invalid") continue;
      if (!canon.hasPairRule || table.isSpecial(prev) || canon.validPair(prev, id)) out.push(id);
    }
  }
  return out;
}

/** The context spells a canonical text — or ends inside a character that some valid tokens complete into one
 * (searched depth first, `depth` tokens at most: a character has at most three bytes left). */
function canonicalOrCompletable(canon: Canonicality, context: number[], depth: number, budget = { left: SEARCH_BUDGET }): boolean {
  const bytes = canon.table.textBytes(context);
  const state = utf8State(bytes);
  if (state === "valid") {
    budget.left--;
    return canon.isCanonical(context);
  }
  if (state === "invalid" || depth === 0) return false;
  const table = canon.table;
  for (const id of completionCandidates(canon, context, lastCharacter(bytes)).sort((a, b) => table.length(b) - table.length(a))) {
    if (budget.left <= 0) return false;
    context.push(id);
    const ok = canonicalOrCompletable(canon, context, depth - 1, budget);
    context.pop();
    if (ok) return true;
  }
  return false;
}

/** How many re-encodings one search may spend: the search is over token paths, so it is bounded (a path not found
 * within it counts as none — the candidate is refused, never a non-canonical one taken). */
const SEARCH_BUDGET = 256;

/** Some allowed tokens pay `owed` after the context and leave a canonical text (depth first, longest token first:
 * the canonical spelling is usually the longest). */
function payableCanonically(canon: Canonicality, context: number[], owed: Uint8Array, budget = { left: SEARCH_BUDGET }): boolean {
  const table = canon.table;
  const candidates = healingCandidates(canon, context, owed).sort((a, b) => table.length(b) - table.length(a));
  for (const id of candidates) {
    if (budget.left <= 0) return false;
    const n = table.length(id);
    context.push(id);
    const ok = n >= owed.length ? canonicalOrCompletable(canon, context, 3, budget) : payableCanonically(canon, context, owed.subarray(n), budget);
    context.pop();
    if (ok) return true;
  }
  return false;
}


function lastBytes(bytes: Uint8Array, n: number): Uint8Array {
  return bytes.length <= n ? bytes : bytes.slice(bytes.length - n);
}

/** The bytes from the start of the last character (its lead byte) to the end. */
function lastCharacter(bytes: Uint8Array): Uint8Array {
  let k = bytes.length - 1;
  while (k > 0 && k >= bytes.length - 4 && (bytes[k]! & 0xc0) === 0x80) k--;
  return bytes.subarray(Math.max(0, k));
}

/** The bytes generated after the prompt: every generated token's bytes past the removed ones (specials spell none). */
export function continuationBytes(canon: Canonicality, plan: HealingPlan, generated: readonly number[]): Uint8Array {
  const table = canon.table;
  // Nothing before them: the decoder's start rule applies to the first token (Llama drops its dummy-prefix space).
  if (plan.keptIds.length === 0 && plan.removed.length === 0) return table.textBytes(generated.filter((id) => !table.isSpecial(id)));
  const parts: Uint8Array[] = [];
  let skip = plan.removed.length;
  for (const id of generated) {
    if (table.isSpecial(id)) continue;
    const b = table.bytes(id);
    if (skip >= b.length) {
      skip -= b.length;
      continue;
    }
    parts.push(b.subarray(skip));
    skip = 0;
  }
  return concatBytes(...parts);
}
