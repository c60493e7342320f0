// The hypernetwork's training step written out by hand on Float32Arrays, for speed: the residual network's forward and
// backward (./residual.ts is the reference; test/transfer/hypernet-cpu.test.ts checks the loss and every gradient
// against the tensor backend), with the frozen Llama run by the CPU model (src/lm/llama-cpu.ts) on the predicted
// embedding table of the step's token set. On a 2-core machine the tensor backend (jax-js on wasm) spends ~5 s a step,
// nearly all of it in these products; here they go to a Gemm (OpenBLAS on Node).
// Layout: the encoder's rows are [token, piece] flattened (N = U·P rows of `hidden` features), row-major.
import type { Gemm } from "../../tensor/gemm.js";
import type { Arrays } from "../../tensor/optim.js";
import type { LlamaConfig } from "../../lm/config.js";
import { CpuKernels, CpuWorkspace, llamaLossAndGradientsCpu } from "../../lm/llama-cpu.js";
import type { ResidualHypernet } from "./residual.js";

/** One step's data as plain arrays (what ./train.ts also feeds the tensor backend). */
export interface HypernetStepArrays {
  /** Token-set size U, pieces per token P (the config's maxPieces), batch rows B and tokens per row T. */
  U: number;
  B: number;
  T: number;
  /** [U, P, W] piece rows, [U, P] piece mask, [U, W] base prediction. */
  pieces: Float32Array;
  mask: Float32Array;
  base: Float32Array;
  /** [U] 1 where the row is fixed to its true source row; [U, W] those rows; [U] 1 where the auxiliary loss applies. */
  keep: Float32Array;
  trueRows: Float32Array;
  auxMask: Float32Array;
  /** [B·T] indices into the token set. */
  inputs: Int32Array;
  targets: Int32Array;
}

/** Buffers of one step, kept from step to step (the step allocates ~40 MB of activations). */
export class HypernetCpuWorkspace {
  readonly net = new CpuWorkspace();
  readonly lm = new CpuWorkspace();
}

const GELU_C = Math.sqrt(2 / Math.PI);

interface LayerActivations {
  input: Float32Array;
  q: Float32Array;
  k: Float32Array;
  v: Float32Array;
  probs: Float32Array;
  attention: Float32Array;
  /** Layer norm 1: normalised rows and per-row 1/std; its output x1. */
  n1: Float32Array;
  s1: Float32Array;
  x1: Float32Array;
  f1: Float32Array;
  g: Float32Array;
  n2: Float32Array;
  s2: Float32Array;
}

/** llama-cpu's products plus the layer norms with bias that this network has and the Llama does not. */
class Ops extends CpuKernels {
  constructor(gemm: Gemm, ws: CpuWorkspace) {
    super(gemm, { workspace: ws });
  }

  /** y = (z − mean) / sqrt(var + eps) · w + b per row; keeps the normalised rows and 1/std for the backward pass. */
  layerNorm(name: string, z: Float32Array, rows: number, d: number, w: Float32Array, b: Float32Array): { y: Float32Array; n: Float32Array; s: Float32Array } {
    const y = this.ws.take(name, rows * d);
    const n = this.ws.take(`${name}.n`, rows * d);
    const s = this.ws.take(`${name}.s`, rows);
    for (let r = 0; r < rows; r++) {
      const o = r * d;
      let mean = 0;
      for (let j = 0; j < d; j++) mean += z[o + j]!;
      mean /= d;
      let variance = 0;
      for (let j = 0; j < d; j++) variance += (z[o + j]! - mean) ** 2;
      const inv = 1 / Math.sqrt(variance / d + 1e-5);
      s[r] = inv;
      for (let j = 0; j < d; j++) {
        const v = (z[o + j]! - mean) * inv;
        n[o + j] = v;
        y[o + j] = v * w[j]! + b[j]!;
      }
    }
    return { y, n, s };
  }

