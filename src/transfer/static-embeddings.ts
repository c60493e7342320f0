// Static token embeddings trained on target-language text, the auxiliary space of FOCUS/WECHSEL-style transfer
// when no donor model exists: positive PMI of token co-occurrences in a window, factorised by a randomized SVD
// (Halko et al. 2011); vectors = U_k · sqrt(Σ_k). Deterministic for a seed.

import { gaussian, mulberry32 } from "../util/random.js";

export interface StaticEmbeddingOptions {
  dim?: number;
  window?: number;
  /** Power iterations of the randomized SVD (more = more accurate). */
  powerIterations?: number;
  seed?: number;
}

/** Sparse symmetric matrix in compressed rows. */
interface SparseRows {
  n: number;
  rowStart: Int32Array;
  cols: Int32Array;
  values: Float32Array;
}

function cooccurrencePpmi(sequences: Iterable<ArrayLike<number>>, vocab: number, window: number): SparseRows {
  const rows: Map<number, number>[] = Array.from({ length: vocab }, () => new Map());
  const rowTotals = new Float64Array(vocab);
  let total = 0;
  for (const seq of sequences) {
    for (let i = 0; i < seq.length; i++) {
      const id = seq[i]!;
      if (!(id >= 0 && id < vocab)) throw new Error(`static embeddings: token id ${id} outside the vocabulary of ${vocab}`);
    }
    for (let i = 0; i < seq.length; i++) {
      const a = seq[i]!;
      for (let j = i + 1; j <= i + window && j < seq.length; j++) {
        const b = seq[j]!;
        const w = 1 / (j - i); // nearer neighbours count more, as word2vec's dynamic window does on average
        rows[a]!.set(b, (rows[a]!.get(b) ?? 0) + w);
        rows[b]!.set(a, (rows[b]!.get(a) ?? 0) + w);
        rowTotals[a]! += w;
        rowTotals[b]! += w;
        total += 2 * w;
      }
    }
  }
  const rowStart = new Int32Array(vocab + 1);
  let nnz = 0;
  for (let v = 0; v < vocab; v++) {
    rowStart[v] = nnz;
    nnz += rows[v]!.size;
  }
  rowStart[vocab] = nnz;
  const cols = new Int32Array(nnz);
  const values = new Float32Array(nnz);
  let k = 0;
  for (let v = 0; v < vocab; v++) {
    for (const [c, n] of [...rows[v]!].sort((x, y) => x[0] - y[0])) {
      const pmi = Math.log((n * total) / (rowTotals[v]! * rowTotals[c]!));
      cols[k] = c;
      values[k] = Math.max(0, pmi);
      k++;
    }
  }
  return { n: vocab, rowStart, cols, values };
}

/** out[n×m] = A[n×n] · X[n×m] for the sparse symmetric A. */
function multiply(a: SparseRows, x: Float64Array, m: number): Float64Array {
  const out = new Float64Array(a.n * m);
  for (let r = 0; r < a.n; r++) {
    for (let p = a.rowStart[r]!; p < a.rowStart[r + 1]!; p++) {
      const v = a.values[p]!;
      if (v === 0) continue;
      const c = a.cols[p]!;
      for (let j = 0; j < m; j++) out[r * m + j]! += v * x[c * m + j]!;
    }
  }
  return out;
}

/** Orthonormalises the m columns of X[n×m] in place (modified Gram–Schmidt). */
function orthonormalise(x: Float64Array, n: number, m: number): void {
  for (let j = 0; j < m; j++) {
    for (let p = 0; p < j; p++) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += x[i * m + j]! * x[i * m + p]!;
      for (let i = 0; i < n; i++) x[i * m + j]! -= dot * x[i * m + p]!;
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += x[i * m + j]! ** 2;
    norm = Math.sqrt(norm) || 1;
    for (let i = 0; i < n; i++) x[i * m + j]! /= norm;
  }
}

