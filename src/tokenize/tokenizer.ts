// The Tokenizer: a pipeline built from tokenizer.json (normalizer → pre-tokenizer → model → post-processor, decoder
// on the way back), with added tokens cut out first. Mirrors Hugging Face `tokenizers` so that ids, tokens, offsets
// and decoded text are identical, and round-trips its JSON.

import { AddedVocabulary, addedTokenFromJSON, addedTokenToJSON, type AddedToken } from "./added-vocabulary.js";
import { byteLevelPlan, encodeByteLevel, pieceSpans, type ByteLevelPlan } from "./pretokenizers/fast-byte-level.js";
import { decoderFromJSON } from "./decoders/index.js";
import { Encoding } from "./encoding.js";
import {
  defaultProcess,
  padEncodings,
  paddingFromJSON,
  paddingToJSON,
  tokenizationLimit,
  truncateForPostProcessing,
  truncationFromJSON,
  truncationToJSON,
  type PaddingOptions,
  type TruncationOptions,
} from "./encoding-ops.js";
import { modelFromJSON } from "./models/index.js";
import { SpanIdCache, spanHash } from "./models/span-cache.js";
import { normalizerFromJSON } from "./normalizers/index.js";
import { PreTokenizedString } from "./pretokenized.js";
import { preTokenizerFromJSON } from "./pretokenizers/index.js";
import { postProcessorFromJSON } from "./processors/index.js";
import { StreamDecoder } from "./stream-decoder.js";
import { TokenizerError, type Decoder, type Json, type JsonObject, type Model, type Normalizer, type PostProcessor, type PreTokenizer, type Token } from "./types.js";
import { readTokenizerFile } from "../formats/index.js";
import { PieceType, type SentencePieceModel } from "../formats/sentencepiece.js";
import { UnigramModel } from "./models/unigram.js";
import { MetaspacePreTokenizer } from "./pretokenizers/metaspace.js";
import { PrecompiledNormalizer } from "./normalizers/precompiled.js";
import { SequenceNormalizer } from "./normalizers/sequence.js";
import { readFileBytes } from "../platform/files.js";
import { checkNesting } from "./json-fields.js";

export interface LoadOptions {
  /** Named in error messages. */
  fileName?: string;
  /** tiktoken rank files: the pre-tokenizer pattern (known encodings are recognised without it). */
  pattern?: string;
  /** tiktoken rank files: special tokens and their ids. */
  specialTokens?: Record<string, number>;
}

export interface EncodeOptions {
  /** Let the post-processor add special tokens (default true). */
  addSpecialTokens?: boolean;
  /** A second sequence (sentence pairs). */
  pair?: string;
}

export interface DecodeOptions {
  /** Leave out added tokens marked special (default false). */
  skipSpecialTokens?: boolean;
}

/** Entries per generation of a pre-token cache (two generations are kept). */
const CACHE_LIMIT = 100_000;
const BYTE_TOKEN = /^<0x[0-9A-Fa-f]{2}>$/;
const BULK_MODEL_FIELDS: ReadonlySet<string> = new Set(["vocab", "merges"]);

/** A JS string as the reference receives it: every lone surrogate becomes U+FFFD (same length, same offsets). */
function wellFormed(s: string): string {
  const f = (s as { toWellFormed?: () => string }).toWellFormed;
  if (f) return f.call(s);
  return s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd");
}

function section(json: JsonObject, key: string, file: string): JsonObject | null {
  const v = json[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== "object" || Array.isArray(v)) throw new TokenizerError(`expected an object or null`, `${file}: ${key}`);
  return v;
}

/** A bounded map with two generations: when the young one is full it becomes the old one (the previous old one is
 * dropped), and entries found in the old one move back. Words in use survive a turnover; a plain clear would lose
 * them all at once. */
