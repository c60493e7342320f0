// SentencePiece .model files (a protobuf ModelProto) → tokenizer.json, built so that encoding with the result gives
// `spm_encode --output_format=id`'s ids. Where the tokenizer.json component set cannot say what spm does, the
// difference is listed in `sentencePieceConversionNotes`.

import type { Json, JsonObject } from "../tokenize/types.js";
import { TokenizerError } from "../tokenize/types.js";
import { byteFallbackToken, isByteFallbackPiece } from "../tokenize/decoders/byte-fallback.js";
import { base64Encode } from "../util/base64.js";
import { ProtoReader, WireType } from "./protobuf.js";

export const PieceType = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, USER_DEFINED: 4, UNUSED: 5, BYTE: 6 } as const;
export const SpmModelType = { UNIGRAM: 1, BPE: 2, WORD: 3, CHAR: 4 } as const;

export interface SentencePiece {
  piece: string;
  score: number;
  type: number;
}

/** The TrainerSpec fields that change how text is encoded (defaults as in sentencepiece_model.proto). */
export interface SpmTrainerSpec {
  modelType: number;
  vocabSize: number;
  byteFallback: boolean;
  splitByWhitespace: boolean;
  splitDigits: boolean;
  treatWhitespaceAsSuffix: boolean;
  allowWhitespaceOnlyPieces: boolean;
  controlSymbols: string[];
  userDefinedSymbols: string[];
  unkId: number;
  bosId: number;
  eosId: number;
  padId: number;
  unkPiece: string;
  bosPiece: string;
  eosPiece: string;
  padPiece: string;
  unkSurface: string;
}

export interface SpmNormalizerSpec {
  name: string;
  precompiledCharsmap: Uint8Array;
  addDummyPrefix: boolean;
  removeExtraWhitespaces: boolean;
  escapeWhitespaces: boolean;
  normalizationRuleTsv: string;
}

export interface SentencePieceModel {
  pieces: SentencePiece[];
  trainerSpec: SpmTrainerSpec;
  normalizerSpec: SpmNormalizerSpec;
  denormalizerSpec: SpmNormalizerSpec | null;
}

function defaultTrainerSpec(): SpmTrainerSpec {
  return {
    modelType: SpmModelType.UNIGRAM,
    vocabSize: 8000,
    byteFallback: false,
    splitByWhitespace: true,
    splitDigits: false,
    treatWhitespaceAsSuffix: false,
    allowWhitespaceOnlyPieces: false,
    controlSymbols: [],
    userDefinedSymbols: [],
    unkId: 0,
    bosId: 1,
    eosId: 2,
    padId: -1,
    unkPiece: "<unk>",
    bosPiece: "<s>",
    eosPiece: "</s>",
    padPiece: "<pad>",
    unkSurface: " \u2047 ",
  };
}

function defaultNormalizerSpec(): SpmNormalizerSpec {
  return {
    name: "",
    precompiledCharsmap: new Uint8Array(0),
    addDummyPrefix: true,
    removeExtraWhitespaces: true,
    escapeWhitespaces: true,
    normalizationRuleTsv: "",
  };
}

function readPiece(r: ProtoReader): SentencePiece {
  const p: SentencePiece = { piece: "", score: 0, type: PieceType.NORMAL };
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1) (r.expect(wire, WireType.LengthDelimited, "piece"), (p.piece = r.string()));
    else if (field === 2) (r.expect(wire, WireType.Fixed32, "score"), (p.score = r.float()));
    else if (field === 3) (r.expect(wire, WireType.Varint, "type"), (p.type = r.int32()));
    else r.skip(wire);
  }
  return p;
}

