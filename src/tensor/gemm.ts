// Single-precision matrix multiply, the one operation a hand-written CPU model needs from outside: Node plugs in
// OpenBLAS (src/node/openblas.ts); everything else gets this file's plain-JS kernel. Row-major, BLAS conventions:
//   C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C,   op(X) = X or Xᵀ,
// where lda/ldb/ldc are the row strides of the matrices as stored (so a head inside a [tokens, heads·dim] array is a
// subarray with stride heads·dim, no copy).

export interface Gemm {
  readonly name: string;
  sgemm(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    alpha: number,
    a: Float32Array,
    lda: number,
    b: Float32Array,
    ldb: number,
    beta: number,
    c: Float32Array,
    ldc: number,
  ): void;
  /** Runs `f` with the library's own threads off, where it has any: attention's per-head products (256 × 256 × 32)
   * are too small to share between threads (measured 1.5× faster on one thread of two). */
  oneThread?<T>(f: () => T): T;
}

/** The portable kernel: i-k-j loops over contiguous rows of B; A·Bᵀ (every linear layer: weights are [out, in]) as
 * dot products of contiguous rows of A and B, four at a time (a column gather per step was 6× slower in Chromium). */
export const jsGemm: Gemm = {
  name: "js",
  sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) {
    if (transB && !transA) {
      for (let i = 0; i < m; i++) {
        const ai = i * lda;
        const ci = i * ldc;
        for (let j = 0; j < n; j++) {
          const bj = j * ldb;
          let s0 = 0;
          let s1 = 0;
          let s2 = 0;
          let s3 = 0;
          let p = 0;
          for (; p + 3 < k; p += 4) {
            s0 += a[ai + p]! * b[bj + p]!;
            s1 += a[ai + p + 1]! * b[bj + p + 1]!;
            s2 += a[ai + p + 2]! * b[bj + p + 2]!;
            s3 += a[ai + p + 3]! * b[bj + p + 3]!;
          }
          for (; p < k; p++) s0 += a[ai + p]! * b[bj + p]!;
          const dot = alpha * (s0 + s1 + s2 + s3);
          c[ci + j] = beta === 0 ? dot : dot + beta * c[ci + j]!;
        }
      }
      return;
    }
    const bRow = new Float32Array(n);
    for (let i = 0; i < m; i++) {
      const ci = i * ldc;
      if (beta === 0) c.fill(0, ci, ci + n);
      else if (beta !== 1) for (let j = 0; j < n; j++) c[ci + j]! *= beta;
      for (let p = 0; p < k; p++) {
        const aip = alpha * (transA ? a[p * lda + i]! : a[i * lda + p]!);
        if (aip === 0) continue;
        if (transB) {
          for (let j = 0; j < n; j++) bRow[j] = b[j * ldb + p]!;
          for (let j = 0; j < n; j++) c[ci + j]! += aip * bRow[j]!;
        } else {
          const bp = p * ldb;
          for (let j = 0; j < n; j++) c[ci + j]! += aip * b[bp + j]!;
        }
      }
    }
  },
};

let platform: Gemm | null = null;

/** Sets the fastest Gemm this platform has (Node's LM entry installs OpenBLAS when it loads); null clears it. */
export function setPlatformGemm(gemm: Gemm | null): void {
  platform = gemm;
}

/** The Gemm set by setPlatformGemm, or null: then models run on the tensor backend alone. */
export function platformGemm(): Gemm | null {
  return platform;
}