class PieceCache<V> {
  private young = new Map<string, V>();
  private old = new Map<string, V>();
  constructor(private readonly limit: number) {}
  get(key: string): V | undefined {
    const v = this.young.get(key);
    if (v !== undefined) return v;
    const o = this.old.get(key);
    if (o !== undefined) this.set(key, o);
    return o;
  }
  set(key: string, value: V): void {
    if (this.young.size >= this.limit) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(key, value);
  }
  clear(): void {
    this.young.clear();
    this.old.clear();
  }
}

export class Tokenizer {
  normalizer: Normalizer | null;
  preTokenizer: PreTokenizer | null;
  model: Model;
  postProcessor: PostProcessor | null;
  decoder: Decoder | null;
  truncation: TruncationOptions | null;
  padding: PaddingOptions | null;
  private added: AddedVocabulary;
  private addedFor: { tokens: AddedToken[]; normalizer: Normalizer | null; model: Model };
  /** Top-level fields we do not interpret (kept for the round trip). */
  private readonly extra: JsonObject;
  private readonly tokenCache = new PieceCache<Token[]>(CACHE_LIMIT);
  private readonly idCache = new PieceCache<number | number[]>(CACHE_LIMIT);
  /** Byte-level pieces → ids, keyed by the span of the text before its byte-level spelling. */
  private readonly spanCache = new SpanIdCache(CACHE_LIMIT);
  /** The same for encode(): (id, start, end) per token. */
  private readonly spanTokenCache = new SpanIdCache(CACHE_LIMIT);
  private cacheOwner: unknown[] = [];
  /** The tokenizer.json fragments each stage was loaded from: written back unchanged while the stage is, so a
   * loaded file round-trips exactly (fields at their defaults, legacy spellings and all). */
  private readonly sources = new WeakMap<object, Json>();
  /** The file this tokenizer was loaded from (named in errors). */
  fileName: string | undefined;

  constructor(model: Model, parts: { normalizer?: Normalizer | null; preTokenizer?: PreTokenizer | null; postProcessor?: PostProcessor | null; decoder?: Decoder | null; addedTokens?: AddedToken[]; truncation?: TruncationOptions | null; padding?: PaddingOptions | null; extra?: JsonObject } = {}) {
    this.model = model;
    this.normalizer = parts.normalizer ?? null;
    this.preTokenizer = parts.preTokenizer ?? null;
    this.postProcessor = parts.postProcessor ?? null;
    this.decoder = parts.decoder ?? null;
    this.truncation = parts.truncation ?? null;
    this.padding = parts.padding ?? null;
    this.extra = parts.extra ?? {};
    const tokens = parts.addedTokens ?? [];
    this.added = new AddedVocabulary(tokens, this.normalizer, model);
    this.addedFor = { tokens, normalizer: this.normalizer, model };
  }

