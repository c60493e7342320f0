// The residual hypernetwork (the design tokenkit adopted after ZeTT v1): a new token's embedding row is predicted from
// the source-model rows of the pieces the SOURCE tokenizer splits it into, as
//     prediction = base(pieces) + outScale ⊙ head(encoder(proj((pieces − inShift) / inScale) + positions))[0]
// where base is FVT (mean of the piece rows, or the first piece's row) and head starts at zero — so an untrained
// network IS FVT, and training can only move away from it as far as the LM loss asks. In/out rescalers are frozen
// per-dimension statistics of the source embeddings (as ZeTT's), so the network works in unit scale.
import { np, nn, fromFloat32, toFloat32, jit, tree, type Tensor } from "../../tensor/backend.js";
import { attend, layerNorm, linear, type Params } from "../../lm/model.js";
import { EmbeddingView } from "../embedding-view.js";
import { gaussian, mulberry32 } from "../../util/random.js";
import type { Arrays } from "../../tensor/optim.js";
import { platformGemm } from "../../tensor/gemm.js";
import { CpuWorkspace } from "../../lm/llama-cpu.js";
import { predictRowsCpu } from "./cpu-step.js";

export interface ResidualHypernetConfig {
  kind: "residual-hypernet";
  /** Row width of the embeddings it predicts: slices × dim (input ‖ output for untied models). */
  slices: 1 | 2;
  dim: number;
  hidden: number;
  layers: number;
  heads: number;
  intermediate: number;
  /** Pieces read per token (ZeTT: 7); longer decompositions keep their first pieces. */
  maxPieces: number;
  base: "mean" | "first";
}

export const DEFAULT_HYPERNET: Omit<ResidualHypernetConfig, "slices" | "dim"> = {
  kind: "residual-hypernet",
  hidden: 128,
  layers: 2,
  heads: 4,
  intermediate: 256,
  maxPieces: 7,
  base: "mean",
};

/** Frozen rescalers (per row dimension): computed once from the source embeddings. */
export interface Rescalers {
  inShift: Float32Array;
  inScale: Float32Array;
  outScale: Float32Array;
}

export interface ResidualHypernet {
  config: ResidualHypernetConfig;
  /** Trainable weights, plain arrays keyed by name. */
  arrays: Arrays;
  shapes: Record<string, number[]>;
  rescalers: Rescalers;
}

export function checkHypernetConfig(c: ResidualHypernetConfig, where: string): void {
  const ints: (keyof ResidualHypernetConfig)[] = ["dim", "hidden", "layers", "heads", "intermediate", "maxPieces"];
  for (const k of ints) if (!Number.isInteger(c[k]) || (c[k] as number) < 1) throw new Error(`${where}: "${k}" must be a positive integer, got ${JSON.stringify(c[k])}`);
  if (c.kind !== "residual-hypernet") throw new Error(`${where}: "kind" must be "residual-hypernet", got ${JSON.stringify(c.kind)}`);
  if (c.slices !== 1 && c.slices !== 2) throw new Error(`${where}: "slices" must be 1 (tied) or 2 (untied)`);
  if (c.hidden % c.heads) throw new Error(`${where}: hidden ${c.hidden} is not a multiple of heads ${c.heads}`);
  if (c.base !== "mean" && c.base !== "first") throw new Error(`${where}: "base" must be "mean" or "first"`);
}

/** Shapes of the trainable weights. */
export function hypernetShapes(c: ResidualHypernetConfig): Record<string, number[]> {
  const w = c.slices * c.dim;
  const h = c.hidden;
  const shapes: Record<string, number[]> = { "proj.weight": [h, w], "proj.bias": [h], positions: [c.maxPieces, h], "head.weight": [w, h], "head.bias": [w] };
  for (let l = 0; l < c.layers; l++) {
    const p = `layers.${l}`;
    for (const n of ["q", "k", "v", "o"]) Object.assign(shapes, { [`${p}.attn.${n}.weight`]: [h, h], [`${p}.attn.${n}.bias`]: [h] });
    Object.assign(shapes, {
      [`${p}.ln1.weight`]: [h], [`${p}.ln1.bias`]: [h], [`${p}.ln2.weight`]: [h], [`${p}.ln2.bias`]: [h],
      [`${p}.ff1.weight`]: [c.intermediate, h], [`${p}.ff1.bias`]: [c.intermediate], [`${p}.ff2.weight`]: [h, c.intermediate], [`${p}.ff2.bias`]: [h],
    });
  }
  return shapes;
}

