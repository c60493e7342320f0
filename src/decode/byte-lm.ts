// A token-level language model read byte by byte, exactly (Phan et al., ICLR 2025; ByteSampler's covering tree).
//
// Definitions. The model scores token sequences after a context (its start token). A text T is spelled by the
// tokenizer as X = encodePrefix + T (SentencePiece's dummy-prefix space; empty for byte-level BPE and tiktoken).
// A token sequence is *canonical* when it begins the tokenizer's encoding of some text: every adjacent pair passes
// the tokenizer's pair rule and the first token can start a text (BPE family), or re-encoding its text gives it back
// (Unigram, WordPiece). A sequence that ends inside a UTF-8 character counts when some completion of that character
// gives it back. A *cover* of X is a canonical sequence t₁…t_k whose first k − 1 tokens spell a strict prefix of X
// and whose last token reaches or passes the end of X. Then
//   A(X) = Σ_{covers t of X} P(t | context)                    (prefix mass)
//   E(X) = P(enc(T) | context) · P(end token | enc(T), context) (document mass: the only canonical sequence spelling
//                                                               exactly X that the tokenizer itself produces)
// and the next-byte distribution is normalised over 257 outcomes, 256 bytes and the end of text:
//   P(b | X) = A(X·b) / Z,  P(end | X) = E(X) / Z,  Z = Σ_b A(X·b) + E(X) ≤ A(X).
// Z < A(X) exactly by the mass the model puts on non-canonical continuations. A byte that no UTF-8 text continues
// with gets 0, and the text may end only between characters. Special and added tokens are never text.
//
// The streaming structure: every canonical sequence that spells a prefix X[0, j) and can still be continued by a
// token matching X[j…] is a node (its KV cache and next-token log-probabilities kept while it lives). Pushing a byte
// creates the children that end exactly there — one model call each, about one per byte — and drops nodes no token
// continues. The next-byte distribution reads the live nodes' kept distributions through the byte-sorted vocabulary.
import type { Tokenizer } from "../tokenize/tokenizer.js";
import type { TokenLM, TokenState } from "../lm/token-lm.js";
import { UnigramModel } from "../tokenize/models/unigram.js";
import { isByteFallbackPiece } from "../tokenize/decoders/byte-fallback.js";
import { canonicality, type Canonicality } from "./canonical.js";
import type { TokenByteTable, TrieRange } from "./token-bytes.js";
import { UTF8_START, characterEndings, concatBytes, continuationTails, utf8Run, utf8Step, type Utf8State } from "./utf8.js";

/** Index of the end-of-text outcome in a 257-way distribution (bytes are 0…255). */
export const END_OF_TEXT = 256;
export const BYTE_OUTCOMES = 257;

export interface NextBytes {
  /** log P(outcome | text so far) for bytes 0…255 and END_OF_TEXT, normalised over the 257 outcomes. */
  logProbs: Float64Array;
  /** Unnormalised: log A(X·b) for each byte, log E(X) at END_OF_TEXT (−Infinity where there is none); relative to
   * the context, so logMass[END_OF_TEXT] after a whole text is the log-probability of its canonical encoding. */
  logMass: Float64Array;
}

/** What a byte-level model offers: the next-byte distribution, and appending bytes. Ensembles nest (ensemble.ts). */
export interface ByteModel {
  next(): Promise<NextBytes>;
  push(byte: number): Promise<void>;
  /** Model calls so far (all members). */
  readonly forwardPasses: number;
  close(): void;
}

export interface ByteLMOptions {
  /** Token ids before the text (default: the model's start token). The text after them is encoded on its own, as
   * after a special token. */
  context?: readonly number[];
}

/** A canonical sequence reaching or passing the end of the text (ByteLM.covers). */
export interface Cover {
  /** The cover without its last token. */
  readonly parent: CoverNode;
  readonly token: number;
  /** log P(cover | context). */
  readonly logP: number;
  /** The live node of the whole cover when it ends exactly at the text's end (its state is after the cover). */
  readonly whole: CoverNode | null;
}

