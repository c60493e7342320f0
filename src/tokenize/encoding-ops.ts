// Operations on whole encodings: merging (post-processing, pairs), truncation with overflowing windows, padding.
// Semantics follow Hugging Face `tokenizers` exactly, including its quirks (see the comments that say "matches HF").

import { Encoding } from "./encoding.js";
import { TokenizerError, type Json, type JsonObject } from "./types.js";
import { nonNegativeInt } from "./json-fields.js";

export type Direction = "Left" | "Right";
export type TruncationStrategy = "LongestFirst" | "OnlyFirst" | "OnlySecond";

export interface TruncationOptions {
  maxLength: number;
  stride?: number;
  strategy?: TruncationStrategy;
  direction?: Direction;
}

export interface PaddingOptions {
  /** Pad every encoding of a batch to the longest one (default), or to a fixed length. */
  strategy?: "BatchLongest" | { fixed: number };
  /** Shorthand for strategy {fixed: maxLength}. */
  maxLength?: number;
  direction?: Direction;
  padToMultipleOf?: number | null;
  padId?: number;
  padTypeId?: number;
  padToken?: string;
}

// HF keeps, per encoding, a map sequence id -> token range, and reports sequence ids from it with a few quirks (an
// empty map means "all sequence 0"; ids are read for 0 .. size-1 only). We keep that map beside each Encoding we
// build and materialise `sequenceIds` from it, so merged, truncated and overflowing parts report what HF reports.
type Ranges = Map<number, [number, number]>;

/** The sequence ranges of `e`: ours if we built it, else read from its sequenceIds (a fresh model encoding). */
function rangesOf(e: Encoding): Ranges {
  const known = e.sequenceRanges;
  if (known) return known;
  const r: Ranges = new Map();
  e.sequenceIds.forEach((id, i) => {
    if (id === null) return;
    const cur = r.get(id);
    if (cur) cur[1] = i + 1;
    else r.set(id, [i, i + 1]);
  });
  if (r.size === 1 && r.has(0)) r.clear();
  return r;
}

/** Sets the ranges of `e` and rewrites `e.sequenceIds` as HF's get_sequence_ids reports them. */
function setRanges(e: Encoding, r: Ranges): void {
  e.sequenceRanges = r;
  const n = e.ids.length;
  const out = new Array<number | null>(n).fill(null);
  const count = r.size === 0 ? 1 : r.size;
  for (let id = 0; id < count; id++) {
    const [s, t] = r.get(id) ?? [0, n];
    for (let i = s; i < t && i < n; i++) out[i] = id;
  }
  e.sequenceIds = out;
}

/** The sequence ranges of `e` as plain entries (to send an Encoding to another thread), or null if it has none of
 * its own. */
export function sequenceRangeEntries(e: Encoding): [number, [number, number]][] | null {
  const r = e.sequenceRanges;
  return r ? [...r] : null;
}

/** Gives a received Encoding back the ranges it was sent with (its sequenceIds already say what they give). */
export function restoreSequenceRanges(e: Encoding, entries: [number, [number, number]][] | null): void {
  if (entries) e.sequenceRanges = new Map(entries);
}

function copyRanges(r: Ranges, shift = 0): Ranges {
  const c: Ranges = new Map();
  for (const [k, [s, t]] of r) c.set(k, [s + shift, t + shift]);
  return c;
}

/** Gives `e` the single range `id` -> [start, end) (HF's Encoding::new with one sequence range). */
export function setSequenceRange(e: Encoding, id: number, start: number, end: number): void {
  setRanges(e, new Map([[id, [start, end]]]));
}

/** Gives `e` no sequence ranges (HF's empty map: every token reads as sequence 0). */
export function clearSequenceRanges(e: Encoding): void {
  setRanges(e, new Map());
}

/** A deep copy (overflowing included). */
export function cloneEncoding(e: Encoding): Encoding {
  const c = new Encoding({
    ids: e.ids.slice(),
    typeIds: e.typeIds.slice(),
    tokens: e.tokens.slice(),
    offsets: e.offsets.map(([s, t]) => [s, t] as [number, number]),
    wordIds: e.wordIds.slice(),
    specialTokensMask: e.specialTokensMask.slice(),
    attentionMask: e.attentionMask.slice(),
    sequenceIds: e.sequenceIds.slice(),
    overflowing: e.overflowing.map(cloneEncoding),
    inputs: e.inputs.slice(),
  });
  const r = e.sequenceRanges;
  if (r) c.sequenceRanges = copyRanges(r);
  return c;
}

