// tiktoken rank files ("<base64 bytes> <rank>" per line) ⇄ byte-level BPE tokenizer.json.
//
// tiktoken merges, at every step, the adjacent pair whose concatenation has the lowest rank, whatever pair it came
// from. A BPE merge list reproduces that exactly when it holds every split (left, right) of every token whose two
// parts are tokens too, ordered by the rank of the result (this is also the list Hugging Face's converter writes).
// `ignore_merges` gives tiktoken's shortcut: a pre-token that is itself a rank is emitted whole.

import type { JsonObject } from "../tokenize/types.js";
import { TokenizerError } from "../tokenize/types.js";
import { byteLevelAlphabet } from "../tokenize/byte-vocabulary.js";
import { base64Decode, base64Encode } from "./base64.js";
// r50k_base and p50k_base use GPT-2's pattern; cl100k_base and Llama 3 share one (Meta's tokenizer.py copies OpenAI's).
import { GPT2_PATTERN_SOURCE, LLAMA3_PATTERN_SOURCE, O200K_PATTERN_SOURCE } from "../tokenize/pretokenizers/patterns.js";

export interface TiktokenOptions {
  /** Pre-tokenizer regex (tiktoken's `pat_str`); required for rank files that are not recognised. */
  pattern?: string;
  /** Special tokens and their ids; replaces the known model's set when given. */
  specialTokens?: Record<string, number>;
  /** Named in error messages. */
  fileName?: string;
}

/** A rank file we recognise, with what its model's code (not the file) defines. */
export interface KnownTiktokenEncoding {
  name: string;
  /** Number of ranks in the file and FNV-1a hash of the bytes of its last 64 ranks (see rankFingerprint). */
  rankCount: number;
  fingerprint: number;
  pattern: string;
  specialTokens: Record<string, number>;
  /** Special token put before every sequence by the post-processor (Llama 3's <|begin_of_text|>). */
  bosToken?: string;
}

function llama3SpecialTokens(): Record<string, number> {
  // Order as in Meta's Llama 3 tokenizer.py: 10 named/reserved slots, then reserved 5..250; ids follow the ranks.
  const names = [
    "<|begin_of_text|>",
    "<|end_of_text|>",
    "<|reserved_special_token_0|>",
    "<|reserved_special_token_1|>",
    "<|reserved_special_token_2|>",
    "<|reserved_special_token_3|>",
    "<|start_header_id|>",
    "<|end_header_id|>",
    "<|reserved_special_token_4|>",
    "<|eot_id|>",
  ];
  for (let i = 5; i < 251; i++) names.push(`<|reserved_special_token_${i}|>`);
  const out: Record<string, number> = {};
  names.forEach((n, i) => (out[n] = 128000 + i));
  return out;
}

export const KNOWN_TIKTOKEN_ENCODINGS: readonly KnownTiktokenEncoding[] = [
  {
    name: "cl100k_base",
    rankCount: 100256,
    fingerprint: 0x2b55ad69,
    pattern: LLAMA3_PATTERN_SOURCE,
    specialTokens: {
      "<|endoftext|>": 100257,
      "<|fim_prefix|>": 100258,
      "<|fim_middle|>": 100259,
      "<|fim_suffix|>": 100260,
      "<|endofprompt|>": 100276,
    },
  },
  {
    name: "o200k_base",
    rankCount: 199998,
    fingerprint: 0x2fcb3be8,
    pattern: O200K_PATTERN_SOURCE,
    specialTokens: { "<|endoftext|>": 199999, "<|endofprompt|>": 200018 },
  },
  {
    name: "p50k_base",
    rankCount: 50280,
    fingerprint: 0x1e00855b,
    pattern: GPT2_PATTERN_SOURCE,
    specialTokens: { "<|endoftext|>": 50256 },
  },
  {
    name: "r50k_base",
    rankCount: 50256,
    fingerprint: 0x1d69353f,
    pattern: GPT2_PATTERN_SOURCE,
    specialTokens: { "<|endoftext|>": 50256 },
  },
  {
    name: "llama3",
    rankCount: 128000,
    fingerprint: 0xd4cf63bd,
    pattern: LLAMA3_PATTERN_SOURCE,
    specialTokens: llama3SpecialTokens(),
    bosToken: "<|begin_of_text|>",
  },
];

const RANK_LINE = /^[A-Za-z0-9+/]+={0,2} \d+\r?$/;