/** A canonical sequence spelling X[0, end) after the context. */
export interface CoverNode {
  /** The last token (−1: the root, no text token yet). */
  readonly token: number;
  readonly parent: CoverNode | null;
  readonly end: number;
  /** log P(tokens of this node | context). */
  readonly logP: number;
  /** What the pre-tokenizer sees around the end of the last token. */
  readonly context: PairContext;
  /** The model after this node's tokens, and its next-token log-probabilities; null once the node is dropped. */
  state: TokenState | null;
  logProbs: Float64Array | null;
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const utf8 = new TextEncoder();

/** Completing a character a token ends inside: the first missing byte takes each of these values (within the lead
 * byte's range), the later ones each of utf8.ts's continuationTails. */
const FIRST_CONTINUATIONS = Array.from({ length: 64 }, (_, i) => 0x80 + i);
/** Left tokens whose pair verdicts are cached at once. */
const MAX_PAIR_ROWS = 1024;
/** The text a piece-local run is checked after (CoverRule's anchor). */
const ANCHOR_TEXT = "x";
/** Texts tried after a first token whose own text encodes differently (SentencePiece's lone "▁" begins " x"). */
const START_PROBES = ["x", "a", "0", " ", "\n", ".", "é", "中"];

/** The context of the text's first token. */
const START_CONTEXT = "^";
/** Characters before a token's last TAIL_CHARS that a signature keeps (regex matches are decided a few characters
 * back: a space or mark before letters, up to three digits, a whitespace run's lookahead). */
const WARMUP_CHARS = 3;
const TAIL_CHARS = 4;

/** A character's stand-in for the regex pre-tokenizers: its class is what moves their splits. Apostrophes, the ASCII
 * letters after one (contractions), spaces and line breaks are kept as they are. */
function classOf(ch: string, afterApostrophe: boolean): string {
  if (ch === "\n" || ch === "\r" || ch === "'" || ch === " ") return ch;
  if (afterApostrophe && /^[A-Za-z]$/.test(ch)) return ch;
  if (/\p{L}/u.test(ch)) return "a";
  if (/\p{N}/u.test(ch)) return "0";
  if (/\s/u.test(ch)) return "\t";
  return ".";
}

function classesOf(chars: readonly string[]): string {
  let out = "";
  let apostrophe = false;
  for (const ch of chars) {
    out += classOf(ch, apostrophe);
    apostrophe = ch === "'" || (apostrophe && /^[A-Za-z]$/.test(ch));
  }
  return out;
}

/** What the pre-tokenizer's verdict on "left token, then some right token" depends on (byte-level regex
 * pre-tokenizers): the classes of the characters around the end of the left token. */
export interface PairContext {
  /** Cache key. */
  readonly key: string;
  /** The classes of up to WARMUP_CHARS characters before the checked part, then of the checked part (the left
   * token's last TAIL_CHARS characters). */
  readonly signature: string;
  /** Offset of the checked part in the signature; a cut there is allowed only when it is the whole left token. */
  readonly checkFrom: number;
  readonly wholeLeft: boolean;
  /** The text's start: pairs are decided by re-encoding (HF's Metaspace puts no dummy space before a text that starts
   * with one). */
  readonly atStart: boolean;
}

const startPair: PairContext = { key: START_CONTEXT, signature: "", checkFrom: 0, wholeLeft: true, atStart: true };
const opaquePair: PairContext = { key: "?", signature: "", checkFrom: 0, wholeLeft: true, atStart: false };

/**
 * Which token may extend a canonical sequence. BPE family: the model-level pair rule (the merges never join across
 * the boundary) where the pre-tokenizer, run on the pair in its actual context, keeps both tokens whole; a cut
 * exactly between them frees the pair. The context matters: GPT-2's regex cuts "'d" out of "cat'de" but not out of
 * "x 'de", so a pair alone (Canonicality.validPair: valid in some context) is not enough. The context is reduced to
 * character classes (PairContext), so one pre-tokenizer verdict row serves every token with the same surroundings.
 * Unigram and WordPiece: re-encoding the sequence's text. One per tokenizer: its caches are per tokenizer.
 */
export class CoverRule {
  readonly table: TokenByteTable;
  /** Per id: 1 may start a text, 0 not, −1 not known yet. */
  private readonly startOk: Int8Array;
  /** Per pair-context key: the pre-tokenizer's verdict on each right id (−1 not known, 0 a cut inside a token, 1 a
   * cut between them, 2 no cut). */
  private readonly verdicts = new Map<string, Int8Array>();
  /** Per left id: the model-level pair rule on each right id (−1 not known, 0/1). */
  private readonly merges = new Map<number, Int8Array>();
  /** Per sequence that spells only the start of the text (the encode prefix and the first token): re-encoding
   * verdicts (−1/0/1). */
  private readonly starts = new Map<string, Int8Array>();
  /** Piece-local tokenizers (pieceLocal): re-encoding verdicts per run of tokens since the last piece start. */
  private readonly pieces = new Map<string, Int8Array>();
  /**
   * Unigram under Metaspace (split, "always" prepend) with no normalizer: each "▁"-piece is encoded on its own, so
   * whether a token may follow depends only on the tokens since the last piece start (a token whose bytes begin with
   * the space); the pieces before are already canonical in every node. Re-encoding that run, not the whole text,
   * keeps the verdict and makes it shareable between nodes. The run is checked after `anchor` (the encoding of "x"),
   * so that it stands inside a text: at a text's start Metaspace adds no "▁" before a space, and a run starting
   * with a lone "▁" would read differently.
   */
  private readonly pieceLocal: boolean;
  private readonly anchor: number[];
  private readonly unreachable: Set<number>;
  /** Byte-level regex pre-tokenizer: pieces are one character per byte, so cuts are byte offsets. */
  private readonly pretokenize: ((text: string) => string[]) | null;
  private readonly modelPair: (left: number, right: number) => boolean;
  /** Each token's text (null: not whole characters), made on first use. */
  private readonly texts: (string | null | undefined)[] = [];

