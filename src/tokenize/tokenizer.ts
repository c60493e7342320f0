// The Tokenizer: a pipeline built from tokenizer.json (normalizer → pre-tokenizer → model → post-processor, decoder
// on the way back), with added tokens cut out first. Mirrors Hugging Face `tokenizers` so that ids, tokens, offsets
// and decoded text are identical, and round-trips its JSON.

import { AddedVocabulary, addedTokenFromJSON, addedTokenToJSON, type AddedToken } from "./added-vocabulary.js";
import { byteLevelAlphabet, canonicalToken, tokenSpelling, type TokenSpelling } from "./byte-vocabulary.js";
import { parseTokenizerJson } from "./tokenizer-json.js";
import { parseTokenizerConfig, renderChatTemplate, type ChatMessage, type ChatTemplateOptions, type TokenizerConfig } from "./chat-template.js";
import { byteLevelFields, byteLevelPlan, encodeByteLevel, type ByteLevelPlan, type ByteLevelSink } from "./pretokenizers/fast-byte-level.js";
import { byteFallbackValue, decoderFromJSON } from "./decoders/index.js";
import { Encoding } from "./encoding.js";
import {
  defaultProcess,
  padEncodings,
  paddingFromJSON,
  sequenceRangeEntries,
  paddingToJSON,
  tokenizationLimit,
  truncateForPostProcessing,
  truncationFromJSON,
  truncationToJSON,
  type PaddingOptions,
  type TruncationOptions,
} from "./encoding-ops.js";
import { modelFromJSON } from "./models/index.js";
import { CACHED_WORD_LIMIT, PieceCache, SpanIdCache } from "./models/span-cache.js";
import { spellPiece } from "./models/spell.js";
import { normalizerFromJSON } from "./normalizers/index.js";
import { PreTokenizedString, type PieceIds } from "./pretokenized.js";
import { preTokenizerFromJSON } from "./pretokenizers/index.js";
import { postProcessorFromJSON } from "./processors/index.js";
import { StreamDecoder } from "./stream-decoder.js";
import { TokenizerError, type Decoder, type Json, type JsonObject, type Model, type Normalizer, type PostProcessor, type PreTokenizer, type Token } from "./types.js";
import { parseTokenizerFile, readFileBytes } from "../platform/files.js";
import { checkNesting } from "./json-fields.js";

export interface LoadOptions {
  /** Named in error messages. */
  fileName?: string;
  /** tiktoken rank files: the pre-tokenizer pattern (known encodings are recognised without it). */
  pattern?: string;
  /** tiktoken rank files: special tokens and their ids. */
  specialTokens?: Record<string, number>;
  /** tokenizer_config.json content (special-token roles, chat template). `fromFile` reads the one beside a
   * tokenizer.json when this is not given. */
  config?: JsonObject | string | null;
}

export interface EncodeOptions {
  /** Let the post-processor add special tokens (default true). */
  addSpecialTokens?: boolean;
  /** A second sequence (sentence pairs); an array of words when the input is pre-tokenized. */
  pair?: string | string[];
  /** Truncation for this call (null: none); default: the tokenizer's own setting. */
  truncation?: TruncationOptions | null;
  /** Padding for this call (null: none); default: the tokenizer's own setting. */
  padding?: PaddingOptions | null;
  /**
   * tiktoken's rule for special tokens typed in the text: those allowed are matched as special tokens, the other
   * special tokens are read as plain text — and if one of `disallowedSpecial` appears, encoding throws. Giving either
   * option switches the call to this rule, with tiktoken's defaults for the other (allowed: none; disallowed: "all"
   * = every special token not allowed). Without them every added token is matched, as in HF.
   */
  allowedSpecial?: "all" | Iterable<string>;
  disallowedSpecial?: "all" | Iterable<string>;
}

export interface DecodeOptions {
  /** Leave out added tokens marked special (default false). */
  skipSpecialTokens?: boolean;
}

/** A token to add at run time: its text, and HF's AddedToken flags (defaults as HF's add_tokens). */
export interface AddedTokenInput {
  content: string;
  singleWord?: boolean;
  lstrip?: boolean;
  rstrip?: boolean;
  /** Matched after normalization (default: true for plain tokens, false for special ones). */
  normalized?: boolean;
  special?: boolean;
}

