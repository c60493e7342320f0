// Byte traces: one member's next-byte distributions at every position of a set of documents, kept so that ensembles
// of members with different tokenizers can be scored afterwards at any weights — each member read once (its byte-level
// model is the costly part), combinations and weight searches cost only arithmetic over the 257 outcomes.
import { BYTE_OUTCOMES, END_OF_TEXT } from "./byte-lm.js";
import { bitsPerByteOf, checkMemberBits, readDocuments, type ByteLevelMember, type MemberBits } from "./byte-bpb.js";
import { combineDistributions, ensembleWeights, type Combine, type EnsembleOptions } from "./ensemble.js";

export interface ByteTrace {
  name: string;
  documents: number;
  /** Text bytes (a document's end is a position with no byte). */
  bytes: number;
  /** The true outcome at each position (byte value, or END_OF_TEXT). */
  outcomes: Uint16Array;
  /** positions × 257 normalised log-probabilities, row by row. */
  logProbs: Float64Array;
  /** Σ over the documents of −ln of their canonical mass: the member's exact (token-level) score. */
  exactNats: number;
  forwardPasses: number;
}

/** Reads the documents through one member and keeps its distribution at every position. */
export async function traceDocuments(member: ByteLevelMember, documents: readonly string[]): Promise<ByteTrace> {
  const rows: Float64Array[] = [];
  const outcomes: number[] = [];
  let exactNats = 0;
  const read = await readDocuments([member], documents, (outcome, [next]) => {
    rows.push(next!.logProbs);
    outcomes.push(outcome);
    if (outcome === END_OF_TEXT) exactNats -= next!.logMass[END_OF_TEXT]!;
  });
  const logProbs = new Float64Array(rows.length * BYTE_OUTCOMES);
  rows.forEach((r, i) => logProbs.set(r, i * BYTE_OUTCOMES));
  const trace = { name: member.name ?? "model", documents: documents.length, bytes: read.bytes, outcomes: Uint16Array.from(outcomes), logProbs, exactNats, forwardPasses: read.forwardPasses[0]! };
  traceBits(trace);
  return trace;
}

/** A member's exact and renormalised bits per byte from its trace (as byteLevelBitsPerByte reports them). */
export function traceBits(trace: ByteTrace): MemberBits {
  let nats = 0;
  trace.outcomes.forEach((o, i) => (nats -= trace.logProbs[i * BYTE_OUTCOMES + o]!));
  return checkMemberBits({ name: trace.name, bitsPerByte: bitsPerByteOf(trace.exactNats, trace.bytes), renormalisedBitsPerByte: bitsPerByteOf(nats, trace.bytes), forwardPasses: trace.forwardPasses });
}

/** Several traces of one member (document sets) as one. */
export function concatTraces(traces: readonly ByteTrace[]): ByteTrace {
  if (traces.length === 0) throw new Error("byte traces: nothing to join");
  const positions = traces.reduce((s, t) => s + t.outcomes.length, 0);
  const outcomes = new Uint16Array(positions);
  const logProbs = new Float64Array(positions * BYTE_OUTCOMES);
  let at = 0;
  for (const t of traces) {
    outcomes.set(t.outcomes, at);
    logProbs.set(t.logProbs, at * BYTE_OUTCOMES);
    at += t.outcomes.length;
  }
  const sum = (f: (t: ByteTrace) => number) => traces.reduce((s, t) => s + f(t), 0);
  return { name: traces[0]!.name, documents: sum((t) => t.documents), bytes: sum((t) => t.bytes), outcomes, logProbs, exactNats: sum((t) => t.exactNats), forwardPasses: sum((t) => t.forwardPasses) };
}

function checkAligned(traces: readonly ByteTrace[]): void {
  if (traces.length < 2) throw new Error(`byte traces: an ensemble needs at least two members, got ${traces.length}`);
  const [first, ...rest] = traces;
  for (const t of rest) {
    const same = t.bytes === first!.bytes && t.outcomes.length === first!.outcomes.length && t.outcomes.every((o, i) => o === first!.outcomes[i]);
    if (!same) throw new Error(`byte traces: ${t.name} and ${first!.name} did not read the same documents`);
  }
}