function readTrainerSpec(r: ProtoReader): SpmTrainerSpec {
  const t = defaultTrainerSpec();
  const int = (wire: number, name: string) => (r.expect(wire, WireType.Varint, name), r.int32());
  const bool = (wire: number, name: string) => (r.expect(wire, WireType.Varint, name), r.bool());
  const str = (wire: number, name: string) => (r.expect(wire, WireType.LengthDelimited, name), r.string());
  while (!r.done) {
    const { field, wire } = r.tag();
    switch (field) {
      case 3: t.modelType = int(wire, "model_type"); break;
      case 4: t.vocabSize = int(wire, "vocab_size"); break;
      case 22: t.splitByWhitespace = bool(wire, "split_by_whitespace"); break;
      case 24: t.treatWhitespaceAsSuffix = bool(wire, "treat_whitespace_as_suffix"); break;
      case 25: t.splitDigits = bool(wire, "split_digits"); break;
      case 26: t.allowWhitespaceOnlyPieces = bool(wire, "allow_whitespace_only_pieces"); break;
      case 30: t.controlSymbols.push(str(wire, "control_symbols")); break;
      case 31: t.userDefinedSymbols.push(str(wire, "user_defined_symbols")); break;
      case 35: t.byteFallback = bool(wire, "byte_fallback"); break;
      case 40: t.unkId = int(wire, "unk_id"); break;
      case 41: t.bosId = int(wire, "bos_id"); break;
      case 42: t.eosId = int(wire, "eos_id"); break;
      case 43: t.padId = int(wire, "pad_id"); break;
      case 44: t.unkSurface = str(wire, "unk_surface"); break;
      case 45: t.unkPiece = str(wire, "unk_piece"); break;
      case 46: t.bosPiece = str(wire, "bos_piece"); break;
      case 47: t.eosPiece = str(wire, "eos_piece"); break;
      case 48: t.padPiece = str(wire, "pad_piece"); break;
      default: r.skip(wire);
    }
  }
  return t;
}

function readNormalizerSpec(r: ProtoReader): SpmNormalizerSpec {
  const n = defaultNormalizerSpec();
  while (!r.done) {
    const { field, wire } = r.tag();
    switch (field) {
      case 1: r.expect(wire, WireType.LengthDelimited, "name"); n.name = r.string(); break;
      case 2: r.expect(wire, WireType.LengthDelimited, "precompiled_charsmap"); n.precompiledCharsmap = r.bytesField(); break;
      case 3: r.expect(wire, WireType.Varint, "add_dummy_prefix"); n.addDummyPrefix = r.bool(); break;
      case 4: r.expect(wire, WireType.Varint, "remove_extra_whitespaces"); n.removeExtraWhitespaces = r.bool(); break;
      case 5: r.expect(wire, WireType.Varint, "escape_whitespaces"); n.escapeWhitespaces = r.bool(); break;
      case 6: r.expect(wire, WireType.LengthDelimited, "normalization_rule_tsv"); n.normalizationRuleTsv = r.string(); break;
      default: r.skip(wire);
    }
  }
  return n;
}

/** Reads a ModelProto. Errors name the file, the message being read and the byte offset. */
export function parseSentencePieceModel(bytes: Uint8Array, fileName = "SentencePiece model"): SentencePieceModel {
  const r = new ProtoReader(bytes, fileName, "ModelProto");
  const model: SentencePieceModel = {
    pieces: [],
    trainerSpec: defaultTrainerSpec(),
    normalizerSpec: defaultNormalizerSpec(),
    denormalizerSpec: null,
  };
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1) {
      r.expect(wire, WireType.LengthDelimited, "pieces");
      model.pieces.push(readPiece(r.message(`ModelProto.pieces[${model.pieces.length}]`)));
    } else if (field === 2) {
      r.expect(wire, WireType.LengthDelimited, "trainer_spec");
      model.trainerSpec = readTrainerSpec(r.message("ModelProto.trainer_spec"));
    } else if (field === 3) {
      r.expect(wire, WireType.LengthDelimited, "normalizer_spec");
      model.normalizerSpec = readNormalizerSpec(r.message("ModelProto.normalizer_spec"));
    } else if (field === 5) {
      r.expect(wire, WireType.LengthDelimited, "denormalizer_spec");
      model.denormalizerSpec = readNormalizerSpec(r.message("ModelProto.denormalizer_spec"));
    } else r.skip(wire);
  }
  if (model.pieces.length === 0) throw new TokenizerError("no pieces: not a SentencePiece model", fileName);
  const seen = new Map<string, number>();
  model.pieces.forEach((p, i) => {
    // spm_encode refuses such a model too ("piece must not be empty").
    if (p.piece === "") throw new TokenizerError("the piece string is missing or empty", `${fileName}: pieces[${i}]`);
    const prev = seen.get(p.piece);
    if (prev !== undefined) throw new TokenizerError(`piece ${JSON.stringify(p.piece)} appears twice (ids ${prev} and ${i})`, `${fileName}: pieces[${i}]`);
    seen.set(p.piece, i);
    if (p.type < 1 || p.type > 6) throw new TokenizerError(`unknown piece type ${p.type}`, `${fileName}: pieces[${i}]`);
    // As spm's model loader: a byte piece names its byte.
    if (p.type === PieceType.BYTE && !isByteFallbackPiece(p.piece)) throw new TokenizerError(`a byte piece must be spelled <0xHH>, got ${JSON.stringify(p.piece)}`, `${fileName}: pieces[${i}]`);
    if (p.type === PieceType.BYTE && !model.trainerSpec.byteFallback) throw new TokenizerError(`byte piece ${p.piece} is found although trainer_spec.byte_fallback is false (spm refuses the model too)`, `${fileName}: pieces[${i}]`);
  });
  // As spm's model loader: exactly one unknown piece.
  const unknown = model.pieces.flatMap((p, i) => (p.type === PieceType.UNKNOWN ? [i] : []));
  if (unknown.length !== 1) throw new TokenizerError(unknown.length === 0 ? "no piece has the unknown type (spm: \"unk is not defined\")" : `pieces ${unknown.join(", ")} all have the unknown type (spm: "unk is already defined")`, `${fileName}: pieces`);
  return model;
}

