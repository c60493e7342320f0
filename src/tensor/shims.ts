// Node-only shims that let @jax-js/jax's wasm backend run multi-threaded on Node 20, in ONE place.
// Install from Node entry points (CLI, scripts, tests) before the first jax-js array is created:
//   import { installNodeShims } from "../tensor/shims.js"; installNodeShims();
// Browser code never imports this file: browsers have Worker, navigator and iterator helpers natively.
import { Worker as NodeWorker } from "node:worker_threads";
import { resolveObjectURL } from "node:buffer";
import { availableParallelism } from "node:os";

let installed = false;

/** Installs the iterator-helpers polyfill, a `navigator` object, and a Web-Worker shim over worker_threads. */
export function installNodeShims(options: { threads?: number } = {}): void {
  if (installed) return;
  installed = true;
  installIteratorHelpers();
  const threads = Math.max(1, options.threads ?? Number(process.env.RETOKEN_THREADS ?? Math.min(availableParallelism(), 2)));
  const g = globalThis as Record<string, unknown>;
  // jax-js sizes its worker pool from navigator.hardwareConcurrency and reads navigator.userAgent in its tiling heuristics.
  const nav = (g.navigator ?? {}) as Record<string, unknown>;
  try {
    Object.defineProperty(g, "navigator", { value: { ...nav, userAgent: String(nav.userAgent ?? "Node.js"), hardwareConcurrency: threads }, configurable: true, writable: true });
  } catch {
    /* navigator is read-only on this Node: jax-js falls back to its own default */
  }
  if (typeof g.Worker === "undefined" && threads > 1) g.Worker = WebWorkerShim;
}

// The worker side: evaluates the Web-Worker source it is sent, with `self`, `postMessage` and `onmessage` wired to the port.
const BOOTSTRAP = `
const { parentPort } = require("node:worker_threads");
const self = globalThis;
globalThis.self = self;
globalThis.postMessage = (data) => parentPort.postMessage(data);
let started = false;
const queued = [];
parentPort.on("message", (data) => {
  if (!started) {
    started = true;
    (0, eval)(data.__source);
    for (const q of queued.splice(0)) self.onmessage({ data: q });
    return;
  }
  self.onmessage({ data });
});
`;

/** A minimal Web `Worker` over worker_threads: loads a blob: URL's source, maps onmessage/onerror/postMessage. */
class WebWorkerShim {
  onmessage: ((e: { data: unknown }) => void) | null = null;
  onerror: ((e: { message: string }) => void) | null = null;
  #worker: NodeWorker;
  #pending: unknown[] | null = [];
  #awaiting = 0;

  constructor(url: string | URL) {
    this.#worker = new NodeWorker(BOOTSTRAP, { eval: true });
    // Unref'd while idle so a finished program exits, ref'd while a reply is awaited so Node does not exit mid-kernel
    // (every message jax-js posts gets exactly one reply).
    this.#worker.unref();
    this.#worker.on("message", (data) => {
      if (--this.#awaiting === 0) this.#worker.unref();
      this.onmessage?.({ data });
    });
    this.#worker.on("error", (err) => this.onerror?.({ message: String(err?.message ?? err) }));
    const blob = resolveObjectURL(String(url));
    if (!blob) throw new Error(`Worker shim: cannot resolve ${String(url)} (only blob: URLs are supported)`);
    void blob.text().then((source) => {
      this.#worker.postMessage({ __source: source });
      for (const m of this.#pending ?? []) this.#worker.postMessage(m);
      this.#pending = null;
    });
  }
  postMessage(data: unknown): void {
    if (this.#awaiting++ === 0) this.#worker.ref();
    if (this.#pending) this.#pending.push(data);
    else this.#worker.postMessage(data);
  }
  terminate(): void {
    void this.#worker.terminate();
  }
}

/** Iterator helpers (map/filter/toArray/...) on Iterator.prototype, which Node 20 lacks and jax-js's einsum uses. */
function installIteratorHelpers(): void {
  const proto = Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())) as Record<string, unknown>;
  const define = (name: string, fn: (...args: never[]) => unknown) => {
    if (typeof proto[name] !== "function") Object.defineProperty(proto, name, { value: fn, configurable: true, writable: true });
  };
  define("map", function* (this: Iterator<unknown>, f: (v: unknown, i: number) => unknown) {
    let i = 0;
    for (let r = this.next(); !r.done; r = this.next()) yield f(r.value, i++);
  });
  define("filter", function* (this: Iterator<unknown>, f: (v: unknown, i: number) => boolean) {
    let i = 0;
    for (let r = this.next(); !r.done; r = this.next()) if (f(r.value, i++)) yield r.value;
  });
  define("take", function* (this: Iterator<unknown>, n: number) {
    for (let i = 0; i < n; i++) {
      const r = this.next();
      if (r.done) return;
      yield r.value;
    }
  });
  define("drop", function* (this: Iterator<unknown>, n: number) {
    let r = this.next();
    for (let i = 0; i < n && !r.done; i++) r = this.next();
    for (; !r.done; r = this.next()) yield r.value;
  });
  define("flatMap", function* (this: Iterator<unknown>, f: (v: unknown, i: number) => Iterable<unknown>) {
    let i = 0;
    for (let r = this.next(); !r.done; r = this.next()) yield* f(r.value, i++);
  });
  define("toArray", function (this: Iterator<unknown>) {
    const out: unknown[] = [];
    for (let r = this.next(); !r.done; r = this.next()) out.push(r.value);
    return out;
  });
  define("forEach", function (this: Iterator<unknown>, f: (v: unknown, i: number) => void) {
    let i = 0;
    for (let r = this.next(); !r.done; r = this.next()) f(r.value, i++);
  });
  define("reduce", function (this: Iterator<unknown>, f: (a: unknown, v: unknown, i: number) => unknown, ...init: unknown[]) {
    let i = 0;
    let acc: unknown;
    if (init.length) acc = init[0];
    else {
      const r = this.next();
      if (r.done) throw new TypeError("reduce of empty iterator with no initial value");
      acc = r.value;
      i = 1;
    }
    for (let r = this.next(); !r.done; r = this.next()) acc = f(acc, r.value, i++);
    return acc;
  });
  define("some", function (this: Iterator<unknown>, f: (v: unknown, i: number) => boolean) {
    let i = 0;
    for (let r = this.next(); !r.done; r = this.next()) if (f(r.value, i++)) return true;
    return false;
  });
  define("every", function (this: Iterator<unknown>, f: (v: unknown, i: number) => boolean) {
    let i = 0;
    for (let r = this.next(); !r.done; r = this.next()) if (!f(r.value, i++)) return false;
    return true;
  });
  define("find", function (this: Iterator<unknown>, f: (v: unknown, i: number) => boolean) {
    let i = 0;
    for (let r = this.next(); !r.done; r = this.next()) if (f(r.value, i++)) return r.value;
    return undefined;
  });
}