  /** dz = s · (dn − mean(dn) − n · mean(dn · n)) with dn = dy · w; accumulates dw, db. Writes dz over dy. */
  layerNormBackward(dy: Float32Array, n: Float32Array, s: Float32Array, rows: number, d: number, w: Float32Array, dw: Float32Array, db: Float32Array): void {
    for (let r = 0; r < rows; r++) {
      const o = r * d;
      let sumDn = 0;
      let sumDnN = 0;
      for (let j = 0; j < d; j++) {
        const g = dy[o + j]!;
        dw[j]! += g * n[o + j]!;
        db[j]! += g;
        const dn = g * w[j]!;
        sumDn += dn;
        sumDnN += dn * n[o + j]!;
      }
      const a = sumDn / d;
      const c = sumDnN / d;
      for (let j = 0; j < d; j++) dy[o + j] = s[r]! * (dy[o + j]! * w[j]! - a - n[o + j]! * c);
    }
  }
}

/**
 * Calls f for every query row of every head of every token: the token's piece mask, the token u, the offset of its
 * head's P×P probabilities, the query position i and the offset of its head's columns in the [N, hidden] rows.
 */
function forEachQuery(mask: Float32Array, U: number, H: number, P: number, hd: number, f: (m: Float32Array, u: number, po: number, i: number, qi: number, ho: number) => void): void {
  const h = H * hd;
  for (let u = 0; u < U; u++) {
    const m = mask.subarray(u * P, (u + 1) * P);
    for (let e = 0; e < H; e++) for (let i = 0; i < P; i++) f(m, u, (u * H + e) * P * P, i, (u * P + i) * h + e * hd, e * hd);
  }
}

/** The tanh approximation of GELU (the tensor backend's nn.gelu default). */
function gelu(x: number): number {
  return 0.5 * x * (1 + Math.tanh(GELU_C * (x + 0.044715 * x * x * x)));
}

function geluGrad(x: number): number {
  const t = Math.tanh(GELU_C * (x + 0.044715 * x * x * x));
  return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * GELU_C * (1 + 3 * 0.044715 * x * x);
}

/** Shapes of a network's rows: tokens U, pieces P, row width W, hidden h, heads H (head width hd), intermediate I. */
function dimsOf(net: ResidualHypernet, U: number) {
  const c = net.config;
  const P = c.maxPieces;
  return { U, P, N: U * P, W: c.slices * c.dim, h: c.hidden, H: c.heads, hd: c.hidden / c.heads, I: c.intermediate };
}

interface NetworkForward {
  /** [U, W] base + outScale ⊙ head(first piece's row). */
  pred: Float32Array;
  scaled: Float32Array;
  y0: Float32Array;
  acts: LayerActivations[];
}

/**
 * The network's forward on U tokens (pieces [U, P, W], mask [U, P], base [U, W]) into workspace buffers, keeping what
 * the backward pass reads.
 */
