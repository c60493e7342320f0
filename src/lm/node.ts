// Node entry for language models: installs the backend shims, loads a model folder and its tokenizer.
import "../tensor/install-node-shims.js";
import { fileURLToPath } from "node:url";
import { stat } from "node:fs/promises";
import { initBackend } from "../tensor/backend.js";
import { loadModelFolder, type ModelFolder } from "./folder.js";
import { Tokenizer } from "../platform/node-tokenizer.js";
import { setPlatformGemm } from "../tensor/gemm.js";
import { loadOpenBlas } from "../node/openblas.js";
import { WorkerCoworker } from "../node/lm-coworker.js";
import { setPlatformCoworker } from "./coworker.js";

let coworker: WorkerCoworker | null = null;

/**
 * Installs OpenBLAS as the platform Gemm (the fast CPU path of Llama-family models) unless RETOKEN_CPU_LM=0, and a
 * coworker thread for its forwards where OpenBLAS has more than one thread (unless RETOKEN_LM_COWORKER=0); returns why
 * the CPU path is not used, or null.
 */
export function useOpenBlas(): string | null {
  if (process.env.RETOKEN_CPU_LM === "0") {
    setPlatformGemm(null);
    setPlatformCoworker(null);
    return "RETOKEN_CPU_LM=0";
  }
  const blas = loadOpenBlas();
  setPlatformGemm("gemm" in blas ? blas.gemm : null);
  // Only where OpenBLAS itself runs on more than one thread (OPENBLAS_NUM_THREADS=1 asks for one core, as scripts that
  // run beside other work do).
  const second = "gemm" in blas && blas.gemm.oneThread !== undefined && process.env.RETOKEN_LM_COWORKER !== "0";
  // Started by the first forward that can use it (which runs both halves itself meanwhile): commands that never run one
  // pay nothing.
  setPlatformCoworker(second ? (coworker ??= new WorkerCoworker()) : null);
  return "gemm" in blas ? null : blas.error;
}

let slowPathNoted = false;

/** Says once per process, on stderr, that language models run on the slower jax-js path and what fixes it. */
export function noteSlowPath(reason: string): void {
  if (slowPathNoted) return;
  slowPathNoted = true;
  process.stderr.write(
    `retoken: note: language models run on the slower jax-js path (about 4× slower) because ${reason}. ` +
      `Fix: bash scripts/setup.sh (installs Debian's libopenblas0-pthread), or set RETOKEN_OPENBLAS=/path/to/libopenblas.so\n`,
  );
}

/** The default model folder shipped with retoken (created by the training recipe, issue 5 part B). */
export const DEFAULT_MODEL_DIR = fileURLToPath(new URL("../../assets/default-model/", import.meta.url));

export async function loadLanguageModel(dir: string | undefined): Promise<{ folder: ModelFolder; tokenizer: Tokenizer; dir: string }> {
  const path = dir ?? DEFAULT_MODEL_DIR;
  const isDir = await stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isDir)
    throw new Error(dir ? `${dir}: not a model folder (expected a directory with config.json and model.safetensors)` : `no --model given and the default model folder ${path} does not exist yet (train it, or pass --model DIR)`);
  await initBackend();
  const slow = useOpenBlas();
  // Turning the CPU path off on purpose is no news; a missing library is.
  if (slow && process.env.RETOKEN_CPU_LM !== "0") noteSlowPath(slow);
  const folder = await loadModelFolder(path);
  if (!folder.tokenizerPath) throw new Error(`${path}: no tokenizer.json in the model folder`);
  const tokenizer = await Tokenizer.fromFile(folder.tokenizerPath);
  return { folder, tokenizer, dir: path };
}
