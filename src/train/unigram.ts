// Unigram LM training the SentencePiece way (Kudo 2018): seed pieces from frequent substrings, EM with the
// digamma-based (Bayesian) M-step, then prune by the likelihood loss of removing each piece, 25% per round, until
// the target size; required characters (by character coverage) always stay.
//
// Seeds: every substring (up to `maxPieceLength` characters, ▁ only at its start) is counted over the weighted word
// table, an enumeration equivalent to SentencePiece's suffix-array pass for substrings that occur at least twice;
// the top `seedSize` by frequency × length are kept.

import type { Json, JsonObject } from "../tokenize/types.js";
import { TokenizerError } from "../tokenize/types.js";
import type { PreTokenizerPlan } from "./pretokenize.js";
import type { ProgressCallback } from "./corpus.js";
import { byteFallbackTokens } from "./bpe.js";
import { assembleTokenizerJson, byteFallbackDecoder, uniqueTokens } from "./tokenizer-json.js";
import { ShardedMap } from "../util/sharded-map.js";
import { PieceTrie } from "../tokenize/models/piece-trie.js";

export interface UnigramTrainOptions {
  vocabSize: number;
  specialTokens?: string[];
  /** Share of character occurrences the required alphabet must cover (SentencePiece default 0.9995). */
  characterCoverage?: number;
  maxPieceLength?: number;
  seedSize?: number;
  /** Distinct words (most frequent first) whose substrings seed the vocabulary; bounds memory (default 2,000,000). */
  seedWords?: number;
  shrinkingFactor?: number;
  emIterations?: number;
  byteFallback?: boolean;
  forcedTokens?: string[];
  maxTokenLength?: number;
  /** Seed pieces never mix Unicode scripts (Hiragana/Katakana count as Han; digits as Common), as SentencePiece's
   *  default `split_by_unicode_script`. Off by default: on FLORES (10 languages + code, 8k) it cost 1.5% bytes/token. */
  splitByScript?: boolean;
  /** Seed only right-branching substrings (SentencePiece's suffix-tree internal nodes). Off by default: on the
   *  same benchmark it cost 1% bytes/token (it helped 0.3% on English alone at 2k). */
  rightBranchingSeeds?: boolean;
  onProgress?: ProgressCallback;
}

const SCRIPTS = ["Latin", "Cyrillic", "Greek", "Arabic", "Hebrew", "Devanagari", "Bengali", "Tamil", "Telugu", "Thai", "Georgian",
  "Armenian", "Ethiopic", "Hangul", "Han", "Myanmar", "Khmer", "Tibetan", "Gujarati", "Gurmukhi", "Kannada", "Malayalam", "Sinhala",
  "Lao", "Oriya", "Syriac", "Thaana", "Mongolian", "Common", "Inherited"];
const SCRIPT_RES = SCRIPTS.map((name) => new RegExp(`^\\p{Script=${name}}$`, "u"));
const scriptCache = new Map<string, string>();

/** Unicode script of a character, with Hiragana, Katakana and the prolonged sound mark folded into Han. */
export function scriptOf(ch: string): string {
  let s = scriptCache.get(ch);
  if (s === undefined) {
    if (/^[\p{Script=Hiragana}\p{Script=Katakana}\u30fc]$/u.test(ch)) s = "Han";
    else {
      const i = SCRIPT_RES.findIndex((re) => re.test(ch));
      s = i >= 0 ? SCRIPTS[i]! : `U+${ch.codePointAt(0)!.toString(16)}`;
    }
    scriptCache.set(ch, s);
  }
  return s;
}

/** Whether cps[e] may extend the piece cps[s..e-1]: same script as the last scripted char (▁ and Inherited are neutral). */
function sameScriptRun(cps: string[], s: number, e: number): boolean {
  const cur = scriptOf(cps[e]!);
  if (cur === "Inherited") return true;
  for (let i = e - 1; i >= s; i--) {
    if (cps[i] === "▁") continue;
    const prev = scriptOf(cps[i]!);
    if (prev === "Inherited") continue;
    return prev === cur;
  }
  return true;
}

/** Digamma ψ(x) for x > 0: recurrence up to 6, then the asymptotic series (error below 1e-10). */
export function digamma(x: number): number {
  let result = 0;
  while (x < 6) {
    result -= 1 / x;
    x += 1;
  }
  const r = 1 / x;
  const r2 = r * r;
  return result + Math.log(x) - 0.5 * r - r2 * (1 / 12 - r2 * (1 / 120 - r2 * (1 / 252 - r2 * (1 / 240 - r2 / 132))));
}