/** Bits per byte of the members' combination (the same numbers byteLevelBitsPerByte gives for the ensemble). */
export function combinedBitsPerByte(traces: readonly ByteTrace[], options: EnsembleOptions = {}): number {
  checkAligned(traces);
  const { combine, weights } = ensembleWeights(traces.length, options);
  const dists = traces.map((t) => t.logProbs);
  let nats = 0;
  traces[0]!.outcomes.forEach((o, i) => (nats -= combineDistributions(dists, weights, combine, i * BYTE_OUTCOMES).logProbs[o]!));
  return bitsPerByteOf(nats, traces[0]!.bytes);
}

export interface ChosenWeights {
  /** The first member's weight; the second has 1 − weight. */
  weight: number;
  bitsPerByte: number;
}

/** The two-member weight (w, 1 − w) with w on a grid of `steps` + 1 points in [0, 1] that scores best on the traces
 * (pick it on data other than the data you report). Ties go to the weight nearest ½. */
export function chooseWeight(traces: readonly ByteTrace[], combine: Combine, steps = 20): ChosenWeights {
  if (traces.length !== 2) throw new Error(`byte traces: the weight search takes two members, got ${traces.length}`);
  if (!(Number.isInteger(steps) && steps >= 1)) throw new Error(`byte traces: steps must be a positive integer, got ${steps}`);
  let best: ChosenWeights | null = null;
  for (let k = 0; k <= steps; k++) {
    const weight = k / steps;
    const bitsPerByte = combinedBitsPerByte(traces, { combine, weights: [weight, 1 - weight] });
    const better = !best || bitsPerByte < best.bitsPerByte || (bitsPerByte === best.bitsPerByte && Math.abs(weight - 0.5) < Math.abs(best.weight - 0.5));
    if (better) best = { weight, bitsPerByte };
  }
  return best!;
}

/** A trace as bytes (little-endian; a JSON header line, then outcomes and log-probabilities) and back. */
export function serializeTrace(trace: ByteTrace): Uint8Array {
  const header = new TextEncoder().encode(
    JSON.stringify({ name: trace.name, documents: trace.documents, bytes: trace.bytes, positions: trace.outcomes.length, exactNats: trace.exactNats, forwardPasses: trace.forwardPasses }) + "\n",
  );
  // Pad the header so the float rows start 8-aligned.
  const headerLength = Math.ceil((header.length + 4) / 8) * 8;
  const outcomesLength = Math.ceil((trace.outcomes.length * 2) / 8) * 8;
  const out = new Uint8Array(headerLength + outcomesLength + trace.logProbs.byteLength);
  const view = new DataView(out.buffer);
  view.setUint32(0, headerLength, true);
  out.set(header, 4);
  trace.outcomes.forEach((o, i) => view.setUint16(headerLength + 2 * i, o, true));
  trace.logProbs.forEach((v, i) => view.setFloat64(headerLength + outcomesLength + 8 * i, v, true));
  return out;
}

export function parseTrace(data: Uint8Array, where: string): ByteTrace {
  const fail = (why: string): never => {
    throw new Error(`${where}: not a byte trace (${why})`);
  };
  if (data.length < 8) fail("too short");
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const headerLength = view.getUint32(0, true);
  if (headerLength > data.length) fail("header length past the end");
  let meta: { name: string; documents: number; bytes: number; positions: number; exactNats: number; forwardPasses: number };
  try {
    const text = new TextDecoder().decode(data.subarray(4, headerLength));
    meta = JSON.parse(text.slice(0, text.indexOf("\n")));
  } catch (e) {
    return fail(`header: ${(e as Error).message}`);
  }
  const positions = meta.positions;
  if (!(Number.isInteger(positions) && positions >= 0)) fail("positions");
  const outcomesLength = Math.ceil((positions * 2) / 8) * 8;
  if (data.length !== headerLength + outcomesLength + positions * BYTE_OUTCOMES * 8) fail(`${data.length} bytes for ${positions} positions`);
  const outcomes = new Uint16Array(positions);
  for (let i = 0; i < positions; i++) {
    outcomes[i] = view.getUint16(headerLength + 2 * i, true);
    if (outcomes[i]! > END_OF_TEXT) fail(`outcome ${outcomes[i]} at position ${i}`);
  }
  const logProbs = new Float64Array(positions * BYTE_OUTCOMES);
  for (let i = 0; i < logProbs.length; i++) logProbs[i] = view.getFloat64(headerLength + outcomesLength + 8 * i, true);
  return { name: meta.name, documents: meta.documents, bytes: meta.bytes, outcomes, logProbs, exactNats: meta.exactNats, forwardPasses: meta.forwardPasses };
}