  constructor(
    readonly canonical: Canonicality,
    readonly tokenizer: Tokenizer,
  ) {
    this.table = canonical.table;
    this.startOk = new Int8Array(this.table.size).fill(-1);
    this.unreachable = canonical.hasPairRule ? canonical.unreachable() : new Set();
    const withModel = canonical as Canonicality & { modelPair?(left: number, right: number): boolean };
    this.modelPair = withModel.modelPair ? (l, r) => withModel.modelPair!(l, r) : (l, r) => canonical.validPair(l, r);
    const json = tokenizer.toJSON();
    const meta = json.pre_tokenizer as { type?: string; split?: boolean; prepend_scheme?: string } | null | undefined;
    this.anchor = tokenizer.encodeIds(ANCHOR_TEXT, { addSpecialTokens: false });
    this.pieceLocal =
      !canonical.hasPairRule &&
      (json.model as { type?: string }).type === "Unigram" &&
      json.normalizer == null &&
      meta?.type === "Metaspace" &&
      meta.split !== false &&
      meta.prepend_scheme === "always" &&
      canonical.isCanonical(this.anchor);
    const model = tokenizer.model;
    this.unigram =
      this.pieceLocal && model instanceof UnigramModel
        ? {
            model,
            // A piece the Viterbi search uses as such: not the unknown piece, not a byte-fallback piece, not one the
            // search skips.
            isPiece: (id) => id >= 0 && id !== model.unkId && !model.unmatchable.has(id) && !isByteFallbackPiece(model.pieces[id]![0]),
            added: tokenizer.addedTokens.map((t) => t.content).filter((c) => c.length > 0),
          }
        : null;
    const pt = tokenizer.preTokenizer;
    const byteLevel = JSON.stringify(tokenizer.toJSON().pre_tokenizer ?? null).includes('"ByteLevel"');
    this.pretokenize =
      canonical.hasPairRule && byteLevel && pt?.preTokenizeText
        ? (text) => {
            const out: string[] = [];
            pt.preTokenizeText!(text, false, out);
            return out;
          }
        : null;
  }

  private tokenText(id: number): string | null {
    let t = this.texts[id];
    if (t === undefined) {
      try {
        t = strictUtf8.decode(this.table.bytes(id));
      } catch {
        t = null;
      }
      this.texts[id] = t;
    }
    return t;
  }

