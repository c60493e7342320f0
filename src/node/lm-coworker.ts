// Node's coworker for the CPU language model (src/lm/coworker.ts): a worker thread with its own OpenBLAS handle and
// wasm kernels. A forward is synchronous, so the threads meet on a pair of shared counters, not on events: each polls
// the other's counter for a couple of milliseconds before it sleeps on it. Waking a sleeping thread cost 0.4–1.2 ms a
// task on the 2-core VM (a halted virtual CPU is slow to wake), more than a layer's step saves; OpenBLAS's own threads
// poll in the same way. A thread that never answers — it failed to start, died or hangs — is given up on after a
// deadline, and the caller does the work itself.
import { MessageChannel, receiveMessageOnPort, type MessagePort, type Worker } from "node:worker_threads";
import type { CoworkerTask, CpuCoworker } from "../lm/coworker.js";
import { startModuleWorker } from "./module-worker.js";
import { loadOpenBlas } from "./openblas.js";
import { vectorKernels } from "../tensor/vector-kernels.js";

/** Indices into the shared counters: messages posted to the thread, and by it. Each side adds 1 after posting. */
export const TO_WORKER = 0;
export const FROM_WORKER = 1;
/** How long a thread polls for the other's next message before it sleeps. */
export const POLL_MS = 2;

/**
 * What the calling thread posts. A shared buffer goes to the thread once ("share") and tasks name it by id: a
 * SharedArrayBuffer posted with every task would arrive as a new object each time.
 */
export type CoworkerRequest = { kind: "share"; id: number; buffer: SharedArrayBuffer } | { kind: "forget"; id: number } | { kind: "task"; seq: number; task: unknown };

/** What the thread posts. */
export type CoworkerReply = { kind: "ready"; gemm: string; vector: string } | { kind: "unavailable"; error: string } | { kind: "done"; seq: number; error?: string };

/** A Float32Array or Float64Array of a task as it travels: its kind, its buffer's id and where it lies in it. */
interface PackedArray {
  packed: "f32" | "f64";
  buffer: number;
  offset: number;
  length: number;
}

/** The task with each Float32Array and Float64Array (at any depth of its plain objects) replaced by a PackedArray. */
export function packArrays(value: unknown, idOf: (buffer: SharedArrayBuffer) => number): unknown {
  if (value instanceof Float32Array || value instanceof Float64Array) {
    if (!(value.buffer instanceof SharedArrayBuffer)) throw new Error("coworker: a task's arrays must be views of a SharedArrayBuffer");
    return { packed: value instanceof Float32Array ? "f32" : "f64", buffer: idOf(value.buffer), offset: value.byteOffset, length: value.length } satisfies PackedArray;
  }
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, packArrays(v, idOf)]));
}

/** The inverse of packArrays, given the buffers by id. */
export function unpackArrays(value: unknown, buffers: Map<number, SharedArrayBuffer>): unknown {
  if (value === null || typeof value !== "object") return value;
  const p = value as Partial<PackedArray>;
  if (p.packed === "f32" || p.packed === "f64") {
    const buffer = buffers.get(p.buffer!);
    if (!buffer) throw new Error(`coworker: buffer ${p.buffer} was never shared`);
    return p.packed === "f32" ? new Float32Array(buffer, p.offset, p.length) : new Float64Array(buffer, p.offset, p.length);
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unpackArrays(v, buffers)]));
}

/** How many times the caller's own half a task may take before the thread is given up on (and at least minWaitMs). */
const SLOWER_THAN_HERE = 20;

export interface CoworkerOptions {
  /** The thread's module (default: ./lm-coworker-worker beside this file), as startModuleWorker takes it. */
  worker?: { caller: string; name: string };
  /** The least time a task is waited for (default 10 s). */
  minWaitMs?: number;
}

export class WorkerCoworker implements CpuCoworker {
  private worker: Worker | null = null;
  private readonly toWorker: MessagePort;
  private readonly fromWorker: MessagePort;
  private readonly workerEnds: [MessagePort, MessagePort];
  private readonly counters = new Int32Array(new SharedArrayBuffer(8));
  private received = 0;
  private seq = 0;
  private state: "idle" | "starting" | "ready" | "gone" = "idle";
  /** The Gemm and kernels the thread is to run, by name: this thread's own. */
  private readonly names: { gemm: string | null; vector: string };
  /** Buffers the thread holds, by id; one this side lets go of is let go of there too. */
  private readonly bufferIds = new WeakMap<SharedArrayBuffer, number>();
  private buffersSent = 0;
  private readonly forget = new FinalizationRegistry<number>((id) => {
    if (this.state === "ready") this.post({ kind: "forget", id });
  });
  /** Why the coworker is gone (tests and diagnostics). */
  goneBecause: string | null = null;
  /** Tasks the thread has done. */
  done = 0;
  private readonly workerModule: { caller: string; name: string };
  private readonly minWaitMs: number;

