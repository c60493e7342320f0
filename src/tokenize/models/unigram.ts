// Unigram (SentencePiece): the segmentation with the highest total piece score, by Viterbi over the pieces that
// start at each character (a trie walk). Matches HF: an uncovered character becomes the unknown piece with score
// (lowest score − 10); consecutive unknowns fuse into one token carrying their text; ties keep the path found first
// (earlier start, then shorter piece); byte_fallback spells unknown text as <0xNN> tokens.

import type { Json, JsonObject, Model, Token } from "../types.js";
import { TokenizerError } from "../types.js";
import { keepKeys, optionalBoolean } from "./vocab.js";
import { CACHED_WORD_LIMIT, PieceCache } from "./span-cache.js";
import { byteValues, spellPiece, utf8Encode, type Spelling } from "./spell.js";
import { PieceTrie } from "./piece-trie.js";

const UNK_PENALTY = 10;
const CACHE_CAPACITY = 100_000;
/** Search buffers up to this many units are kept between calls (a sentence or a paragraph); longer ones are freed. */
const SCRATCH_KEPT = 1 << 16;

/** What the search reads (UnigramModel.searchTables): trie terminals without the unmatchable pieces, and the pieces
 * a fused unknown run can spell, with the longest one's length. */
interface SearchTables {
  terminal: Int32Array;
  hidden: Map<string, number>;
  hiddenLength: number;
  /** Per BMP unit, for unknownWidth: 0 not looked up yet, 1 a matchable piece is this character alone, 2 none is. */
  singles: Uint8Array;
}

export class UnigramModel implements Model {
  readonly type = "Unigram";
  private readonly ids = new Map<string, number>();
  private readonly trie: PieceTrie;
  private readonly minScore: number;
  /** Each piece's score (pieces[id][1]), for the search's inner loop. */
  private readonly scores: Float64Array;
  private readonly cache = new PieceCache<Int32Array>(CACHE_CAPACITY, CACHED_WORD_LIMIT);
  private readonly byteIds: Int32Array | null;
  /**
   * Score arithmetic of the Viterbi search. "float64" is HF `tokenizers` (the tokenizer.json oracle). "sentencepiece"
   * is spm_encode's optimized encoder: path scores stored as float32, a candidate (float32 path + piece score, in
   * double) compared against the stored float32, the unknown piece's score and sum in float32 — on score ties these
   * pick different segmentations (runs of `*`, `"""`). Set for SentencePiece .model files; tokenizer.json field
   * `score_arithmetic` (retoken's; HF ignores it).
   */
  scoreArithmetic: "float64" | "sentencepiece" = "float64";
  /** Piece ids the search never uses (spm keeps control and unknown pieces out of its trie). Set for .model files;
   * tokenizer.json field `unmatchable_ids` (retoken's; HF ignores it). */
  unmatchable: ReadonlySet<number> = new Set();

  constructor(
    readonly pieces: [string, number][],
    readonly unkId: number | null,
    readonly byteFallback = false,
    private readonly source: JsonObject = {},
  ) {
    let min = Infinity;
    pieces.forEach(([piece, score], id) => {
      if (!this.ids.has(piece)) this.ids.set(piece, id);
      if (score < min) min = score;
    });
    this.trie = new PieceTrie(pieces.map((p) => p[0]));
    this.minScore = min;
    this.scores = Float64Array.from(pieces, (p) => p[1]);
    if (unkId !== null && (unkId < 0 || unkId >= pieces.length)) throw new TokenizerError(`Unigram: unk_id ${unkId} is outside the vocabulary of ${pieces.length} pieces`);
    if (byteFallback) {
      this.byteIds = new Int32Array(256);
      for (let b = 0; b < 256; b++) this.byteIds[b] = this.ids.get(`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`) ?? -1;
    } else this.byteIds = null;
  }