  /** Builds a tokenizer from tokenizer.json content (an object or its text). */
  static fromJSON(json: JsonObject | string, options: LoadOptions = {}): Tokenizer {
    const file = options.fileName ?? "tokenizer.json";
    if (typeof json === "string") {
      let parsed: unknown;
      try {
        parsed = JSON.parse(json.replace(/^\ufeff/, ""));
      } catch (e) {
        throw new TokenizerError(`not valid JSON: ${(e as Error).message}`, file);
      }
      if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new TokenizerError("expected a JSON object", file);
      json = parsed as JsonObject;
    }
    // Bounded nesting before any stage reader recurses (model vocab and merges are type-checked entry by entry).
    for (const [k, v] of Object.entries(json)) if (v !== null && typeof v === "object") checkNesting(v, `${file}: ${k}`, 2, k === "model" ? BULK_MODEL_FIELDS : undefined);
    if (json.version !== undefined && typeof json.version !== "string") throw new TokenizerError(`expected a string, got ${JSON.stringify(json.version).slice(0, 40)}`, `${file}: version`);
    const modelJson = section(json, "model", file);
    if (!modelJson) throw new TokenizerError(`missing field "model"`, file);
    const n = section(json, "normalizer", file);
    const pt = section(json, "pre_tokenizer", file);
    const pp = section(json, "post_processor", file);
    const d = section(json, "decoder", file);
    const addedJson = json.added_tokens ?? [];
    if (!Array.isArray(addedJson)) throw new TokenizerError("expected an array", `${file}: added_tokens`);
    const extra: JsonObject = {};
    for (const [k, v] of Object.entries(json)) {
      if (!["model", "normalizer", "pre_tokenizer", "post_processor", "decoder", "added_tokens", "truncation", "padding"].includes(k)) extra[k] = v;
    }
    const tok = new Tokenizer(modelFromJSON(modelJson, `${file}: model`), {
      normalizer: n ? normalizerFromJSON(n, `${file}: normalizer`) : null,
      preTokenizer: pt ? preTokenizerFromJSON(pt, `${file}: pre_tokenizer`) : null,
      postProcessor: pp ? postProcessorFromJSON(pp, `${file}: post_processor`) : null,
      decoder: d ? decoderFromJSON(d, `${file}: decoder`) : null,
      addedTokens: addedJson.map((t, i) => addedTokenFromJSON(t, `${file}: added_tokens[${i}]`)),
      truncation: truncationFromJSON(json.truncation ?? null, `${file}: truncation`),
      padding: paddingFromJSON(json.padding ?? null, `${file}: padding`),
      extra,
    });
    const remember = (o: object | null, src: Json | undefined) => {
      if (o && src !== undefined) tok.sources.set(o, src);
    };
    remember(tok.model, modelJson);
    remember(tok.normalizer, n);
    remember(tok.preTokenizer, pt);
    remember(tok.postProcessor, pp);
    remember(tok.decoder, d);
    remember(tok.addedFor.tokens, addedJson);
    remember(tok.truncation, json.truncation);
    remember(tok.padding, json.padding);
    tok.fileName = options.fileName;
    return tok;
  }

  /** Builds a tokenizer from file bytes: tokenizer.json, a tiktoken rank file or a SentencePiece .model. */
  static fromBytes(bytes: Uint8Array, options: LoadOptions = {}): Tokenizer {
    const { json, sentencePiece } = readTokenizerFile(bytes, options);
    const tokenizer = Tokenizer.fromJSON(json, options);
    if (sentencePiece) runAsSpmEncode(tokenizer, sentencePiece);
    return tokenizer;
  }

  /** Reads a tokenizer file (Node: installed by the "retoken" entry point). */
  static async fromFile(path: string, options: LoadOptions = {}): Promise<Tokenizer> {
    const bytes = await readFileBytes(path);
    return Tokenizer.fromBytes(bytes, { ...options, fileName: options.fileName ?? path });
  }

  get addedTokens(): AddedToken[] {
    return this.vocabulary().tokens;
  }

  /**
   * Added tokens that keep their ids but are never matched in input text — spm_encode reads "<s>" or "<unk>" typed in
   * a sentence as plain text. Set for SentencePiece .model files (their control and unknown pieces); not in
   * tokenizer.json, where HF matches every added token.
   */
  get addedTokensNotInText(): ReadonlySet<string> {
    return this.notInText;
  }

  set addedTokensNotInText(contents: ReadonlySet<string>) {
    this.notInText = contents;
    this.addedTokens = this.addedFor.tokens;
  }

  private notInText: ReadonlySet<string> = new Set();

  set addedTokens(tokens: AddedToken[]) {
    this.added = new AddedVocabulary(tokens, this.normalizer, this.model, this.notInText);
    this.addedFor = { tokens, normalizer: this.normalizer, model: this.model };
  }

  /** The added vocabulary, rebuilt when the normalizer or the model was swapped (normalized tokens and ids depend
   * on them). */
  private vocabulary(): AddedVocabulary {
    if (this.addedFor.normalizer !== this.normalizer || this.addedFor.model !== this.model) this.addedTokens = this.addedFor.tokens;
    return this.added;
  }