function minOf(xs: readonly number[]): number {
  let m = Infinity;
  for (const x of xs) if (x < m) m = x;
  return m;
}

function logAdd(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  return a > b ? a + Math.log1p(Math.exp(b - a)) : b + Math.log1p(Math.exp(a - b));
}

interface Lattice {
  starts: number[];
  ends: number[];
  ids: number[];
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/** Edges of a word's lattice: every piece occurrence, plus an unknown edge (-1) where no piece covers a character. */
function buildLattice(trie: PieceTrie, word: string, out: Lattice, banned = -1): void {
  const { starts, ends, ids } = out;
  starts.length = 0;
  ends.length = 0;
  ids.length = 0;
  const { base, check, code, terminal } = trie;
  for (let s = 0; s < word.length; s++) {
    if (isLowSurrogate(word.charCodeAt(s))) continue;
    const charEnd = s + (word.codePointAt(s)! > 0xffff ? 2 : 1);
    let single = false;
    for (let i = s, node = 0; i < word.length; i++) {
      const slot = base[node]! + code[word.charCodeAt(i)]!;
      if (check[slot] !== node) break;
      node = slot;
      const id = terminal[node]!;
      if (id >= 0 && id !== banned) {
        starts.push(s);
        ends.push(i + 1);
        ids.push(id);
        if (i + 1 === charEnd) single = true;
      }
    }
    if (!single) {
      starts.push(s);
      ends.push(charEnd);
      ids.push(-1);
    }
  }
}

export function trainUnigram(words: Map<string, number>, plan: PreTokenizerPlan, options: UnigramTrainOptions): JsonObject {
  if (words.size === 0) throw new TokenizerError("Unigram training: the corpus has no words (empty input?)");
  const maxLen = options.maxTokenLength ?? options.maxPieceLength ?? 16;
  const coverage = options.characterCoverage ?? 0.9995;
  const shrink = options.shrinkingFactor ?? 0.75;
  const emIterations = options.emIterations ?? 2;
  const seedSize = options.seedSize ?? 1_000_000;
  const fallback = options.byteFallback ?? false;
  const specials = uniqueTokens(["<unk>", "<s>", "</s>", ...(options.specialTokens ?? [])]);
  const leading = [...specials, ...(fallback ? byteFallbackTokens() : [])];
  const forced = (options.forcedTokens ?? []).filter((t) => !leading.includes(t));
  const target = options.vocabSize - leading.length - forced.length;

  const byScript = options.splitByScript ?? false;
  const rightBranching = options.rightBranchingSeeds ?? false;
  const wordList = [...words.keys()];
  const wordCounts = Float64Array.from(words.values());

  // Required characters: the most frequent ones covering `coverage` of all character occurrences.
  const charCounts = new Map<string, number>();
  let totalChars = 0;
  for (let w = 0; w < wordList.length; w++) {
    for (const ch of wordList[w]!) {
      charCounts.set(ch, (charCounts.get(ch) ?? 0) + wordCounts[w]!);
      totalChars += wordCounts[w]!;
    }
  }
  const chars = [...charCounts.entries()].sort((a, b) => b[1] - a[1] || a[0].codePointAt(0)! - b[0].codePointAt(0)!);
  const required = new Map<string, number>();
  let covered = 0;
  for (const [ch, c] of chars) {
    if (covered / totalChars >= coverage && required.size > 0) break;
    required.set(ch, c);
    covered += c;
  }
  if (required.size > target) {
    throw new TokenizerError(
      `Unigram training: vocab size ${options.vocabSize} is smaller than the ${required.size} required characters plus ${leading.length} special/byte pieces; lower --character-coverage or raise --vocab-size`,
    );
  }

  // Seeds: frequent substrings scored by frequency × length; optionally only right-branching ones (followed by at
  // least two different characters), like the suffix tree's internal nodes SentencePiece enumerates.
  // Memory bound: on a huge corpus only the `seedWords` most frequent distinct words are enumerated (EM still
  // sees every word); a substring of rarer words rarely makes the seed list anyway.
  const subCounts = new ShardedMap<number>();
  const nextChar = new ShardedMap<string>();
  let seedOrder = wordList.map((_, i) => i);
  const seedWords = options.seedWords ?? 2_000_000;
  if (seedOrder.length > seedWords) seedOrder = seedOrder.sort((a, b) => wordCounts[b]! - wordCounts[a]! || a - b).slice(0, seedWords);
  for (const w of seedOrder) {
    const word = wordList[w]!;
    const c = wordCounts[w]!;
    const cps = [...word];
    for (let s = 0; s < cps.length; s++) {
      if (!required.has(cps[s]!)) continue;
      let sub = cps[s]!;
      for (let e = s + 1; e < cps.length && e - s < maxLen; e++) {
        const ch = cps[e]!;
        if (ch === "▁" || !required.has(ch)) break;
        if (byScript && !sameScriptRun(cps, s, e)) break;
        sub += ch;
        subCounts.set(sub, (subCounts.get(sub) ?? 0) + c);
        if (!rightBranching) continue;
        const next = e + 1 < cps.length ? cps[e + 1]! : "▁";
        const seen = nextChar.get(sub);
        if (seen === undefined) nextChar.set(sub, next);
        else if (seen !== next) nextChar.set(sub, "");
      }
    }
  }
  let seeds: [string, number][] = [];
  for (const [p, c] of subCounts) if (c >= 2 && (!rightBranching || nextChar.get(p) === "")) seeds.push([p, c * [...p].length]);
  subCounts.clear();
  nextChar.clear();
  seeds.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  seeds = seeds.slice(0, Math.max(0, seedSize - required.size));
  let pieces: string[] = [...required.keys(), ...seeds.map((s) => s[0])];
  let scores: number[] = [...required.values(), ...seeds.map((s) => s[1])];
  const logTotal = Math.log(scores.reduce((a, b) => a + b, 0));
  scores = scores.map((s) => Math.log(s) - logTotal);
  const isRequired = (p: string): boolean => required.has(p);

  const lattice: Lattice = { starts: [], ends: [], ids: [] };
  const report = options.onProgress;
  let round = 0;

  const eStep = (trie: PieceTrie): { expected: Float64Array; objective: number } => {
    const expected = new Float64Array(pieces.length);
    const unkScore = minOf(scores) - 10;
    let objective = 0;
    let alpha = new Float64Array(64);
    let beta = new Float64Array(64);
    for (let w = 0; w < wordList.length; w++) {
      const word = wordList[w]!;
      const n = word.length;
      if (alpha.length <= n) {
        alpha = new Float64Array(2 * n + 1);
        beta = new Float64Array(2 * n + 1);
      }
      buildLattice(trie, word, lattice);
      const { starts, ends, ids } = lattice;
      alpha.fill(-Infinity, 0, n + 1);
      beta.fill(-Infinity, 0, n + 1);
      alpha[0] = 0;
      // Edges are ordered by start, so a forward sweep sees alpha[start] final.
      for (let k = 0; k < ids.length; k++) {
        const sc = ids[k]! >= 0 ? scores[ids[k]!]! : unkScore;
        alpha[ends[k]!] = logAdd(alpha[ends[k]!]!, alpha[starts[k]!]! + sc);
      }
      beta[n] = 0;
      for (let k = ids.length - 1; k >= 0; k--) {
        const sc = ids[k]! >= 0 ? scores[ids[k]!]! : unkScore;
        beta[starts[k]!] = logAdd(beta[starts[k]!]!, beta[ends[k]!]! + sc);
      }
      const z = alpha[n]!;
      const c = wordCounts[w]!;
      objective += c * z;
      for (let k = 0; k < ids.length; k++) {
        const id = ids[k]!;
        if (id < 0) continue;
        expected[id]! += c * Math.exp(alpha[starts[k]!]! + scores[id]! + beta[ends[k]!]! - z);
      }
    }
    return { expected, objective };
  };

  const mStep = (expected: Float64Array): void => {
    const keepP: string[] = [];
    const keepF: number[] = [];
    for (let i = 0; i < pieces.length; i++) {
      if (expected[i]! < 0.5 && !isRequired(pieces[i]!)) continue;
      keepP.push(pieces[i]!);
      keepF.push(Math.max(expected[i]!, 1e-3));
    }
    const logSum = digamma(keepF.reduce((a, b) => a + b, 0));
    pieces = keepP;
    scores = keepF.map((f) => digamma(f) - logSum);
  };

  /** Viterbi over a lattice with current scores; returns the piece ids of the best path. */
  const viterbi = (trie: PieceTrie, word: string, banned = -1): number[] => {
    buildLattice(trie, word, lattice, banned);
    const n = word.length;
    const best = new Float64Array(n + 1).fill(-Infinity);
    const backEdge = new Int32Array(n + 1).fill(-1);
    best[0] = 0;
    const unkScore = -1e9;
    const { starts, ends, ids } = lattice;
    for (let k = 0; k < ids.length; k++) {
      const sc = best[starts[k]!]! + (ids[k]! >= 0 ? scores[ids[k]!]! : unkScore);
      if (sc > best[ends[k]!]!) {
        best[ends[k]!] = sc;
        backEdge[ends[k]!] = k;
      }
    }
    const path: number[] = [];
    for (let pos = n; pos > 0; ) {
      const k = backEdge[pos]!;
      if (k < 0) return [];
      path.push(ids[k]!);
      pos = starts[k]!;
    }
    return path.reverse();
  };

  const desired = Math.max(required.size, Math.floor(target * 1.1));
  for (;;) {
    let trie = new PieceTrie(pieces);
    for (let it = 0; it < emIterations; it++) {
      const { expected } = eStep(trie);
      mStep(expected);
      trie = new PieceTrie(pieces);
    }
    round++;
    const roundsLeft = pieces.length <= desired ? 0 : Math.ceil(Math.log(desired / pieces.length) / Math.log(shrink));
    report?.({ phase: "train", bytesRead: 0, bytesTotal: 0, stepsDone: round, stepsTotal: round + roundsLeft });
    if (pieces.length <= desired) break;

    // Prune: loss of each piece = how much the corpus likelihood drops if its uses fall back to its alternative.
    const freq = new Float64Array(pieces.length);
    const inWords = new Float64Array(pieces.length);
    let vsum = 0;
    const seen = new Int32Array(pieces.length).fill(-1);
    for (let w = 0; w < wordList.length; w++) {
      const c = wordCounts[w]!;
      vsum += c;
      for (const id of viterbi(trie, wordList[w]!)) {
        if (id < 0) continue;
        freq[id]! += c;
        if (seen[id] !== w) {
          seen[id] = w;
          inWords[id]! += c;
        }
      }
    }
    const sum = freq.reduce((a, b) => a + b, 0);
    const logSum = Math.log(sum);
    const candidates: [number, number][] = [];
    const keep = new Uint8Array(pieces.length);
    for (let i = 0; i < pieces.length; i++) {
      if (isRequired(pieces[i]!)) {
        keep[i] = 1;
        continue;
      }
      if (freq[i] === 0) continue; // never on a best path: removing it costs nothing
      // A piece whose own best segmentation is split is never used whole: remove it (as SentencePiece does).
      if (viterbi(trie, pieces[i]!).length >= 2) continue;
      const alt = viterbi(trie, pieces[i]!, i);
      if (alt.length === 0 || alt.includes(-1)) {
        keep[i] = 1;
        continue;
      }
      const logSumAlt = Math.log(sum + freq[i]! * (alt.length - 1));
      let logProbAlt = 0;
      for (const a of alt) logProbAlt += Math.log(freq[a]! + freq[i]!) - logSumAlt;
      const logProbPiece = Math.log(freq[i]!) - logSum;
      const f = inWords[i]! / vsum;
      candidates.push([i, f * (logProbPiece - logProbAlt)]);
    }
    const keptNow = keep.reduce((a, b) => a + b, 0);
    const pruned = Math.max(desired, Math.floor(shrink * pieces.length));
    candidates.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
    const room = Math.max(0, pruned - keptNow);
    for (let k = 0; k < candidates.length && k < room; k++) keep[candidates[k]![0]] = 1;
    const np: string[] = [];
    const ns: number[] = [];
    for (let i = 0; i < pieces.length; i++) {
      if (keep[i]) {
        np.push(pieces[i]!);
        ns.push(scores[i]!);
      }
    }
    if (np.length === pieces.length) break;
    pieces = np;
    scores = ns;
  }

  // Finalize: required characters, then the best-scoring pieces up to the target size.
  const order = pieces.map((_, i) => i).sort((a, b) => scores[b]! - scores[a]! || (pieces[a]! < pieces[b]! ? -1 : 1));
  const final: [string, number][] = [];
  const minScore = minOf(scores);
  const chosen = new Set<string>();
  for (const i of order) if (isRequired(pieces[i]!)) chosen.add(pieces[i]!);
  for (const ch of required.keys()) chosen.add(ch);
  for (const i of order) {
    if (chosen.size >= target) break;
    chosen.add(pieces[i]!);
  }
  const scoreOf = new Map(pieces.map((p, i) => [p, scores[i]!]));
  for (const p of chosen) final.push([p, scoreOf.get(p) ?? minScore]);
  for (const t of forced) if (!chosen.has(t)) final.push([t, minScore]);
  final.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const vocab: Json[] = [...leading.map((t) => [t, 0] as Json), ...final.map(([p, s]) => [p, s] as Json)];
  const model: JsonObject = { type: "Unigram", unk_id: 0, vocab, byte_fallback: fallback };
  const added = specials.map((content, id) => ({ id, content }));
  const decoder: JsonObject | null = fallback
    ? byteFallbackDecoder()
    : plan.decoder;
  return assembleTokenizerJson(plan, model, added, decoder);
}