/** Eigen-decomposition of a small symmetric matrix (cyclic Jacobi); returns eigenvalues and column eigenvectors. */
export function symmetricEigen(s: Float64Array, m: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(s);
  const v = new Float64Array(m * m);
  for (let i = 0; i < m; i++) v[i * m + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < m; p++) for (let q = p + 1; q < m; q++) off += a[p * m + q]! ** 2;
    if (off < 1e-22) break;
    for (let p = 0; p < m; p++) {
      for (let q = p + 1; q < m; q++) {
        const apq = a[p * m + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q * m + q]! - a[p * m + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const sn = t * c;
        for (let k = 0; k < m; k++) {
          const akp = a[k * m + p]!;
          const akq = a[k * m + q]!;
          a[k * m + p] = c * akp - sn * akq;
          a[k * m + q] = sn * akp + c * akq;
        }
        for (let k = 0; k < m; k++) {
          const apk = a[p * m + k]!;
          const aqk = a[q * m + k]!;
          a[p * m + k] = c * apk - sn * aqk;
          a[q * m + k] = sn * apk + c * aqk;
        }
        for (let k = 0; k < m; k++) {
          const vkp = v[k * m + p]!;
          const vkq = v[k * m + q]!;
          v[k * m + p] = c * vkp - sn * vkq;
          v[k * m + q] = sn * vkp + c * vkq;
        }
      }
    }
  }
  const values = Float64Array.from({ length: m }, (_, i) => a[i * m + i]!);
  return { values, vectors: v };
}

/**
 * Trains static embeddings [vocab × dim] (row-major) from token id sequences. Tokens that never occur get a zero row
 * (aux-kNN skips them).
 */
export function trainStaticEmbeddings(sequences: Iterable<ArrayLike<number>>, vocab: number, options: StaticEmbeddingOptions = {}): Float32Array {
  const dim = options.dim ?? 64;
  const m = Math.min(vocab, dim + 10);
  const ppmi = cooccurrencePpmi(sequences, vocab, options.window ?? 5);
  const g = gaussian(mulberry32(options.seed ?? 0));
  let y = multiply(ppmi, Float64Array.from({ length: vocab * m }, g), m);
  orthonormalise(y, vocab, m);
  for (let it = 0; it < (options.powerIterations ?? 3); it++) {
    y = multiply(ppmi, y, m);
    orthonormalise(y, vocab, m);
  }
  // A ≈ Q (Qᵀ A Q) Qᵀ for the symmetric A: the eigenvectors of the small matrix give A's leading ones.
  const aq = multiply(ppmi, y, m);
  const small = new Float64Array(m * m);
  for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) {
    let s = 0;
    for (let r = 0; r < vocab; r++) s += y[r * m + i]! * aq[r * m + j]!;
    small[i * m + j] = s;
  }
  const { values, vectors } = symmetricEigen(small, m);
  const order = Array.from({ length: m }, (_, i) => i).sort((p, q) => Math.abs(values[q]!) - Math.abs(values[p]!));
  const k = Math.min(dim, m);
  const out = new Float32Array(vocab * dim);
  for (let r = 0; r < vocab; r++) {
    if (ppmi.rowStart[r + 1]! === ppmi.rowStart[r]!) continue;
    for (let c = 0; c < k; c++) {
      const e = order[c]!;
      let u = 0;
      for (let j = 0; j < m; j++) u += y[r * m + j]! * vectors[j * m + e]!;
      out[r * dim + c] = u * Math.sqrt(Math.abs(values[e]!));
    }
  }
  return out;
}

/** The auxiliary space of aux-kNN from plain target-language text: each non-empty line encoded by the target
 * tokenizer (no special tokens), static embeddings over its whole vocabulary. */
export function staticEmbeddingsFromText(
  text: string,
  tokenizer: { encode(text: string, options?: { addSpecialTokens?: boolean }): { ids: ArrayLike<number> }; vocabSize(withAddedTokens?: boolean): number },
  options: StaticEmbeddingOptions = {},
): { space: Float32Array; dim: number } {
  const sequences = text.split("\n").filter((l) => l.trim()).map((l) => tokenizer.encode(l, { addSpecialTokens: false }).ids);
  if (sequences.length === 0) throw new Error("static embeddings: the text has no non-empty line");
  const dim = options.dim ?? 64;
  return { space: trainStaticEmbeddings(sequences, tokenizer.vocabSize(true), { ...options, dim }), dim };
}
