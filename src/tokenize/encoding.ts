// The result of encoding one sequence (or a pair): parallel arrays, as in Hugging Face `tokenizers`.
// Offsets are UTF-16 positions in the input string of the sequence they belong to (sequenceIds tells which).

export type OffsetUnit = "utf16" | "codepoint" | "byte";

export class Encoding {
  ids: number[];
  typeIds: number[];
  tokens: string[];
  /** [start, end) in UTF-16 code units of the sequence's input text. */
  offsets: [number, number][];
  wordIds: (number | null)[];
  specialTokensMask: number[];
  attentionMask: number[];
  /** Which input sequence (0 or 1) each token came from; null for added special tokens. */
  sequenceIds: (number | null)[];
  /** Encodings of the parts cut off by truncation with a stride, in order. */
  overflowing: Encoding[];
  /** The input texts, by sequence id: what offsets point into (used to convert offsets to other units). */
  inputs: string[];

  constructor(init: Partial<Encoding> & { ids: number[] }) {
    const n = init.ids.length;
    this.ids = init.ids;
    this.typeIds = init.typeIds ?? new Array(n).fill(0);
    this.tokens = init.tokens ?? new Array(n).fill("");
    this.offsets = init.offsets ?? Array.from({ length: n }, () => [0, 0] as [number, number]);
    this.wordIds = init.wordIds ?? new Array(n).fill(null);
    this.specialTokensMask = init.specialTokensMask ?? new Array(n).fill(0);
    this.attentionMask = init.attentionMask ?? new Array(n).fill(1);
    this.sequenceIds = init.sequenceIds ?? new Array(n).fill(0);
    this.overflowing = init.overflowing ?? [];
    this.inputs = init.inputs ?? [];
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
