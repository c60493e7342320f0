// Canonicality: an id sequence is canonical when encoding the text it decodes to gives it back — the only sequences a
// model trained on the tokenizer's output has seen. isCanonical is that definition, literally; validPair is the
// near-constant-time pair test that BPE allows (ByteSampler's `_valid_adj`: walk the right spine of the left token's
// merge tree against the left spine of the right one), with the pre-tokenizer's verdict on the pair's text on top.

import type { Tokenizer } from "../tokenize/tokenizer.js";
import { BpeModel } from "../tokenize/models/bpe.js";
import { UnigramModel } from "../tokenize/models/unigram.js";
import { WordPieceModel } from "../tokenize/models/wordpiece.js";
import { WordLevelModel } from "../tokenize/models/wordlevel.js";
import { byteLevelAlphabet, tokenSpelling } from "../tokenize/byte-vocabulary.js";
import { TokenizerError, type Model } from "../tokenize/types.js";
import { TokenByteTable } from "./token-bytes.js";
import { utf8Length } from "../util/utf8.js";
import { PairSpines } from "./bpe-spines.js";
import { characterEndings, concatBytes, utf8Run } from "./utf8.js";

const EMPTY = new Uint8Array(0);

export interface Canonicality {
  readonly table: TokenByteTable;
  /** encode(decode(ids)) without post-processor specials gives ids back. False when the ids' bytes are not valid
   * UTF-8 (no text decodes to them). */
  isCanonical(ids: ArrayLike<number>): boolean;
  /** Whether `text` (UTF-8 bytes of a whole text that starts with the ids' own text) is encoded as `ids` followed by
   * tokens that spell the rest — so the ids can go on canonically through it (HF's Metaspace adds no dummy space
   * before a text that starts with one: such texts give nothing back). */
  beginsEncoding(ids: readonly number[], text: Uint8Array): boolean;
  /** Whether `ids`, then the bytes `owed`, can go on canonically: their text (which may end inside a character) with
   * some way to finish that character encodes as `ids` followed by tokens that spell the rest. With nothing owed and
   * whole characters this is isCanonical. The direct witness that healing and the byte-level model both ask for. */
  continuesThrough(ids: readonly number[], owed?: Uint8Array): boolean;
  /** BPE family: whether `right` may follow `left` in the canonical encoding of some text — both tokens reachable,
   * and either the merges keep them apart (modelPair) or the pre-tokenizer cuts exactly between them in some context
   * (a boundary the regex cuts is free). A necessary condition: every adjacent pair of a canonical sequence passes;
   * the pre-tokenizer's dependence on wider context (digit groups, whitespace lookahead) is left to isCanonical.
   * Throws for models without pairwise locality (see hasPairRule). A pair with a special or added token is always
   * true: added tokens are cut out of the text before the model runs. */
  validPair(left: number, right: number): boolean;
  /** BPE family, model level (pre-tokenizer off): the merges turn bytes(left)·bytes(right) into exactly [left, right]
   * — ByteSampler's valid_adj. Exact; what a byte-level model needs inside one pre-token. */
  modelPair(left: number, right: number): boolean;
  readonly hasPairRule: boolean;
  /** Tokens that no text produces: the model-level set plus tokens the pre-tokenizer never leaves whole. */
  unreachable(): Set<number>;
  /** Tokens the model alone (pre-tokenizer off) never produces from any byte string: for BPE, tokens whose own bytes
   * do not merge back into them (ByteSampler's unreachable set). */
  modelUnreachable(): Set<number>;
  /** The ids the tokenizer gives `bytes` when they stand inside a text (no start-of-text prefix), pre-tokenizer
   * included; null when the bytes are not valid UTF-8 and the model works on characters. */
  encodeMid(bytes: Uint8Array): number[] | null;
  /** The pre-tokens of a text standing inside a longer one (the pre-tokenizer's start-of-text prefix taken off), in
   * the pre-tokenizer's output spelling; the whole text as one piece when there is no pre-tokenizer. */
  midPreTokens(text: string): string[];
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Whether bytes are UTF-8: "valid", "incomplete" (valid but cut inside the last character: more bytes can complete
 * it) or "invalid" (nothing after them makes them valid). No exception thrown to find out: this runs per token. */
export function utf8State(bytes: Uint8Array): "valid" | "incomplete" | "invalid" {
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    const n = b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    if (n < 0) return "invalid";
    for (let k = 1; k <= n; k++) {
      if (i + k >= bytes.length) return "incomplete";
      if ((bytes[i + k]! & 0xc0) !== 0x80) return "invalid";
      // Overlong forms, surrogates and code points above U+10FFFF show in the second byte.
      const c = bytes[i + 1]!;
      if (k === 1 && ((b === 0xe0 && c < 0xa0) || (b === 0xed && c > 0x9f) || (b === 0xf0 && c < 0x90) || (b === 0xf4 && c > 0x8f))) return "invalid";
    }
    i += n + 1;
  }
  return "valid";
}