  setTruncation(o: TruncationOptions | null): void {
    this.truncation = o;
  }

  setPadding(o: PaddingOptions | null): void {
    this.padding = o;
  }

  /** Clears the pre-token caches when a stage was swapped. */
  private checkCaches(): void {
    const owner = [this.model, this.normalizer, this.preTokenizer];
    if (owner.some((x, i) => x !== this.cacheOwner[i])) {
      this.tokenCache.clear();
      this.idCache.clear();
      this.spanCache.clear();
      this.spanTokenCache.clear();
      this.cacheOwner = owner;
    }
  }

  private modelToken = (id: number): string | undefined => this.model.idToToken(id);
  private modelTokenize = (piece: string): Token[] => this.model.tokenize(piece);

  private tokenizePiece = (piece: string): Token[] => {
    let t = this.tokenCache.get(piece);
    if (t === undefined) {
      t = this.model.tokenize(piece);
      this.tokenCache.set(piece, t);
    }
    return t;
  };

  private planFor: PreTokenizer | null | undefined = undefined;
  private plan: ByteLevelPlan | null = null;
  private readonly spanScratch: number[] = [];

  /** The byte-level fast-path plan of the current pre-tokenizer (null if it has another shape). */
  private currentPlan(): ByteLevelPlan | null {
    if (this.planFor !== this.preTokenizer) {
      this.plan = byteLevelPlan(this.preTokenizer);
      this.planFor = this.preTokenizer;
    }
    return this.plan;
  }

  /** One sequence through added tokens, normalizer, pre-tokenizer and model (no post-processing). */
  private encodeSequence(text: string, typeId: 0 | 1): Encoding {
    // Matches HF: under truncation the model stops at the word that reaches max_length (see tokenizeWithLimit).
    const limit = tokenizationLimit(this.truncation, typeId);
    const plan = this.normalizer || limit ? null : this.currentPlan();
    if (plan) return encodeByteLevel(text, typeId, plan, this.vocabulary(), this.modelTokenize, this.spanTokenCache, this.modelToken);
    const p = new PreTokenizedString(text);
    this.vocabulary().extractAndNormalize(p, this.normalizer);
    this.preTokenizer?.preTokenize(p);
    if (limit) p.tokenizeWithLimit(this.tokenizePiece, limit.maxTokens, limit.direction);
    else p.tokenize(this.tokenizePiece);
    const e = p.intoEncoding(typeId, typeId, text);
    return e;
  }

  /** HF's post_process: truncation (leaving room for the special tokens), the post-processor, then padding. */
  private postProcess(a: Encoding, b: Encoding | null, addSpecialTokens: boolean): Encoding {
    let x = a;
    let y = b;
    if (this.truncation) {
      const n = addSpecialTokens && this.postProcessor ? this.postProcessor.addedTokens(b !== null) : 0;
      try {
        [x, y] = truncateForPostProcessing(a, b, this.truncation, n);
      } catch (e) {
        // E.g. a stride that fits max_length but not what the special tokens leave of it: name the file and field.
        if (e instanceof TokenizerError && !e.path) throw new TokenizerError(e.message, `${this.fileName ?? "tokenizer.json"}: truncation`);
        throw e;
      }
    }
    let out = this.postProcessor ? this.postProcessor.process(x, y, addSpecialTokens) : defaultProcess(x, y);
    if (this.padding) out = padEncodings([out], this.padding)[0]!;
    return out;
  }

  encode(text: string, options: EncodeOptions = {}): Encoding {
    this.checkCaches();
    const addSpecial = options.addSpecialTokens ?? true;
    const a = this.encodeSequence(wellFormed(text), 0);
    const b = options.pair === undefined ? null : this.encodeSequence(wellFormed(options.pair), 1);
    return this.postProcess(a, b, addSpecial);
  }

