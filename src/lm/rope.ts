// Rotary position embeddings: inverse frequencies per rope_scaling kind, and cos/sin tables for a span of positions.
// Conventions match HF transformers' "rotate_half" layout (first half / second half of each head, not interleaved).
import type { LlamaConfig } from "./config.js";

/** Inverse frequencies (length headDim/2) and the cos/sin multiplier, for a sequence whose total length is seqLen. */
export function ropeFrequencies(config: LlamaConfig, seqLen: number): { invFreq: Float64Array; attentionFactor: number } {
  const dim = config.headDim;
  const half = dim / 2;
  const s = config.ropeScaling;
  let base = config.ropeTheta;
  // Dynamic NTK: grow the base once the sequence outruns max_position_embeddings (HF recomputes per forward length).
  if (s.kind === "dynamic" && seqLen > config.maxPositions)
    base = base * Math.pow((s.factor * seqLen) / config.maxPositions - (s.factor - 1), dim / (dim - 2));
  const inv = new Float64Array(half);
  for (let i = 0; i < half; i++) inv[i] = 1 / Math.pow(base, (2 * i) / dim);
  let attentionFactor = 1;
  if (s.kind === "linear") for (let i = 0; i < half; i++) inv[i] /= s.factor;
  else if (s.kind === "llama3") {
    const lowWavelen = s.originalMaxPositions / s.lowFreqFactor;
    const highWavelen = s.originalMaxPositions / s.highFreqFactor;
    for (let i = 0; i < half; i++) {
      const wavelen = (2 * Math.PI) / inv[i];
      if (wavelen > lowWavelen) inv[i] /= s.factor;
      else if (wavelen >= highWavelen) {
        const smooth = (s.originalMaxPositions / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
        inv[i] = (1 - smooth) * (inv[i] / s.factor) + smooth * inv[i];
      }
    }
  } else if (s.kind === "yarn") {
    // YaRN (Peng et al. 2023): interpolate low frequencies, keep high ones, linear ramp between the correction dims.
    const corrDim = (rot: number) => (dim * Math.log(s.originalMaxPositions / (rot * 2 * Math.PI))) / (2 * Math.log(base));
    const low = Math.max(Math.floor(corrDim(s.betaFast)), 0);
    const high = Math.min(Math.ceil(corrDim(s.betaSlow)), dim - 1);
    for (let i = 0; i < half; i++) {
      const ramp = Math.min(1, Math.max(0, (i - low) / (high === low ? high + 0.001 - low : high - low)));
      const extrapolationFactor = 1 - ramp;
      inv[i] = (inv[i] / s.factor) * (1 - extrapolationFactor) + inv[i] * extrapolationFactor;
    }
    attentionFactor = s.attentionFactor;
  }
  return { invFreq: inv, attentionFactor };
}

/** cos and sin tables [count, headDim] for positions start..start+count-1 (duplicated halves, rotate_half layout). */
export function ropeTables(config: LlamaConfig, start: number, count: number, seqLen = start + count): { cos: Float32Array; sin: Float32Array } {
  const { invFreq, attentionFactor } = ropeFrequencies(config, seqLen);
  const dim = config.headDim;
  const half = dim / 2;
  const cos = new Float32Array(count * dim);
  const sin = new Float32Array(count * dim);
  for (let t = 0; t < count; t++) {
    const pos = start + t;
    for (let i = 0; i < half; i++) {
      // HF computes the angle in float32; rounding it the same way keeps long positions within 1e-4.
      const angle = Math.fround(Math.fround(pos) * Math.fround(invFreq[i]));
      const c = Math.cos(angle) * attentionFactor;
      const s = Math.sin(angle) * attentionFactor;
      cos[t * dim + i] = cos[t * dim + i + half] = c;
      sin[t * dim + i] = sin[t * dim + i + half] = s;
    }
  }
  return { cos, sin };
}