/** Marks every token of `e` as belonging to input sequence `id` (HF's set_sequence_id: adds to the range map). */
export function setSequenceId(e: Encoding, id: number): void {
  const r = copyRanges(rangesOf(e));
  r.set(id, [0, e.ids.length]);
  setRanges(e, r);
}

function mergeInputs(a: string[], b: string[]): string[] {
  const n = Math.max(a.length, b.length);
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(a[i] ?? b[i] ?? "");
  return out;
}

/** `a` followed by `b` as a new encoding. Overflowing parts are combined as HF's merge_with does: every overflow of
 * `a` with `b` and with each overflow of `b`, then `a` (overflows and all, so parts nest) with each overflow of `b`. */
export function mergeTwo(a: Encoding, b: Encoding, growingOffsets: boolean): Encoding {
  const overflowing: Encoding[] = [];
  for (const ao of a.overflowing) {
    overflowing.push(mergeTwo(ao, b, growingOffsets));
    for (const bo of b.overflowing) overflowing.push(mergeTwo(ao, bo, growingOffsets));
  }
  for (const bo of b.overflowing) overflowing.push(mergeTwo(a, bo, growingOffsets));
  const last = a.offsets[a.offsets.length - 1];
  const shift = growingOffsets && last ? last[1] : 0;
  const ranges = copyRanges(rangesOf(a));
  for (const [k, [s, t]] of rangesOf(b)) ranges.set(k, [s + a.ids.length, t + a.ids.length]);
  const merged = new Encoding({
    ids: a.ids.concat(b.ids),
    typeIds: a.typeIds.concat(b.typeIds),
    tokens: a.tokens.concat(b.tokens),
    offsets: a.offsets.map(([s, e]) => [s, e] as [number, number]).concat(b.offsets.map(([s, e]) => [s + shift, e + shift] as [number, number])),
    wordIds: a.wordIds.concat(b.wordIds),
    specialTokensMask: a.specialTokensMask.concat(b.specialTokensMask),
    attentionMask: a.attentionMask.concat(b.attentionMask),
    sequenceIds: a.sequenceIds.concat(b.sequenceIds),
    overflowing,
    inputs: mergeInputs(a.inputs, b.inputs),
  });
  setRanges(merged, ranges);
  return merged;
}

/** Concatenates encodings in order (HF's Encoding::merge). A single encoding is returned as it is, not copied. */
export function mergeEncodings(encodings: Encoding[], growingOffsets: boolean): Encoding {
  if (encodings.length === 1) return encodings[0]!;
  let acc = new Encoding({ ids: [] });
  for (const e of encodings) acc = mergeTwo(acc, e, growingOffsets);
  return acc;
}

/** What HF does when a tokenizer has no post-processor: sequence ids 0/1, then concatenation of a pair. */
export function defaultProcess(encoding: Encoding, pair: Encoding | null): Encoding {
  if (!pair) return encoding;
  const a = cloneEncoding(encoding);
  const b = cloneEncoding(pair);
  setSequenceId(a, 0);
  setSequenceId(b, 1);
  const merged = mergeEncodings([a, b], false);
  merged.inputs = [encoding.inputs[0] ?? "", pair.inputs[1] ?? pair.inputs[0] ?? ""];
  return merged;
}

function slice(e: Encoding, start: number, stop: number): Encoding {
  const part = new Encoding({
    ids: e.ids.slice(start, stop),
    typeIds: e.typeIds.slice(start, stop),
    tokens: e.tokens.slice(start, stop),
    offsets: e.offsets.slice(start, stop),
    wordIds: e.wordIds.slice(start, stop),
    specialTokensMask: e.specialTokensMask.slice(start, stop),
    attentionMask: e.attentionMask.slice(start, stop),
    overflowing: [],
    inputs: e.inputs,
  });
  // Matches HF: truncation forgets which sequence the tokens came from (post-processing sets it again).
  clearSequenceRanges(part);
  return part;
}