/** Cheap sniff: the first non-empty lines look like "<base64> <integer>". */
export function isTiktokenRanks(text: string): boolean {
  let checked = 0;
  let pos = 0;
  while (checked < 8 && pos < text.length) {
    let end = text.indexOf("\n", pos);
    if (end < 0) end = text.length;
    const line = text.slice(pos, end);
    pos = end + 1;
    if (line.trim() === "") continue;
    if (!RANK_LINE.test(line)) return false;
    checked++;
  }
  return checked > 0;
}

/** Byte string of each rank (index = rank); a missing rank is a hole (p50k_base leaves one for <|endoftext|>). */
export type TiktokenRanks = readonly (Uint8Array | undefined)[];

/** Parses a rank file. Ranks and tokens must not repeat; holes are checked against the special tokens later. */
export function parseTiktokenRanks(text: string, fileName = "tiktoken ranks"): (Uint8Array | undefined)[] {
  const ranks: (Uint8Array | undefined)[] = [];
  const seenTokens = new Map<string, number>();
  let lineNo = 0;
  let pos = 0;
  while (pos < text.length) {
    let end = text.indexOf("\n", pos);
    if (end < 0) end = text.length;
    lineNo++;
    let line = text.slice(pos, end);
    pos = end + 1;
    if (line.endsWith("\r")) line = line.slice(0, -1);
    if (line.trim() === "") continue;
    const where = `${fileName}: line ${lineNo}`;
    const sp = line.indexOf(" ");
    if (sp < 0 || line.indexOf(" ", sp + 1) >= 0) throw new TokenizerError(`expected "<base64> <rank>", got ${JSON.stringify(line.slice(0, 80))}`, where);
    const b64 = line.slice(0, sp);
    const rankText = line.slice(sp + 1);
    const bytes = base64Decode(b64);
    if (!bytes || bytes.length === 0) throw new TokenizerError(`invalid base64 token ${JSON.stringify(b64.slice(0, 80))}`, where);
    if (!/^\d+$/.test(rankText) || rankText.length > 15) throw new TokenizerError(`rank must be a non-negative integer, got ${JSON.stringify(rankText.slice(0, 40))}`, where);
    const rank = Number(rankText);
    if (ranks[rank] !== undefined) throw new TokenizerError(`duplicate rank ${rank}`, where);
    const key = b64Key(bytes);
    const prev = seenTokens.get(key);
    if (prev !== undefined) throw new TokenizerError(`duplicate token ${JSON.stringify(b64)} (already rank ${prev})`, where);
    seenTokens.set(key, rank);
    if (rank > 50_000_000) throw new TokenizerError(`rank ${rank} is implausibly large`, where);
    ranks[rank] = bytes;
  }
  if (ranks.length === 0) throw new TokenizerError("no ranks found", fileName);
  return ranks;
}

function b64Key(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}

/** Number of ranks and FNV-1a (32-bit) of the last 64 ranks' bytes, each followed by a 0xff separator. */
export function rankFingerprint(ranks: TiktokenRanks): { rankCount: number; fingerprint: number } {
  let h = 0x811c9dc5;
  const mix = (b: number) => {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  };
  let count = 0;
  for (const r of ranks) if (r !== undefined) count++;
  let first = ranks.length;
  for (let seen = 0; first > 0 && seen < 64; ) if (ranks[--first] !== undefined) seen++;
  for (let r = first; r < ranks.length; r++) {
    const bytes = ranks[r];
    if (bytes === undefined) continue;
    for (const b of bytes) mix(b);
    mix(0xff);
  }
  return { rankCount: count, fingerprint: h >>> 0 };
}

/** The known encoding these ranks belong to, or null. */
export function identifyTiktokenRanks(ranks: TiktokenRanks): KnownTiktokenEncoding | null {
  const { rankCount, fingerprint } = rankFingerprint(ranks);
  return KNOWN_TIKTOKEN_ENCODINGS.find((k) => k.rankCount === rankCount && k.fingerprint === fingerprint) ?? null;
}

/** Byte-level BPE vocabulary and merges equivalent to tiktoken's rank rule (see the file comment). */
export function ranksToByteLevelBpe(ranks: TiktokenRanks): { vocab: Map<string, number>; merges: [string, string][] } {
  const alphabet = byteLevelAlphabet();
  const tokens: string[] = new Array(ranks.length);
  const vocab = new Map<string, number>();
  for (let r = 0; r < ranks.length; r++) {
    const bytes = ranks[r];
    if (bytes === undefined) continue;
    let s = "";
    for (const b of bytes) s += alphabet[b]!;
    tokens[r] = s;
    vocab.set(s, r);
  }
  const merges: [string, string][] = [];
  const local: [number, number][] = [];
  for (let r = 0; r < tokens.length; r++) {
    const s = tokens[r];
    if (s === undefined || s.length < 2) continue;
    local.length = 0;
    // Every byte-level character is one UTF-16 unit, so string positions are byte positions.
    for (let i = 1; i < s.length; i++) {
      const left = vocab.get(s.slice(0, i));
      if (left === undefined) continue;
      const right = vocab.get(s.slice(i));
      if (right !== undefined) local.push([left, right]);
    }
    local.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    for (const [a, b] of local) merges.push([tokens[a]!, tokens[b]!]);
  }
  return { vocab, merges };
}