function networkForwardCpu(net: ResidualHypernet, pieces: Float32Array, mask: Float32Array, base: Float32Array, U: number, ops: Ops): NetworkForward {
  const { P, N, W, h, H, hd, I } = dimsOf(net, U);
  const c = net.config;
  const ws = ops.ws;
  const a = net.arrays;
  const { inShift, inScale, outScale } = net.rescalers;
  if (pieces.length !== N * W || mask.length !== N || base.length !== U * W) throw new Error(`hypernet (CPU): arrays do not match ${U} tokens × ${P} pieces × ${W}`);
  const scaled = ws.take("scaled", N * W);
  for (let r = 0; r < N; r++) for (let j = 0; j < W; j++) scaled[r * W + j] = (pieces[r * W + j]! - inShift[j]!) / inScale[j]!;
  let x = ops.linear("x0", scaled, N, W, a["proj.weight"]!, h, a["proj.bias"]!);
  const positions = a.positions!;
  for (let r = 0; r < N; r++) {
    const p = (r % P) * h;
    for (let j = 0; j < h; j++) x[r * h + j]! += positions[p + j]!;
  }
  const scale = 1 / Math.sqrt(hd);
  const acts: LayerActivations[] = [];
  for (let l = 0; l < c.layers; l++) {
    const pre = `layers.${l}`;
    const input = x;
    const q = ops.linear(`${l}.q`, x, N, h, a[`${pre}.attn.q.weight`]!, h, a[`${pre}.attn.q.bias`]!);
    const k = ops.linear(`${l}.k`, x, N, h, a[`${pre}.attn.k.weight`]!, h, a[`${pre}.attn.k.bias`]!);
    const v = ops.linear(`${l}.v`, x, N, h, a[`${pre}.attn.v.weight`]!, h, a[`${pre}.attn.v.bias`]!);
    // probs [U, H, P, P]; masked keys get probability 0 exactly (the tensor backend adds −1e9, whose exp is 0 too).
    const probs = ws.take(`${l}.probs`, U * H * P * P);
    const attention = ws.take(`${l}.attention`, N * h);
    forEachQuery(mask, U, H, P, hd, (m, u, po, i, qi, ho) => {
      let max = -Infinity;
      for (let j = 0; j < P; j++) {
        if (m[j] === 0) continue;
        const kj = (u * P + j) * h + ho;
        let dot = 0;
        for (let t = 0; t < hd; t++) dot += q[qi + t]! * k[kj + t]!;
        const sc = dot * scale;
        probs[po + i * P + j] = sc;
        if (sc > max) max = sc;
      }
      let sum = 0;
      for (let j = 0; j < P; j++) {
        const e1 = m[j] === 0 ? 0 : Math.exp(probs[po + i * P + j]! - max);
        probs[po + i * P + j] = e1;
        sum += e1;
      }
      const out = attention.subarray(qi, qi + hd).fill(0);
      for (let j = 0; j < P; j++) {
        const pr = (probs[po + i * P + j]! /= sum);
        if (pr === 0) continue;
        const vj = (u * P + j) * h + ho;
        for (let t = 0; t < hd; t++) out[t]! += pr * v[vj + t]!;
      }
    });
    const o = ops.linear("o", attention, N, h, a[`${pre}.attn.o.weight`]!, h, a[`${pre}.attn.o.bias`]!);
    for (let i = 0; i < N * h; i++) o[i]! += input[i]!;
    const ln1 = ops.layerNorm(`${l}.ln1`, o, N, h, a[`${pre}.ln1.weight`]!, a[`${pre}.ln1.bias`]!);
    const f1 = ops.linear(`${l}.f1`, ln1.y, N, h, a[`${pre}.ff1.weight`]!, I, a[`${pre}.ff1.bias`]!);
    const g = ws.take(`${l}.g`, N * I);
    for (let i = 0; i < N * I; i++) g[i] = gelu(f1[i]!);
    const f2 = ops.linear("f2", g, N, I, a[`${pre}.ff2.weight`]!, h, a[`${pre}.ff2.bias`]!);
    for (let i = 0; i < N * h; i++) f2[i]! += ln1.y[i]!;
    const ln2 = ops.layerNorm(`${l}.ln2`, f2, N, h, a[`${pre}.ln2.weight`]!, a[`${pre}.ln2.bias`]!);
    acts.push({ input, q, k, v, probs, attention, n1: ln1.n, s1: ln1.s, x1: ln1.y, f1, g, n2: ln2.n, s2: ln2.s });
    x = ln2.y;
  }
  // The first piece's row of every token, through the head: base + outScale ⊙ head.
  const y0 = ws.take("y0", U * h);
  for (let u = 0; u < U; u++) y0.set(x.subarray(u * P * h, u * P * h + h), u * h);
  const pred = ops.linear("pred", y0, U, h, a["head.weight"]!, W, a["head.bias"]!);
  for (let u = 0; u < U; u++) for (let j = 0; j < W; j++) pred[u * W + j] = base[u * W + j]! + pred[u * W + j]! * outScale[j]!;
  return { pred, scaled, y0, acts };
}

/**
 * Predicted rows [U, W] for U tokens (pieces [U, P, W], mask [U, P], base [U, W], as pieceBatch gives them): the
 * forward of ./residual.ts's hypernetForward on the CPU, for transfer-time prediction.
 */
export function predictRowsCpu(net: ResidualHypernet, pieces: Float32Array, mask: Float32Array, base: Float32Array, U: number, gemm: Gemm, workspace = new CpuWorkspace()): Float32Array {
  return networkForwardCpu(net, pieces, mask, base, U, new Ops(gemm, workspace)).pred;
}

/**
 * The step's loss (the frozen model's next-token cross-entropy over the token set + auxWeight × the auxiliary MSE, as
 * ./train.ts defines it) and its gradient for every weight of the network. `lmWeights` are the model's float32
 * weights (its own embedding table is not read).
 */
