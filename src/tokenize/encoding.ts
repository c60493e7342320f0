// The result of encoding one sequence (or a pair): parallel arrays, as in Hugging Face `tokenizers`.
// Offsets are UTF-16 positions in the input string of the sequence they belong to (sequenceIds tells which).

export type OffsetUnit = "utf16" | "codepoint" | "byte";

/** The per-token fields beside the ids. An Encoding may compute them on first read (see Encoding.deferred). */
export interface EncodingFields {
  typeIds: number[];
  tokens: string[];
  offsets: [number, number][];
  wordIds: (number | null)[];
  specialTokensMask: number[];
  attentionMask: number[];
  sequenceIds: (number | null)[];
}

export type EncodingInit = { ids: number[]; overflowing?: Encoding[]; inputs?: string[] } & Partial<EncodingFields>;

/** What Encoding.deferred's function gives: any of the fields, offsets as pairs or as one flat array. */
export type DerivedFields = Partial<EncodingFields> & { offsetSpans?: Int32Array | number[] };

/** A flat offsets array for n tokens: typed when long (no pair per token for a GC to copy), a plain array when short
 * (a small typed array costs ~10× a plain one to allocate, more than the pairs it saves). */
export function flatOffsets(n: number): Int32Array | number[] {
  return n >= TYPED_OFFSETS_FROM ? new Int32Array(2 * n) : new Array<number>(2 * n);
}

/** Encodings of at least this many tokens keep their offsets typed (see flatOffsets). */
export const TYPED_OFFSETS_FROM = 512;

/** What the fields are when nothing gave them: every token of sequence `sequenceId` with type `typeId`, no word,
 * not special, attended. */
export interface FieldDefaults {
  typeId: number;
  sequenceId: number | null;
}

const PLAIN: FieldDefaults = { typeId: 0, sequenceId: 0 };

export class Encoding {
  ids: number[];
  /** Encodings of the parts cut off by truncation with a stride, in order. */
  overflowing: Encoding[];
  /** The input texts, by sequence id: what offsets point into (used to convert offsets to other units). */
  inputs: string[];
  /** HF's map sequence id → token range [start, end), where a post-processor or truncation set one (undefined: none
   * of its own, sequenceIds say). Truncation, padding and merging read it to report what HF reports. */
  sequenceRanges: Map<number, [number, number]> | undefined = undefined;
  // The other fields are computed on first read: encode() pays for ids only, and a caller who reads tokens or
  // offsets pays for them once (then they are plain arrays, changed in place like any other).
  #typeIds: number[] | undefined;
  #tokens: string[] | undefined;
  #offsets: [number, number][] | undefined;
  #wordIds: (number | null)[] | undefined;
  #specialTokensMask: number[] | undefined;
  #attentionMask: number[] | undefined;
  #sequenceIds: (number | null)[] | undefined;
  /** Offsets as [start0, end0, start1, …], where they were derived so (pairs are made from it when read). */
  #spans: Int32Array | number[] | undefined;
  #derive: (() => DerivedFields) | null = null;
  #defaults: FieldDefaults = PLAIN;

  constructor(init: EncodingInit) {
    this.ids = init.ids;
    this.#typeIds = init.typeIds;
    this.#tokens = init.tokens;
    this.#offsets = init.offsets;
    this.#wordIds = init.wordIds;
    this.#specialTokensMask = init.specialTokensMask;
    this.#attentionMask = init.attentionMask;
    this.#sequenceIds = init.sequenceIds;
    this.overflowing = init.overflowing ?? [];
    this.inputs = init.inputs ?? [];
  }

  /** An encoding whose ids are known and whose other fields `derive` computes when one of them is first read (it is
   * called at most once; fields it leaves out take `defaults`). `derive` must depend on nothing that can change. */
  static deferred(ids: number[], inputs: string[], derive: () => DerivedFields, defaults: FieldDefaults = PLAIN): Encoding {
    const e = new Encoding({ ids, inputs });
    e.#derive = derive;
    e.#defaults = defaults;
    return e;
  }