  /** The pair context of token `left` placed after the text `before` (the text's bytes before it). */
  pairContext(before: Uint8Array, left: number): PairContext {
    if (before.length === 0) return startPair;
    if (!this.pretokenize) return opaquePair;
    const text = this.tokenText(left);
    if (text === null) return opaquePair;
    const leftChars = Array.from(text);
    const tail = leftChars.slice(-TAIL_CHARS);
    let warmup: string[];
    if (leftChars.length > TAIL_CHARS) warmup = leftChars.slice(-TAIL_CHARS - WARMUP_CHARS, -TAIL_CHARS);
    else {
      let from = Math.max(0, before.length - 4 * WARMUP_CHARS);
      while (from < before.length && (before[from]! & 0xc0) === 0x80) from++;
      let prior: string;
      try {
        prior = strictUtf8.decode(before.subarray(from));
      } catch {
        return opaquePair;
      }
      warmup = Array.from(prior).slice(-WARMUP_CHARS);
    }
    const signature = classesOf([...warmup, ...tail]);
    const wholeLeft = leftChars.length <= TAIL_CHARS;
    return { key: `${signature}|${warmup.length}|${wholeLeft ? "w" : "s"}`, signature, checkFrom: warmup.length, wholeLeft, atStart: false };
  }

  /** Whether `ids` (text tokens after the context) begin the encoding of some text that the tokenizer gives back. */
  prefixCanonical(ids: readonly number[]): boolean {
    if (this.canonical.continuesThrough(ids)) return true;
    // A lone first token whose own text encodes otherwise may still begin a longer text ("▁" before "▁x").
    if (ids.length !== 1) return false;
    const bytes = this.table.textBytes(ids);
    const run = utf8Run(bytes);
    return !("badAt" in run) && run.state.need === 0 && this.startsSomeText(bytes, ids);
  }

  /** A first token whose own text encodes otherwise may still begin a longer text ("▁" before "▁x"). */
  private startsSomeText(bytes: Uint8Array, ids: readonly number[]): boolean {
    return START_PROBES.some((p) => this.canonical.beginsEncoding(ids, concatBytes(bytes, utf8.encode(p))));
  }

  /** May `token` follow a node whose last token is `left` (−1: none yet) in the pair context `context`? */
  canExtend(path: () => number[], left: number, token: number, context: PairContext): boolean {
    if (left < 0) {
      let ok = this.startOk[token]!;
      if (ok < 0) this.startOk[token] = ok = this.prefixCanonical([token]) ? 1 : 0;
      return ok === 1;
    }
    if (!this.canonical.hasPairRule) {
      if (!this.pieceLocal) return this.prefixCanonical([...path(), token]);
      const ids = path();
      let from = ids.length - 1;
      while (from > 0 && this.table.bytes(ids[from]!)[0] !== 0x20) from--;
      const run = from === 0 ? ids : [...this.anchor, ...ids.slice(from)];
      const row = cachedRow(this.pieces, run.join(","), this.table.size);
      if (row[token]! < 0) {
        // A token that starts a piece of its own after a complete one: the two pieces are encoded apart, so the
        // verdict is the run's as a whole piece and the token's own after the anchor (one row for all runs).
        if (from > 0 && this.table.bytes(token)[0] === 0x20 && this.wholePiece(run)) {
          const alone = cachedRow(this.pieces, this.anchor.join(","), this.table.size);
          if (alone[token]! < 0) alone[token] = this.prefixCanonical([...this.anchor, token]) ? 1 : 0;
          row[token] = alone[token]!;
        } else row[token] = (this.samePieceVerdict(ids, from, token) ?? this.prefixCanonical([...run, token])) ? 1 : 0;
      }
      return row[token] === 1;
    }
    if (context.atStart) {
      const ids = path();
      const row = cachedRow(this.starts, ids.join(","), this.table.size);
      if (row[token]! < 0) row[token] = this.prefixCanonical([...ids, token]) ? 1 : 0;
      return row[token] === 1;
    }
    if (!this.pretokenize || context === opaquePair) return this.pairByModel(left, token);
    if (this.unreachable.has(left) || this.unreachable.has(token)) return false;
    const row = cachedRow(this.verdicts, context.key, this.table.size);
    let verdict = row[token]!;
    if (verdict < 0) row[token] = verdict = this.pretokenVerdict(context, token);
    return verdict === 1 || (verdict === 2 && this.pairByModel(left, token));
  }

