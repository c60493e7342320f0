// Bits per byte of documents read byte by byte: one model (exact — the canonical mass of each document, equal to
// the token-level score of its encoding — and renormalised), or several models with different tokenizers combined
// at the byte level (ensemble.ts).
import type { TokenLM } from "../lm/token-lm.js";
import { ByteLM, type CoverRule } from "./byte-lm.js";
import { ByteEnsemble, type EnsembleOptions } from "./ensemble.js";
import { END_OF_TEXT } from "./byte-lm.js";

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

/**
 * Scores each document (start token, its bytes, the end of text) through the byte-level view of each member; with
 * several members, also through their combination. Each member keeps its own start and end tokens: the members
 * share only the 257 outcomes, so their special tokens never need to agree.
 */
export async function byteLevelBitsPerByte(members: readonly ByteLevelMember[], documents: readonly string[], options: EnsembleOptions = {}): Promise<ByteLevelBits> {
  checkMembers(members);
  const exact = members.map(() => 0);
  const renorm = members.map(() => 0);
  const passes = members.map((m) => m.lm.forwardPasses);
  let combined = 0;
  let bytes = 0;
  for (const [d, doc] of documents.entries()) {
    const text = utf8.encode(doc);
    if (text.length === 0) throw new Error(`byte-level bits per byte: document ${d + 1} is empty`);
    const models = await Promise.all(members.map((m) => ByteLM.create(m.lm, m.rule)));
    const ensemble = members.length > 1 ? new ByteEnsemble(models, options) : null;
    try {
      for (let i = 0; i <= text.length; i++) {
        const outcome = i < text.length ? text[i]! : END_OF_TEXT;
        if (ensemble) combined -= (await ensemble.next()).logProbs[outcome]!;
        for (const [k, m] of models.entries()) {
          const next = await m.next();
          renorm[k]! -= next.logProbs[outcome]!;
          if (outcome === END_OF_TEXT) exact[k]! -= next.logMass[END_OF_TEXT]!;
        }
        if (i < text.length) {
          if (ensemble) await ensemble.push(outcome);
          else await models[0]!.push(outcome);
        }
      }
    } finally {
      for (const m of models) m.close();
    }
    bytes += text.length;
  }
  const perByte = (nats: number) => nats / (Math.LN2 * bytes);
  const report = members.map((m, k) => ({
    name: m.name ?? `model ${k + 1}`,
    bitsPerByte: perByte(exact[k]!),
    renormalisedBitsPerByte: perByte(renorm[k]!),
    forwardPasses: m.lm.forwardPasses - passes[k]!,
  }));
  for (const r of report) if (!Number.isFinite(r.bitsPerByte)) throw new Error(`byte-level bits per byte: ${r.name} gives a document probability 0 (no canonical encoding: does its tokenizer change the text?)`);
  return { bitsPerByte: members.length > 1 ? perByte(combined) : report[0]!.bitsPerByte, members: report, documents: documents.length, bytes };
}
