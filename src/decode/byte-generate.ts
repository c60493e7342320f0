// Using a byte-level model (one ByteLM or an ensemble): sampling byte by byte, and scoring a document byte by byte.
import { seededRandom } from "../lm/generate.js";
import { BYTE_OUTCOMES, END_OF_TEXT, type ByteModel } from "./byte-lm.js";

const utf8 = new TextEncoder();

export interface ByteSamplingOptions {
  /** Stop after this many bytes (default 256). */
  maxBytes?: number;
  /** 0 (default) = the most likely byte each step. */
  temperature?: number;
  seed?: number;
  /** Called with each byte as soon as it is chosen. */
  onByte?: (byte: number) => void;
}

/** Index of the outcome drawn from a 257-way log distribution at a temperature (0: the most likely). */
export function drawOutcome(logProbs: Float64Array, temperature: number, random: () => number): number {
  let best = 0;
  for (let i = 1; i < logProbs.length; i++) if (logProbs[i]! > logProbs[best]!) best = i;
  if (temperature <= 0) return best;
  let total = 0;
  const p = new Float64Array(logProbs.length);
  for (let i = 0; i < logProbs.length; i++) total += p[i] = Math.exp((logProbs[i]! - logProbs[best]!) / temperature);
  let r = random() * total;
  for (let i = 0; i < p.length; i++) {
    r -= p[i]!;
    if (r < 0) return i;
  }
  return best;
}

/** Continues whatever the model has read, byte by byte, until the end of text or maxBytes. */
export async function sampleBytes(model: ByteModel, options: ByteSamplingOptions = {}): Promise<{ bytes: Uint8Array; ended: boolean }> {
  const maxBytes = options.maxBytes ?? 256;
  const random = seededRandom(options.seed ?? 0);
  const out: number[] = [];
  for (let i = 0; i < maxBytes; i++) {
    const { logProbs } = await model.next();
    const b = drawOutcome(logProbs, options.temperature ?? 0, random);
    if (b === END_OF_TEXT) return { bytes: Uint8Array.from(out), ended: true };
    out.push(b);
    options.onByte?.(b);
    await model.push(b);
  }
  return { bytes: Uint8Array.from(out), ended: false };
}

export interface ByteScore {
  /** Σ −log P(byte | before) over the bytes, plus −log P(end | text) when `end` (nats; the 257-way normalised
   * distributions). */
  nll: number;
  /** For a single ByteLM: log of the canonical mass of the document (with `end`: log P(enc(text)·end | context),
   * the token-level log-likelihood) — the exact value, which nll approaches as the model's non-canonical mass goes to
   * 0. For an ensemble it equals −nll. */
  logMass: number;
  bytes: number;
}

/** Scores `text` after whatever the model has read, byte by byte; with `end`, the end of text counts as a symbol. */
export async function scoreBytes(model: ByteModel, text: string | Uint8Array, options: { end?: boolean } = {}): Promise<ByteScore> {
  const bytes = typeof text === "string" ? utf8.encode(text) : text;
  let nll = 0;
  let logMass = 0;
  for (const b of bytes) {
    const d = await model.next();
    nll -= d.logProbs[b]!;
    logMass = d.logMass[b]!;
    await model.push(b);
  }
  if (options.end ?? true) {
    const d = await model.next();
    nll -= d.logProbs[END_OF_TEXT]!;
    logMass = d.logMass[END_OF_TEXT]!;
  }
  if (!Number.isFinite(nll)) throw new Error("byte-level scoring: the model gives the text probability 0");
  return { nll, logMass, bytes: bytes.length };
}