  private readonly wholePieces = new Map<string, boolean>();

  /** Whether a run (after the anchor) is complete UTF-8 and the encoding of its own text: a whole piece. */
  private wholePiece(run: readonly number[]): boolean {
    const key = run.join(",");
    let ok = this.wholePieces.get(key);
    if (ok === undefined) {
      const r = utf8Run(this.table.textBytes(run));
      ok = !("badAt" in r) && r.state.need === 0 && this.canonical.isCanonical(run);
      if (this.wholePieces.size >= MAX_PAIR_ROWS * 64) this.wholePieces.clear();
      this.wholePieces.set(key, ok);
    }
    return ok;
  }

  /** Unigram under pieceLocal: the model, which ids are plain pieces, and the added tokens' texts. */
  private readonly unigram: { model: UnigramModel; isPiece: (id: number) => boolean; added: string[] } | null;

  /**
   * The verdict on a run that is one "▁"-piece (`ids` from `from` on) going on with `token` inside the same piece:
   * Metaspace encodes each piece on its own, so the model's Viterbi search on the piece's spelling decides — the same
   * verdict as re-encoding the anchor, the run and the token through the whole pipeline (the anchor's piece gives the
   * anchor back by construction), without decoding bytes, pre-tokenizing or building strings per candidate. Reading a
   * Unigram model byte by byte asks this of most of the vocabulary after every new run. Null where the shortcut does
   * not hold: byte or unknown pieces (characters left open), a "▁" inside the piece or none before it, a text that
   * holds an added token's content (the pipeline cuts it out first).
   */
  private samePieceVerdict(ids: readonly number[], from: number, token: number): boolean | null {
    const u = this.unigram;
    const pieces = u?.model.pieces;
    // The text's first piece too: Metaspace puts the "▁" before it that its first token spells.
    if (!u || !pieces![ids[from]!]![0].startsWith("\u2581")) return null;
    let piece = "";
    for (let i = from; i <= ids.length; i++) {
      const id = i < ids.length ? ids[i]! : token;
      const p = pieces![id]![0];
      if (!u.isPiece(id) || p.indexOf("\u2581", i === from ? 1 : 0) >= 0) return null;
      piece += p;
    }
    if (u.added.length > 0) {
      const text = ANCHOR_TEXT + piece.split("\u2581").join(" ");
      if (u.added.some((c) => text.includes(c))) return null;
    }
    const got: number[] = [];
    u.model.tokenizeIds(piece, got);
    if (got.length !== ids.length - from + 1 || got[got.length - 1] !== token) return false;
    for (let i = from; i < ids.length; i++) if (got[i - from] !== ids[i]) return false;
    return true;
  }

  /** The model-level rule alone (with a regex pre-tokenizer) or the tokenizer's pair rule, cached per left token. */
  private pairByModel(left: number, right: number): boolean {
    const row = cachedRow(this.merges, left, this.table.size);
    if (row[right]! < 0) row[right] = (this.pretokenize ? this.modelPair(left, right) : this.canonical.validPair(left, right)) ? 1 : 0;
    return row[right] === 1;
  }

  /** 0: the pre-tokenizer cuts inside the left token's checked part or inside the right token; 1: exactly between
   * them; 2: nowhere there (the merges decide). A right token ending inside a character takes the verdict of the
   * most permissive completion of that character (1 before 2 before 0). */
  private pretokenVerdict(context: PairContext, right: number): number {
    const b = this.table.bytes(right);
    const text = this.tokenText(right);
    if (text !== null) return this.cutsAround(context, text, b.length);
    const run = utf8Run(b);
    // Starts inside a character: the boundary is inside it, where the pre-tokenizer never cuts.
    if ("badAt" in run || (b[0]! & 0xc0) === 0x80) return 2;
    let whole = false;
    for (const completed of this.completedTexts(right)) {
      const verdict = this.cutsAround(context, completed, b.length);
      if (verdict === 1) return 1;
      whole ||= verdict === 2;
    }
    return whole ? 2 : 0;
  }

