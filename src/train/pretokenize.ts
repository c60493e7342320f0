// How trainers cut text into words before counting. Each setup gives both the tokenizer.json stages it stands for
// and a splitter that reproduces them, so the words counted are the words the trained tokenizer will see.

import type { Json, JsonObject } from "../tokenize/types.js";
import { byteLevelAlphabet } from "../tokenize/byte-vocabulary.js";

import { compilePattern } from "../tokenize/regex.js";
import { GPT2_PATTERN_SOURCE, LLAMA3_PATTERN_SOURCE } from "../tokenize/pretokenizers/patterns.js";

/** GPT-2's pre-tokenizer pattern (the ByteLevel pre-tokenizer's built-in regex). */
export const GPT2_PATTERN = GPT2_PATTERN_SOURCE;
/** Llama 3's pattern as Meta publishes it (with the inline case-insensitive group). */
export const LLAMA3_PATTERN = LLAMA3_PATTERN_SOURCE;

/** Digit handling (Singh & Strouse 2024, "Tokenization counts"): none, each digit alone, or groups of three. */
export type DigitMode = "none" | "individual" | "ltr3" | "rtl3";
export type PreTokenizerKind = "byte-level" | "metaspace" | "bert" | "whitespace";

export interface PreTokenizerSetup {
  kind: PreTokenizerKind;
  /** Byte-level only: "gpt2" (default), "llama3", or a regex source. */
  pattern?: string;
  digits?: DigitMode;
  nfkc?: boolean;
  lowercase?: boolean;
  /** Splits each pre-token further before counting (CompoundPiece-style decompounding). Training-only. */
  preSegment?: (word: string) => string[];
}

const RTL3_DIGITS = "\\p{N}{1,3}(?=(?:\\p{N}{3})*(?!\\p{N}))";
const LTR3_DIGITS = "\\p{N}{1,3}";

export function resolvePattern(pattern: string | undefined): string {
  if (pattern === undefined || pattern === "gpt2") return GPT2_PATTERN;
  if (pattern === "llama3") return LLAMA3_PATTERN;
  return pattern;
}

let byteChars: string[] | null = null;
const utf8 = new TextEncoder();

/** Maps a string to GPT-2's printable byte alphabet (one char per UTF-8 byte). */
export function toByteLevel(text: string): string {
  const chars = (byteChars ??= byteLevelAlphabet());
  let ascii = true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80 || chars[c] !== text[i]) {
      ascii = false;
      break;
    }
  }
  if (ascii) return text;
  const bytes = utf8.encode(text);
  let out = "";
  for (let i = 0; i < bytes.length; i++) out += chars[bytes[i]!];
  return out;
}

function splitIsolated(re: RegExp, piece: string, out: string[]): void {
  re.lastIndex = 0;
  let last = 0;
  for (const m of piece.matchAll(re)) {
    if (m.index! > last) out.push(piece.slice(last, m.index));
    if (m[0].length > 0) out.push(m[0]);
    last = m.index! + m[0].length;
  }
  if (last < piece.length) out.push(piece.slice(last));
}

