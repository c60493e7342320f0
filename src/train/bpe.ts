// BPE training from a word-count table: byte-level (GPT-2 / Llama 3 style), character-level with byte fallback
// (SentencePiece-BPE style), and the WordPiece variant (continuation prefix) that `wordpiece.ts` builds on.

import type { Json, JsonObject } from "../tokenize/types.js";
import { TokenizerError } from "../tokenize/types.js";
import { byteLevelAlphabet } from "../tokenize/byte-vocabulary.js";
import { byteFallbackToken } from "../tokenize/decoders/byte-fallback.js";
import { MergeEngine, WordTable } from "./merge-engine.js";
import { applyRankedMerges } from "./continue.js";
import type { PreTokenizerPlan } from "./pretokenize.js";
import type { ProgressCallback } from "./corpus.js";
import { assembleTokenizerJson, byteFallbackDecoder, uniqueTokens } from "./tokenizer-json.js";
import { pairKey } from "../util/pair-key.js";

export interface BpeTrainOptions {
  vocabSize: number;
  /** A pair seen fewer times than this is never merged (HF `min_frequency`). */
  minFrequency?: number;
  /** Added first, with ids 0.., as special added tokens. */
  specialTokens?: string[];
  /** Keep at most this many characters in the alphabet (the most frequent; `initialAlphabet` counts as most). */
  limitAlphabet?: number;
  /** Characters always in the alphabet. Byte-level training defaults to all 256 byte characters. */
  initialAlphabet?: string[];
  /** Longest token a merge may create, in characters (bytes for byte-level). */
  maxTokenLength?: number;
  /** Tokens forced into the vocabulary (merged first, before counting decides): whitespace runs, years, markup. */
  forcedTokens?: string[];
  /** Character level: keep the most frequent characters covering this share of occurrences (SentencePiece
   *  `character_coverage`); the rest become bytes (with byte fallback) or unknown. */
  characterCoverage?: number;
  /** Character-level only: add `<0x00>`…`<0xFF>` and let unknown characters fall back to bytes. */
  byteFallback?: boolean;
  onProgress?: ProgressCallback;
}

export interface BpeCoreResult {
  tokens: string[];
  merges: [number, number][];
  /** Number of leading ids that are special tokens. */
  specialCount: number;
}

/** How many of the most frequent characters cover `coverage` of all character occurrences. */
export function coverageAlphabetSize(words: Map<string, number>, coverage: number): number {
  const counts = new Map<string, number>();
  let total = 0;
  for (const [w, c] of words) {
    for (const ch of w) counts.set(ch, (counts.get(ch) ?? 0) + c);
    total += c * [...w].length;
  }
  const sorted = [...counts.values()].sort((a, b) => b - a);
  let covered = 0;
  let n = 0;
  while (n < sorted.length && covered < coverage * total) covered += sorted[n++]!;
  return Math.max(1, n);
}

function codePointOrder(a: string, b: string): number {
  return a.codePointAt(0)! - b.codePointAt(0)!;
}

/** The alphabet the HF trainer would keep: every character seen, plus the initial alphabet, limited by frequency. */
export function computeAlphabet(
  words: Map<string, number>,
  initialAlphabet: readonly string[],
  limit: number | undefined,
): string[] {
  const counts = new Map<string, number>();
  for (const [w, c] of words) for (const ch of w) counts.set(ch, (counts.get(ch) ?? 0) + c);
  for (const ch of initialAlphabet) counts.set(ch, Infinity);
  let kept = [...counts.keys()];
  if (limit !== undefined && kept.length > limit) {
    // Least frequent go first; equal counts drop the higher code point first (documented tie-break).
    kept.sort((a, b) => counts.get(b)! - counts.get(a)! || codePointOrder(a, b));
    kept = kept.slice(0, limit);
  }
  return kept.sort(codePointOrder);
}

/**
 * Runs BPE on a word table. Vocabulary order: special tokens, `leading` tokens (e.g. byte-fallback pieces), the
 * alphabet by code point, prefixed continuation characters in order of first use, then merges in creation order.
 */