  static fromJSON(json: JsonObject, path: string): UnigramModel {
    const vocab: Json | undefined = json.vocab;
    if (!Array.isArray(vocab)) throw new TokenizerError("expected a list of [piece, score] pairs", `${path}.vocab`);
    const pieces: [string, number][] = vocab.map((entry, i) => {
      if (!Array.isArray(entry) || typeof entry[0] !== "string" || typeof entry[1] !== "number") {
        throw new TokenizerError(`expected [piece, score], got ${JSON.stringify(entry)}`, `${path}.vocab[${i}]`);
      }
      return [entry[0], entry[1]];
    });
    const unk = json.unk_id;
    if (unk !== undefined && unk !== null && (typeof unk !== "number" || !Number.isInteger(unk))) throw new TokenizerError("expected an integer or null", `${path}.unk_id`);
    const arithmetic = json.score_arithmetic ?? "float64";
    if (arithmetic !== "float64" && arithmetic !== "sentencepiece") throw new TokenizerError(`expected "float64" or "sentencepiece", got ${JSON.stringify(arithmetic)}`, `${path}.score_arithmetic`);
    const unmatchable = json.unmatchable_ids ?? [];
    if (!Array.isArray(unmatchable)) throw new TokenizerError("expected a list of piece ids", `${path}.unmatchable_ids`);
    unmatchable.forEach((id, i) => {
      if (typeof id !== "number" || !Number.isInteger(id) || id < 0 || id >= pieces.length) throw new TokenizerError(`expected a piece id below ${pieces.length}, got ${JSON.stringify(id)}`, `${path}.unmatchable_ids[${i}]`);
    });
    try {
      const model = new UnigramModel(pieces, (unk as number | null | undefined) ?? null, optionalBoolean(json, "byte_fallback", path, false), json);
      model.scoreArithmetic = arithmetic;
      model.unmatchable = new Set(unmatchable as number[]);
      return model;
    } catch (err) {
      if (err instanceof TokenizerError && !err.path) throw new TokenizerError(err.message, path);
      throw err;
    }
  }

  /** The search's scratch, grown to the longest piece seen: one search allocates nothing. */
  private score32 = new Float32Array(0);
  private score64 = new Float64Array(0);
  private from = new Int32Array(0);
  private via = new Int32Array(0);
  /** The best path's [start, end, id] triples (id −1 for a fused unknown run), in text order. */
  private triples = new Int32Array(0);

  /** What the search reads, for the unmatchable ids of now: each trie node's piece id (−1 where none ends or the
   * piece is unmatchable), and the pieces a fused unknown run can spell — the unmatchable ones and the unknown piece
   * (which the search reads as unknown). No other piece can be a whole unknown run: the search would have taken it,
   * at a better score than unknowns. */
  private searchTables(): SearchTables {
    if (this.tablesFor !== this.unmatchable) {
      const terminal = this.trie.terminal.slice();
      for (let node = 0; node < terminal.length; node++) if (terminal[node]! >= 0 && this.unmatchable.has(terminal[node]!)) terminal[node] = -1;
      const hidden = new Map<string, number>();
      let hiddenLength = 0;
      for (const id of this.unkId === null ? this.unmatchable : [...this.unmatchable, this.unkId]) {
        const piece = this.pieces[id]![0];
        hidden.set(piece, this.ids.get(piece)!);
        hiddenLength = Math.max(hiddenLength, piece.length);
      }
      this.tables = { terminal, hidden, hiddenLength, singles: new Uint8Array(0x10000) };
      this.tablesFor = this.unmatchable;
    }
    return this.tables!;
  }
  private tables: SearchTables | null = null;
  private tablesFor: ReadonlySet<number> | null = null;

  /** Drops search buffers grown past SCRATCH_KEPT units: one megabyte-long piece must not pin ~28 bytes per unit for
   * the model's lifetime. */
  private releaseLargeScratch(): void {
    if (this.from.length <= SCRATCH_KEPT) return;
    this.score32 = new Float32Array(0);
    this.score64 = new Float64Array(0);
    this.from = new Int32Array(0);
    this.via = new Int32Array(0);
    this.triples = new Int32Array(0);
  }

