// OpenBLAS's sgemm for the hand-written CPU model (src/lm/llama-cpu.ts), called through koffi (a C FFI with prebuilt
// binaries: no compiler at install time). Node-only; the library is Debian's libopenblas0 (`apt-get install
// libopenblas0-pthread`), found by its soname or by RETOKEN_OPENBLAS=/path/to/libopenblas.so.
import { createRequire } from "node:module";
import type { Gemm } from "../tensor/gemm.js";

const ROW_MAJOR = 101;
const NO_TRANS = 111;
const TRANS = 112;

type Sgemm = (
  order: number, ta: number, tb: number, m: number, n: number, k: number, alpha: number,
  a: Float32Array, lda: number, b: Float32Array, ldb: number, beta: number, c: Float32Array, ldc: number,
) => void;

let loaded: { gemm: Gemm } | { error: string } | null = null;

/** OpenBLAS as a Gemm, or the reason it cannot be loaded (no koffi binary for this platform, no libopenblas). */
export function loadOpenBlas(): { gemm: Gemm } | { error: string } {
  if (loaded) return loaded;
  const candidates = process.env.RETOKEN_OPENBLAS ? [process.env.RETOKEN_OPENBLAS] : ["libopenblas.so.0", "libopenblas.so", "libopenblas.dylib"];
  let koffi: { load(path: string): { func(signature: string): unknown } };
  try {
    koffi = createRequire(import.meta.url)("koffi");
  } catch (e) {
    return (loaded = { error: `the koffi FFI module does not load here (${(e as Error).message.split("\n")[0]})` });
  }
  const errors: string[] = [];
  for (const path of candidates) {
    try {
      const lib = koffi.load(path);
      const sgemm = lib.func(
        "void cblas_sgemm(int order, int transA, int transB, int M, int N, int K, float alpha, const float *A, int lda, const float *B, int ldb, float beta, _Inout_ float *C, int ldc)",
      ) as Sgemm;
      const gemm: Gemm = {
        name: `OpenBLAS (${path})`,
        sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) {
          sgemm(ROW_MAJOR, transA ? TRANS : NO_TRANS, transB ? TRANS : NO_TRANS, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        },
      };
      const threads = threadControl(lib);
      // Restored to the count the library started with, not to what it was on entry: a worker thread running a model
      // at the same time cannot leave the process on one thread.
      const initial = threads?.get() ?? 1;
      if (threads && initial > 1)
        gemm.oneThread = (f) => {
          threads.set(1);
          try {
            return f();
          } finally {
            threads.set(initial);
          }
        };
      return (loaded = { gemm });
    } catch (e) {
      errors.push(`${path}: ${(e as Error).message.split("\n")[0]}`);
    }
  }
  return (loaded = { error: `no OpenBLAS library found (apt-get install libopenblas0-pthread, or set RETOKEN_OPENBLAS): ${errors.join("; ")}` });
}

/** OpenBLAS's own thread count, where the library is OpenBLAS (another CBLAS under RETOKEN_OPENBLAS may lack it). */
function threadControl(lib: { func(signature: string): unknown }): { get(): number; set(n: number): void } | null {
  try {
    const get = lib.func("int openblas_get_num_threads()") as () => number;
    const set = lib.func("void openblas_set_num_threads(int n)") as (n: number) => void;
    return { get, set };
  } catch {
    return null;
  }
}