// Rust's char::is_whitespace is the White_Space property; BERT punctuation is ASCII punctuation or any \p{P}.
const WHITESPACE_RUN = /\p{White_Space}+/u;
const BERT_PUNCT = /[!-\/:-@\[-`{-~\p{P}]/u;

/** The normalizer, pre-tokenizer and decoder tokenizer.json objects, plus a splitter for one line of text. */
export interface PreTokenizerPlan {
  normalizer: JsonObject | null;
  preTokenizer: JsonObject;
  decoder: JsonObject | null;
  /** Normalizes and splits a line (with its newline) into raw words; `mapWord` turns a counted word into symbols. */
  split(line: string, emit: (word: string) => void): void;
  /** Maps a raw pre-token (after normalization) to the string its symbols are drawn from. */
  mapWord(word: string): string;
  byteLevel: boolean;
}

function normalizerJson(setup: PreTokenizerSetup): JsonObject | null {
  const parts: JsonObject[] = [];
  if (setup.nfkc) parts.push({ type: "NFKC" });
  if (setup.lowercase) parts.push({ type: "Lowercase" });
  if (parts.length === 0) return null;
  if (parts.length === 1) return parts[0]!;
  return { type: "Sequence", normalizers: parts };
}

function digitStage(mode: DigitMode): { json: JsonObject; re: RegExp | null } | null {
  switch (mode) {
    case "none":
      return null;
    case "individual":
      return { json: { type: "Digits", individual_digits: true }, re: /\p{N}/gu };
    case "ltr3":
      return { json: splitJson(LTR3_DIGITS), re: new RegExp(LTR3_DIGITS, "gu") };
    case "rtl3":
      return { json: splitJson(RTL3_DIGITS), re: new RegExp(RTL3_DIGITS, "gu") };
  }
}

function splitJson(pattern: string): JsonObject {
  return { type: "Split", pattern: { Regex: pattern }, behavior: "Isolated", invert: false };
}

export function planPreTokenizer(setup: PreTokenizerSetup): PreTokenizerPlan {
  const normalizer = normalizerJson(setup);
  const digits = digitStage(setup.digits ?? "none");
  const stages: JsonObject[] = digits ? [digits.json] : [];
  let decoder: JsonObject | null;
  let splitPiece: (piece: string, out: string[]) => void;
  let mapWord: (w: string) => string = (w) => w;
  const byteLevel = setup.kind === "byte-level";

  if (setup.kind === "byte-level") {
    const pattern = resolvePattern(setup.pattern);
    // The runtime's own translation of the pattern, so the words counted are the words the tokenizer will cut.
    const re = compilePattern(pattern);
    if (pattern === GPT2_PATTERN) {
      stages.push({ type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true });
    } else {
      stages.push(splitJson(pattern));
      stages.push({ type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: false });
    }
    splitPiece = (piece, out) => {
      re.lastIndex = 0;
      for (const m of piece.matchAll(re)) if (m[0].length > 0) out.push(m[0]);
    };
    mapWord = toByteLevel;
    decoder = { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true };
  } else if (setup.kind === "metaspace") {
    stages.push({ type: "Metaspace", replacement: "▁", prepend_scheme: "always", split: true });
    // Each space becomes ▁ and starts a new piece (MergedWithNext); a ▁ is prepended to every text.
    splitPiece = (piece, out) => {
      let s = piece.replaceAll(" ", "▁");
      if (!s.startsWith("▁")) s = "▁" + s; // prepend_scheme "always" applies to every piece
      let start = 0;
      for (let i = 1; i < s.length; i++) {
        if (s.charCodeAt(i) === 0x2581) {
          out.push(s.slice(start, i));
          start = i;
        }
      }
      if (s.length > 0) out.push(s.slice(start));
    };
    decoder = { type: "Metaspace", replacement: "▁", prepend_scheme: "always", split: true };
  } else {
    stages.push(setup.kind === "bert" ? { type: "BertPreTokenizer" } : { type: "WhitespaceSplit" });
    const punct = setup.kind === "bert";
    splitPiece = (piece, out) => {
      for (const w of piece.split(WHITESPACE_RUN)) {
        if (w.length === 0) continue;
        if (!punct) {
          out.push(w);
          continue;
        }
        let start = 0;
        let i = 0;
        for (const ch of w) {
          if (BERT_PUNCT.test(ch)) {
            if (i > start) out.push(w.slice(start, i));
            out.push(ch);
            start = i + ch.length;
          }
          i += ch.length;
        }
        if (start < w.length) out.push(w.slice(start));
      }
    };
    decoder = { type: "WordPiece", prefix: "##", cleanup: true };
  }

  const preTokenizer: JsonObject = stages.length === 1 ? stages[0]! : { type: "Sequence", pretokenizers: stages as Json[] };
  const nfkc = setup.nfkc === true;
  const lower = setup.lowercase === true;
  const hook = setup.preSegment;
  const digitRe = digits?.re ?? null;
  const metaspace = setup.kind === "metaspace";
  const pieces: string[] = [];
  const subPieces: string[] = [];

  const split = (line: string, emit: (word: string) => void): void => {
    let text = line;
    if (nfkc) text = text.normalize("NFKC");
    if (lower) text = text.toLowerCase();
    // One sentence per line, as SentencePiece reads it: the line break is not part of any word.
    if (metaspace) text = text.replace(/\r?\n$/, "");
    pieces.length = 0;
    if (digitRe) splitIsolated(digitRe, text, pieces);
    else pieces.push(text);
    for (const piece of pieces) {
      subPieces.length = 0;
      splitPiece(piece, subPieces);
      for (const w of subPieces) {
        if (hook) {
          for (const part of hook(w)) if (part.length > 0) emit(part);
        } else emit(w);
      }
    }
  };
  return { normalizer, preTokenizer, decoder, split, mapWord, byteLevel };
}

/** Recovers the training setup from a tokenizer.json this module produced (for continued training). */
export function setupFromTokenizerJson(json: JsonObject): PreTokenizerSetup {
  const setup: PreTokenizerSetup = { kind: "byte-level", pattern: "gpt2", digits: "none" };
  const norms: JsonObject[] = [];
  const n = json.normalizer as JsonObject | null;
  if (n) norms.push(...(n.type === "Sequence" ? (n.normalizers as JsonObject[]) : [n]));
  for (const x of norms) {
    if (x.type === "NFKC") setup.nfkc = true;
    else if (x.type === "Lowercase") setup.lowercase = true;
  }
  const p = json.pre_tokenizer as JsonObject | null;
  const stages = p ? (p.type === "Sequence" ? (p.pretokenizers as JsonObject[]) : [p]) : [];
  for (const s of stages) {
    if (s.type === "Digits") setup.digits = "individual";
    else if (s.type === "Metaspace") setup.kind = "metaspace";
    else if (s.type === "BertPreTokenizer") setup.kind = "bert";
    else if (s.type === "WhitespaceSplit") setup.kind = "whitespace";
    else if (s.type === "Split") {
      const re = (s.pattern as JsonObject).Regex as string;
      if (re === LTR3_DIGITS) setup.digits = "ltr3";
      else if (re === RTL3_DIGITS) setup.digits = "rtl3";
      else setup.pattern = re;
    }
  }
  return setup;
}