  /** Best segmentation into this.triples; returns the number of triples. */
  private viterbi(text: string): number {
    const n = text.length;
    if (this.from.length < n + 1) {
      const size = Math.max(n + 1, 2 * this.from.length);
      this.from = new Int32Array(size);
      this.via = new Int32Array(size);
      if (this.scoreArithmetic === "sentencepiece") this.score32 = new Float32Array(size);
      else this.score64 = new Float64Array(size);
      this.triples = new Int32Array(3 * size);
    }
    const spm = this.scoreArithmetic === "sentencepiece";
    if (spm && this.score32.length < n + 1) this.score32 = new Float32Array(this.from.length);
    if (!spm && this.score64.length < n + 1) this.score64 = new Float64Array(this.from.length);
    const score = spm ? this.score32 : this.score64;
    const from = this.from;
    const via = this.via;
    from.fill(-1, 0, n + 1);
    const unkScore = spm ? Math.fround(this.minScore - UNK_PENALTY) : this.minScore - UNK_PENALTY;
    const unk = this.unkId;
    const { base, check, code } = this.trie;
    const terminal = this.searchTables().terminal;
    const scores = this.scores;
    from[0] = 0;
    score[0] = 0;
    for (let start = 0; start < n; ) {
      const c = text.charCodeAt(start);
      const width = c >= 0xd800 && c <= 0xdbff && start + 1 < n && (text.charCodeAt(start + 1) & 0xfc00) === 0xdc00 ? 2 : 1;
      if (from[start]! < 0 && start > 0) {
        // Unreachable (inside a character): cannot happen for valid strings, skip.
        start += width;
        continue;
      }
      const here = score[start]!;
      let single = false;
      // Every piece that starts here, shortest first.
      for (let i = start, node = 0; i < n; i++) {
        const slot = base[node]! + code[text.charCodeAt(i)]!;
        if (check[slot] !== node) break;
        node = slot;
        const id = terminal[node]!;
        if (id < 0) continue;
        const end = i + 1;
        const s = here + scores[id]!;
        if (from[end]! < 0 || s > score[end]!) {
          score[end] = s;
          from[end] = start;
          via[end] = id;
        }
        if (end - start === width) single = true;
      }
      if (!single) {
        if (unk === null) throw new TokenizerError(`Unigram: ${JSON.stringify(text.slice(start, start + width))} is not covered by any piece and the model has no unk_id`);
        const end = start + width;
        const s = spm ? Math.fround(here + unkScore) : here + unkScore;
        if (from[end]! < 0 || s > score[end]!) {
          score[end] = s;
          from[end] = start;
          via[end] = unk;
        }
      }
      start += width;
    }
    // Walk back, fusing consecutive unknowns, writing triples from the end of the buffer towards its start.
    const triples = this.triples;
    let k = triples.length;
    for (let end = n; end > 0; ) {
      const start = from[end]!;
      const id = via[end]!;
      if (unk !== null && id === unk) {
        if (k < triples.length && triples[k + 2] === -1 && triples[k] === end) triples[k] = start;
        else (triples[(k -= 3)] = start), (triples[k + 1] = end), (triples[k + 2] = -1);
      } else (triples[(k -= 3)] = start), (triples[k + 1] = end), (triples[k + 2] = id);
      end = start;
    }
    const count = (triples.length - k) / 3;
    triples.copyWithin(0, k);
    return count;
  }

  /** The ids of a fused unknown run, piece[start, end): its own piece if it spells one (searchTables' hidden ones),
   * else its UTF-8 bytes under byte fallback, else the unknown id. */
  private unknownIds(piece: string, start: number, end: number, out: number[]): void {
    const { hidden, hiddenLength } = this.searchTables();
    const text = end - start <= hiddenLength || this.byteIds ? piece.slice(start, end) : "";
    const id = end - start <= hiddenLength ? hidden.get(text) : undefined;
    if (id !== undefined) {
      out.push(id);
      return;
    }
    if (this.byteIds) {
      const n = utf8Encode(text, byteScratch);
      const bytes = byteScratch.bytes;
      let all = true;
      for (let k = 0; k < n; k++) if (this.byteIds[bytes[k]!]! < 0) all = false;
      if (all) {
        for (let k = 0; k < n; k++) out.push(this.byteIds[bytes[k]!]!);
        return;
      }
    }
    out.push(this.unkId!);
  }

  /** The ids of the search's `count` triples over `piece`, appended to `out`. */
  private idsOf(piece: string, count: number, out: number[]): void {
    const triples = this.triples;
    for (let k = 0; k < 3 * count; k += 3) {
      const via = triples[k + 2]!;
      if (via >= 0) out.push(via);
      else this.unknownIds(piece, triples[k]!, triples[k + 1]!, out);
    }
  }

  /** The tokens of the search's `count` triples over `piece`, with the spans HF reports: an unknown token carries the
   * text it covers, and every byte-fallback token of a run the run's span. */
  private tokensOf(piece: string, count: number): Token[] {
    const triples = this.triples;
    const out: Token[] = [];
    const ids: number[] = [];
    for (let k = 0; k < 3 * count; k += 3) {
      const start = triples[k]!;
      const end = triples[k + 1]!;
      const via = triples[k + 2]!;
      if (via >= 0) {
        out.push({ id: via, value: this.pieces[via]![0], start, end });
        continue;
      }
      const text = piece.slice(start, end);
      ids.length = 0;
      this.unknownIds(piece, start, end, ids);
      for (const id of ids) out.push({ id, value: id === this.unkId ? text : this.pieces[id]![0], start, end });
    }
    return out;
  }