/** Cheap sniff: starts with a ModelProto `pieces` entry whose first field is a piece string. */
export function isSentencePieceModel(bytes: Uint8Array): boolean {
  if (bytes.length < 4 || bytes[0] !== 0x0a) return false;
  try {
    const r = new ProtoReader(bytes, "", "ModelProto");
    r.tag();
    const piece = r.message("pieces[0]");
    const first = piece.tag();
    if (first.field !== 1 || first.wire !== WireType.LengthDelimited) return false;
    piece.string();
    while (!piece.done) {
      const { field, wire } = piece.tag();
      if (field === 2 && wire !== WireType.Fixed32) return false;
      if (field === 3 && wire !== WireType.Varint) return false;
      piece.skip(wire);
    }
    return true;
  } catch {
    return false;
  }
}

const SPACE = "\u2581";

/** What the converted tokenizer.json cannot express of this model (empty when the conversion is exact as far as we know). */
export function sentencePieceConversionNotes(model: SentencePieceModel): string[] {
  const notes: string[] = [];
  const t = model.trainerSpec;
  const n = model.normalizerSpec;
  if (t.modelType === SpmModelType.WORD) notes.push("WORD: converted to WordLevel over ▁-words; spm fuses a run of unknown words into one unknown id, WordLevel gives one per word");
  if (t.treatWhitespaceAsSuffix) notes.push("treat_whitespace_as_suffix: the whitespace marker goes at the end of words in spm; tokenizer.json's Metaspace cannot put it there");
  if (!n.escapeWhitespaces) notes.push("escape_whitespaces is off: spaces are kept as ' ' and not split on");
  if (model.pieces.some((p) => p.type === PieceType.UNUSED)) notes.push("UNUSED pieces can still be matched by the converted model (spm never emits them)");
  if (t.byteFallback && t.modelType !== SpmModelType.BPE) notes.push("byte pieces: the converted Unigram model matches the literal text \"<0xNN>\" as a byte piece; spm spells it out");
  if (model.pieces.some((p) => p.type === PieceType.USER_DEFINED) && t.modelType === SpmModelType.BPE) notes.push("user-defined pieces are added tokens, so whitespace stripping and the dummy prefix apply to the text on each side of them separately");
  if (model.pieces.some((p) => p.type === PieceType.CONTROL)) notes.push("CONTROL pieces become special added tokens, so their literal text (e.g. \"<s>\") in the input is matched as the special token; spm never matches them in text");
  return notes;
}

export interface SentencePieceConversionOptions {
  /** Named in error messages. */
  fileName?: string;
  /**
   * Write the fields that make retoken run the file exactly as spm_encode does (default true): `score_arithmetic` and
   * `unmatchable_ids` on the Unigram model, `keep_whole` on Metaspace, `longest_match` on Precompiled, `unmatched` on
   * control/unknown added tokens. HF `tokenizers` ignores them (it loads the file and runs it its own way); false
   * gives the plain file, which retoken then runs as HF does.
   */
  spmEncode?: boolean;
}

/** Converts a SentencePiece model to tokenizer.json content. */
export function sentencePieceToTokenizerJson(bytes: Uint8Array, options: SentencePieceConversionOptions = {}): JsonObject {
  const fileName = options.fileName ?? "SentencePiece model";
  const model = parseSentencePieceModel(bytes, fileName);
  return sentencePieceModelToTokenizerJson(model, { ...options, fileName });
}