export function hypernetLossAndGradientsCpu(
  net: ResidualHypernet,
  lmConfig: LlamaConfig,
  lmWeights: Arrays,
  auxWeight: number,
  d: HypernetStepArrays,
  gemm: Gemm,
  workspace = new HypernetCpuWorkspace(),
): { loss: number; grads: Arrays } {
  const c = net.config;
  const { U, B, T } = d;
  const { P, N, W, h, H, hd, I } = dimsOf(net, U);
  const ops = new Ops(gemm, workspace.net);
  const ws = workspace.net;
  const a = net.arrays;
  const { outScale } = net.rescalers;
  const scale = 1 / Math.sqrt(hd);
  if (d.inputs.length !== B * T || d.targets.length !== B * T) throw new Error(`hypernet CPU step: ${d.inputs.length} inputs for a ${B} × ${T} batch`);

  const { pred, scaled, y0, acts } = networkForwardCpu(net, d.pieces, d.mask, d.base, U, ops);
  for (let u = 0; u < U; u++) {
    const keep = d.keep[u]!;
    if (keep === 0) continue;
    for (let j = 0; j < W; j++) {
      const i = u * W + j;
      pred[i] = keep === 1 ? d.trueRows[i]! : pred[i]! * (1 - keep) + d.trueRows[i]! * keep;
    }
  }

  // ---- the losses: auxiliary MSE (in source-std units) on tokens the source has, and the frozen model's
  let nAux = 1e-6;
  for (let u = 0; u < U; u++) nAux += d.auxMask[u]!;
  let aux = 0;
  const dPred = ws.take("dPred", U * W);
  for (let u = 0; u < U; u++) {
    const m = d.auxMask[u]!;
    let sq = 0;
    for (let j = 0; j < W; j++) {
      const i = u * W + j;
      const diff = (pred[i]! - d.trueRows[i]!) / outScale[j]!;
      sq += diff * diff;
      dPred[i] = m === 0 ? 0 : (auxWeight * m * 2 * diff) / (W * outScale[j]! * nAux);
    }
    aux += (m * sq) / W;
  }
  aux /= nAux;
  const dim = c.dim;
  const lmParams: Arrays = { ...lmWeights };
  let lmConfigHere: LlamaConfig;
  if (c.slices === 1) {
    lmParams["model.embed_tokens.weight"] = pred;
    delete lmParams["lm_head.weight"];
    lmConfigHere = { ...lmConfig, vocabSize: U, tieWordEmbeddings: true };
  } else {
    const input = ws.take("inputRows", U * dim);
    const output = ws.take("outputRows", U * dim);
    for (let u = 0; u < U; u++) {
      input.set(pred.subarray(u * W, u * W + dim), u * dim);
      output.set(pred.subarray(u * W + dim, (u + 1) * W), u * dim);
    }
    lmParams["model.embed_tokens.weight"] = input;
    lmParams["lm_head.weight"] = output;
    lmConfigHere = { ...lmConfig, vocabSize: U, tieWordEmbeddings: false };
  }
  const lm = llamaLossAndGradientsCpu(lmConfigHere, lmParams, d.inputs, d.targets, B, T, gemm, { workspace: workspace.lm, frozenWeights: true });
  const dInput = lm.grads["model.embed_tokens.weight"]!;
  if (c.slices === 1) for (let i = 0; i < U * W; i++) dPred[i]! += dInput[i]!;
  else {
    const dOutput = lm.grads["lm_head.weight"]!;
    for (let u = 0; u < U; u++)
      for (let j = 0; j < dim; j++) {
        dPred[u * W + j]! += dInput[u * dim + j]!;
        dPred[u * W + dim + j]! += dOutput[u * dim + j]!;
      }
  }

  // ---- the network's backward
  const grads: Arrays = {};
  for (const [name, w] of Object.entries(a)) grads[name] = ws.zeroed(`grad:${name}`, w.length);
  // Through the kept rows and the output rescaling.
  for (let u = 0; u < U; u++) {
    const free = 1 - d.keep[u]!;
    for (let j = 0; j < W; j++) dPred[u * W + j] = dPred[u * W + j]! * free * outScale[j]!;
  }
  const dy0 = ws.take("dy0", U * h);
  ops.linearBackward(dPred, y0, U, h, a["head.weight"]!, W, grads["head.weight"]!, grads["head.bias"]!, dy0, false);
  let dx = ws.zeroed("dx", N * h);
  for (let u = 0; u < U; u++) dx.set(dy0.subarray(u * h, (u + 1) * h), u * P * h);
  const dI = ws.take("dI", N * I);
  const dA = ws.take("dA", N * h);
  const dq = ws.take("dq", N * h);
  const dk = ws.take("dk", N * h);
  const dv = ws.take("dv", N * h);
  const dP = new Float64Array(P);
  for (let l = c.layers - 1; l >= 0; l--) {
    const pre = `layers.${l}`;
    const s = acts[l]!;
    const gr = (name: string) => grads[`${pre}.${name}`]!;
    // x = LN2(x1 + ff2(gelu(ff1(x1))))
    ops.layerNormBackward(dx, s.n2, s.s2, N, h, a[`${pre}.ln2.weight`]!, gr("ln2.weight"), gr("ln2.bias"));
    ops.linearBackward(dx, s.g, N, I, a[`${pre}.ff2.weight`]!, h, gr("ff2.weight"), gr("ff2.bias"), dI, false);
    for (let i = 0; i < N * I; i++) dI[i] = dI[i]! * geluGrad(s.f1[i]!);
    ops.linearBackward(dI, s.x1, N, h, a[`${pre}.ff1.weight`]!, I, gr("ff1.weight"), gr("ff1.bias"), dx, true);
    // x1 = LN1(input + o(attention))
    ops.layerNormBackward(dx, s.n1, s.s1, N, h, a[`${pre}.ln1.weight`]!, gr("ln1.weight"), gr("ln1.bias"));
    ops.linearBackward(dx, s.attention, N, h, a[`${pre}.attn.o.weight`]!, h, gr("attn.o.weight"), gr("attn.o.bias"), dA, false);
    dq.fill(0);
    dk.fill(0);
    dv.fill(0);
    forEachQuery(d.mask, U, H, P, hd, (m, u, po, i, qi, ho) => {
      let dot = 0;
      for (let j = 0; j < P; j++) {
        const pr = s.probs[po + i * P + j]!;
        if (m[j] === 0) {
          dP[j] = 0;
          continue;
        }
        const vj = (u * P + j) * h + ho;
        let g = 0;
        for (let t = 0; t < hd; t++) {
          g += dA[qi + t]! * s.v[vj + t]!;
          dv[vj + t]! += pr * dA[qi + t]!;
        }
        dP[j] = g;
        dot += pr * g;
      }
      for (let j = 0; j < P; j++) {
        if (m[j] === 0) continue;
        const ds = s.probs[po + i * P + j]! * (dP[j]! - dot) * scale;
        if (ds === 0) continue;
        const kj = (u * P + j) * h + ho;
        for (let t = 0; t < hd; t++) {
          dq[qi + t]! += ds * s.k[kj + t]!;
          dk[kj + t]! += ds * s.q[qi + t]!;
        }
      }
    });
    const dIn = ws.take(`dIn${l % 2}`, N * h);
    dIn.set(dx); // the residual path
    ops.linearBackward(dq, s.input, N, h, a[`${pre}.attn.q.weight`]!, h, gr("attn.q.weight"), gr("attn.q.bias"), dIn, true);
    ops.linearBackward(dk, s.input, N, h, a[`${pre}.attn.k.weight`]!, h, gr("attn.k.weight"), gr("attn.k.bias"), dIn, true);
    ops.linearBackward(dv, s.input, N, h, a[`${pre}.attn.v.weight`]!, h, gr("attn.v.weight"), gr("attn.v.bias"), dIn, true);
    dx = dIn;
  }
  const dPos = grads.positions!;
  for (let r = 0; r < N; r++) {
    const p = (r % P) * h;
    for (let j = 0; j < h; j++) dPos[p + j]! += dx[r * h + j]!;
  }
  ops.linearBackward(dx, scaled, N, W, a["proj.weight"]!, h, grads["proj.weight"]!, grads["proj.bias"]!, null, false);
  return { loss: lm.loss + auxWeight * aux, grads };
}
