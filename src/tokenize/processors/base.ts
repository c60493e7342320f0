// Shared machinery of the post-processors: HF's process() = number the sequences, transform the list, merge.

import type { Encoding } from "../encoding.js";
import { cloneEncoding, mergeEncodings, setSequenceId, setSequenceRange } from "../encoding-ops.js";
import { TokenizerError, type Json, type JsonObject, type PostProcessor } from "../types.js";

export abstract class BasePostProcessor implements PostProcessor {
  abstract readonly type: string;
  abstract addedTokens(isPair: boolean): number;
  /** Transforms [a] or [a, b] (already numbered 0/1 and copied, so free to modify) into the list to concatenate. */
  abstract processEncodings(encodings: Encoding[], addSpecialTokens: boolean): Encoding[];
  abstract toJSON(): JsonObject;

  process(encoding: Encoding, pair: Encoding | null, addSpecialTokens: boolean): Encoding {
    const list = pair ? [cloneEncoding(encoding), cloneEncoding(pair)] : [cloneEncoding(encoding)];
    list.forEach((e, i) => {
      setSequenceId(e, i);
      for (const o of e.overflowing) setSequenceId(o, i);
      // Matches HF: type ids start as the sequence index (processors may override them).
      e.typeIds = new Array<number>(e.ids.length).fill(i);
    });
    const merged = mergeEncodings(this.processEncodings(list, addSpecialTokens), false);
    merged.inputs = pair ? [encoding.inputs[0] ?? "", pair.inputs[1] ?? pair.inputs[0] ?? ""] : [encoding.inputs[0] ?? ""];
    setInputs(merged, merged.inputs);
    return merged;
  }
}

function setInputs(e: Encoding, inputs: string[]): void {
  e.inputs = inputs;
  for (const o of e.overflowing) setInputs(o, inputs);
}

// --- JSON helpers for the processor files ---

export { str, bool } from "../json-fields.js";
import { MAX_ID, nonNegativeInt } from "../json-fields.js";

/** A token id or type id of a post-processor. */
export function uint(v: Json | undefined, path: string): number {
  return nonNegativeInt(v, path, MAX_ID);
}

/** A ["token", id] pair as BertProcessing/RobertaProcessing write their sep and cls. */
export function tokenPair(o: JsonObject, key: string, path: string): [string, number] {
  const v = o[key];
  if (!Array.isArray(v) || v.length !== 2 || typeof v[0] !== "string") {
    throw new TokenizerError(`expected ["token", id], got ${JSON.stringify(v)}`, `${path}.${key}`);
  }
  return [v[0], uint(v[1], `${path}.${key}[1]`)];
}

/** Copies `enc` (and its overflowing parts) wrapped in special tokens of type `edgeType`: HF's Bert/Roberta layout. */
export function wrap(
  enc: Encoding,
  before: [string, number] | null,
  after: [string, number],
  edgeType: number,
  seqId: number,
  zeroTypes = false,
): Encoding {
  const pre = before ? 1 : 0;
  const n = enc.ids.length;
  const out = cloneEncoding(enc);
  const b = before ? [before] : [];
  out.ids = b.map((t) => t[1]).concat(enc.ids, [after[1]]);
  out.tokens = b.map((t) => t[0]).concat(enc.tokens, [after[0]]);
  out.typeIds = (pre ? [edgeType] : []).concat(enc.typeIds, [edgeType]);
  out.wordIds = (pre ? [null] : ([] as (number | null)[])).concat(enc.wordIds, [null]);
  out.offsets = (pre ? [[0, 0] as [number, number]] : []).concat(enc.offsets, [[0, 0]]);
  out.specialTokensMask = (pre ? [1] : []).concat(new Array<number>(n).fill(0), [1]);
  out.attentionMask = new Array<number>(n + pre + 1).fill(1);
  out.overflowing = enc.overflowing.map((o) => wrap(o, before, after, edgeType, seqId, zeroTypes));
  if (zeroTypes) out.typeIds.fill(0);
  setSequenceRange(out, seqId, pre, pre + n);
  return out;
}

const SPACE_MARK = "\u0120";
/** Rust's char::is_whitespace (the Unicode White_Space property). */
export function isRustWhitespace(c: number): boolean {
  return (
    (c >= 9 && c <= 13) || c === 32 || c === 0x85 || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000
  );
}

function isSpaceLike(ch: string): boolean {
  return ch === SPACE_MARK || isRustWhitespace(ch.codePointAt(0)!);
}

/** Removes leading/trailing spaces ("Ġ" or whitespace) of each token from its offsets (HF's process_offsets), in place. */
export function trimByteLevelOffsets(enc: Encoding, addPrefixSpace: boolean): void {
  for (let i = 0; i < enc.tokens.length; i++) {
    const chars = Array.from(enc.tokens[i]!);
    let lead = 0;
    while (lead < chars.length && isSpaceLike(chars[lead]!)) lead++;
    let trail = 0;
    while (trail < chars.length && isSpaceLike(chars[chars.length - 1 - trail]!)) trail++;
    if (lead === 0 && trail === 0) continue;
    const off = enc.offsets[i]!;
    let [s, e] = off;
    if (lead > 0) {
      // Matches HF: the first token keeps one leading space when add_prefix_space may have put it there.
      if ((i === 0 || s === 0) && addPrefixSpace && lead === 1) lead = 0;
      s = Math.min(s + lead, e);
    }
    if (trail > 0 && e >= trail) e = Math.max(e - trail, s);
    enc.offsets[i] = [s, e];
  }
}
