// The one module that talks to the numeric backend (@jax-js/jax). Models import from here, never from jax-js directly,
// so a backend swap touches this file only. jax-js arrays are reference-counted: every op consumes its arguments;
// pass `x.ref` to keep using `x` afterwards (see the jax-js README, "Reference counting").
import { numpy, nn, lax, random, init, grad, valueAndGrad, jit, vjp, tree } from "@jax-js/jax";
import type { Array as JaxArray } from "@jax-js/jax";

export { numpy as np, nn, lax, random, grad, valueAndGrad, jit, vjp, tree };
export type Tensor = JaxArray;

let ready: Promise<void> | null = null;
/** Starts the backend once (wasm by default). On Node, call installNodeShims() (src/tensor/shims.ts) first for 2 threads. */
export function initBackend(): Promise<void> {
  ready ??= init().then(() => undefined);
  return ready;
}

/** A float32 tensor of the given shape from a typed array (copied into backend memory). */
export function fromFloat32(data: Float32Array, shape: number[]): Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  if (size !== data.length) throw new Error(`fromFloat32: ${data.length} values do not fill shape [${shape.join(", ")}]`);
  return numpy.array(data).reshape(shape);
}

/** An int32 tensor (token ids, indices). */
export function fromInt32(data: ArrayLike<number>, shape: number[] = [data.length]): Tensor {
  return numpy.array(Int32Array.from(data), { dtype: numpy.int32 }).reshape(shape);
}

/** Reads a tensor back as float32 (consumes it). */
export async function toFloat32(t: Tensor): Promise<Float32Array> {
  const d = await t.astype(numpy.float32).data();
  return d instanceof Float32Array ? d : Float32Array.from(d as ArrayLike<number>);
}

/** Rows of `table` [V, d] at `ids` (consumes table; ids is plain). Uses take, not one-hot (a V×V one-hot is too big). */
export function gatherRows(table: Tensor, ids: ArrayLike<number>): Tensor {
  return numpy.take(table, fromInt32(ids), 0);
}