  private readonly completed = new Map<number, string[]>();

  /**
   * A token that ends inside a character, completed in the ways that matter to the pre-tokenizer: one text per
   * class of the finished character (the regexes only ask letter, digit, space or other), among the completions
   * that leave the token whole (the model does not merge its last byte with the next).
   */
  private completedTexts(right: number): string[] {
    let out = this.completed.get(right);
    if (out) return out;
    const b = this.table.bytes(right);
    const run = utf8Run(b);
    const byClass = new Map<string, string>();
    if (!("badAt" in run)) {
      const { lo, hi, need } = run.state;
      for (const first of FIRST_CONTINUATIONS) {
        if (first < lo || first > hi) continue;
        const next = this.byteToken(first);
        if (next < 0 || !this.modelPair(right, next)) continue;
        for (const rest of continuationTails(need - 1)) {
          const text = strictUtf8.decode(concatBytes(b, Uint8Array.from([first, ...rest])));
          const cls = classOf(Array.from(text).pop()!, false);
          if (!byClass.has(cls)) byClass.set(cls, text);
        }
      }
    }
    this.completed.set(right, (out = [...byClass.values()]));
    return out;
  }

  private byteTokens: Int32Array | null = null;

  /** The id of the one-byte token for `byte` (−1: none). */
  private byteToken(byte: number): number {
    if (!this.byteTokens) {
      this.byteTokens = new Int32Array(256).fill(-1);
      for (let v = 0; v < 256; v++) {
        const node = this.table.find(Uint8Array.of(v));
        const ids = node ? this.table.idsEndingAt(node) : [];
        if (ids.length > 0) this.byteTokens[v] = ids[0]!;
      }
    }
    return this.byteTokens[byte]!;
  }

  private cutsAround(context: PairContext, rightText: string, rightBytes: number): number {
    const between = context.signature.length;
    const end = between + rightBytes;
    let at = 0;
    let cut = false;
    for (const piece of this.pretokenize!(context.signature + rightText)) {
      at += piece.length;
      if (at >= end) break;
      if (at === between) cut = true;
      else if (at > context.checkFrom || (at === context.checkFrom && !context.wholeLeft)) return 0;
    }
    return cut ? 1 : 2;
  }
}

function cachedRow<K>(rows: Map<K, Int8Array>, key: K, size: number): Int8Array {
  let row = rows.get(key);
  if (!row) {
    // Rows are the size of the vocabulary: keep the recent ones only.
    if (rows.size >= MAX_PAIR_ROWS) rows.clear();
    rows.set(key, (row = new Int8Array(size).fill(-1)));
  }
  return row;
}

/** The text tokens of a node (oldest first). */
function pathOf(node: CoverNode): number[] {
  const out: number[] = [];
  for (let n: CoverNode | null = node; n && n.token >= 0; n = n.parent) out.push(n.token);
  return out.reverse();
}

function logSumExp(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  const m = Math.max(a, b);
  return m + Math.log(Math.exp(a - m) + Math.exp(b - m));
}

/** A token-level model read as a model of bytes. */
export class ByteLM implements ByteModel {
  private data = new Uint8Array(256);
  private n = 0;
  private utf8: Utf8State = UTF8_START;
  private live: CoverNode[];
  private cached: NextBytes | null = null;
  /** Nodes whose children are being created from their state this push. */
  private dropLater: CoverNode[] = [];
  /** Bytes before the text (the tokenizer's encodePrefix). */
  private readonly prefixLength: number;
  private readonly endIds: readonly number[];

  private constructor(
    readonly lm: TokenLM,
    readonly rule: CoverRule,
    private readonly root: CoverNode,
  ) {
    this.live = [root];
    this.prefixLength = rule.table.encodePrefix.length;
    this.endIds = lm.endIds;
  }