export function sentencePieceModelToTokenizerJson(model: SentencePieceModel, options: SentencePieceConversionOptions = {}): JsonObject {
  const fileName = options.fileName ?? "SentencePiece model";
  const spm = options.spmEncode ?? true;
  const { pieces, trainerSpec: t, normalizerSpec: n } = model;
  const unkId = pieces.findIndex((p) => p.type === PieceType.UNKNOWN);
  if (unkId < 0) throw new TokenizerError("the model has no UNKNOWN piece", `${fileName}: pieces`);
  if (t.byteFallback) {
    const bytePieces = new Set(pieces.filter((p) => p.type === PieceType.BYTE).map((p) => p.piece));
    for (let b = 0; b < 256; b++) {
      const name = byteFallbackToken(b);
      if (!bytePieces.has(name)) throw new TokenizerError(`byte_fallback is on but byte piece ${name} is missing`, `${fileName}: pieces`);
    }
  }

  // Normalization, in spm's order: the charsmap, then whitespace clean-up, then the dummy prefix and ▁ for spaces.
  const normalizers: JsonObject[] = [];
  // spm matches the longest charsmap rule at each position; HF goes grapheme by grapheme (they differ on stacked marks).
  if (n.precompiledCharsmap.length > 0) normalizers.push({ type: "Precompiled", precompiled_charsmap: base64Encode(n.precompiledCharsmap), ...(spm ? { longest_match: true } : {}) });
  if (n.removeExtraWhitespaces) {
    // spm strips and collapses only U+0020 (after the charsmap has mapped other spaces to it), but its trailing strip
    // runs on the escaped text, so a literal ▁ at the end goes too.
    // Anchored with look-arounds, not ^/$: in the reference's Oniguruma those also match at line breaks.
    const start = "(?<![\\s\\S])";
    const end = "(?![\\s\\S])";
    normalizers.push({ type: "Replace", pattern: { Regex: `${start} +|${n.escapeWhitespaces ? "[ \u2581]" : " "}+${end}` }, content: "" });
    normalizers.push({ type: "Replace", pattern: { Regex: " {2,}" }, content: " " });
  }
  if (n.addDummyPrefix && !t.treatWhitespaceAsSuffix) normalizers.push({ type: "Prepend", prepend: n.escapeWhitespaces ? SPACE : " " });
  if (n.escapeWhitespaces) normalizers.push({ type: "Replace", pattern: { String: " " }, content: SPACE });

  // spm encodes the whole text at once; splitting it into ▁-words first is the same only when no piece has a ▁ after
  // its first character (Llama's whitespace-only pieces "▁▁" do), and it keeps the model's work per word small.
  const preTokenizers: JsonObject[] = [];
  const piecesStayInWords = pieces.every((p) => p.piece.indexOf(SPACE, 1) < 0);
  // spm's float32 path scores round differently from a fresh start at each word: retoken keeps the sentence whole
  // (keep_whole) where spm's arithmetic is asked for, HF still splits.
  const keepWhole = spm && t.modelType !== SpmModelType.BPE && t.modelType !== SpmModelType.WORD;
  if (n.escapeWhitespaces && piecesStayInWords) preTokenizers.push({ type: "Metaspace", replacement: SPACE, prepend_scheme: "never", split: true, ...(keepWhole ? { keep_whole: true } : {}) });
  // split_digits needs no pre-tokenizer: it only keeps multi-digit pieces out of the vocabulary at training time.

  // Control and unknown pieces are special added tokens, as in Hugging Face's converted files. User-defined pieces
  // are added tokens only for BPE (no merge builds them); a Unigram model matches them itself (score 0 always wins),
  // which keeps spm's whole-text whitespace handling around them instead of normalizing each side apart.
  const userDefinedAsAdded = t.modelType === SpmModelType.BPE;
  const addedTokens: JsonObject[] = [];
  pieces.forEach((p, id) => {
    if (p.type === PieceType.CONTROL || p.type === PieceType.UNKNOWN || (p.type === PieceType.USER_DEFINED && userDefinedAsAdded)) {
      addedTokens.push({
        id,
        content: p.piece,
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: false,
        special: p.type !== PieceType.USER_DEFINED,
        // spm_encode reads control and unknown pieces typed in text ("<s>") as plain text.
        ...(spm && p.type !== PieceType.USER_DEFINED ? { unmatched: true } : {}),
      });
    }
  });

  let modelJson: JsonObject;
  if (t.modelType === SpmModelType.BPE) {
    const vocab: JsonObject = {};
    pieces.forEach((p, id) => (vocab[p.piece] = id));
    // spm's BPE merges an unknown character with its neighbours when the concatenation is a piece; a merge table
    // cannot, so a model whose pieces use a character that is no piece itself (spm training never writes one) is
    // refused rather than encoded differently.
    pieces.forEach((p, id) => {
      if (p.type !== PieceType.NORMAL) return;
      for (const ch of p.piece)
        if (!Object.hasOwn(vocab, ch)) throw new TokenizerError(`BPE piece ${JSON.stringify(p.piece)} contains ${JSON.stringify(ch)}, which is not a piece itself (a damaged model: spm training keeps every character)`, `${fileName}: pieces[${id}]`);
    });
    modelJson = {
      type: "BPE",
      dropout: null,
      unk_token: pieces[unkId]!.piece,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: true,
      byte_fallback: t.byteFallback,
      ignore_merges: false,
      vocab,
      merges: sentencePieceBpeMerges(pieces),
    };
  } else if (t.modelType === SpmModelType.WORD) {
    const vocab: JsonObject = {};
    pieces.forEach((p, id) => (vocab[p.piece] = id));
    modelJson = { type: "WordLevel", vocab, unk_token: pieces[unkId]!.piece };
  } else {
    // UNIGRAM, and CHAR: a vocabulary of single characters makes Viterbi pick characters, unknown runs fused as spm does.
    modelJson = {
      type: "Unigram",
      unk_id: unkId,
      vocab: pieces.map((p) => [p.piece, p.score] as Json),
      byte_fallback: t.byteFallback,
    };
    if (spm) {
      // spm's optimized encoder: float32 path scores, and control/unknown pieces kept out of its trie.
      modelJson.score_arithmetic = "sentencepiece";
      modelJson.unmatchable_ids = pieces.flatMap((p, id) => (p.type === PieceType.CONTROL || p.type === PieceType.UNKNOWN ? [id] : []));
    }
  }

  // spm_decode drops the ▁ at the start of the first piece when the dummy prefix or whitespace clean-up is on, and
  // writes unknown pieces as unk_surface (" ⁇ ").
  const stripsFirstSpace = (n.addDummyPrefix || n.removeExtraWhitespaces) && !t.treatWhitespaceAsSuffix;
  const unkPiece = pieces[unkId]!.piece;
  const unkSurface: JsonObject[] = pieces.some((p, id) => id !== unkId && p.piece.includes(unkPiece))
    ? []
    : [{ type: "Replace", pattern: { String: unkPiece }, content: t.unkSurface }];
  let decoder: JsonObject;
  if (t.byteFallback) {
    const steps: JsonObject[] = [
      ...unkSurface,
      { type: "Replace", pattern: { String: SPACE }, content: " " },
      { type: "ByteFallback" },
      { type: "Fuse" },
    ];
    if (stripsFirstSpace) steps.push({ type: "Strip", content: " ", start: 1, stop: 0 });
    decoder = { type: "Sequence", decoders: steps };
  } else {
    const metaspace: JsonObject = { type: "Metaspace", replacement: SPACE, prepend_scheme: stripsFirstSpace ? "always" : "never", split: true };
    decoder = unkSurface.length ? { type: "Sequence", decoders: [...unkSurface, metaspace] } : metaspace;
  }

  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: addedTokens,
    normalizer: normalizers.length === 0 ? null : normalizers.length === 1 ? normalizers[0]! : { type: "Sequence", normalizers },
    pre_tokenizer: preTokenizers.length === 0 ? null : preTokenizers.length === 1 ? preTokenizers[0]! : { type: "Sequence", pretokenizers: preTokenizers },
    post_processor: null,
    decoder,
    model: modelJson,
  };
}