  /** The ids of encode(text).ids, skipping offsets and alignments where every stage allows it. */
  encodeIds(text: string, options: { addSpecialTokens?: boolean } = {}): number[] {
    const n = this.normalizer;
    const pt = this.preTokenizer;
    // Truncation stops the model early at a word boundary (HF's early exit): only the full path does that.
    if ((n && !n.normalizeText) || (pt && !pt.preTokenizeText) || this.truncation) return this.encode(text, options).ids;
    this.checkCaches();
    text = wellFormed(text);
    const vocab = this.vocabulary();
    const plan = n ? null : this.currentPlan();
    const ids: number[] = [];
    const rawPieces: (string | null)[] = [];
    const rawIds: number[] = [];
    const rawStarts: number[] = [];
    vocab.splitRawText(text, rawPieces, rawIds, rawStarts);
    const normalize = n?.normalizeText?.bind(n);
    const preTokenize = pt?.preTokenizeText?.bind(pt);
    const parts: string[] = [];
    const nPieces: (string | null)[] = [];
    const nIds: number[] = [];
    const nStarts: number[] = [];
    for (let i = 0; i < rawPieces.length; i++) {
      const raw = rawPieces[i];
      if (raw === null || raw === undefined) {
        ids.push(rawIds[i]!);
        continue;
      }
      const normalized = normalize ? normalize(raw) : raw;
      nPieces.length = 0;
      nIds.length = 0;
      nStarts.length = 0;
      vocab.splitNormalizedText(normalized, nPieces, nIds, nStarts, rawStarts[i]!);
      for (let j = 0; j < nPieces.length; j++) {
        const piece = nPieces[j];
        if (piece === null || piece === undefined) {
          ids.push(nIds[j]!);
          continue;
        }
        if (plan) {
          // Byte-level tokenizers: split spans, then the memoized byte spelling, without intermediate pieces.
          const spans = this.spanScratch;
          spans.length = 0;
          pieceSpans(piece, 0, plan.splits, spans);
          for (let k = 0; k < spans.length; k += 2) this.appendSpanIds(piece, spans[k]!, spans[k + 1]!, plan, ids);
          continue;
        }
        parts.length = 0;
        if (preTokenize) preTokenize(piece, nStarts[j] === 0, parts);
        else parts.push(piece);
        for (const part of parts) this.appendIds(part, ids);
      }
    }
    if (!this.padding) {
      const affix = this.idAffixes(options.addSpecialTokens ?? true);
      if (affix) return affix[0].length === 0 && affix[1].length === 0 ? ids : affix[0].concat(ids, affix[1]);
    }
    const e = new Encoding({ ids, inputs: [text] });
    return this.postProcess(e, null, options.addSpecialTokens ?? true).ids;
  }

  private affixCache: { processor: PostProcessor | null; add: boolean; affix: [number[], number[]] | null } | null = null;

  /** The ids the post-processor puts before and after a single sequence, found once by processing a one-token
   * marker encoding (the processors add fixed tokens around the sequence). null if that does not hold. */
  private idAffixes(add: boolean): [number[], number[]] | null {
    const c = this.affixCache;
    if (c && c.processor === this.postProcessor && c.add === add) return c.affix;
    let affix: [number[], number[]] | null = null;
    if (!this.postProcessor) affix = [[], []];
    else {
      try {
        const probe = (n: number) => this.postProcessor!.process(new Encoding({ ids: new Array(n).fill(-1), inputs: [""] }), null, add).ids;
        const one = probe(1);
        const two = probe(2);
        const at = one.indexOf(-1);
        if (at >= 0 && one.lastIndexOf(-1) === at && two.length === one.length + 1 && two[at + 1] === -1) affix = [one.slice(0, at), one.slice(at + 1)];
      } catch {
        affix = null;
      }
    }
    this.affixCache = { processor: this.postProcessor, add, affix };
    return affix;
  }

  private modelIds(piece: string): number[] {
    if (!this.model.tokenizeIds) return this.model.tokenize(piece).map((t) => t.id);
    const ids: number[] = [];
    this.model.tokenizeIds(piece, ids);
    return ids;
  }