  /** A byte-level view of `lm` through the tokenizer's canonical covers, with no text yet. */
  static async create(lm: TokenLM, rule: CoverRule, options: ByteLMOptions = {}): Promise<ByteLM> {
    if (rule.table.size > lm.vocabSize) throw new Error(`byte-level: the tokenizer has ${rule.table.size} ids but the model only ${lm.vocabSize} (does the tokenizer belong to this model?)`);
    const context = options.context ?? (lm.startId === null ? null : [lm.startId]);
    if (!context || context.length === 0) throw new Error("byte-level: the model has no start token (BOS or EOS in config.json) and no context was given");
    const [r] = await lm.extend([{ from: null, ids: context }]);
    const root: CoverNode = { token: -1, parent: null, end: 0, logP: 0, context: startPair, state: r!.state, logProbs: r!.logProbs };
    const model = new ByteLM(lm, rule, root);
    for (const b of rule.table.encodePrefix) await model.append(b);
    return model;
  }

  get forwardPasses(): number {
    return this.lm.forwardPasses;
  }

  /** The text bytes pushed so far. */
  get text(): Uint8Array {
    return this.data.slice(this.prefixLength, this.n);
  }

  /** Appends one byte of text. Throws when the byte breaks UTF-8 or no canonical sequence covers the text. */
  async push(byte: number): Promise<void> {
    if (!(Number.isInteger(byte) && byte >= 0 && byte < 256)) throw new Error(`byte-level: ${byte} is not a byte`);
    const next = utf8Step(this.utf8, byte);
    if (!next) throw new Error(`byte-level: byte 0x${byte.toString(16).padStart(2, "0")} at text offset ${this.n - this.prefixLength} is not valid UTF-8 here (the model reads UTF-8 text)`);
    this.utf8 = next;
    await this.append(byte);
  }

  async pushText(text: string): Promise<void> {
    for (const b of utf8.encode(text)) await this.push(b);
  }

  private async append(byte: number): Promise<void> {
    if (this.n === this.data.length) {
      const grown = new Uint8Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.n++] = byte;
    this.cached = null;
    const n = this.n;
    const table = this.rule.table;
    const born: { parent: CoverNode; token: number }[] = [];
    const kept: CoverNode[] = [];
    for (const node of this.live) {
      const range = table.find(this.data, node.end, n);
      if (!range) {
        this.drop(node);
        continue;
      }
      const exact = table.idsEndingAt(range);
      let path: number[] | null = null;
      const lazyPath = () => (path ??= pathOf(node));
      for (const id of exact) if (this.rule.canExtend(lazyPath, node.token, id, node.context)) born.push({ parent: node, token: id });
      // Still a base for covers while some token continues past the byte just pushed.
      if (range.hi - range.lo > exact.length) kept.push(node);
      else this.dropLater.push(node);
    }
    const results = born.length ? await this.lm.extend(born.map((b) => ({ from: b.parent.state, ids: [b.token] }))) : [];
    born.forEach((b, i) => {
      const r = results[i]!;
      const start = Math.max(this.prefixLength, n - table.length(b.token));
      const context = this.rule.pairContext(this.data.subarray(this.prefixLength, start), b.token);
      kept.push({ token: b.token, parent: b.parent, end: n, logP: b.parent.logP + b.parent.logProbs![b.token]!, context, state: r.state, logProbs: r.logProbs });
    });
    for (const node of this.dropLater) this.drop(node);
    this.dropLater = [];
    this.live = kept;
    if (kept.length === 0) throw new Error(`byte-level: no canonical token sequence spells the text up to byte ${n - this.prefixLength} (the tokenizer never produces these bytes)`);
  }

  private drop(node: CoverNode): void {
    if (node.state) this.lm.release(node.state);
    node.state = null;
    node.logProbs = null;
  }