/**
 * spm's BPE merges, at every step, the adjacent pair whose concatenation is the highest-scoring piece. A merge list
 * does the same when it holds every split of every NORMAL piece into two pieces, ordered by the result's score
 * (ties: lower id first), and within one result by the parts' ids.
 */
export function sentencePieceBpeMerges(pieces: readonly SentencePiece[]): [string, string][] {
  const ids = new Map<string, number>();
  pieces.forEach((p, id) => ids.set(p.piece, id));
  const order = pieces.map((_, id) => id).filter((id) => pieces[id]!.type === PieceType.NORMAL);
  order.sort((a, b) => pieces[b]!.score - pieces[a]!.score || a - b);
  const merges: [string, string][] = [];
  const local: [number, number][] = [];
  for (const id of order) {
    const s = pieces[id]!.piece;
    const cps = Array.from(s);
    if (cps.length < 2) continue;
    local.length = 0;
    let cut = 0;
    for (let i = 0; i < cps.length - 1; i++) {
      cut += cps[i]!.length;
      const left = ids.get(s.slice(0, cut));
      if (left === undefined) continue;
      const right = ids.get(s.slice(cut));
      if (right !== undefined) local.push([left, right]);
    }
    local.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    for (const [a, b] of local) merges.push([pieces[a]!.piece, pieces[b]!.piece]);
  }
  return merges;
}