/**
 * Cuts `enc` to `maxLength` tokens; the rest goes to `overflowing` as windows of `maxLength` tokens that overlap the
 * previous window by `stride` tokens (matches HF's Encoding::truncate, including for direction "Left").
 * Returns a new encoding (the input is not modified); returns the input itself when it already fits.
 */
export function truncateEncoding(enc: Encoding, maxLength: number, stride: number, direction: Direction): Encoding {
  const len = enc.ids.length;
  if (maxLength >= len) return enc;
  if (maxLength === 0) {
    const empty = new Encoding({ ids: [], inputs: enc.inputs });
    clearSequenceRanges(empty);
    empty.overflowing = [enc];
    return empty;
  }
  if (stride >= maxLength) {
    throw new TokenizerError(
      `truncation stride ${stride} must be strictly less than the length to truncate to (${maxLength}; the model's ` +
        `max length minus the special tokens the post-processor adds)`,
    );
  }
  const step = maxLength - stride;
  const parts: [number, number][] = [];
  if (direction === "Right") {
    for (let start = 0; start < len; start += step) {
      const stop = Math.min(start + maxLength, len);
      parts.push([start, stop]);
      if (stop === len) break;
    }
  } else {
    for (let last = len - 1; last >= 0; last -= step) {
      const stop = last + 1;
      const start = Math.max(0, stop - maxLength);
      parts.push([start, stop]);
      if (start === 0) break;
    }
  }
  const main = slice(enc, parts[0]![0], parts[0]![1]);
  for (let i = 1; i < parts.length; i++) main.overflowing.push(slice(enc, parts[i]![0], parts[i]![1]));
  return main;
}

/**
 * Truncates a sequence or a pair so that together they hold at most `maxLength` tokens (HF's truncate_encodings:
 * LongestFirst keeps the shorter one whole when it fits in its half, else splits the budget half and half, the
 * second getting the odd token). Throws a TokenizerError when the strategy cannot make them fit.
 */
export function truncatePair(
  a: Encoding,
  b: Encoding | null,
  maxLength: number,
  strategy: TruncationStrategy,
  stride: number,
  direction: Direction,
): [Encoding, Encoding | null] {
  if (maxLength === 0) {
    return [truncateEncoding(a, 0, stride, direction), b ? truncateEncoding(b, 0, stride, direction) : null];
  }
  const total = a.ids.length + (b ? b.ids.length : 0);
  if (total <= maxLength) return [a, b];
  const toRemove = total - maxLength;
  if (strategy === "LongestFirst") {
    if (!b) return [truncateEncoding(a, total - toRemove, stride, direction), null];
    let n1 = a.ids.length;
    let n2 = b.ids.length;
    const swap = n1 > n2;
    if (swap) [n1, n2] = [n2, n1];
    n2 = n1 > maxLength ? n1 : Math.max(n1, maxLength - n1);
    if (n1 + n2 > maxLength) {
      n1 = Math.floor(maxLength / 2);
      n2 = n1 + (maxLength % 2);
    }
    if (swap) [n1, n2] = [n2, n1];
    return [truncateEncoding(a, n1, stride, direction), truncateEncoding(b, n2, stride, direction)];
  }
  if (strategy === "OnlySecond" && !b) {
    throw new TokenizerError("truncation strategy OnlySecond needs a second sequence, but only one was given");
  }
  const target = strategy === "OnlyFirst" ? a : b!;
  if (target.ids.length <= toRemove) {
    throw new TokenizerError(
      `truncation to ${maxLength} tokens with strategy ${strategy} would have to remove ${toRemove} tokens, but the ` +
        `${strategy === "OnlyFirst" ? "first" : "second"} sequence has only ${target.ids.length}`,
    );
  }
  const cut = truncateEncoding(target, target.ids.length - toRemove, stride, direction);
  return strategy === "OnlyFirst" ? [cut, b] : [a, cut];
}

