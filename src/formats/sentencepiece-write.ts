// tokenizer.json → SentencePiece .model, for tokenizers that spm can run: Unigram or BPE over ▁-marked text (what
// sentencePieceToTokenizerJson and Hugging Face's SentencePiece converters produce, and what our Unigram trainer
// writes). Anything spm cannot express (byte-level BPE, WordPiece, lowercasing...) is refused with the field named.

import type { Json, JsonObject } from "../tokenize/types.js";
import { TokenizerError } from "../tokenize/types.js";
import { isByteFallbackPiece } from "../tokenize/decoders/byte-fallback.js";
import { base64Decode } from "../util/base64.js";
import { ProtoWriter } from "./protobuf.js";
import { PieceType, SpmModelType, type SentencePiece, type SentencePieceModel, type SpmNormalizerSpec, type SpmTrainerSpec } from "./sentencepiece.js";

const SPACE = "\u2581";

function obj(v: Json | undefined): JsonObject | null {
  return v && typeof v === "object" && !Array.isArray(v) ? v : null;
}

function list(v: Json | undefined, key: string): Json[] {
  const o = obj(v);
  const items = o?.[key];
  return Array.isArray(items) ? items : o ? [o] : [];
}

/** Reads what spm's NormalizerSpec can say from the normalizer and pre-tokenizer; throws on anything else. */
function normalizerSpecOf(json: JsonObject, fileName: string): SpmNormalizerSpec {
  const spec: SpmNormalizerSpec = {
    name: "identity",
    precompiledCharsmap: new Uint8Array(0),
    addDummyPrefix: false,
    removeExtraWhitespaces: false,
    escapeWhitespaces: false,
    normalizationRuleTsv: "",
  };
  const normalizers = obj(json.normalizer)?.type === "Sequence" ? list(json.normalizer, "normalizers") : json.normalizer ? [json.normalizer] : [];
  normalizers.forEach((n, i) => {
    const o = obj(n);
    const path = `${fileName}: normalizer${normalizers.length > 1 || obj(json.normalizer)?.type === "Sequence" ? `.normalizers[${i}]` : ""}`;
    const pattern = obj(o?.pattern);
    if (o?.type === "Precompiled") {
      const bytes = typeof o.precompiled_charsmap === "string" ? base64Decode(o.precompiled_charsmap) : null;
      if (!bytes) throw new TokenizerError("precompiled_charsmap is not base64", path);
      spec.precompiledCharsmap = bytes;
      spec.name = "nmt_nfkc";
    } else if (o?.type === "Prepend" && o.prepend === SPACE) spec.addDummyPrefix = true;
    else if (o?.type === "Replace" && pattern?.String === " " && o.content === SPACE) spec.escapeWhitespaces = true;
    else if (o?.type === "Replace" && typeof pattern?.Regex === "string" && / \{2,\}|\[ \u2581\]\+|\(\?<!| \+/.test(pattern.Regex)) spec.removeExtraWhitespaces = true;
    else if (o?.type === "Strip") spec.removeExtraWhitespaces = true;
    else throw new TokenizerError(`a ${JSON.stringify(o?.type)} normalizer has no SentencePiece equivalent`, path);
  });
  const preTokenizers = obj(json.pre_tokenizer)?.type === "Sequence" ? list(json.pre_tokenizer, "pretokenizers") : json.pre_tokenizer ? [json.pre_tokenizer] : [];
  preTokenizers.forEach((p, i) => {
    const o = obj(p);
    const path = `${fileName}: pre_tokenizer${preTokenizers.length > 1 ? `.pretokenizers[${i}]` : ""}`;
    if (o?.type === "Metaspace") {
      if ((o.replacement ?? SPACE) !== SPACE) throw new TokenizerError(`replacement ${JSON.stringify(o.replacement)} is not ▁`, path);
      spec.escapeWhitespaces = true;
      const scheme = o.prepend_scheme ?? (o.add_prefix_space === false ? "never" : "always");
      if (scheme !== "never") spec.addDummyPrefix = true;
    } else if (o?.type === "WhitespaceSplit") spec.removeExtraWhitespaces = true;
    // Gemma's files split on " " after the normalizer has turned every space into ▁: nothing left to split.
    else if (o?.type === "Split" && obj(o.pattern)?.String === " " && spec.escapeWhitespaces) return;
    else throw new TokenizerError(`a ${JSON.stringify(o?.type)} pre-tokenizer has no SentencePiece equivalent`, path);
  });
  if (!spec.escapeWhitespaces) throw new TokenizerError("spaces are not written as ▁ (no Metaspace pre-tokenizer or Replace(' ', '▁') normalizer)", `${fileName}: normalizer`);
  return spec;
}

/** Encodes a ModelProto. */
export function writeSentencePieceModel(model: SentencePieceModel): Uint8Array {
  const w = new ProtoWriter();
  for (const p of model.pieces) {
    const pw = new ProtoWriter();
    pw.stringField(1, p.piece);
    pw.floatField(2, p.score);
    if (p.type !== PieceType.NORMAL) pw.int32Field(3, p.type);
    w.messageField(1, pw);
  }
  const t = model.trainerSpec;
  const tw = new ProtoWriter();
  tw.int32Field(3, t.modelType);
  tw.int32Field(4, t.vocabSize);
  tw.boolField(22, t.splitByWhitespace);
  tw.boolField(24, t.treatWhitespaceAsSuffix);
  tw.boolField(25, t.splitDigits);
  tw.boolField(26, t.allowWhitespaceOnlyPieces);
  for (const s of t.controlSymbols) tw.stringField(30, s);
  for (const s of t.userDefinedSymbols) tw.stringField(31, s);
  tw.boolField(35, t.byteFallback);
  tw.int32Field(40, t.unkId);
  tw.int32Field(41, t.bosId);
  tw.int32Field(42, t.eosId);
  tw.int32Field(43, t.padId);
  tw.stringField(44, t.unkSurface);
  tw.stringField(45, t.unkPiece);
  tw.stringField(46, t.bosPiece);
  tw.stringField(47, t.eosPiece);
  tw.stringField(48, t.padPiece);
  w.messageField(2, tw);
  const writeNormalizer = (field: number, n: SpmNormalizerSpec) => {
    const nw = new ProtoWriter();
    nw.stringField(1, n.name);
    if (n.precompiledCharsmap.length) nw.bytesField(2, n.precompiledCharsmap);
    nw.boolField(3, n.addDummyPrefix);
    nw.boolField(4, n.removeExtraWhitespaces);
    nw.boolField(5, n.escapeWhitespaces);
    if (n.normalizationRuleTsv) nw.stringField(6, n.normalizationRuleTsv);
    w.messageField(field, nw);
  };
  writeNormalizer(3, model.normalizerSpec);
  if (model.denormalizerSpec) writeNormalizer(5, model.denormalizerSpec);
  return w.finish();
}

/** The SentencePiece model a tokenizer.json describes (Unigram or ▁-based BPE); throws where spm cannot follow. */
export function tokenizerJsonToSentencePieceModel(json: JsonObject, fileName = "tokenizer.json"): SentencePieceModel {
  const model = obj(json.model);
  if (!model) throw new TokenizerError("missing model", `${fileName}: model`);
  const normalizerSpec = normalizerSpecOf(json, fileName);
  const added = new Map<string, { id: number; special: boolean }>();
  for (const a of Array.isArray(json.added_tokens) ? json.added_tokens : []) {
    const o = obj(a);
    if (o && typeof o.content === "string" && typeof o.id === "number") added.set(o.content, { id: o.id, special: o.special === true });
  }

  let pieces: SentencePiece[];
  let unkId: number;
  let modelType: number;
  const byteFallback = model.byte_fallback === true;
  if (model.type === "Unigram") {
    modelType = SpmModelType.UNIGRAM;
    const vocab = Array.isArray(model.vocab) ? model.vocab : [];
    pieces = vocab.map((entry, i) => {
      if (!Array.isArray(entry) || typeof entry[0] !== "string" || typeof entry[1] !== "number") throw new TokenizerError(`expected [piece, score]`, `${fileName}: model.vocab[${i}]`);
      return { piece: entry[0], score: entry[1], type: PieceType.NORMAL };
    });
    unkId = typeof model.unk_id === "number" ? model.unk_id : -1;
  } else if (model.type === "BPE" || (model.type === undefined && obj(model.vocab) && Array.isArray(model.merges))) {
    modelType = SpmModelType.BPE;
    if (model.continuing_subword_prefix || model.end_of_word_suffix) throw new TokenizerError("subword prefixes/suffixes have no SentencePiece equivalent", `${fileName}: model`);
    const vocab = obj(model.vocab) ?? {};
    const byId: string[] = [];
    for (const [piece, id] of Object.entries(vocab)) {
      if (typeof id !== "number" || !Number.isInteger(id) || id < 0) throw new TokenizerError(`token ${JSON.stringify(piece)} has id ${JSON.stringify(id)}`, `${fileName}: model.vocab`);
      byId[id] = piece;
    }
    for (let i = 0; i < byId.length; i++) if (byId[i] === undefined) throw new TokenizerError(`ids are not contiguous: id ${i} is missing`, `${fileName}: model.vocab`);
    // spm BPE merges towards the highest-scoring piece: score each piece by its first merge's rank.
    const firstMerge = new Map<string, number>();
    const merges = Array.isArray(model.merges) ? model.merges : [];
    merges.forEach((m, rank) => {
      const parts = typeof m === "string" ? m.split(" ") : Array.isArray(m) ? m : [];
      if (parts.length !== 2 || typeof parts[0] !== "string" || typeof parts[1] !== "string") throw new TokenizerError("expected a pair", `${fileName}: model.merges[${rank}]`);
      const result = parts[0] + parts[1];
      if (!firstMerge.has(result)) firstMerge.set(result, rank);
    });
    pieces = byId.map((piece) => {
      const rank = firstMerge.get(piece);
      return { piece, score: rank === undefined ? -merges.length - 1 : -rank, type: PieceType.NORMAL };
    });
    unkId = typeof model.unk_token === "string" ? (vocab[model.unk_token] as number | undefined) ?? -1 : -1;
  } else {
    throw new TokenizerError(`a ${JSON.stringify(model.type)} model has no SentencePiece equivalent here (Unigram or BPE only)`, `${fileName}: model.type`);
  }
  if (unkId < 0 || unkId >= pieces.length) throw new TokenizerError("SentencePiece needs an unknown piece in the vocabulary", `${fileName}: model`);

  pieces[unkId]!.type = PieceType.UNKNOWN;
  pieces.forEach((p, id) => {
    if (id === unkId) return;
    const a = added.get(p.piece);
    if (a && a.id === id) {
      p.type = a.special ? PieceType.CONTROL : PieceType.USER_DEFINED;
    } else if (byteFallback && isByteFallbackPiece(p.piece)) p.type = PieceType.BYTE;
    // spm gives user-defined pieces score 0 and real pieces log-probabilities below it; a converted Unigram model
    // keeps user-defined pieces in its vocabulary (not as added tokens), so score 0 is how to recognise them.
    else if (modelType === SpmModelType.UNIGRAM && p.score === 0 && !a) p.type = PieceType.USER_DEFINED;
    if (p.type !== PieceType.NORMAL && modelType === SpmModelType.UNIGRAM) p.score = 0;
  });
  const idOf = (names: string[]) => pieces.findIndex((p) => p.type === PieceType.CONTROL && names.includes(p.piece));
  const bosId = idOf(["<s>", "<bos>", "<|begin_of_text|>", "[CLS]"]);
  const eosId = idOf(["</s>", "<eos>", "<|end_of_text|>", "[SEP]"]);
  const padId = idOf(["<pad>", "[PAD]"]);
  const trainerSpec: SpmTrainerSpec = {
    modelType,
    vocabSize: pieces.length,
    byteFallback,
    splitByWhitespace: true,
    splitDigits: false,
    treatWhitespaceAsSuffix: false,
    allowWhitespaceOnlyPieces: pieces.some((p) => p.piece.length > 1 && [...p.piece].every((c) => c === SPACE)),
    controlSymbols: [],
    userDefinedSymbols: [],
    unkId,
    bosId,
    eosId,
    padId,
    unkPiece: pieces[unkId]!.piece,
    bosPiece: bosId >= 0 ? pieces[bosId]!.piece : "<s>",
    eosPiece: eosId >= 0 ? pieces[eosId]!.piece : "</s>",
    padPiece: padId >= 0 ? pieces[padId]!.piece : "<pad>",
    unkSurface: " \u2047 ",
  };
  return { pieces, trainerSpec, normalizerSpec, denormalizerSpec: null };
}

/** tokenizer.json content → SentencePiece .model bytes. */
export function tokenizerJsonToSentencePiece(json: JsonObject, options: { fileName?: string } = {}): Uint8Array {
  return writeSentencePieceModel(tokenizerJsonToSentencePieceModel(json, options.fileName));
}