/** Entries per generation of a pre-token cache (two generations are kept). */
const CACHE_LIMIT = 100_000;
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
  private readonly idCache = new PieceCache<number | number[]>(CACHE_LIMIT, CACHED_WORD_LIMIT);
  /** Byte-level pieces → (id, start, end) per token, keyed by the span of the text before its byte-level spelling. */
  private readonly spanCache = new SpanIdCache(CACHE_LIMIT);
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
    if (typeof json === "string") json = parseTokenizerJson(json, file);
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
    if (options.config) tok.config = parseTokenizerConfig(options.config);
    return tok;
  }

  /** Builds a tokenizer from file bytes: tokenizer.json, a tiktoken rank file or a SentencePiece .model. */
  static fromBytes(bytes: Uint8Array, options: LoadOptions = {}): Tokenizer {
    return Tokenizer.fromJSON(parseTokenizerFile(bytes, options), options);
  }

  /** Reads a tokenizer file (Node: installed by the "retoken" entry point). */
  static async fromFile(path: string, options: LoadOptions = {}): Promise<Tokenizer> {
    const bytes = await readFileBytes(path);
    let config = options.config;
    // As transformers' from_pretrained: a tokenizer.json's roles and chat template live in tokenizer_config.json beside it.
    const sibling = /(^|[\\/])tokenizer\.json$/.test(path) ? path.replace(/tokenizer\.json$/, "tokenizer_config.json") : null;
    if (config === undefined && sibling) {
      try {
        config = new TextDecoder().decode(await readFileBytes(sibling));
      } catch (e) {
        if ((e as { code?: string }).code !== "ENOENT") throw e;
      }
      if (typeof config === "string") return Tokenizer.fromBytes(bytes, { ...options, fileName: options.fileName ?? path, config: null }).withConfig(config, sibling);
    }
    return Tokenizer.fromBytes(bytes, { ...options, fileName: options.fileName ?? path });
  }

  /** The special-token roles and chat template of tokenizer_config.json (null when none was loaded). */
  config: TokenizerConfig | null = null;

  /** Sets tokenizer_config.json content (an object or its text) and returns this tokenizer. */
  withConfig(config: JsonObject | string, fileName = "tokenizer_config.json"): this {
    this.config = parseTokenizerConfig(config, fileName);
    return this;
  }

  /** The conversation as the model's chat template writes it (transformers' apply_chat_template with
   * tokenize=False). Needs a chat template: from tokenizer_config.json, or given in options. */
  applyChatTemplate(messages: ChatMessage[], options: ChatTemplateOptions = {}): string {
    return renderChatTemplate(this.config, messages, options);
  }

  get addedTokens(): AddedToken[] {
    return this.vocabulary().tokens;
  }

  set addedTokens(tokens: AddedToken[]) {
    this.added = new AddedVocabulary(tokens, this.normalizer, this.model);
    this.addedFor = { tokens, normalizer: this.normalizer, model: this.model };
  }

  /** The added vocabulary, rebuilt when the normalizer or the model was swapped (normalized tokens and ids depend
   * on them). */
  private vocabulary(): AddedVocabulary {
    if (this.callVocabulary) return this.callVocabulary;
    if (this.addedFor.normalizer !== this.normalizer || this.addedFor.model !== this.model) this.addedTokens = this.addedFor.tokens;
    return this.added;
  }

  /** The added vocabulary of one encode call under tiktoken's special-token rule (see EncodeOptions). */
  private callVocabulary: AddedVocabulary | null = null;
  private readonly plainSpecialVocabularies = new Map<string, { base: AddedVocabulary; vocabulary: AddedVocabulary }>();

  /** Adds tokens at run time (HF's add_tokens): a token the model knows keeps its id, others get the next free ids.
   * Returns how many were new; an identical token already added is skipped. */
  addTokens(tokens: (string | AddedTokenInput)[]): number {
    return this.addTokenList(tokens, false);
  }

  /** Adds special tokens at run time (HF's add_special_tokens): never split, skipped by decode(skipSpecialTokens). */
  addSpecialTokens(tokens: (string | AddedTokenInput)[]): number {
    return this.addTokenList(tokens, true);
  }

  private addTokenList(tokens: (string | AddedTokenInput)[], special: boolean): number {
    if (!Array.isArray(tokens)) throw new TokenizerError("addTokens: expected a list of strings or {content} objects");
    const list = [...this.vocabulary().tokens];
    let added = 0;
    tokens.forEach((t, i) => {
      const input = typeof t === "string" ? { content: t } : t;
      if (!input || typeof input.content !== "string") throw new TokenizerError(`addTokens: token ${i} needs a string content`);
      if (input.content.length === 0) return;
      const isSpecial = input.special ?? special;
      const token: AddedToken = {
        id: -1,
        content: input.content,
        singleWord: input.singleWord ?? false,
        lstrip: input.lstrip ?? false,
        rstrip: input.rstrip ?? false,
        normalized: input.normalized ?? !isSpecial,
        special: isSpecial,
      };
      const at = list.findIndex((x) => x.content === token.content);
      if (at >= 0) {
        const old = list[at]!;
        if (old.singleWord === token.singleWord && old.lstrip === token.lstrip && old.rstrip === token.rstrip && old.normalized === token.normalized && old.special === token.special) return;
        // Matches HF: the same content with other flags replaces the entry and keeps its id.
        list[at] = { ...token, id: old.id };
      } else list.push(token);
      added++;
    });
    if (added > 0) this.addedTokens = list;
    return added;
  }

  /** Sets this call's truncation, padding and special-token rule around `run`, then restores the tokenizer's. */
  private withCallOptions<T>(options: EncodeOptions, texts: () => string[], run: () => T): T {
    const { truncation, padding, allowedSpecial, disallowedSpecial } = options;
    const specialRule = allowedSpecial !== undefined || disallowedSpecial !== undefined;
    if (truncation === undefined && padding === undefined && !specialRule) return run();
    if (truncation) checkTruncation(truncation);
    const saved = { truncation: this.truncation, padding: this.padding };
    const vocabulary = specialRule ? this.specialRuleVocabulary(allowedSpecial, disallowedSpecial, texts()) : null;
    if (truncation !== undefined) this.truncation = truncation;
    if (padding !== undefined) this.padding = padding;
    this.callVocabulary = vocabulary;
    try {
      return run();
    } finally {
      this.truncation = saved.truncation;
      this.padding = saved.padding;
      this.callVocabulary = null;
    }
  }

  /** tiktoken's rule: disallowed specials in the text are an error, specials not allowed are plain text. */
  private specialRuleVocabulary(allowedSpecial: EncodeOptions["allowedSpecial"], disallowedSpecial: EncodeOptions["disallowedSpecial"], texts: string[]): AddedVocabulary {
    const base = this.vocabulary();
    const specials = base.tokens.filter((t) => t.special).map((t) => t.content);
    const allowed = new Set(allowedSpecial === "all" ? specials : (allowedSpecial ?? []));
    const disallowed = (disallowedSpecial ?? "all") === "all" ? specials.filter((t) => !allowed.has(t)) : [...(disallowedSpecial as Iterable<string>)];
    for (const text of texts) {
      for (const token of disallowed) {
        const at = text.indexOf(token);
        if (at >= 0) {
          throw new TokenizerError(
            `encode: the text holds the special token ${JSON.stringify(token)} at position ${at}, which is disallowed (list it in allowedSpecial to encode it as that token, or leave it out of disallowedSpecial to encode it as text)`,
            this.fileName,
          );
        }
      }
    }
    const plain = specials.filter((t) => !allowed.has(t));
    const key = plain.sort().join("\u0000");
    const cached = this.plainSpecialVocabularies.get(key);
    if (cached && cached.base === base) return cached.vocabulary;
    const vocabulary = new AddedVocabulary(base.tokens, this.normalizer, this.model, new Set(plain));
    if (this.plainSpecialVocabularies.size > 16) this.plainSpecialVocabularies.clear();
    this.plainSpecialVocabularies.set(key, { base, vocabulary });
    return vocabulary;
  }

  /** How this tokenizer spells bytes in its tokens (byte-level alphabet, <0xNN> pieces, ▁ for spaces, WordPiece's ##). */
  spelling(): TokenSpelling {
    const stage = (o: { toJSON(): JsonObject } | null): Json => (o ? o.toJSON() : null);
    const m = this.model as { byteFallback?: boolean; continuingSubwordPrefix?: string };
    const model: JsonObject = { type: this.model.type, byte_fallback: m.byteFallback === true, ...(m.continuingSubwordPrefix !== undefined ? { continuing_subword_prefix: m.continuingSubwordPrefix } : {}) };
    return tokenSpelling({ pre_tokenizer: stage(this.preTokenizer), decoder: stage(this.decoder), normalizer: stage(this.normalizer), model });
  }

  /**
   * Ids of raw bytes, for byte-level tokenizers (GPT-2, tiktoken encodings, Llama 3): valid UTF-8 stretches encode as
   * that text does (special tokens read as text, as tiktoken's encode_ordinary), each stretch of invalid bytes as one
   * piece of byte tokens merged by the model. decodeBytes gives the bytes back exactly.
   */
  encodeBytes(bytes: Uint8Array, options: { addSpecialTokens?: boolean } = {}): number[] {
    if (!(bytes instanceof Uint8Array)) throw new TokenizerError("encodeBytes: expected a Uint8Array");
    if (!this.spelling().byteLevel) throw new TokenizerError("encodeBytes: needs a byte-level tokenizer (ByteLevel pre-tokenizer or decoder); other tokenizers read text only", this.fileName);
    const alphabet = byteLevelAlphabet();
    const ids: number[] = [];
    const asText = { addSpecialTokens: false, allowedSpecial: [] as string[], disallowedSpecial: [] as string[] };
    for (let i = 0; i < bytes.length; ) {
      const end = validUtf8End(bytes, i);
      if (end > i) {
        for (const id of this.encodeIds(utf8Strict.decode(bytes.subarray(i, end)), asText)) ids.push(id);
        i = end;
        continue;
      }
      let j = i + 1;
      while (j < bytes.length && validUtf8End(bytes, j) === j) j++;
      let spelled = "";
      for (let k = i; k < j; k++) spelled += alphabet[bytes[k]!];
      for (const t of this.model.tokenize(spelled)) ids.push(t.id);
      i = j;
    }
    if (!(options.addSpecialTokens ?? true) || !this.postProcessor) return ids;
    return this.postProcess(new Encoding({ ids, inputs: [""] }), null, true).ids;
  }

  /** The bytes the ids stand for (no UTF-8 decoding, so a cut character stays cut): byte-level and <0xNN> tokens as
   * their bytes, added tokens as their UTF-8. */
  decodeBytes(ids: ArrayLike<number>, options: DecodeOptions = {}): Uint8Array {
    const spelling = this.spelling();
    const vocab = this.vocabulary();
    const parts: Uint8Array[] = [];
    let total = 0;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      const added = vocab.idToToken(id);
      const token = added ?? this.model.idToToken(id);
      if (token === undefined) throw this.unknownIdError(id, i);
      if (options.skipSpecialTokens && vocab.isSpecialToken(token)) continue;
      const bytes = canonicalToken(token, spelling, added !== undefined).bytes;
      parts.push(bytes);
      total += bytes.length;
    }
    const out = new Uint8Array(total);
    let o = 0;
    for (const p of parts) (out.set(p, o), (o += p.length));
    return out;
  }

  /** How many tokens encodeIds gives for `text` (special tokens of the post-processor included unless switched off). */
  countTokens(text: string, options: EncodeOptions = {}): number {
    return this.encodeIds(text, options).length;
  }

  /** The token count of `text` if it is at most `limit`, else false (gpt-tokenizer's isWithinTokenLimit). */
  isWithinTokenLimit(text: string, limit: number, options: EncodeOptions = {}): number | false {
    if (!(limit >= 0)) throw new TokenizerError(`isWithinTokenLimit: limit must be a number ≥ 0, got ${limit}`);
    const n = this.countTokens(text, options);
    return n <= limit ? n : false;
  }

  setTruncation(o: TruncationOptions | null): void {
    this.truncation = o;
  }

  setPadding(o: PaddingOptions | null): void {
    this.padding = o;
  }

  /** Clears the pre-token caches when a stage was swapped. */
  private checkCaches(): void {
    const c = this.cacheOwner;
    if (c[0] !== this.model || c[1] !== this.normalizer || c[2] !== this.preTokenizer) {
      this.idCache.clear();
      this.spanCache.clear();
      this.cacheOwner = [this.model, this.normalizer, this.preTokenizer];
    }
  }

  /** A piece's tokens for the general pipeline: its ids through the id cache, spelled by the model where it can (one
   * cache of pieces, not a second one of tokens). */
  private tokenizePiece = (piece: string): Token[] => {
    const ids: number[] = [];
    this.appendIds(piece, ids);
    const spelling = this.model.idSpelling?.();
    return (spelling && spellPiece(piece, ids, 0, ids.length, spelling)) || this.model.tokenize(piece);
  };

  private planFor: PreTokenizer | null | undefined = undefined;
  private plan: ByteLevelPlan | null = null;

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
    if (plan) {
      const sink: ByteLevelSink = { ids: [], pieces: [], modelTokens: [] };
      const model = this.model;
      encodeByteLevel(text, plan, this.vocabulary(), model, this.spanCache, sink);
      return Encoding.deferred(sink.ids, typeId === 1 ? ["", text] : [text], () => byteLevelFields(text, model, sink), { typeId, sequenceId: typeId });
    }
    return pipelineEncoding(text, typeId, this.vocabulary(), this.normalizer, this.preTokenizer, this.tokenizePiece, limit);
  }

  /** Whether encodeIds' text-only path gives encode()'s ids: every stage has its text-only method, and no truncation
   * (which stops the model early at a word boundary, as HF does: only the full path does that). */
  private idsPathApplies(): boolean {
    const n = this.normalizer;
    const pt = this.preTokenizer;
    return !((n && !n.normalizeText) || (pt && !pt.preTokenizeText) || this.truncation);
  }

  /** A first sequence by encodeIds' path, its other fields by the general pipeline when first read — with the stages
   * of now, whatever is swapped or added in between. Null where encodeIds' path does not apply. */
  private deferredSequence(text: string): Encoding | null {
    if (!this.idsPathApplies()) return null;
    const n = this.normalizer;
    const pt = this.preTokenizer;
    const vocab = this.vocabulary();
    const ids: number[] = [];
    const pieces: PieceIds = { spans: [], texts: [] };
    this.appendPipelineIds(text, vocab, ids, pieces);
    const model = this.model;
    return Encoding.deferred(ids, [text], () => {
      // Through the piece cache while the model is the one that gave the ids. (No arrow function bound to a name
      // here or in fieldsFromIds: tsx, which runs the benchmarks, names each such closure when made, ~6% of encode().)
      const tokenize = this.model === model ? this.tokenizePiece : model.tokenize.bind(model);
      const p = preTokenized(text, vocab, n, pt);
      const fields = p.fieldsFromIds(ids, pieces, model.idSpelling?.() ?? null, tokenize);
      if (fields) return fields;
      p.tokenize(tokenize);
      const e = p.intoEncoding(0, 0, text);
      return { tokens: e.tokens, offsetSpans: e.heldSpans(), wordIds: e.wordIds };
    });
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

  /** Encodes a text, or a pre-tokenized text (an array of words: each word is tokenized on its own, its tokens get
   * its index as word id and offsets within the word, as HF's is_pretokenized). */
  encode(input: string | string[], options: EncodeOptions = {}): Encoding {
    if (options.truncation !== undefined || options.padding !== undefined || options.allowedSpecial !== undefined || options.disallowedSpecial !== undefined) {
      const texts = () => [input, options.pair ?? []].flat();
      return this.withCallOptions(options, texts, () => this.encode(input, { addSpecialTokens: options.addSpecialTokens, pair: options.pair }));
    }
    this.checkCaches();
    const addSpecial = options.addSpecialTokens ?? true;
    if (options.pair === undefined && !this.truncation && !this.padding && typeof input === "string" && (this.normalizer || !this.currentPlan())) {
      const layout = this.singleLayout(addSpecial);
      const a = layout && this.deferredSequence(wellFormed(input));
      if (a) return placeSingle(a, layout);
    }
    const a = this.encodeInput(input, 0);
    if (options.pair === undefined && !this.truncation && !this.padding) {
      const layout = this.singleLayout(addSpecial);
      if (layout) return placeSingle(a, layout);
    }
    const b = options.pair === undefined ? null : this.encodeInput(options.pair, 1);
    return this.postProcess(a, b, addSpecial);
  }

  private encodeInput(input: string | string[], typeId: 0 | 1): Encoding {
    if (typeof input === "string") return this.encodeSequence(wellFormed(input), typeId);
    if (!Array.isArray(input)) throw new TokenizerError(`encode: expected a string or an array of words, got ${typeof input}`);
    const parts = input.map((word, i) => {
      if (typeof word !== "string") throw new TokenizerError(`encode: pre-tokenized input: word ${i} is not a string`);
      return this.encodeSequence(wellFormed(word), typeId);
    });
    // One concatenation (merging pairwise would copy the arrays once per word).
    const e = new Encoding({
      ids: parts.flatMap((p) => p.ids),
      typeIds: parts.flatMap((p) => p.typeIds),
      tokens: parts.flatMap((p) => p.tokens),
      offsets: parts.flatMap((p) => p.offsets),
      wordIds: parts.flatMap((p, i) => p.ids.map(() => i)),
      specialTokensMask: parts.flatMap((p) => p.specialTokensMask),
      attentionMask: parts.flatMap((p) => p.attentionMask),
      sequenceIds: parts.flatMap((p) => p.sequenceIds),
      inputs: [],
    });
    return e;
  }

  /** The ids of encode(text).ids, skipping offsets and alignments where every stage allows it. */
  encodeIds(text: string, options: EncodeOptions = {}): number[] {
    if (options.pair !== undefined) return this.encode(text, options).ids;
    if (options.truncation !== undefined || options.padding !== undefined || options.allowedSpecial !== undefined || options.disallowedSpecial !== undefined) {
      return this.withCallOptions(options, () => [text], () => this.encodeIds(text, { addSpecialTokens: options.addSpecialTokens }));
    }
    if (!this.idsPathApplies()) return this.encode(text, options).ids;
    const n = this.normalizer;
    this.checkCaches();
    text = wellFormed(text);
    const vocab = this.vocabulary();
    const plan = n ? null : this.currentPlan();
    const ids: number[] = [];
    if (plan) encodeByteLevel(text, plan, vocab, this.model, this.spanCache, { ids, pieces: null, modelTokens: null });
    else this.appendPipelineIds(text, vocab, ids);
    if (!this.padding) {
      const layout = this.singleLayout(options.addSpecialTokens ?? true);
      if (layout) return layout.before.ids.length === 0 && layout.after.ids.length === 0 ? ids : layout.before.ids.concat(ids, layout.after.ids);
    }
    const e = new Encoding({ ids, inputs: [text] });
    return this.postProcess(e, null, options.addSpecialTokens ?? true).ids;
  }

  /** encodeIds' path for tokenizers other than plain byte-level ones: added tokens, then each stage's text-only
   * method (no alignments), then the model through the piece cache. `pieces` (if given) gets each non-empty piece
   * the model tokenized and the range [start, end) of its ids, in order. */
  private appendPipelineIds(text: string, vocab: AddedVocabulary, ids: number[], pieces: PieceIds | null = null): void {
    const n = this.normalizer;
    const pt = this.preTokenizer;
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
        parts.length = 0;
        if (preTokenize) preTokenize(piece, nStarts[j] === 0, parts);
        else parts.push(piece);
        for (const part of parts) {
          const from = ids.length;
          this.appendIds(part, ids);
          if (pieces && part.length > 0) {
            pieces.spans.push(from, ids.length);
            pieces.texts.push(part);
          }
        }
      }
    }
  }

  private layoutCache: { processor: PostProcessor | null; add: boolean; layout: SingleLayout | null } | null = null;

  /** What the post-processor does to a single sequence, when all it does is put fixed tokens around it and set the
   * sequence's fields: found once by processing one- and two-token marker encodings (null if that does not hold, e.g.
   * when it trims offsets by token text). encode() and encodeIds() then place a sequence without the general path. */
  private singleLayout(add: boolean): SingleLayout | null {
    const c = this.layoutCache;
    if (c && c.processor === this.postProcessor && c.add === add) return c.layout;
    let layout: SingleLayout | null = null;
    try {
      layout = probeSingleLayout((e) => (this.postProcessor ? this.postProcessor.process(e, null, add) : defaultProcess(e, null)));
    } catch {
      layout = null;
    }
    this.layoutCache = { processor: this.postProcessor, add, layout };
    return layout;
  }

  private modelIds(piece: string): number[] {
    if (!this.model.tokenizeIds) return this.model.tokenize(piece).map((t) => t.id);
    const ids: number[] = [];
    this.model.tokenizeIds(piece, ids);
    return ids;
  }

  private appendIds(piece: string, out: number[]): void {
    if (this.model.deterministic === false) {
      // Dropout: every call draws anew (HF keeps no cache then either).
      for (const id of this.modelIds(piece)) out.push(id);
      return;
    }
    const c = this.idCache.get(piece);
    if (typeof c === "number") {
      out.push(c);
      return;
    }
    if (c !== undefined) {
      for (let k = 0; k < c.length; k++) out.push(c[k]!);
      return;
    }
    if (piece.length >= this.idCache.maxKey && this.model.tokenizeIds) {
      // Not cached: straight into `out`, with no array of its own (a long piece has as many ids as a text).
      this.model.tokenizeIds(piece, out);
      return;
    }
    const ids = this.modelIds(piece);
    // Most pieces are one token: keep the id itself (no array to allocate or walk).
    this.idCache.set(piece, ids.length === 1 ? ids[0]! : ids);
    for (let k = 0; k < ids.length; k++) out.push(ids[k]!);
  }


  /** Encodes many inputs (a string or a [first, second] pair each), then pads them together. */
  encodeBatch(inputs: (string | [string, string])[], options: Omit<EncodeOptions, "pair"> = {}): Encoding[] {
    const padding = options.padding !== undefined ? options.padding : this.padding;
    const one = { ...options, padding: null };
    const out = inputs.map((x) => (typeof x === "string" ? this.encode(x, one) : this.encode(x[0], { ...one, pair: x[1] })));
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
        return t !== undefined && byteFallbackValue(t) >= 0 && this.vocabulary().idToToken(id) === undefined;
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

/** A post-processor's effect on one sequence: the tokens it puts before and after, the fields it gives the
 * sequence's tokens, and its sequence ranges with the marker token at `before.length`. */
interface SingleLayout {
  before: Encoding;
  after: Encoding;
  typeId: number;
  sequenceId: number | null;
  ranges: [number, [number, number]][] | null;
}

/** A marker sequence of n tokens: text a trimming processor would change (leading and trailing "Ġ"), distinct ids. */
function markerEncoding(n: number): Encoding {
  const ids = Array.from({ length: n }, (_, i) => -1 - i);
  return new Encoding({
    ids,
    tokens: ids.map(() => "\u0120\u0120x\u0120"),
    offsets: ids.map((_, i) => [4 * i, 4 * i + 4] as [number, number]),
    wordIds: ids.map((_, i) => 7 + i),
    inputs: ["\u0120\u0120x\u0120".repeat(n)],
  });
}

/** The layout of `process` (see Tokenizer.singleLayout), or null when the marker tokens do not come out unchanged
 * and contiguous, with the same fields, between a fixed prefix and suffix. */
function probeSingleLayout(process: (e: Encoding) => Encoding): SingleLayout | null {
  const one = process(markerEncoding(1));
  const two = process(markerEncoding(2));
  const at = one.ids.indexOf(-1);
  if (at < 0 || one.ids.lastIndexOf(-1) !== at || two.ids.length !== one.ids.length + 1 || two.ids[at] !== -1 || two.ids[at + 1] !== -2) return null;
  if (one.overflowing.length > 0 || two.overflowing.length > 0) return null;
  const fields = (e: Encoding, i: number) => [e.tokens[i], e.typeIds[i], e.specialTokensMask[i], e.attentionMask[i], e.sequenceIds[i]];
  const same = (x: unknown[], y: unknown[]) => x.length === y.length && x.every((v, i) => v === y[i]);
  const mid = fields(one, at);
  if (!same(mid, fields(two, at)) || !same(mid, fields(two, at + 1)) || mid[0] !== "\u0120\u0120x\u0120" || mid[2] !== 0 || mid[3] !== 1) return null;
  if (!same([one.wordIds[at], two.wordIds[at], two.wordIds[at + 1]], [7, 7, 8])) return null;
  if (!same(one.offsets[at]!, [0, 4]) || !same(two.offsets[at]!, [0, 4]) || !same(two.offsets[at + 1]!, [4, 8])) return null;
  const pre = at;
  const post = one.ids.length - at - 1;
  for (let k = 0; k < pre; k++) if (!same(fields(one, k), fields(two, k)) || one.ids[k] !== two.ids[k]) return null;
  for (let k = 1; k <= post; k++) if (!same(fields(one, one.ids.length - k), fields(two, two.ids.length - k)) || one.ids[one.ids.length - k] !== two.ids[two.ids.length - k]) return null;
  const part = (s: number, t: number) =>
    new Encoding({
      ids: one.ids.slice(s, t),
      tokens: one.tokens.slice(s, t),
      typeIds: one.typeIds.slice(s, t),
      offsets: one.offsets.slice(s, t),
      wordIds: one.wordIds.slice(s, t),
      specialTokensMask: one.specialTokensMask.slice(s, t),
      attentionMask: one.attentionMask.slice(s, t),
      sequenceIds: one.sequenceIds.slice(s, t),
    });
  return { before: part(0, pre), after: part(pre + 1, one.ids.length), typeId: mid[1] as number, sequenceId: mid[4] as number | null, ranges: sequenceRangeEntries(one) };
}

/** One sequence through added tokens, the normalizer, the pre-tokenizer and the model, with alignments (the general
 * path). `limit`: HF's early exit under truncation. */
/** The text through added tokens, normalizer and pre-tokenizer: its pieces, not yet tokenized. */
function preTokenized(text: string, vocab: AddedVocabulary, normalizer: Normalizer | null, preTokenizer: PreTokenizer | null): PreTokenizedString {
  const p = new PreTokenizedString(text);
  vocab.extractAndNormalize(p, normalizer);
  preTokenizer?.preTokenize(p);
  return p;
}

function pipelineEncoding(text: string, typeId: 0 | 1, vocab: AddedVocabulary, normalizer: Normalizer | null, preTokenizer: PreTokenizer | null, tokenize: (piece: string) => Token[], limit: ReturnType<typeof tokenizationLimit>): Encoding {
  const p = preTokenized(text, vocab, normalizer, preTokenizer);
  if (limit) p.tokenizeWithLimit(tokenize, limit.maxTokens, limit.direction);
  else p.tokenize(tokenize);
  return p.intoEncoding(typeId, typeId, text);
}

/** `a` (one sequence, fresh from the model) as the post-processor of `layout` gives it back. Its fields other than
 * the ids are placed when first read. */
function placeSingle(a: Encoding, layout: SingleLayout): Encoding {
  const n = a.ids.length;
  const { before, after } = layout;
  const input = a.inputs[0] ?? "";
  let e: Encoding;
  if (before.ids.length === 0 && after.ids.length === 0 && layout.typeId === 0 && layout.sequenceId === 0) {
    // A first sequence comes with type and sequence ids 0: nothing to place.
    e = a;
    if (a.inputs.length !== 1) e.inputs = [input];
  } else {
    e = Encoding.deferred(before.ids.length === 0 && after.ids.length === 0 ? a.ids : before.ids.concat(a.ids, after.ids), [input], () => {
      const typeIds = layout.typeId === 0 ? a.typeIds : new Array<number>(n).fill(layout.typeId);
      const sequenceIds = layout.sequenceId === 0 ? a.sequenceIds : new Array<number | null>(n).fill(layout.sequenceId);
      const parts = [before.heldSpans(), a.heldSpans(), after.heldSpans()];
      const offsetSpans = new Int32Array(parts.reduce((k, p) => k + p.length, 0));
      parts.reduce((at, p) => (offsetSpans.set(p, at), at + p.length), 0);
      return {
        tokens: before.tokens.concat(a.tokens, after.tokens),
        offsetSpans,
        wordIds: before.wordIds.concat(a.wordIds, after.wordIds),
        typeIds: before.typeIds.concat(typeIds, after.typeIds),
        specialTokensMask: before.specialTokensMask.concat(a.specialTokensMask, after.specialTokensMask),
        attentionMask: before.attentionMask.concat(a.attentionMask, after.attentionMask),
        sequenceIds: before.sequenceIds.concat(sequenceIds, after.sequenceIds),
      };
    });
  }
  // The ranges as the processor set them, the marker's one position stretched to the n tokens.
  if (layout.ranges) {
    const at = before.ids.length;
    const ranges = new Map<number, [number, number]>();
    for (const [k, [s, t]] of layout.ranges) ranges.set(k, [s > at ? s + n - 1 : s, t > at ? t + n - 1 : t]);
    e.sequenceRanges = ranges;
  }
  return e;
}

const utf8Strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** The end of the longest valid UTF-8 stretch of `bytes` that starts at `start` (= start when the first byte is bad). */
function validUtf8End(bytes: Uint8Array, start: number): number {
  let i = start;
  while (i < bytes.length) {
    const b = bytes[i]!;
    let n: number;
    let min: number;
    if (b < 0x80) {
      i++;
      continue;
    } else if (b >= 0xc2 && b <= 0xdf) (n = 1), (min = 0x80);
    else if (b >= 0xe0 && b <= 0xef) (n = 2), (min = 0x800);
    else if (b >= 0xf0 && b <= 0xf4) (n = 3), (min = 0x10000);
    else break;
    let cp = b & (0x3f >> n);
    let ok = true;
    for (let k = 1; k <= n; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) {
        ok = false;
        break;
      }
      cp = (cp << 6) | (c & 0x3f);
    }
    // Overlong forms, surrogates and code points past U+10FFFF are invalid, as TextDecoder's fatal mode says.
    if (!ok || cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) break;
    i += n + 1;
  }
  return i;
}

/** Checks per-call truncation options (the tokenizer.json reader checks its own). */
function checkTruncation(t: TruncationOptions): void {
  const where = "encode: truncation";
  if (!t || typeof t !== "object") throw new TokenizerError(`expected {maxLength, stride?, strategy?, direction?} or null`, where);
  if (!Number.isInteger(t.maxLength) || t.maxLength < 0) throw new TokenizerError(`maxLength must be an integer ≥ 0, got ${t.maxLength}`, where);
  if (t.stride !== undefined && (!Number.isInteger(t.stride) || t.stride < 0)) throw new TokenizerError(`stride must be an integer ≥ 0, got ${t.stride}`, where);
  if (t.strategy !== undefined && !["LongestFirst", "OnlyFirst", "OnlySecond"].includes(t.strategy)) throw new TokenizerError(`strategy must be LongestFirst, OnlyFirst or OnlySecond, got ${JSON.stringify(t.strategy)}`, where);
  if (t.direction !== undefined && t.direction !== "Left" && t.direction !== "Right") throw new TokenizerError(`direction must be "Left" or "Right", got ${JSON.stringify(t.direction)}`, where);
}