  /** The ids of text[start, end) spelled in the byte alphabet, cached by the span itself: a hit builds no string. */
  private appendSpanIds(text: string, start: number, end: number, plan: ByteLevelPlan, out: number[]): void {
    const h = spanHash(text, start, end);
    if (this.spanCache.append(h, text, start, end, out)) return;
    const from = out.length;
    if (!this.model.tokenizeByteLevelIds?.(text, start, end, out)) {
      const ids = this.modelIds(plan.spell(text.slice(start, end)));
      for (let k = 0; k < ids.length; k++) out.push(ids[k]!);
    }
    this.spanCache.add(h, text, start, end, out, from, out.length);
  }

  private appendIds(piece: string, out: number[]): void {
    const c = this.idCache.get(piece);
    if (typeof c === "number") {
      out.push(c);
      return;
    }
    if (c !== undefined) {
      for (let k = 0; k < c.length; k++) out.push(c[k]!);
      return;
    }
    const ids = this.modelIds(piece);
    // Most pieces are one token: keep the id itself (no array to allocate or walk).
    this.idCache.set(piece, ids.length === 1 ? ids[0]! : ids);
    for (let k = 0; k < ids.length; k++) out.push(ids[k]!);
  }


  /** Encodes many inputs (a string or a [first, second] pair each), then pads them together. */
  encodeBatch(inputs: (string | [string, string])[], options: { addSpecialTokens?: boolean } = {}): Encoding[] {
    const padding = this.padding;
    this.padding = null;
    let out: Encoding[];
    try {
      out = inputs.map((x) => (typeof x === "string" ? this.encode(x, options) : this.encode(x[0], { ...options, pair: x[1] })));
    } finally {
      this.padding = padding;
    }
    return padding ? padEncodings(out, padding) : out;
  }

