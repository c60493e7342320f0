// A second thread for the CPU model's forward (and a training step's forward, softmax and attention backward).
// OpenBLAS spreads one matrix product over the cores, but everything
// between the products — attention's per-head work (products too small to share, a softmax), norms, rotations, the
// SiLU product — ran on one thread while the other core waited. A coworker instead takes half of every step of a
// layer (rows of the row-wise steps, heads of attention) on buffers both threads see, and the products run on one
// BLAS thread in each. Nothing here depends on how the thread is made: Node's worker (src/node/lm-coworker.ts) plugs
// in through setPlatformCoworker; a browser runs without one.
import type { CpuKernels, FinalArrays, HeadsBackwardArrays, LayerArrays } from "./llama-cpu.js";
import { attendHeads, attendHeadsBackward, expFinalRows, finalRows, layerRowsIn, layerRowsOut } from "./llama-cpu.js";

/** One step's share for the coworker: rows or heads [from, to). Its arrays are views of SharedArrayBuffers. */
export type CoworkerTask =
  | { kind: "rowsIn" | "heads" | "rowsOut"; layer: LayerArrays; from: number; to: number }
  | { kind: "final" | "exp"; final: FinalArrays; from: number; to: number }
  | { kind: "headsBackward"; heads: HeadsBackwardArrays; from: number; to: number };

/** Runs a task: the calling thread's functions on the coworker's own kernels. */
export function runCoworkerTask(k: CpuKernels, task: CoworkerTask): void {
  switch (task.kind) {
    case "final":
      return finalRows(k, task.final, task.from, task.to);
    case "exp":
      return expFinalRows(k, task.final, task.from, task.to);
    case "headsBackward":
      return attendHeadsBackward(k, task.heads, task.from, task.to);
    default:
      return (task.kind === "rowsIn" ? layerRowsIn : task.kind === "heads" ? attendHeads : layerRowsOut)(k, task.layer, task.from, task.to);
  }
}

export interface CpuCoworker {
  /**
   * Whether the coworker runs this Gemm and these element-wise kernels (by name), whether or not its thread is up:
   * its halves must come out exactly as the caller's would, and a forward split for it gives the same logits when the
   * caller ends up running both halves (the thread still starting, or gone).
   */
  runs(gemm: string, vector: string): boolean;
  /**
   * Starts `task` on the other thread, or returns null when the coworker cannot take it now (still starting, or gone):
   * then the caller runs it itself. The returned function blocks until the task is done and returns true (or throws
   * the task's error); false means the coworker was given up on (no answer in far longer than the caller's own half
   * took, `hereMs`) and the caller must run the task itself.
   */
  start(task: CoworkerTask): ((hereMs: number) => boolean) | null;
}

let platform: CpuCoworker | null = null;

/** Sets the coworker CPU forwards use by default (Node's LM entry starts one where there is a second core); null clears it. */
export function setPlatformCoworker(coworker: CpuCoworker | null): void {
  platform = coworker;
}

export function platformCoworker(): CpuCoworker | null {
  return platform;
}