/** Pads `enc` (and its overflowing parts) to `targetLength` tokens; returns a new encoding, or `enc` if nothing changed. */
export function padEncoding(
  enc: Encoding,
  targetLength: number,
  options: { direction: Direction; padId: number; padTypeId: number; padToken: string },
): Encoding {
  const overflowing = enc.overflowing.map((o) => padEncoding(o, targetLength, options));
  const n = targetLength - enc.ids.length;
  if (n <= 0) {
    if (overflowing.every((o, i) => o === enc.overflowing[i])) return enc;
    const same = new Encoding({ ...enc.toJSON(), overflowing });
    setRanges(same, copyRanges(rangesOf(enc)));
    return same;
  }
  const fill = <T>(v: T): T[] => new Array<T>(n).fill(v);
  const offs = Array.from({ length: n }, () => [0, 0] as [number, number]);
  const join = <T>(xs: T[], pad: T[]): T[] => (options.direction === "Left" ? pad.concat(xs) : xs.concat(pad));
  const padded = new Encoding({
    ids: join(enc.ids, fill(options.padId)),
    typeIds: join(enc.typeIds, fill(options.padTypeId)),
    tokens: join(enc.tokens, fill(options.padToken)),
    offsets: join(enc.offsets, offs),
    wordIds: join(enc.wordIds, fill<number | null>(null)),
    specialTokensMask: join(enc.specialTokensMask, fill(1)),
    attentionMask: join(enc.attentionMask, fill(0)),
    overflowing,
    inputs: enc.inputs,
  });
  setRanges(padded, copyRanges(rangesOf(enc), options.direction === "Left" ? n : 0));
  return padded;
}

/** The length HF pads a batch to: the longest encoding (or the fixed length), rounded up to `padToMultipleOf`. */
export function paddingTargetLength(lengths: number[], options: PaddingOptions): number {
  const fixed = options.strategy && options.strategy !== "BatchLongest" ? options.strategy.fixed : options.maxLength;
  let target = fixed ?? lengths.reduce((m, x) => Math.max(m, x), 0);
  const multiple = options.padToMultipleOf ?? 0;
  if (multiple > 0 && target % multiple > 0) target += multiple - (target % multiple);
  return target;
}

/** Pads every encoding of a batch as HF's pad_encodings does. */
export function padEncodings(encodings: Encoding[], options: PaddingOptions): Encoding[] {
  if (encodings.length === 0) return encodings;
  const target = paddingTargetLength(
    encodings.map((e) => e.ids.length),
    options,
  );
  const o = {
    direction: options.direction ?? "Right",
    padId: options.padId ?? 0,
    padTypeId: options.padTypeId ?? 0,
    padToken: options.padToken ?? "[PAD]",
  };
  return encodings.map((e) => padEncoding(e, target, o));
}

/** HF's first post-processing step: truncates to max_length minus the special tokens the post-processor will add. */
export function truncateForPostProcessing(
  a: Encoding,
  b: Encoding | null,
  options: TruncationOptions,
  addedTokens: number,
): [Encoding, Encoding | null] {
  const budget = addedTokens > 0 ? options.maxLength - addedTokens : options.maxLength;
  // Matches HF: when the special tokens alone exceed max_length its unsigned subtraction wraps around, so nothing
  // is truncated at all.
  if (budget < 0) return [a, b];
  return truncatePair(a, b, budget, options.strategy ?? "LongestFirst", options.stride ?? 0, options.direction ?? "Right");
}

/**
 * How many tokens HF's model step produces for a sequence when truncation is on: it stops at the first pre-token that
 * brings the count to `maxTokens` (from the start, or for direction "Left" from the end, dropping the pre-tokens
 * before, so word ids count from the first one kept). Truncation then cuts the rest, so this decides what the
 * overflowing parts can hold. Null when the whole sequence is tokenized (no truncation, or the first sequence under
 * OnlySecond). `sequence` is 0 for the first input, 1 for the pair.
 */
export function tokenizationLimit(t: TruncationOptions | null, sequence: 0 | 1): { maxTokens: number; direction: Direction } | null {
  if (!t) return null;
  if (t.strategy === "OnlySecond" && sequence === 0) return null;
  return { maxTokens: t.maxLength, direction: t.direction ?? "Right" };
}

// --- tokenizer.json "truncation" / "padding" sections ---