  tokenize(piece: string): Token[] {
    if (piece.length === 0) return [];
    const entry = this.entry(piece);
    const spelled = spellPiece(piece, entry, 0, entry.length, this.idSpelling());
    if (spelled) return spelled;
    const tokens = this.tokensOf(piece, this.viterbi(piece));
    this.releaseLargeScratch();
    return tokens;
  }

  tokenizeIds(piece: string, out: number[]): void {
    if (piece.length === 0) return;
    const entry = this.entry(piece);
    for (let k = 0; k < entry.length; k++) out.push(entry[k]!);
  }

  /** The piece's entry in the one cache: its ids, from which its tokens are spelled (an unknown token's text too:
   * idSpelling's unknownWidth). */
  private entry(piece: string): Int32Array {
    let hit = this.cache.get(piece) ?? (piece === this.lastLong ? this.lastLongEntry : undefined);
    if (!hit) {
      idScratch.length = 0;
      const count = this.viterbi(piece);
      this.idsOf(piece, count, idScratch);
      hit = Int32Array.from(idScratch);
      this.releaseLargeScratch();
      if (piece.length < this.cache.maxKey) this.cache.set(piece, hit);
      else (this.lastLong = piece), (this.lastLongEntry = hit);
    }
    return hit;
  }
  /** The last piece too long for the cache, and its entry: encode() asks for a piece's ids and then, when its fields
   * are read, for its tokens — a text with no pre-tokenizer is one such piece, searched once, not twice. */
  private lastLong = "";
  private lastLongEntry: Int32Array | undefined;

  idSpelling(): Spelling {
    if (this.spelling) return this.spelling;
    const tokens = this.pieces.map((p) => p[0]);
    return (this.spelling = {
      tokens,
      spell: (id) => tokens[id],
      byteOf: this.byteIds && byteValues(this.byteIds, this.pieces.length),
      byteSpans: "run",
      unkId: this.unkId ?? -1,
      lengths: new Int32Array(tokens.length),
      unknownWidth: (text, at) => this.unknownWidth(text, at),
    });
  }
  private spelling: Spelling | undefined;

  /** The width (1 or 2 units) of the character at text[at] if no matchable piece is that character alone — where the
   * search puts an unknown —, else 0. BMP characters' answers are kept (for the unmatchable ids of now). */
  private unknownWidth(text: string, at: number): number {
    const c = text.charCodeAt(at);
    const pair = (c & 0xfc00) === 0xd800 && at + 1 < text.length && (text.charCodeAt(at + 1) & 0xfc00) === 0xdc00;
    if (pair) return this.hasSinglePiece(text, at, 2) ? 0 : 2;
    const known = this.searchTables().singles;
    let st = known[c]!;
    if (st === 0) st = known[c] = this.hasSinglePiece(text, at, 1) ? 1 : 2;
    return st === 2 ? 1 : 0;
  }

  /** Whether text[at, at + width) is a matchable piece (the search's `single`). */
  private hasSinglePiece(text: string, at: number, width: number): boolean {
    const { base, check, code } = this.trie;
    let node = 0;
    for (let i = at; i < at + width; i++) {
      const slot = base[node]! + code[text.charCodeAt(i)]!;
      if (check[slot] !== node) return false;
      node = slot;
    }
    return this.searchTables().terminal[node]! >= 0;
  }

  tokenToId(token: string): number | undefined {
    return this.ids.get(token);
  }
  idToToken(id: number): string | undefined {
    return this.pieces[id]?.[0];
  }
  get vocabSize(): number {
    return this.pieces.length;
  }
  getVocab(): Map<string, number> {
    return new Map(this.ids);
  }
  /** Pieces with their scores, in id order. */
  getPieces(): [string, number][] {
    return this.pieces.map(([p, s]) => [p, s]);
  }
  toJSON(): JsonObject {
    const json = keepKeys(this.source, { type: "Unigram", unk_id: this.unkId, vocab: this.pieces.map(([p, s]) => [p, s]), byte_fallback: this.byteFallback });
    if (this.scoreArithmetic !== "float64") json.score_arithmetic = this.scoreArithmetic;
    if (this.unmatchable.size > 0) json.unmatchable_ids = [...this.unmatchable].sort((a, b) => a - b);
    return json;
  }
}

/** The UTF-8 bytes of an unknown segment, for the byte fallback. */
const byteScratch = { bytes: new Uint8Array(64) };
const idScratch: number[] = [];