export function trainBpeCore(
  words: Map<string, number>,
  options: BpeTrainOptions & { continuingPrefix?: string; leading?: string[]; defaultAlphabet?: string[] },
): BpeCoreResult {
  const specials = uniqueTokens(options.specialTokens);
  const tokens: string[] = [];
  const ids = new Map<string, number>();
  const addToken = (t: string): number => {
    let id = ids.get(t);
    if (id === undefined) {
      id = tokens.length;
      tokens.push(t);
      ids.set(t, id);
    }
    return id;
  };
  for (const t of specials) addToken(t);
  for (const t of options.leading ?? []) addToken(t);
  const forced = options.forcedTokens ?? [];
  const initial = [...(options.initialAlphabet ?? options.defaultAlphabet ?? [])];
  for (const t of forced) for (const ch of t) initial.push(ch);
  const alphabet = computeAlphabet(words, initial, options.limitAlphabet);
  for (const ch of alphabet) addToken(ch);
  if (tokens.length > options.vocabSize) {
    throw new TokenizerError(
      `vocab size ${options.vocabSize} is smaller than the ${alphabet.length}-character alphabet plus ${tokens.length - alphabet.length} special/byte tokens; use at least ${tokens.length} or --limit-alphabet`,
    );
  }
  const prefix = options.continuingPrefix;
  const table = new WordTable();
  let syms = new Int32Array(64);
  for (const [w, c] of words) {
    if (syms.length < w.length) syms = new Int32Array(2 * w.length);
    let len = 0;
    let first = true;
    for (const ch of w) {
      const id = ids.get(ch);
      if (id === undefined) {
        first = false;
        continue; // dropped from the alphabet (limit_alphabet): the HF trainer skips such characters
      }
      syms[len++] = prefix && !first ? addToken(prefix + ch) : id;
      first = false;
    }
    if (len > 0) table.add(syms, len, c);
  }
  const engine = new MergeEngine(tokens, table);
  // Forced tokens: merges added before any learned one, each chosen so that BPE's rank-order application of all
  // merges so far rebuilds the token (a plain left-to-right chain would not: "ĠĠ"+"Ġ" never meets "ĠĠ","ĠĠ").
  const rank = new Map<number, number>();
  const made = new Map<number, number>();
  for (const t of forced) {
    const chars: number[] = [];
    let first = true;
    for (const ch of t) {
      chars.push(prefix && !first ? addTokenVia(engine, prefix + ch) : engine.tokenIds.get(ch)!);
      first = false;
    }
    const encode = (): number[] => applyRankedMerges(chars, (a, b) => rank.get(pairKey(a, b)), (a, b) => made.get(pairKey(a, b))!);
    for (let sym = encode(); sym.length > 1 && engine.tokens.length < options.vocabSize; sym = encode()) {
      const key = pairKey(sym[0]!, sym[1]!);
      made.set(key, engine.applyMerge(sym[0]!, sym[1]!, prefix));
      rank.set(key, rank.size);
    }
  }
  const total = options.vocabSize;
  const report = options.onProgress;
  engine.run(
    {
      targetVocabSize: total,
      minFrequency: options.minFrequency,
      maxTokenLength: options.maxTokenLength,
      continuingPrefix: prefix,
      onMerge: report
        ? (done) => {
            if (done % 100 === 0) report({ phase: "train", bytesRead: 0, bytesTotal: 0, stepsDone: done, stepsTotal: total - alphabet.length });
          }
        : undefined,
    },
    () => engine.tokens.length,
  );
  return { tokens: engine.tokens, merges: engine.merges, specialCount: specials.length };
}

function addTokenVia(engine: MergeEngine, token: string): number {
  const id = engine.tokenIds.get(token);
  if (id !== undefined) return id;
  engine.tokens.push(token);
  engine.tokenIds.set(token, engine.tokens.length - 1);
  return engine.tokens.length - 1;
}

export function bpeModelJson(
  tokens: readonly string[],
  merges: readonly [number, number][],
  extra: { unkToken?: string | null; byteFallback?: boolean; fuseUnk?: boolean; ignoreMerges?: boolean } = {},
): JsonObject {
  const vocab: JsonObject = {};
  for (let i = 0; i < tokens.length; i++) vocab[tokens[i]!] = i;
  return {
    type: "BPE",
    dropout: null,
    unk_token: extra.unkToken ?? null,
    continuing_subword_prefix: null,
    end_of_word_suffix: null,
    fuse_unk: extra.fuseUnk ?? false,
    byte_fallback: extra.byteFallback ?? false,
    ignore_merges: extra.ignoreMerges ?? false,
    vocab,
    merges: merges.map(([a, b]) => [tokens[a]!, tokens[b]!]) as Json[],
  };
}

export function byteFallbackTokens(): string[] {
  return Array.from({ length: 256 }, (_, b) => byteFallbackToken(b));
}

/** Trains a BPE tokenizer.json from counted words with the given pre-tokenizer plan. */
export function trainBpe(words: Map<string, number>, plan: PreTokenizerPlan, options: BpeTrainOptions): JsonObject {
  if (words.size === 0) throw new TokenizerError("BPE training: the corpus has no words (empty input?)");
  if (plan.byteLevel) {
    const core = trainBpeCore(words, { ...options, defaultAlphabet: byteLevelAlphabet() });
    const model = bpeModelJson(core.tokens, core.merges);
    const added = core.tokens.slice(0, core.specialCount).map((content, id) => ({ id, content }));
    return assembleTokenizerJson(plan, model, added);
  }
  // Character level (Metaspace words): SentencePiece-BPE layout with <unk>, <s>, </s> first and optional bytes.
  const fallback = options.byteFallback ?? false;
  let limitAlphabet = options.limitAlphabet;
  if (limitAlphabet === undefined && options.characterCoverage !== undefined) {
    limitAlphabet = coverageAlphabetSize(words, options.characterCoverage);
  }
  const specials = uniqueTokens(["<unk>", "<s>", "</s>", ...(options.specialTokens ?? [])]);
  const core = trainBpeCore(words, { ...options, limitAlphabet, specialTokens: specials, leading: fallback ? byteFallbackTokens() : [] });
  const model = bpeModelJson(core.tokens, core.merges, { unkToken: "<unk>", byteFallback: fallback, fuseUnk: true });
  const added = core.tokens.slice(0, core.specialCount).map((content, id) => ({ id, content }));
  const decoder: JsonObject | null = fallback
    ? byteFallbackDecoder()
    : plan.decoder;
  return assembleTokenizerJson(plan, model, added, decoder);
}