/** Converts a tiktoken rank file to tokenizer.json content (byte-level BPE, like Hugging Face's converted files). */
export function tiktokenToTokenizerJson(text: string, options: TiktokenOptions = {}): JsonObject {
  const fileName = options.fileName ?? "tiktoken ranks";
  return tiktokenRanksToTokenizerJson(parseTiktokenRanks(text, fileName), options);
}

/** The JSON form the `tiktoken` and `js-tiktoken` npm packages ship: {pat_str, special_tokens, bpe_ranks}. */
export function isPackagedTiktokenJson(json: unknown): json is { pat_str: string; special_tokens?: Record<string, number>; bpe_ranks: string } {
  const o = json as Record<string, unknown> | null;
  return !!o && typeof o === "object" && typeof o.pat_str === "string" && typeof o.bpe_ranks === "string";
}

/** Converts that packaged form. Its `bpe_ranks` holds lines of "! <first rank> <base64> <base64> ...". */
export function packagedTiktokenToTokenizerJson(json: { pat_str: string; special_tokens?: Record<string, number>; bpe_ranks: string }, options: TiktokenOptions = {}): JsonObject {
  const fileName = options.fileName ?? "tiktoken JSON";
  const ranks: (Uint8Array | undefined)[] = [];
  const seen = new Set<string>();
  json.bpe_ranks.split("\n").forEach((line, i) => {
    if (line === "") return;
    const where = `${fileName}: bpe_ranks line ${i + 1}`;
    const parts = line.split(" ");
    const first = Number(parts[1]);
    if (parts.length < 2 || !Number.isInteger(first) || first < 0) throw new TokenizerError(`expected "! <first rank> <base64>...", got ${JSON.stringify(line.slice(0, 40))}`, where);
    for (let k = 2; k < parts.length; k++) {
      const bytes = base64Decode(parts[k]!);
      if (!bytes || bytes.length === 0) throw new TokenizerError(`invalid base64 token ${JSON.stringify(parts[k]!.slice(0, 40))}`, where);
      const rank = first + k - 2;
      const key = b64Key(bytes);
      if (ranks[rank] !== undefined || seen.has(key)) throw new TokenizerError(`duplicate rank ${rank} or token ${JSON.stringify(parts[k])}`, where);
      seen.add(key);
      ranks[rank] = bytes;
    }
  });
  return tiktokenRanksToTokenizerJson(ranks, { pattern: options.pattern ?? json.pat_str, specialTokens: options.specialTokens ?? json.special_tokens, fileName });
}

