// The one shape that language models and tokenizer transfer meet in: a [V, S, d] float32 array, row v holding the
// input embedding (slice 0) and, for untied models, the output embedding (slice 1) of token v.
import { decodeInto, DTYPE_BYTES, type SafetensorsDtype } from "../tensor/safetensors.js";

/** What initialisers read from a source model: rows of [V, S, d] (an EmbeddingView, or rows decoded on demand). */
export interface EmbeddingRows {
  readonly vocab: number;
  readonly slices: 1 | 2;
  readonly dim: number;
  readonly rowWidth: number;
  /** A token's row (all slices, S·d values). Valid until the next call to row(): read it before asking for another. */
  row(token: number): Float32Array;
  rowStatistics(rows?: Iterable<number>): { mean: Float64Array; variance: Float64Array };
}

/** Per-dimension mean and variance over rows (each slice separately, laid out like a row). */
function rowStatistics(view: EmbeddingRows, rows?: Iterable<number>): { mean: Float64Array; variance: Float64Array } {
  const w = view.rowWidth;
  const mean = new Float64Array(w);
  const sq = new Float64Array(w);
  let n = 0;
  const ids = rows ?? Array.from({ length: view.vocab }, (_, i) => i);
  for (const v of ids) {
    const r = view.row(v);
    for (let j = 0; j < w; j++) {
      mean[j]! += r[j]!;
      sq[j]! += r[j]! * r[j]!;
    }
    n++;
  }
  const variance = new Float64Array(w);
  for (let j = 0; j < w; j++) {
    mean[j] = n ? mean[j]! / n : 0;
    variance[j] = n ? Math.max(0, sq[j]! / n - mean[j]! * mean[j]!) : 0;
  }
  return { mean, variance };
}

/**
 * Source rows read straight from a checkpoint's raw bytes (BF16/F16/F32 [V, d] matrices, input then output), decoded
 * one row at a time: a 128k × 4096 BF16 model needs its 2 × 1 GiB of bytes in memory, not 4 GiB of float32.
 */
export class EncodedEmbeddingRows implements EmbeddingRows {
  readonly slices: 1 | 2;
  private readonly scratch: Float32Array;
  private readonly rowBytes: number[];

  constructor(readonly vocab: number, readonly dim: number, readonly matrices: { bytes: Uint8Array; dtype: SafetensorsDtype }[]) {
    if (matrices.length !== 1 && matrices.length !== 2) throw new Error(`EncodedEmbeddingRows: expected 1 or 2 matrices, got ${matrices.length}`);
    this.slices = matrices.length as 1 | 2;
    this.rowBytes = matrices.map((m, i) => {
      const need = vocab * dim * DTYPE_BYTES[m.dtype];
      if (m.bytes.length !== need) throw new Error(`EncodedEmbeddingRows: matrix ${i} has ${m.bytes.length} bytes, ${vocab}×${dim} ${m.dtype} needs ${need}`);
      return dim * DTYPE_BYTES[m.dtype];
    });
    this.scratch = new Float32Array(this.slices * dim);
  }

  get rowWidth(): number {
    return this.slices * this.dim;
  }

  row(token: number): Float32Array {
    if (!(token >= 0 && token < this.vocab)) throw new Error(`EncodedEmbeddingRows: token ${token} outside 0..${this.vocab - 1}`);
    this.matrices.forEach((m, s) => {
      const b = this.rowBytes[s]!;
      decodeInto(m.bytes.subarray(token * b, (token + 1) * b), m.dtype, this.scratch.subarray(s * this.dim, (s + 1) * this.dim));
    });
    return this.scratch;
  }

  rowStatistics(rows?: Iterable<number>): { mean: Float64Array; variance: Float64Array } {
    return rowStatistics(this, rows);
  }
}

export class EmbeddingView implements EmbeddingRows {
  readonly data: Float32Array;

  constructor(readonly vocab: number, readonly slices: 1 | 2, readonly dim: number, data?: Float32Array) {
    const size = vocab * slices * dim;
    if (data && data.length !== size) throw new Error(`EmbeddingView: expected ${vocab}×${slices}×${dim} = ${size} values, got ${data.length}`);
    this.data = data ?? new Float32Array(size);
  }

  /** Builds the view from separate input and (optional, untied) output matrices, each [V, d] row-major. */
  static fromMatrices(input: Float32Array, output: Float32Array | null, vocab: number, dim: number): EmbeddingView {
    if (input.length !== vocab * dim) throw new Error(`EmbeddingView: input embedding has ${input.length} values, expected ${vocab}×${dim}`);
    if (output && output.length !== vocab * dim) throw new Error(`EmbeddingView: output embedding has ${output.length} values, expected ${vocab}×${dim}`);
    const view = new EmbeddingView(vocab, output ? 2 : 1, dim);
    for (let v = 0; v < vocab; v++) {
      view.data.set(input.subarray(v * dim, (v + 1) * dim), view.offset(v, 0));
      if (output) view.data.set(output.subarray(v * dim, (v + 1) * dim), view.offset(v, 1));
    }
    return view;
  }

  /** The [V, d] matrix of one slice (a copy). */
  matrix(slice: 0 | 1): Float32Array {
    if (slice >= this.slices) throw new Error("EmbeddingView: the model is tied, it has no separate output embedding");
    const out = new Float32Array(this.vocab * this.dim);
    for (let v = 0; v < this.vocab; v++) out.set(this.data.subarray(this.offset(v, slice), this.offset(v, slice) + this.dim), v * this.dim);
    return out;
  }

  offset(token: number, slice = 0): number {
    return (token * this.slices + slice) * this.dim;
  }

  /** The whole row of a token (all slices, S·d values), as a view into data. */
  row(token: number): Float32Array {
    const w = this.slices * this.dim;
    return this.data.subarray(token * w, (token + 1) * w);
  }

  get rowWidth(): number {
    return this.slices * this.dim;
  }

  /** Per-dimension mean and variance over all rows (each slice separately, laid out like a row). */
  rowStatistics(rows?: Iterable<number>): { mean: Float64Array; variance: Float64Array } {
    return rowStatistics(this, rows);
  }
}