  /** Text of the ids: added tokens by their content, the rest by the model, all through the decoder. */
  decode(ids: ArrayLike<number>, options: DecodeOptions = {}): string {
    const skip = options.skipSpecialTokens ?? false;
    const vocab = this.vocabulary();
    const tokens: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      const t = vocab.idToToken(id) ?? this.model.idToToken(id);
      if (t === undefined) throw this.unknownIdError(id, i);
      if (skip && vocab.isSpecialToken(t)) continue;
      tokens.push(t);
    }
    if (!this.decoder) return tokens.join(" ");
    return this.decoder.decodeChain(tokens).join("");
  }

  /** The error for an id that names no token. Matches HF's ids and text otherwise, but where HF's decode skips such
   * an id silently we throw: a wrong id usually means the wrong tokenizer or an off-by-one, and dropped text hides it. */
  unknownIdError(id: number, position: number): TokenizerError {
    return new TokenizerError(
      `decode: id ${id} at position ${position} is not in the vocabulary (${this.vocabSize()} tokens, highest id ${this.maxId()})`,
      this.fileName,
    );
  }

  private maxId(): number {
    let max = this.model.vocabSize - 1;
    for (const t of this.vocabulary().tokens) max = Math.max(max, t.id);
    return max;
  }

  decodeBatch(batch: ArrayLike<number>[], options: DecodeOptions = {}): string[] {
    return batch.map((ids) => this.decode(ids, options));
  }

  /** Incremental decoding: push(id) returns only newly completed text (never a cut UTF-8 character). */
  createStreamDecoder(options: DecodeOptions = {}): StreamDecoder {
    return new StreamDecoder((ids) => this.decode(ids, options), {
      // A byte-fallback run (e.g. a word of 3-byte characters) can be long; emitting inside it would cut characters.
      maxPending: 1024,
      checkId: (id, position) => {
        if (this.idToToken(id) === undefined) throw this.unknownIdError(id, position);
      },
      isByteToken: (id) => {
        const t = this.model.idToToken(id);
        return t !== undefined && BYTE_TOKEN.test(t) && this.vocabulary().idToToken(id) === undefined;
      },
      // decode() drops skipped specials before the decoder: e.g. Llama's <0xE4> </s> <0xB8> <0xAD> is one run, "中".
      isDropped: options.skipSpecialTokens ? (id) => this.vocabulary().isSpecialToken(this.idToToken(id)!) : undefined,
    });
  }

  idToToken(id: number): string | undefined {
    return this.vocabulary().idToToken(id) ?? this.model.idToToken(id);
  }

  tokenToId(token: string): number | undefined {
    return this.vocabulary().tokenToId(token) ?? this.model.tokenToId(token);
  }

  getVocab(withAddedTokens = true): Map<string, number> {
    const v = new Map(this.model.getVocab());
    if (withAddedTokens) for (const t of this.vocabulary().tokens) v.set(t.content, t.id);
    return v;
  }

  vocabSize(withAddedTokens = true): number {
    if (!withAddedTokens) return this.model.vocabSize;
    let extra = 0;
    for (const t of this.vocabulary().tokens) if (this.model.tokenToId(t.content) === undefined) extra++;
    return this.model.vocabSize + extra;
  }

  /** tokenizer.json content. Stages unchanged since loading are written as they were read; `canonical` writes every
   * stage from its own toJSON() instead (what HF would write). */
  toJSON(options: { canonical?: boolean } = {}): JsonObject {
    const src = (o: object | null): Json | undefined => (options.canonical || !o ? undefined : this.sources.get(o));
    const stage = (o: { toJSON(): JsonObject } | null): Json => (o ? (src(o) ?? o.toJSON()) : null);
    const out: JsonObject = {};
    out.version = (this.extra.version as Json) ?? "1.0";
    out.truncation = src(this.truncation) ?? truncationToJSON(this.truncation);
    out.padding = src(this.padding) ?? paddingToJSON(this.padding);
    const tokens = this.vocabulary().tokens;
    const addedSrc = src(this.addedFor.tokens);
    out.added_tokens = Array.isArray(addedSrc) && addedSrc.length === tokens.length ? addedSrc : tokens.map(addedTokenToJSON);
    out.normalizer = stage(this.normalizer);
    out.pre_tokenizer = stage(this.preTokenizer);
    out.post_processor = stage(this.postProcessor);
    out.decoder = stage(this.decoder);
    out.model = stage(this.model);
    for (const [k, v] of Object.entries(this.extra)) if (!(k in out)) out[k] = v;
    return out;
  }

  toString(pretty = false): string {
    return JSON.stringify(this.toJSON(), null, pretty ? 2 : undefined);
  }
}

export type { AddedToken, PaddingOptions, TruncationOptions };

/**
 * Switches a tokenizer converted from a SentencePiece .model to spm_encode's behaviour where tokenizer.json cannot
 * say it (its tokenizer.json still runs as HF runs it): Unigram path scores in spm's float32 arithmetic over the
 * whole sentence (no split at "▁"), the longest charsmap rule at each position, and control/unknown pieces typed in
 * text read as plain text.
 */
function runAsSpmEncode(tokenizer: Tokenizer, model: SentencePieceModel): void {
  const reserved = model.pieces.flatMap((p, id) => (p.type === PieceType.CONTROL || p.type === PieceType.UNKNOWN ? [{ id, piece: p.piece }] : []));
  tokenizer.addedTokensNotInText = new Set(reserved.map((r) => r.piece));
  if (tokenizer.model instanceof UnigramModel) {
    tokenizer.model.scoreArithmetic = "sentencepiece";
    tokenizer.model.unmatchable = new Set(reserved.map((r) => r.id));
    if (tokenizer.preTokenizer instanceof MetaspacePreTokenizer) tokenizer.preTokenizer.keepWhole = true;
  }
  const n = tokenizer.normalizer;
  for (const part of n instanceof SequenceNormalizer ? n.normalizers : [n]) if (part instanceof PrecompiledNormalizer) part.sentencePieceMatching = true;
}