/** A fresh network: small random encoder, zero head (so it predicts exactly its base). */
export function initHypernet(config: ResidualHypernetConfig, source: EmbeddingView, seed = 0): ResidualHypernet {
  checkHypernetConfig(config, "hypernet config");
  if (source.slices !== config.slices || source.dim !== config.dim) throw new Error(`hypernet: config is ${config.slices}×${config.dim}, the source embeddings ${source.slices}×${source.dim}`);
  const shapes = hypernetShapes(config);
  const normal = gaussian(mulberry32(seed));
  const arrays: Arrays = {};
  for (const name of Object.keys(shapes).sort()) {
    const shape = shapes[name]!;
    const n = shape.reduce((a, b) => a * b, 1);
    if (name.startsWith("head.") || name.endsWith(".bias")) arrays[name] = new Float32Array(n);
    else if (/ln\d\.weight$/.test(name)) arrays[name] = new Float32Array(n).fill(1);
    else {
      const std = name === "positions" ? 0.02 : 1 / Math.sqrt(shape[shape.length - 1]!);
      arrays[name] = Float32Array.from({ length: n }, () => normal() * std);
    }
  }
  return { config, arrays, shapes, rescalers: rescalersFor(source) };
}

export function rescalersFor(source: EmbeddingView): Rescalers {
  const { mean, variance } = source.rowStatistics();
  const std = Float32Array.from(variance, (v) => Math.sqrt(Math.max(v, 1e-12)));
  return { inShift: Float32Array.from(mean), inScale: std, outScale: Float32Array.from(std) };
}

/** What the network reads for a batch of tokens: piece rows, their mask and the base prediction. */
export interface PieceBatch {
  /** [U, P, W] source rows of each token's pieces (zeros where padded). */
  pieces: Float32Array;
  /** [U, P] 1 for a real piece, 0 for padding. */
  mask: Float32Array;
  /** [U, W] FVT base (mean or first piece). */
  base: Float32Array;
  count: number;
}

/** Gathers piece rows for `tokens` (each a list of source ids; empty lists give zero rows and a zero base). */
export function pieceBatch(config: ResidualHypernetConfig, source: EmbeddingView, tokens: ArrayLike<number>[], size = tokens.length): PieceBatch {
  const P = config.maxPieces;
  const w = source.rowWidth;
  const pieces = new Float32Array(size * P * w);
  const mask = new Float32Array(size * P);
  const base = new Float32Array(size * w);
  for (let u = 0; u < tokens.length; u++) {
    const ids = tokens[u]!;
    const n = Math.min(P, ids.length);
    for (let j = 0; j < n; j++) {
      pieces.set(source.row(ids[j]!), (u * P + j) * w);
      mask[u * P + j] = 1;
    }
    if (ids.length === 0) continue;
    const out = base.subarray(u * w, (u + 1) * w);
    if (config.base === "first") out.set(source.row(ids[0]!));
    else {
      // The base uses every piece (as FVT does), not only the first P the encoder reads.
      for (let j = 0; j < ids.length; j++) {
        const r = source.row(ids[j]!);
        for (let x = 0; x < w; x++) out[x]! += r[x]!;
      }
      for (let x = 0; x < w; x++) out[x]! /= ids.length;
    }
  }
  // A row with no piece still attends to one (masked) position: give it position 0 so softmax stays finite.
  for (let u = 0; u < size; u++) if (mask[u * P] === 0) mask[u * P] = 1;
  return { pieces, mask, base, count: tokens.length };
}

export interface RescalerTensors {
  inShift: Tensor;
  inScale: Tensor;
  outScale: Tensor;
}

export function rescalerTensors(r: Rescalers): RescalerTensors {
  return { inShift: fromFloat32(r.inShift, [r.inShift.length]), inScale: fromFloat32(r.inScale, [r.inScale.length]), outScale: fromFloat32(r.outScale, [r.outScale.length]) };
}

/**
 * The network on a batch (traceable: jit/grad-friendly, no gather). Borrows `p` and `r`; consumes the batch tensors.
 * pieces [U, P, W], mask [U, P], base [U, W] → predictions [U, W].
 */
export function hypernetForward(config: ResidualHypernetConfig, p: Params, r: RescalerTensors, pieces: Tensor, mask: Tensor, base: Tensor): Tensor {
  const [U, P] = pieces.shape as [number, number, number];
  const h = config.hidden;
  const H = config.heads;
  const hd = h / H;
  let x = linear(pieces.sub(r.inShift.ref).div(r.inScale.ref), p, "proj", true).add(p.positions!.ref);
  // Padded keys get a large negative score; [U, 1, 1, P] broadcasts over heads and queries.
  const keyBias = mask.ref.sub(1).mul(1e9).reshape([U, 1, 1, P]);
  for (let l = 0; l < config.layers; l++) {
    const pre = `layers.${l}`;
    const heads = (t: Tensor) => t.reshape([U, P, H, hd]).transpose([0, 2, 1, 3]);
    const q = heads(linear(x.ref, p, `${pre}.attn.q`, true));
    const k = heads(linear(x.ref, p, `${pre}.attn.k`, true));
    const v = heads(linear(x.ref, p, `${pre}.attn.v`, true));
    const a = attend(q, k, v, keyBias.ref, 1 / Math.sqrt(hd)).transpose([0, 2, 1, 3]).reshape([U, P, h]);
    x = layerNorm(x.add(linear(a, p, `${pre}.attn.o`, true)), p[`${pre}.ln1.weight`]!.ref, p[`${pre}.ln1.bias`]!.ref, 1e-5);
    const f = linear(nn.gelu(linear(x.ref, p, `${pre}.ff1`, true)), p, `${pre}.ff2`, true);
    x = layerNorm(x.add(f), p[`${pre}.ln2.weight`]!.ref, p[`${pre}.ln2.bias`]!.ref, 1e-5);
  }
  keyBias.dispose();
  mask.dispose();
  // Read position 0 by a one-hot weighting over positions (a slice by multiplication: its gradient needs no scatter).
  const first = new Float32Array(P);
  first[0] = 1;
  const y = x.mul(fromFloat32(first, [1, P, 1])).sum(1);
  return base.add(linear(y, p, "head", true).mul(r.outScale.ref));
}

