// Training checkpoints on disk (Node only): parameters, AdamW moments and a JSON state (step, data position, anything
// the caller needs to resume bit-for-bit), written as one folder atomically — a temp folder, then rename — so a
// crash mid-write leaves the previous checkpoint intact.
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { AdamWState, Arrays } from "../tensor/optim.js";
import { encodeFromNumbers, type TensorToWrite } from "../tensor/safetensors.js";
import { openSafetensors, writeSafetensors } from "../node/safetensors.js";
import { removeOnSignal, replaceFolder } from "../node/files.js";
import type { Shapes } from "./train.js";

export interface TrainingCheckpoint<S> {
  arrays: Arrays;
  shapes: Shapes;
  optimizer: AdamWState;
  state: S;
}

function tensors(arrays: Arrays, shapes: Shapes, prefix = ""): TensorToWrite[] {
  return Object.keys(arrays)
    .sort()
    .map((name) => ({ name: prefix + name, dtype: "F32" as const, shape: shapes[name]!, data: encodeFromNumbers(arrays[name]!, "F32") }));
}

async function readAll(path: string): Promise<Map<string, { shape: number[]; data: Float32Array }>> {
  const f = await openSafetensors(path);
  try {
    const out = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const t of f.header.tensors) out.set(t.name, { shape: t.shape, data: (await f.readFloat32(t.name)).data });
    return out;
  } finally {
    await f.close();
  }
}

export async function saveTrainingCheckpoint<S>(dir: string, ckpt: TrainingCheckpoint<S>): Promise<void> {
  const tmp = join(dirname(dir), `.${basename(dir)}.${process.pid}.tmp`);
  await rm(tmp, { recursive: true, force: true });
  const stopWatching = removeOnSignal(tmp);
  await mkdir(tmp, { recursive: true });
  try {
    await writeSafetensors(join(tmp, "params.safetensors"), tensors(ckpt.arrays, ckpt.shapes));
    const { m, v, step } = ckpt.optimizer;
    await writeSafetensors(join(tmp, "optimizer.safetensors"), [...tensors(m, ckpt.shapes, "m."), ...tensors(v, ckpt.shapes, "v.")]);
    await writeFile(join(tmp, "state.json"), JSON.stringify({ optimizerStep: step, state: ckpt.state }, null, 2) + "\n");
    await replaceFolder(tmp, dir);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  } finally {
    stopWatching();
  }
}

export async function loadTrainingCheckpoint<S>(dir: string): Promise<TrainingCheckpoint<S>> {
  let meta: { optimizerStep: number; state: S };
  try {
    meta = JSON.parse(await readFile(join(dir, "state.json"), "utf8")) as { optimizerStep: number; state: S };
  } catch (e) {
    throw new Error(`${join(dir, "state.json")}: cannot read the checkpoint state (${(e as Error).message})`);
  }
  const arrays: Arrays = {};
  const shapes: Shapes = {};
  for (const [name, t] of await readAll(join(dir, "params.safetensors"))) {
    arrays[name] = t.data;
    shapes[name] = t.shape;
  }
  const m: Arrays = {};
  const v: Arrays = {};
  for (const [name, t] of await readAll(join(dir, "optimizer.safetensors"))) {
    const key = name.slice(2);
    if (!(key in arrays)) throw new Error(`${join(dir, "optimizer.safetensors")}: moment "${name}" has no parameter`);
    (name.startsWith("m.") ? m : v)[key] = t.data;
  }
  return { arrays, shapes, optimizer: { step: meta.optimizerStep, m, v }, state: meta.state };
}