/** Whether the bytes are complete, valid UTF-8. */
export function isValidUtf8(bytes: Uint8Array): boolean {
  return utf8State(bytes) === "valid";
}

function decodeStrict(bytes: Uint8Array): string | null {
  return isValidUtf8(bytes) ? strictUtf8.decode(bytes) : null;
}

const utf8 = new TextEncoder();

/** Witness characters for WordPiece continuation pieces: letters that rarely start longer pieces first. */
const WORDPIECE_WITNESSES = ["x", "q", "z", "j", "k", "v", "w", "y", "b", "f", "h", "m", "p", "g", "d", "c", "l", "n", "r", "s", "t", "o", "u", "i", "e", "a", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

function sameIds(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}


/** Left and right contexts that move regex pre-tokenizer splits: nothing, a letter, digits, spaces, a newline,
 * punctuation, an apostrophe. */
const PROBE_BEFORE = ["", "a", "A", "0", "00", " ", "  ", "\n", ".", "'"];
const PROBE_AFTER = ["", "a", "0", " ", "\n", "."];

/** The canonicality rules of a tokenizer. Throws a TokenizerError for models with no canonical encoding (BPE dropout)
 * or tokens with no byte spelling (see TokenByteTable.fromTokenizer). */
export function canonicality(tokenizer: Tokenizer): Canonicality {
  const model = tokenizer.model;
  if (model instanceof BpeModel && model.dropout !== null && model.dropout > 0) throw new TokenizerError(`BPE dropout ${model.dropout}: encodings are random, so no sequence is the canonical one`, tokenizer.fileName);
  if (!(model instanceof BpeModel || model instanceof UnigramModel || model instanceof WordPieceModel || model instanceof WordLevelModel)) throw new TokenizerError(`model type ${model.type}: no canonicality rule`, tokenizer.fileName);
  return new TokenizerCanonicality(tokenizer, TokenByteTable.fromTokenizer(tokenizer));
}

class TokenizerCanonicality implements Canonicality {
  readonly hasPairRule: boolean;
  private readonly byteLevel: boolean;
  private readonly spaceMarker: string | null;
  private readonly alphabet = byteLevelAlphabet();
  /** What the pre-tokenizer puts before a text that does not start with it (Metaspace "always", ByteLevel
   * add_prefix_space), in its output spelling: taken off again inside a text. */
  private readonly pretokenPrefix: string;
  private spines: PairSpines | null = null;

  constructor(
    private readonly tokenizer: Tokenizer,
    readonly table: TokenByteTable,
  ) {
    const spelling = tokenSpelling(tokenizer.toJSON());
    this.byteLevel = spelling.byteLevel;
    this.spaceMarker = spelling.spaceMarker;
    this.hasPairRule = tokenizer.model instanceof BpeModel;
    this.pretokenPrefix = this.probePretokenPrefix();
    if (tokenizer.preTokenizer && !tokenizer.preTokenizer.preTokenizeText) throw new TokenizerError(`pre-tokenizer ${tokenizer.preTokenizer.type} has no text path`, tokenizer.fileName);
  }

  private probePretokenPrefix(): string {
    const pt = this.tokenizer.preTokenizer;
    if (!pt) return "";
    const out: string[] = [];
    pt.preTokenizeText!("x", false, out);
    const joined = out.join("");
    return joined.endsWith("x") ? joined.slice(0, -1) : "";
  }

  /** Pre-tokens of a text that stands inside a longer one (the pre-tokenizer's start-of-text prefix taken off). */
  midPreTokens(text: string): string[] {
    const marker = this.spaceMarker;
    // SentencePiece spells spaces with the marker before the model (the normalizer or Metaspace does it).
    if (marker !== null) text = text.split(" ").join(marker);
    const pt = this.tokenizer.preTokenizer;
    if (!pt) return text.length > 0 ? [text] : [];
    const out: string[] = [];
    pt.preTokenizeText!(text, false, out);
    const p = this.pretokenPrefix;
    if (p.length > 0 && out.length > 0 && !text.startsWith(marker ?? " ") && out[0]!.startsWith(p)) {
      out[0] = out[0]!.slice(p.length);
      if (out[0].length === 0) out.shift();
    }
    return out;
  }

  private modelIds(piece: string, out: number[]): void {
    const m: Model = this.tokenizer.model;
    if (m.tokenizeIds) m.tokenizeIds(piece, out);
    else for (const t of m.tokenize(piece)) out.push(t.id);
  }

  /** The model alone on bytes (the byte-level alphabet spelling): works for any bytes, partial characters included. */
  modelIdsOfBytes(bytes: Uint8Array): number[] | null {
    const out: number[] = [];
    if (this.byteLevel) {
      let s = "";
      for (const b of bytes) s += this.alphabet[b]!;
      this.modelIds(s, out);
      return out;
    }
    const text = decodeStrict(bytes);
    if (text === null) return null;
    this.modelIds(this.spaceMarker === null ? text : text.split(" ").join(this.spaceMarker), out);
    return out;
  }

  encodeMid(bytes: Uint8Array): number[] | null {
    const text = decodeStrict(bytes);
    // Partial characters: the pre-tokenizer never cuts inside a character, so only the model decides.
    if (text === null) return this.byteLevel ? this.modelIdsOfBytes(bytes) : null;
    const out: number[] = [];
    for (const piece of this.midPreTokens(text)) this.modelIds(piece, out);
    return out;
  }

  isCanonical(ids: ArrayLike<number>): boolean {
    for (let i = 0; i < ids.length; i++) if (!(ids[i]! >= 0 && ids[i]! < this.table.size) || this.tokenizer.idToToken(ids[i]!) === undefined) return false;
    const text = decodeStrict(this.table.textBytes(ids));
    if (text === null) return false;
    return sameIds(this.tokenizer.encodeIds(text, { addSpecialTokens: false }), ids);
  }

  beginsEncoding(ids: readonly number[], text: Uint8Array): boolean {
    const decoded = decodeStrict(text);
    if (decoded === null) return false;
    const encoded = this.tokenizer.encodeIds(decoded, { addSpecialTokens: false });
    if (encoded.length < ids.length) return false;
    for (let i = 0; i < ids.length; i++) if (encoded[i] !== ids[i]) return false;
    const spelled = this.table.textBytes(encoded);
    return spelled.length === text.length && spelled.every((b, i) => b === text[i]);
  }

  continuesThrough(ids: readonly number[], owed: Uint8Array = EMPTY): boolean {
    const bytes = owed.length === 0 ? this.table.textBytes(ids) : concatBytes(this.table.textBytes(ids), owed);
    const run = utf8Run(bytes);
    if ("badAt" in run) return false;
    if (run.state.need === 0 && owed.length === 0) return this.isCanonical(ids);
    for (const ending of characterEndings(run.state)) if (this.beginsEncoding(ids, ending.length === 0 ? bytes : concatBytes(bytes, ending))) return true;
    return false;
  }

  private pairSpines(): PairSpines {
    if (!this.spines) this.spines = new PairSpines(this.tokenizer.model as BpeModel, this.table, (b) => this.modelIdsOfBytes(b), this.byteLevel);
    return this.spines;
  }

  modelPair(left: number, right: number): boolean {
    if (!this.hasPairRule) throw new TokenizerError(`modelPair: ${this.tokenizer.model.type} has no pairwise canonicality rule (only BPE does); use isCanonical`, this.tokenizer.fileName);
    return this.pairSpines().validPair(left, right);
  }

  validPair(left: number, right: number): boolean {
    if (!this.hasPairRule) throw new TokenizerError(`validPair: ${this.tokenizer.model.type} has no pairwise canonicality rule (only BPE does); use isCanonical`, this.tokenizer.fileName);
    const t = this.table;
    if (t.isSpecial(left) || t.isSpecial(right)) return true;
    if (!this.textReachable(left) || !this.textReachable(right)) return false;
    if (this.pairSpines().validPair(left, right)) return true;
    // The merges would join them: valid only where the pre-tokenizer cuts exactly between them.
    return this.freeBoundary(left, right);
  }

  private readonly freeCache = new Map<number, boolean>();

  /** Whether some context makes the pre-tokenizer cut exactly between the two tokens (and nowhere inside them):
   * probed with a character of each class on either side, which is what moves the splits of the regexes in use
   * (digit groups counted from the left, whitespace lookahead, contractions). */
  private freeBoundary(left: number, right: number): boolean {
    if (!this.tokenizer.preTokenizer) return false;
    const key = left * this.table.size + right;
    const hit = this.freeCache.get(key);
    if (hit !== undefined) return hit;
    const a = decodeStrict(this.table.bytes(left));
    const b = decodeStrict(this.table.bytes(right));
    let free = false;
    if (a === null || b === null) {
      // Partial characters at the ends: which characters the pre-tokenizer would see is not known, so the boundary is
      // free whenever it falls between two characters (it never cuts inside one).
      const first = this.table.bytes(right)[0]!;
      free = (first & 0xc0) !== 0x80 && this.endsCharacter(this.table.bytes(left));
    } else {
      for (const before of PROBE_BEFORE) {
        for (const after of PROBE_AFTER) {
          if (this.cutsExactly(before, a, b, after)) {
            free = true;
            break;
          }
        }
        if (free) break;
      }
    }
    if (this.freeCache.size > 1 << 20) this.freeCache.clear();
    this.freeCache.set(key, free);
    return free;
  }

  /** The bytes end on a character's last byte (they may start inside one). */
  private endsCharacter(bytes: Uint8Array): boolean {
    let k = bytes.length - 1;
    let continuation = 0;
    while (k >= 0 && (bytes[k]! & 0xc0) === 0x80) {
      k--;
      continuation++;
    }
    if (k < 0) return true;
    const lead = bytes[k]!;
    const need = lead < 0x80 ? 0 : lead >= 0xf0 ? 3 : lead >= 0xe0 ? 2 : 1;
    return continuation === need;
  }

  /** The pre-tokens of before·a·b·after are cut between a and b and nowhere inside either. */
  private cutsExactly(before: string, a: string, b: string, after: string): boolean {
    const pieces = this.midPreTokens(before + a + b + after);
    const cuts = new Set<number>();
    let at = 0;
    for (const p of pieces) cuts.add((at += this.spelledLength(p)));
    const sb = utf8Length(before);
    const sa = utf8Length(a);
    const sbb = utf8Length(b);
    if (!cuts.has(sb + sa)) return false;
    for (const c of cuts) if ((c > sb && c < sb + sa) || (c > sb + sa && c < sb + sa + sbb)) return false;
    return true;
  }

  /** Bytes a pre-token stands for (byte-level pieces are one character per byte; others are UTF-8, the space marker
   * one byte). */
  private spelledLength(piece: string): number {
    if (this.byteLevel) return piece.length;
    const marker = this.spaceMarker;
    return marker === null ? utf8Length(piece) : utf8Length(piece.split(marker).join(" "));
  }

  /** Per id: 1 reachable, 0 not, −1 not computed yet (model level, then with the pre-tokenizer). */
  private modelReach: Int8Array | null = null;
  private textReach: Int8Array | null = null;

  /** Whether the model alone (pre-tokenizer off) produces the token from some text. */
  modelReachable(id: number): boolean {
    const reach = (this.modelReach ??= new Int8Array(this.table.size).fill(-1));
    if (reach[id]! < 0) reach[id] = this.computeModelReach(id) ? 1 : 0;
    return reach[id] === 1;
  }

  private computeModelReach(id: number): boolean {
    const t = this.table;
    if (t.isSpecial(id)) return false;
    if (this.hasPairRule) return this.pairSpines().reachable(id);
    const model = this.tokenizer.model;
    if (model instanceof WordPieceModel) {
      const token = model.idToToken(id)!;
      const prefix = model.continuingSubwordPrefix;
      if (!token.startsWith(prefix) || token.length === prefix.length) return sameIds(model.tokenize(token).map((x) => x.id), [id]);
      return this.continuationWitness(id, token.slice(prefix.length), (word) => model.tokenize(word).map((x) => x.id));
    }
    const ids = this.modelIdsOfBytes(t.bytes(id));
    return ids !== null && sameIds(ids, [id]);
  }

  /** A WordPiece continuation piece is reachable when some word splits right before it: tried with words made of one
   * witness character and the piece (the greedy match must take exactly the witness first). */
  private continuationWitness(id: number, piece: string, encode: (word: string) => number[]): boolean {
    for (const w of WORDPIECE_WITNESSES) {
      const ids = encode(w + piece);
      if (ids.length === 2 && ids[1] === id && this.tokenizer.model.idToToken(ids[0]!) === w) return true;
    }
    return false;
  }

  /** Whether some text's encoding contains the token: reachable by the model, and the pre-tokenizer leaves its text
   * whole (tokens with partial characters: the pre-tokenizer never cuts inside a character, the model decides). */
  textReachable(id: number): boolean {
    const reach = (this.textReach ??= new Int8Array(this.table.size).fill(-1));
    if (reach[id]! < 0) reach[id] = this.computeTextReach(id) ? 1 : 0;
    return reach[id] === 1;
  }

  private computeTextReach(id: number): boolean {
    if (!this.modelReachable(id)) return false;
    const bytes = this.table.bytes(id);
    if (!isValidUtf8(bytes)) return true;
    const model = this.tokenizer.model;
    if (model instanceof WordPieceModel) {
      const token = model.idToToken(id)!;
      const prefix = model.continuingSubwordPrefix;
      if (token.startsWith(prefix) && token.length > prefix.length) {
        const piece = token.slice(prefix.length);
        return this.continuationWitness(id, piece, (word) => this.encodeMid(utf8.encode(" " + word)) ?? []);
      }
    }
    const ids = this.encodeMid(bytes);
    if (ids !== null && sameIds(ids, [id])) return true;
    // ignore_merges: a whole pre-token that is a token comes out whole even where its bytes alone merge otherwise.
    return false;
  }

  modelUnreachable(): Set<number> {
    const out = new Set<number>();
    for (let id = 0; id < this.table.size; id++) if (!this.table.isSpecial(id) && !this.modelReachable(id)) out.add(id);
    return out;
  }

  unreachable(): Set<number> {
    const out = new Set<number>();
    for (let id = 0; id < this.table.size; id++) if (!this.table.isSpecial(id) && !this.textReachable(id)) out.add(id);
    return out;
  }
}