function field(o: JsonObject, key: string, path: string): Json {
  if (!(key in o)) throw new TokenizerError(`missing field "${key}"`, path);
  return o[key]!;
}

/** The longest sequence padding may build: a length past it would allocate gigabytes per encoding (HF's binding
 * aborts the process on a fixed length of 10^12). Real models stay below a few million positions. */
export const MAX_PADDED_LENGTH = 1 << 24;

function num(v: Json, path: string, max?: number): number {
  return nonNegativeInt(v, path, max);
}

function dir(v: Json, path: string): Direction {
  if (v !== "Left" && v !== "Right") throw new TokenizerError(`expected "Left" or "Right", got ${JSON.stringify(v)}`, path);
  return v;
}

export function truncationFromJSON(json: Json, path: string): TruncationOptions | null {
  if (json === null) return null;
  if (typeof json !== "object" || Array.isArray(json)) throw new TokenizerError("expected an object or null", path);
  const strategy = json.strategy ?? "LongestFirst";
  if (strategy !== "LongestFirst" && strategy !== "OnlyFirst" && strategy !== "OnlySecond") {
    throw new TokenizerError(`unknown strategy ${JSON.stringify(strategy)} (expected LongestFirst, OnlyFirst or OnlySecond)`, `${path}.strategy`);
  }
  const maxLength = num(field(json, "max_length", path), `${path}.max_length`);
  const stride = json.stride === undefined ? 0 : num(json.stride, `${path}.stride`);
  // HF's binding reads this and then panics at the first encode that truncates (aborting the process).
  if (stride > 0 && maxLength > 0 && stride >= maxLength) throw new TokenizerError(`${stride} must be less than max_length (${maxLength}): each window moves by max_length − stride tokens`, `${path}.stride`);
  return {
    maxLength,
    stride,
    strategy,
    direction: json.direction === undefined ? "Right" : dir(json.direction, `${path}.direction`),
  };
}

export function truncationToJSON(t: TruncationOptions | null): Json {
  if (!t) return null;
  return { direction: t.direction ?? "Right", max_length: t.maxLength, strategy: t.strategy ?? "LongestFirst", stride: t.stride ?? 0 };
}

export function paddingFromJSON(json: Json, path: string): PaddingOptions | null {
  if (json === null) return null;
  if (typeof json !== "object" || Array.isArray(json)) throw new TokenizerError("expected an object or null", path);
  const s = json.strategy ?? "BatchLongest";
  let strategy: PaddingOptions["strategy"];
  if (s === "BatchLongest") strategy = "BatchLongest";
  else if (s && typeof s === "object" && !Array.isArray(s) && "Fixed" in s) strategy = { fixed: num(s.Fixed!, `${path}.strategy.Fixed`, MAX_PADDED_LENGTH) };
  else throw new TokenizerError(`expected "BatchLongest" or {"Fixed": n}, got ${JSON.stringify(s)}`, `${path}.strategy`);
  const m = json.pad_to_multiple_of;
  return {
    strategy,
    direction: json.direction === undefined ? "Right" : dir(json.direction, `${path}.direction`),
    padToMultipleOf: m === undefined || m === null ? null : num(m, `${path}.pad_to_multiple_of`, MAX_PADDED_LENGTH),
    padId: json.pad_id === undefined ? 0 : num(json.pad_id, `${path}.pad_id`),
    padTypeId: json.pad_type_id === undefined ? 0 : num(json.pad_type_id, `${path}.pad_type_id`),
    padToken: typeof json.pad_token === "string" ? json.pad_token : "[PAD]",
  };
}

export function paddingToJSON(p: PaddingOptions | null): Json {
  if (!p) return null;
  const fixed = p.strategy && p.strategy !== "BatchLongest" ? p.strategy.fixed : p.maxLength;
  return {
    strategy: fixed === undefined ? "BatchLongest" : { Fixed: fixed },
    direction: p.direction ?? "Right",
    pad_to_multiple_of: p.padToMultipleOf ?? null,
    pad_id: p.padId ?? 0,
    pad_type_id: p.padTypeId ?? 0,
    pad_token: p.padToken ?? "[PAD]",
  };
}
