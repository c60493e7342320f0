// Starts a worker thread on a sibling module, from source or from the build alike.
import { Worker, type TransferListItem } from "node:worker_threads";

/**
 * `caller` is the calling module's import.meta.url and `name` the worker module without extension. Under tsx (tests,
 * bench) the worker registers the TypeScript loader before importing the .ts module; once built it runs the .js.
 */
export function startModuleWorker(caller: string, name: string, workerData?: unknown, transferList?: TransferListItem[]): Worker {
  const fromSource = caller.endsWith(".ts");
  const script = new URL(`./${name}${fromSource ? ".ts" : ".js"}`, caller);
  if (!fromSource) return new Worker(script, { workerData, transferList });
  const loader = JSON.stringify(import.meta.resolve("tsx/esm/api"));
  return new Worker(`import(${loader}).then((m) => { m.register(); return import(${JSON.stringify(script.href)}); })`, { eval: true, workerData, transferList });
}