  constructor(options: CoworkerOptions = {}) {
    this.workerModule = options.worker ?? { caller: import.meta.url, name: "lm-coworker-worker" };
    this.minWaitMs = options.minWaitMs ?? 10_000;
    const blas = loadOpenBlas();
    this.names = { gemm: "gemm" in blas ? blas.gemm.name : null, vector: vectorKernels().name };
    const tasks = new MessageChannel();
    const replies = new MessageChannel();
    this.toWorker = tasks.port1;
    this.fromWorker = replies.port1;
    this.workerEnds = [tasks.port2, replies.port2];
    this.fromWorker.unref();
  }

  /** Starts the thread now rather than at the first forward (which runs both halves itself while the thread starts). */
  warm(): void {
    if (this.state !== "idle") return;
    this.state = "starting";
    const [tasks, replies] = this.workerEnds;
    const worker = startModuleWorker(this.workerModule.caller, this.workerModule.name, { tasks, replies, counters: this.counters }, [tasks, replies]);
    // The process waits for the thread to finish loading before it may exit: a thread stopped while it loads OpenBLAS
    // (koffi) takes the process down with a fatal error. Once loaded it waits in JavaScript, where stopping is safe.
    worker.once("message", () => worker.unref());
    worker.on("error", (e) => this.giveUp(`the thread failed: ${e.message}`));
    worker.on("exit", (code) => this.giveUp(`the thread exited (code ${code})`));
    this.worker = worker;
  }

  /** Whether the thread runs this Gemm and these kernels: the ones this thread loads (the thread loads them the same
   * way). Starts the thread if it is not started. */
  runs(gemm: string, vector: string): boolean {
    this.warm();
    this.drain();
    return gemm === this.names.gemm && vector === this.names.vector;
  }

  /** Resolves once the thread is up (true) or gone (false); starts it if it is not started. */
  async ready(): Promise<boolean> {
    this.warm();
    for (;;) {
      this.drain();
      if (this.state === "ready" || this.state === "gone") return this.state === "ready";
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  start(task: CoworkerTask): ((hereMs: number) => boolean) | null {
    this.drain();
    if (this.state !== "ready") return null;
    const seq = ++this.seq;
    this.post({ kind: "task", seq, task: packArrays(task, (buffer) => this.bufferId(buffer)) });
    return (hereMs) => this.wait(seq, hereMs);
  }

  /** Stops the thread (forwards then run on the calling thread alone). */
  async close(): Promise<void> {
    this.giveUp("closed", false);
    // A thread given up on earlier was left running (see wait); stopping one twice is harmless.
    await this.worker?.terminate();
    this.fromWorker.close();
  }

  private post(message: CoworkerRequest): void {
    this.toWorker.postMessage(message);
    Atomics.add(this.counters, TO_WORKER, 1);
    Atomics.notify(this.counters, TO_WORKER);
  }

  /** The id under which the thread knows `buffer`, sent to it the first time. */
  private bufferId(buffer: SharedArrayBuffer): number {
    let id = this.bufferIds.get(buffer);
    if (id === undefined) {
      this.bufferIds.set(buffer, (id = ++this.buffersSent));
      this.post({ kind: "share", id, buffer });
      this.forget.register(buffer, id);
    }
    return id;
  }

  /** Blocks until task `seq` is answered: true when done, false when the thread is given up on; throws a task's error. */
  private wait(seq: number, hereMs: number): boolean {
    const start = performance.now();
    const limit = Math.max(this.minWaitMs, SLOWER_THAN_HERE * hereMs);
    for (;;) {
      for (let reply = this.receive(); reply; reply = this.receive()) {
        if (reply.kind !== "done" || reply.seq !== seq) continue;
        if (reply.error !== undefined) throw new Error(`the LM coworker thread failed: ${reply.error}`);
        this.done++;
        return true;
      }
      if (this.state === "gone") return false;
      const waited = performance.now() - start;
      if (waited > limit) {
        // Not stopped: a thread stopped inside a native call (OpenBLAS through koffi) takes the process down, and one
        // that is only slow finishes its task into buffers the caller has left (see CpuKernels.split) and then waits.
        this.giveUp(`no answer in ${Math.round(limit)} ms`, false);
        return false;
      }
      if (waited < POLL_MS) while (Atomics.load(this.counters, FROM_WORKER) === this.received && performance.now() - start < POLL_MS);
      else Atomics.wait(this.counters, FROM_WORKER, this.received, 50);
    }
  }

  /** Reads the replies that arrived while no task waited on them (the ready message, late answers). */
  private drain(): void {
    while (this.receive());
  }

  private receive(): CoworkerReply | undefined {
    if (Atomics.load(this.counters, FROM_WORKER) === this.received) return undefined;
    const got = receiveMessageOnPort(this.fromWorker);
    if (!got) return undefined;
    this.received++;
    const reply = got.message as CoworkerReply;
    if (reply.kind === "ready" && this.state === "starting") {
      if (reply.gemm === this.names.gemm && reply.vector === this.names.vector) this.state = "ready";
      else this.giveUp(`the thread runs ${reply.gemm} and ${reply.vector}, not ${this.names.gemm} and ${this.names.vector}`);
    }
    if (reply.kind === "unavailable") this.giveUp(reply.error);
    return reply;
  }

  private giveUp(why: string, stop = true): void {
    if (this.state === "gone") return;
    this.state = "gone";
    this.goneBecause = why;
    if (stop) void this.worker?.terminate();
  }
}