type Predict = (p: Params, r: RescalerTensors, pieces: Tensor, mask: Tensor, base: Tensor) => Tensor;
const compiledPredict = new WeakMap<ResidualHypernetConfig, Predict>();

/**
 * Predicts rows for target tokens given as source-piece lists, in compiled batches of `batch` tokens through the
 * tensor backend. A token's row does not depend on which tokens share its batch (dynamic tokenization caches rows
 * across batches and relies on it); the faster CPU path of predictEmbeddings does not promise that to the last bit.
 */
export async function predictRows(net: ResidualHypernet, source: EmbeddingView, tokens: ArrayLike<number>[], batch = 512): Promise<Float32Array> {
  const { config } = net;
  let f = compiledPredict.get(config);
  if (!f) {
    f = jit((p: Params, r: RescalerTensors, pieces: Tensor, mask: Tensor, base: Tensor) => {
      const out = hypernetForward(config, p, r, pieces, mask, base);
      tree.dispose(p);
      tree.dispose(r);
      return out;
    }) as unknown as Predict;
    compiledPredict.set(config, f);
  }
  const w = source.rowWidth;
  const out = new Float32Array(tokens.length * w);
  const params: Params = {};
  for (const name of Object.keys(net.arrays)) params[name] = fromFloat32(net.arrays[name]!, net.shapes[name]!);
  const r = rescalerTensors(net.rescalers);
  try {
    for (let start = 0; start < tokens.length; start += batch) {
      const chunk = Array.from({ length: Math.min(batch, tokens.length - start) }, (_, i) => tokens[start + i]!);
      const b = pieceBatch(config, source, chunk, batch);
      const P = config.maxPieces;
      const pred = await toFloat32(f(tree.ref(params), tree.ref(r), fromFloat32(b.pieces, [batch, P, w]), fromFloat32(b.mask, [batch, P]), fromFloat32(b.base, [batch, w])));
      out.set(pred.subarray(0, chunk.length * w), start * w);
    }
  } finally {
    tree.dispose(params);
    tree.dispose(r);
  }
  return out;
}

/**
 * Rows for many tokens at once (a whole target vocabulary): by hand on the CPU (./cpu-step.ts) where the platform has a
 * Gemm (OpenBLAS on Node), ~20× faster than the compiled path here; else predictRows. The products' rounding can
 * depend on a token's place in its batch (last bits only).
 */
async function predictRowsFast(net: ResidualHypernet, source: EmbeddingView, tokens: ArrayLike<number>[], batch = 512): Promise<Float32Array> {
  const gemm = platformGemm();
  if (!gemm) return predictRows(net, source, tokens, batch);
  const w = source.rowWidth;
  const out = new Float32Array(tokens.length * w);
  const workspace = new CpuWorkspace();
  for (let start = 0; start < tokens.length; start += batch) {
    const chunk = Array.from({ length: Math.min(batch, tokens.length - start) }, (_, i) => tokens[start + i]!);
    const b = pieceBatch(net.config, source, chunk);
    out.set(predictRowsCpu(net, b.pieces, b.mask, b.base, chunk.length, gemm, workspace), start * w);
  }
  return out;
}

/** The target view predicted for every target token from its source pieces (rows of tokens without pieces are 0). */
export async function predictEmbeddings(net: ResidualHypernet, source: EmbeddingView, pieces: number[][]): Promise<EmbeddingView> {
  if (source.slices !== net.config.slices || source.dim !== net.config.dim)
    throw new Error(`hypernet: trained for ${net.config.slices}×${net.config.dim} embeddings, the model has ${source.slices}×${source.dim}`);
  const rows = await predictRowsFast(net, source, pieces);
  const view = new EmbeddingView(pieces.length, source.slices, source.dim, rows);
  pieces.forEach((p, t) => {
    if (p.length === 0) view.row(t).fill(0);
  });
  return view;
}
