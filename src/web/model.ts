// The bundled model in the page: a Llama-family safetensors file run by the hand-written CPU forward
// (src/lm/llama-cpu.ts) on the plain-JS Gemm, with no tensor backend to start. It gives the next-token distribution
// after a prefix and the next-byte distribution obtained by summing next-token probabilities over each token's
// first byte (the tokenization-biased "naive" view; the exact byte-level model is retoken/decode's).
import { parseSafetensors } from "../tensor/safetensors.js";
import { parseModelConfig, type LlamaConfig } from "../lm/config.js";
import { llamaLogitsCpu } from "../lm/llama-cpu.js";
import { jsGemm } from "../tensor/gemm.js";
import type { Arrays } from "../tensor/optim.js";
import type { JsonObject } from "../tokenize/types.js";

export interface Ranked {
  id: number;
  p: number;
}

export class BrowserModel {
  private constructor(
    readonly config: LlamaConfig,
    private readonly weights: Arrays,
  ) {}

  static fromBytes(configJson: JsonObject, safetensors: Uint8Array): BrowserModel {
    const config = parseModelConfig(configJson);
    if (config.arch !== "llama") throw new Error(`config.json: the page runs Llama-family models, not "${config.modelType}"`);
    const { header, read } = parseSafetensors(safetensors);
    const weights: Arrays = {};
    for (const t of header.tensors) weights[t.name] = read(t.name);
    return new BrowserModel(config, weights);
  }

  /** The start token a prefix is scored after (BOS, else EOS), as bits per byte does. */
  get startId(): number | null {
    const c = this.config;
    if (c.bosTokenId !== null) return c.bosTokenId;
    return c.eosTokenId === null ? null : Array.isArray(c.eosTokenId) ? (c.eosTokenId[0] ?? null) : c.eosTokenId;
  }

  /** Probabilities of the next token after the start token and `ids` (the last maxPositions − 1 of them). */
  nextToken(ids: ArrayLike<number>): Float32Array {
    const start = this.startId;
    const keep = Array.from(ids).slice(-(this.config.maxPositions - 1));
    const seq = Int32Array.from(start === null ? keep : [start, ...keep]);
    if (seq.length === 0) throw new Error("nextToken: no context (the model has no start token and the text is empty)");
    // Only the last position's output head is computed.
    const logits = llamaLogitsCpu(this.config, this.weights, seq, 1, seq.length, jsGemm, { logitsFrom: seq.length - 1 });
    let max = -Infinity;
    for (const x of logits) max = Math.max(max, x);
    const p = new Float32Array(logits.length);
    let z = 0;
    for (let i = 0; i < logits.length; i++) z += p[i] = Math.exp(logits[i]! - max);
    for (let i = 0; i < p.length; i++) p[i]! /= z;
    return p;
  }
}

/** The `k` most probable entries of a distribution, most probable first. */
export function topK(p: ArrayLike<number>, k: number): Ranked[] {
  const out: Ranked[] = [];
  for (let id = 0; id < p.length; id++) {
    const v = p[id]!;
    if (out.length < k || v > out[out.length - 1]!.p) {
      out.push({ id, p: v });
      out.sort((a, b) => b.p - a.p);
      if (out.length > k) out.pop();
    }
  }
  return out;
}

/** Next-byte probabilities (256 entries) from next-token probabilities: each token's mass goes to its first byte;
 * tokens without bytes (specials) are left out, so the entries sum to the mass of text tokens. */
export function firstByteDistribution(p: ArrayLike<number>, bytesOf: (id: number) => Uint8Array | null): Float64Array {
  const out = new Float64Array(256);
  for (let id = 0; id < p.length; id++) {
    const b = bytesOf(id);
    if (b && b.length) out[b[0]!] += p[id]!;
  }
  return out;
}