  /** The distribution of the next byte (and of the end of text) given everything pushed. */
  async next(): Promise<NextBytes> {
    if (this.cached) return this.cached;
    const table = this.rule.table;
    const n = this.n;
    let ref = -Infinity;
    for (const node of this.live) ref = Math.max(ref, node.logP);
    const bins = new Float64Array(BYTE_OUTCOMES);
    const textComplete = this.utf8.need === 0;
    for (const node of this.live) {
      const w = Math.exp(node.logP - ref);
      const lp = node.logProbs!;
      const range: TrieRange | null = node.end === n ? table.root() : table.find(this.data, node.end, n);
      if (!range) continue;
      const depth = n - node.end;
      let path: number[] | null = null;
      const lazyPath = () => (path ??= pathOf(node));
      for (const id of table.idsIn(range)) {
        const bytes = table.bytes(id);
        if (bytes.length <= depth) continue;
        if (!this.rule.canExtend(lazyPath, node.token, id, node.context)) continue;
        bins[bytes[depth]!]! += w * Math.exp(lp[id]!);
      }
      if (node.end === n && textComplete && this.isDocument(node, lazyPath)) {
        let end = 0;
        for (const e of this.endIds) end += Math.exp(lp[e]!);
        bins[END_OF_TEXT]! += w * end;
      }
    }
    // The empty text after a dummy prefix: the root is the (empty) canonical encoding.
    if (n === this.prefixLength && n > 0 && this.root.logProbs) {
      let end = 0;
      for (const e of this.endIds) end += Math.exp(this.root.logProbs[e]!);
      bins[END_OF_TEXT]! += Math.exp(-ref) * end;
    }
    for (let b = 0; b < 256; b++) if (!utf8Step(this.utf8, b)) bins[b] = 0;
    let total = 0;
    for (const v of bins) total += v;
    if (!(total > 0)) throw new Error(`byte-level: the model gives no mass to any continuation of the text (${n - this.prefixLength} bytes)`);
    const logProbs = new Float64Array(BYTE_OUTCOMES);
    const logMass = new Float64Array(BYTE_OUTCOMES);
    for (let b = 0; b < BYTE_OUTCOMES; b++) {
      logProbs[b] = Math.log(bins[b]! / total);
      logMass[b] = ref + Math.log(bins[b]!);
    }
    this.cached = { logProbs, logMass };
    return this.cached;
  }

  /** A node spelling the whole text is the document's encoding only when the tokenizer gives exactly its tokens
   * (a lone dummy-prefix "▁" begins texts but is not the encoding of the empty one). */
  private isDocument(node: CoverNode, path: () => number[]): boolean {
    if (node.token < 0) return this.prefixLength === 0;
    return this.rule.canonical.isCanonical(path());
  }

  /** log A(X) of the text so far: Σ over its covers. */
  coverMass(): number {
    let total = -Infinity;
    for (const c of this.covers()) total = logSumExp(total, c.logP);
    return total;
  }

  /**
   * Every cover of the text so far, with log P(cover): `parent` (the tokens before the last) and `token`, the last,
   * which reaches or passes the end. A cover that ends exactly at the end is a live node itself (`whole`: its model
   * state is the state after the cover); one that passes it has none yet (extend `parent`'s state by `token`).
   */
  covers(): Cover[] {
    const table = this.rule.table;
    const out: Cover[] = [];
    for (const node of this.live) {
      // Born at this byte: the cover is the node (its parent may already be dropped when no token passes the end).
      if (node.end === this.n) {
        if (node.token >= 0 && node.parent) out.push({ parent: node.parent, token: node.token, logP: node.logP, whole: node });
        continue;
      }
      const range = table.find(this.data, node.end, this.n);
      if (!range) continue;
      const depth = this.n - node.end;
      let path: number[] | null = null;
      const lazyPath = () => (path ??= pathOf(node));
      for (const id of table.idsIn(range))
        if (table.length(id) > depth && this.rule.canExtend(lazyPath, node.token, id, node.context)) out.push({ parent: node, token: id, logP: node.logP + node.logProbs![id]!, whole: null });
    }
    return out;
  }

  /** Releases every kept model state. */
  close(): void {
    for (const node of this.live) this.drop(node);
    this.drop(this.root);
    this.live = [];
  }
}

const rules = new WeakMap<Tokenizer, CoverRule>();

/** The cover rule of a tokenizer, built once (its caches fill as the model reads). */
export function coverRule(tokenizer: Tokenizer): CoverRule {
  let r = rules.get(tokenizer);
  if (!r) rules.set(tokenizer, (r = new CoverRule(canonicality(tokenizer), tokenizer)));
  return r;
}
