// Bits per byte of documents read byte by byte: one model (exact — the canonical mass of each document, equal to
// the token-level score of its encoding — and renormalised), or several models with different tokenizers combined
// at the byte level (ensemble.ts).
import type { TokenLM } from "../lm/token-lm.js";
import { ByteLM, END_OF_TEXT, type CoverRule, type NextBytes } from "./byte-lm.js";
import { combineDistributions, ensembleWeights, type EnsembleOptions } from "./ensemble.js";

const utf8 = new TextEncoder();

export interface ByteLevelMember {
  lm: TokenLM;
  rule: CoverRule;
  /** Named in errors and reports. */
  name?: string;
}

export interface MemberBits {
  name: string;
  /** −log₂ of the documents' canonical mass per byte: the token-level bits per byte of their encodings. */
  bitsPerByte: number;
  /** Σ −log₂ of the 257-way normalised next-byte probabilities per byte (≤ bitsPerByte; the gap is the model's
   * mass on non-canonical continuations). */
  renormalisedBitsPerByte: number;
  forwardPasses: number;
}

export interface ByteLevelBits {
  /** One member: its exact bits per byte; several: the combined model's (renormalised distributions). */
  bitsPerByte: number;
  members: MemberBits[];
  documents: number;
  bytes: number;
}

function checkMembers(members: readonly ByteLevelMember[]): void {
  if (members.length === 0) throw new Error("byte-level bits per byte: no model");
  members.forEach((m, i) => {
    const name = m.name ?? `model ${i + 1}`;
    if (m.lm.endIds.length === 0) throw new Error(`byte-level bits per byte: ${name} has no end-of-text token (eos_token_id in config.json), so it cannot say where a document ends`);
    if (m.lm.startId === null) throw new Error(`byte-level bits per byte: ${name} has no start token (bos_token_id or eos_token_id in config.json)`);
  });
}

/** What readDocuments saw: the text bytes read (the ends of documents have none) and each member's model calls. */
export interface DocumentsRead {
  bytes: number;
  forwardPasses: number[];
}

/**
 * Reads each document (start token, its bytes, the end of text) through the byte-level view of every member at once;
 * `visit` sees each position — every byte, then each document's end — with its true outcome and the members'
 * next-byte distributions. Each member keeps its own start and end tokens: the members share only the 257 outcomes,
 * so their special tokens never need to agree.
 */
export async function readDocuments(
  members: readonly ByteLevelMember[],
  documents: readonly string[],
  visit: (outcome: number, dists: readonly NextBytes[]) => void,
): Promise<DocumentsRead> {
  checkMembers(members);
  const passes = members.map((m) => m.lm.forwardPasses);
  let bytes = 0;
  for (const [d, doc] of documents.entries()) {
    const text = utf8.encode(doc);
    if (text.length === 0) throw new Error(`byte-level bits per byte: document ${d + 1} is empty`);
    const models = await Promise.all(members.map((m) => ByteLM.create(m.lm, m.rule)));
    try {
      for (let i = 0; i <= text.length; i++) {
        const outcome = i < text.length ? text[i]! : END_OF_TEXT;
        const dists: NextBytes[] = [];
        for (const m of models) dists.push(await m.next());
        visit(outcome, dists);
        if (i < text.length) for (const m of models) await m.push(outcome);
      }
    } finally {
      for (const m of models) m.close();
    }
    bytes += text.length;
  }
  return { bytes, forwardPasses: members.map((m, k) => m.lm.forwardPasses - passes[k]!) };
}

/** Bits per byte of `nats` over `bytes` text bytes. */
export const bitsPerByteOf = (nats: number, bytes: number): number => nats / (Math.LN2 * bytes);

/** A member whose documents have probability 0 cannot be scored: say why. */
export function checkMemberBits(r: MemberBits): MemberBits {
  if (!Number.isFinite(r.bitsPerByte)) throw new Error(`byte-level bits per byte: ${r.name} gives a document probability 0 (no canonical encoding: does its tokenizer change the text?)`);
  return r;
}

/**
 * Scores each document through the byte-level view of each member; with several members, also through their
 * combination (ensemble.ts).
 */
export async function byteLevelBitsPerByte(members: readonly ByteLevelMember[], documents: readonly string[], options: EnsembleOptions = {}): Promise<ByteLevelBits> {
  const ensemble = members.length > 1 ? ensembleWeights(members.length, options) : null;
  const exact = members.map(() => 0);
  const renorm = members.map(() => 0);
  let combined = 0;
  const read = await readDocuments(members, documents, (outcome, dists) => {
    if (ensemble) combined -= combineDistributions(dists.map((d) => d.logProbs), ensemble.weights, ensemble.combine).logProbs[outcome]!;
    dists.forEach((next, k) => {
      renorm[k]! -= next.logProbs[outcome]!;
      if (outcome === END_OF_TEXT) exact[k]! -= next.logMass[END_OF_TEXT]!;
    });
  });
  const report = members.map((m, k) =>
    checkMemberBits({
      name: m.name ?? `model ${k + 1}`,
      bitsPerByte: bitsPerByteOf(exact[k]!, read.bytes),
      renormalisedBitsPerByte: bitsPerByteOf(renorm[k]!, read.bytes),
      forwardPasses: read.forwardPasses[k]!,
    }),
  );
  return { bitsPerByte: ensemble ? bitsPerByteOf(combined, read.bytes) : report[0]!.bitsPerByte, members: report, documents: documents.length, bytes: read.bytes };
}