/** Converts parsed ranks (see parseTiktokenRanks). */
export function tiktokenRanksToTokenizerJson(ranks: TiktokenRanks, options: TiktokenOptions = {}): JsonObject {
  const fileName = options.fileName ?? "tiktoken ranks";
  if (ranks.length === 0) throw new TokenizerError("no ranks found", fileName);
  const known = identifyTiktokenRanks(ranks);
  const pattern = options.pattern ?? known?.pattern;
  if (pattern === undefined) {
    const { rankCount, fingerprint } = rankFingerprint(ranks);
    throw new TokenizerError(
      `unrecognised rank file (${rankCount} ranks, fingerprint ${fingerprint.toString(16)}; known: ${KNOWN_TIKTOKEN_ENCODINGS.map((k) => k.name).join(", ")}): pass the pre-tokenizer regex as the \`pattern\` option (tiktoken's pat_str) and its special tokens as \`specialTokens\``,
      fileName,
    );
  }
  const specials = options.specialTokens ?? known?.specialTokens ?? {};
  const { vocab, merges } = ranksToByteLevelBpe(ranks);

  const usedIds = new Map<number, string>();
  const addedTokens: JsonObject[] = [];
  for (const [content, id] of Object.entries(specials).sort((a, b) => a[1] - b[1])) {
    if (!Number.isInteger(id) || id < 0) throw new TokenizerError(`special token ${JSON.stringify(content)} has invalid id ${id}`, `${fileName}: specialTokens`);
    if (ranks[id] !== undefined) throw new TokenizerError(`special token ${JSON.stringify(content)} id ${id} collides with a rank`, `${fileName}: specialTokens`);
    const other = usedIds.get(id);
    if (other !== undefined) throw new TokenizerError(`special tokens ${JSON.stringify(other)} and ${JSON.stringify(content)} share id ${id}`, `${fileName}: specialTokens`);
    usedIds.set(id, content);
    addedTokens.push({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  }

  const byteLevelProcessor: JsonObject = { type: "ByteLevel", add_prefix_space: true, trim_offsets: false, use_regex: true };
  let postProcessor: JsonObject = byteLevelProcessor;
  const bos = known?.bosToken;
  if (bos !== undefined && specials[bos] !== undefined) {
    const bosId = specials[bos]!;
    postProcessor = {
      type: "Sequence",
      processors: [
        byteLevelProcessor,
        {
          type: "TemplateProcessing",
          single: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }],
          pair: [
            { SpecialToken: { id: bos, type_id: 0 } },
            { Sequence: { id: "A", type_id: 0 } },
            { SpecialToken: { id: bos, type_id: 1 } },
            { Sequence: { id: "B", type_id: 1 } },
          ],
          special_tokens: { [bos]: { id: bos, ids: [bosId], tokens: [bos] } },
        },
      ],
    };
  }

  const vocabJson: JsonObject = {};
  for (const [token, id] of vocab) vocabJson[token] = id;
  // Hugging Face numbers added tokens that are missing from the model's vocabulary consecutively after it, so
  // specials that leave a gap (cl100k's 100257 after rank 100255) must be in the vocabulary too, as in HF's GPT-4o file.
  for (let r = 0; r < ranks.length; r++) {
    if (ranks[r] === undefined && !usedIds.has(r)) throw new TokenizerError(`ranks are not contiguous: rank ${r} is missing and no special token has that id`, fileName);
  }
  if (addedTokens.some((t, i) => t.id !== vocab.size + i)) {
    for (const t of addedTokens) {
      if (vocab.has(t.content as string)) throw new TokenizerError(`special token ${JSON.stringify(t.content)} is also a rank`, `${fileName}: specialTokens`);
      vocabJson[t.content as string] = t.id!;
    }
  }
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: addedTokens,
    normalizer: null,
    pre_tokenizer: {
      type: "Sequence",
      pretokenizers: [
        { type: "Split", pattern: { Regex: pattern }, behavior: "Isolated", invert: false },
        { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
    post_processor: postProcessor,
    decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: true,
      vocab: vocabJson,
      merges,
    },
  };
}

/** Writes the ranks of a byte-level BPE tokenizer.json back as a tiktoken rank file (special tokens left out). */
export function tokenizerJsonToTiktoken(json: JsonObject, fileName = "tokenizer.json"): string {
  const model = json.model;
  if (!model || typeof model !== "object" || Array.isArray(model) || model.type !== "BPE") throw new TokenizerError("expected a BPE model", `${fileName}: model.type`);
  const vocab = model.vocab;
  if (!vocab || typeof vocab !== "object" || Array.isArray(vocab)) throw new TokenizerError("expected an object of token → id", `${fileName}: model.vocab`);
  const decode = new Map<string, number>();
  byteLevelAlphabet().forEach((c, b) => decode.set(c, b));
  // Special tokens are not ranks, even where (as in Hugging Face's GPT-4o file) they also sit in the vocabulary.
  const added = new Set<string>();
  if (Array.isArray(json.added_tokens)) {
    for (const t of json.added_tokens) if (t && typeof t === "object" && !Array.isArray(t) && typeof t.content === "string") added.add(t.content);
  }
  const lines: string[] = [];
  for (const [token, id] of Object.entries(vocab)) {
    if (added.has(token)) continue;
    if (typeof id !== "number" || !Number.isInteger(id) || id < 0) throw new TokenizerError(`token ${JSON.stringify(token)} has id ${JSON.stringify(id)}`, `${fileName}: model.vocab`);
    const bytes = new Uint8Array(token.length);
    for (let i = 0; i < token.length; i++) {
      const b = decode.get(token[i]!);
      if (b === undefined) throw new TokenizerError(`token ${JSON.stringify(token)} is not in the byte-level alphabet, so it has no byte form`, `${fileName}: model.vocab`);
      bytes[i] = b;
    }
    if (lines[id] !== undefined) throw new TokenizerError(`id ${id} is used twice`, `${fileName}: model.vocab`);
    lines[id] = `${base64Encode(bytes)} ${id}`;
  }
  return lines.filter((l) => l !== undefined).join("\n") + "\n";
}
