// The thread behind WorkerCoworker (./lm-coworker.ts). It runs the calling thread's own step functions
// (runCoworkerTask) on the shared arrays the tasks name, with OpenBLAS on one thread (the caller holds the library
// at one thread while a coworker's forward runs) and its own wasm kernels. It never returns to its event loop: it
// reads its port directly, polling the shared counter between tasks and sleeping on it when none comes.
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from "node:worker_threads";
import { loadOpenBlas } from "./openblas.js";
import { CpuKernels } from "../lm/llama-cpu.js";
import { runCoworkerTask, type CoworkerTask } from "../lm/coworker.js";
import { FROM_WORKER, POLL_MS, TO_WORKER, unpackArrays, type CoworkerReply, type CoworkerRequest } from "./lm-coworker.js";

const { tasks, replies, counters } = workerData as { tasks: MessagePort; replies: MessagePort; counters: Int32Array };

function reply(message: CoworkerReply): void {
  replies.postMessage(message);
  Atomics.add(counters, FROM_WORKER, 1);
  Atomics.notify(counters, FROM_WORKER);
}

function serve(k: CpuKernels): never {
  const buffers = new Map<number, SharedArrayBuffer>();
  let received = 0;
  for (;;) {
    const got = receiveMessageOnPort(tasks);
    if (!got) {
      const since = performance.now();
      while (Atomics.load(counters, TO_WORKER) === received && performance.now() - since < POLL_MS);
      if (Atomics.load(counters, TO_WORKER) === received) Atomics.wait(counters, TO_WORKER, received, 1000);
      continue;
    }
    received++;
    const request = got.message as CoworkerRequest;
    if (request.kind === "share") buffers.set(request.id, request.buffer);
    else if (request.kind === "forget") buffers.delete(request.id);
    else
      try {
        runCoworkerTask(k, unpackArrays(request.task, buffers) as CoworkerTask);
        reply({ kind: "done", seq: request.seq });
      } catch (e) {
        reply({ kind: "done", seq: request.seq, error: (e as Error).message });
      }
  }
}

const blas = loadOpenBlas();
// Loaded: the calling thread's process may now exit without waiting for this one (see WorkerCoworker.warm).
parentPort!.postMessage("loaded");
if ("gemm" in blas) {
  const k = new CpuKernels(blas.gemm, { coworker: null });
  reply({ kind: "ready", gemm: blas.gemm.name, vector: k.vector.name });
  serve(k);
} else reply({ kind: "unavailable", error: blas.error });