  /** Every field as a plain object (what JSON.stringify writes). */
  toJSON(): EncodingInit & EncodingFields {
    const { ids, typeIds, tokens, offsets, wordIds, specialTokensMask, attentionMask, sequenceIds, overflowing, inputs } = this;
    return { ids, typeIds, tokens, offsets, wordIds, specialTokensMask, attentionMask, sequenceIds, overflowing, inputs };
  }

  #derived(): DerivedFields {
    const d = this.#derive;
    if (!d) return {};
    this.#derive = null;
    const f = d();
    // A field set while the others were still pending is kept.
    this.#typeIds ??= f.typeIds;
    this.#tokens ??= f.tokens;
    this.#offsets ??= f.offsets;
    this.#wordIds ??= f.wordIds;
    this.#specialTokensMask ??= f.specialTokensMask;
    this.#attentionMask ??= f.attentionMask;
    this.#sequenceIds ??= f.sequenceIds;
    if (this.#offsets === undefined) this.#spans = f.offsetSpans;
    return f;
  }

  get typeIds(): number[] {
    return this.#typeIds ?? (this.#derived(), (this.#typeIds ??= new Array<number>(this.ids.length).fill(this.#defaults.typeId)));
  }
  set typeIds(v: number[]) {
    this.#typeIds = v;
  }
  get tokens(): string[] {
    return this.#tokens ?? (this.#derived(), (this.#tokens ??= new Array<string>(this.ids.length).fill("")));
  }
  set tokens(v: string[]) {
    this.#tokens = v;
  }
  /** [start, end) in UTF-16 code units of the sequence's input text. */
  get offsets(): [number, number][] {
    if (this.#offsets) return this.#offsets;
    this.#derived();
    if (this.#offsets) return this.#offsets;
    const spans = this.#spans;
    this.#spans = undefined;
    const n = this.ids.length;
    const pairs = new Array<[number, number]>(n);
    for (let i = 0; i < n; i++) pairs[i] = spans ? [spans[2 * i]!, spans[2 * i + 1]!] : [0, 0];
    return (this.#offsets = pairs);
  }
  set offsets(v: [number, number][]) {
    this.#offsets = v;
    this.#spans = undefined;
  }
  /** The offsets as one flat array [start0, end0, start1, end1, …]: what a caller that walks every token's span reads
   * without a pair per token (a long text has hundreds of thousands). A view while `offsets` has not been read (do not
   * change it), a copy after. */
  get offsetSpans(): Int32Array {
    if (!this.#offsets) this.#derived();
    if (this.#spans instanceof Int32Array) return this.#spans;
    if (this.#spans) return Int32Array.from(this.#spans);
    const pairs = this.offsets;
    const spans = new Int32Array(2 * pairs.length);
    for (let i = 0; i < pairs.length; i++) {
      spans[2 * i] = pairs[i]![0];
      spans[2 * i + 1] = pairs[i]![1];
    }
    return spans;
  }
  /** The offsets as held, flat, without the copy offsetSpans makes of a short encoding's plain array: for a
   * derivation that hands them to another Encoding (neither changes them). */
  heldSpans(): Int32Array | number[] {
    if (!this.#offsets) this.#derived();
    return this.#spans ?? this.offsetSpans;
  }
  get wordIds(): (number | null)[] {
    return this.#wordIds ?? (this.#derived(), (this.#wordIds ??= new Array<number | null>(this.ids.length).fill(null)));
  }
  set wordIds(v: (number | null)[]) {
    this.#wordIds = v;
  }
  get specialTokensMask(): number[] {
    return this.#specialTokensMask ?? (this.#derived(), (this.#specialTokensMask ??= new Array<number>(this.ids.length).fill(0)));
  }
  set specialTokensMask(v: number[]) {
    this.#specialTokensMask = v;
  }
  get attentionMask(): number[] {
    return this.#attentionMask ?? (this.#derived(), (this.#attentionMask ??= new Array<number>(this.ids.length).fill(1)));
  }
  set attentionMask(v: number[]) {
    this.#attentionMask = v;
  }
  /** Which input sequence (0 or 1) each token came from; null for added special tokens. */
  get sequenceIds(): (number | null)[] {
    return this.#sequenceIds ?? (this.#derived(), (this.#sequenceIds ??= new Array<number | null>(this.ids.length).fill(this.#defaults.sequenceId)));
  }
  set sequenceIds(v: (number | null)[]) {
    this.#sequenceIds = v;
  }

  /** Offsets in Unicode code points (what the Hugging Face binding reports). */
  get codePointOffsets(): [number, number][] {
    return this.convertOffsets("codepoint");
  }

  /** Offsets in UTF-8 bytes of the input (a lone surrogate counts as the 3 bytes of U+FFFD, as TextEncoder writes it). */
  get byteOffsets(): [number, number][] {
    return this.convertOffsets("byte");
  }

  convertOffsets(unit: OffsetUnit): [number, number][] {
    if (unit === "utf16") return this.offsets;
    const tables = this.inputs.map((text) => utf16PositionTable(text, unit));
    return this.offsets.map(([s, e], i) => {
      const table = tables[this.sequenceIds[i] ?? 0];
      if (!table) return [s, e];
      return [table[s] ?? s, table[e] ?? e];
    });
  }

  get length(): number {
    return this.ids.length;
  }

  /** The sequence (0 or 1) and [start, end) of token `token` in that sequence's text (UTF-16); null for tokens the
   * post-processor added or an index out of range. Matches HF's token_to_chars. */
  tokenToChars(token: number): { sequence: number; start: number; end: number } | null {
    const sequence = this.sequenceIds[token];
    if (sequence === null || sequence === undefined) return null;
    const [start, end] = this.offsets[token]!;
    return { sequence, start, end };
  }

  /** The sequence and word index of token `token`; null where it has no word (added special tokens). */
  tokenToWord(token: number): { sequence: number; word: number } | null {
    const sequence = this.sequenceIds[token];
    const word = this.wordIds[token];
    if (sequence === null || sequence === undefined || word === null || word === undefined) return null;
    return { sequence, word };
  }

  /** The first token of `sequence` whose offsets contain the UTF-16 position `char`, or null. Matches HF's
   * char_to_token (positions there are code points; here they are JS string indices). */
  charToToken(char: number, sequence = 0): number | null {
    for (let i = 0; i < this.ids.length; i++) {
      if (this.sequenceIds[i] !== sequence) continue;
      const [start, end] = this.offsets[i]!;
      if (start <= char && char < end) return i;
    }
    return null;
  }

  /** The word of `sequence` that covers the UTF-16 position `char`, or null. */
  charToWord(char: number, sequence = 0): number | null {
    const token = this.charToToken(char, sequence);
    return token === null ? null : (this.wordIds[token] ?? null);
  }

  /** The tokens [start, end) that word `word` of `sequence` became, or null if no token belongs to it. */
  wordToTokens(word: number, sequence = 0): [number, number] | null {
    let start = -1;
    let end = -1;
    for (let i = 0; i < this.ids.length; i++) {
      if (this.wordIds[i] !== word || this.sequenceIds[i] !== sequence) continue;
      if (start < 0) start = i;
      end = i + 1;
    }
    return start < 0 ? null : [start, end];
  }

  /** The UTF-16 span [start, end) of word `word` of `sequence` in its text, or null. */
  wordToChars(word: number, sequence = 0): [number, number] | null {
    const tokens = this.wordToTokens(word, sequence);
    if (!tokens) return null;
    return [this.offsets[tokens[0]]![0], this.offsets[tokens[1] - 1]![1]];
  }
}

/** For each UTF-16 index 0..len of text, the position in code points or UTF-8 bytes. */
export function utf16PositionTable(text: string, unit: "codepoint" | "byte"): Uint32Array {
  const table = new Uint32Array(text.length + 1);
  let pos = 0;
  for (let i = 0; i < text.length; i++) {
    table[i] = pos;
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        // A surrogate pair: both units map to the same code point start.
        table[i + 1] = pos;
        pos += unit === "byte" ? 4 : 1;
        i++;
        continue;
      }
    }
    pos += unit === "byte" ? (c < 0x80 ? 1 : c < 0x800 ? 2 : 3) : 1;
  }
  table[text.length] = pos;
  return table;
}
