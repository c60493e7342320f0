/**
 * Working across tokenizers at inference: token bytes, canonical encodings.
 * @module retoken/decode
 */
// retoken/decode: working across tokenizers at inference — canonical encodings, token healing, byte-level views.
//
// Interface (stable; the byte-level model builds on it):
//   TokenByteTable.fromTokenizer(tokenizer)       token-bytes.ts
//     .size, .maxTokenBytes
//     .bytes(id)            bytes a token adds mid-sequence (byte-level: its bytes; SentencePiece: ▁ → space,
//                           <0xNN> → that byte; WordPiece: " " + word-initial piece, "##x" → x)
//     .isSpecial(id)        added/special/control tokens (and ids with no token): never text continuations
//     .textBytes(ids)       UTF-8 of tokenizer.decode(ids): bytes(id) in order with the decoder's start rule on the
//                           first token. Differs from decode only where decode is lossy: byte runs that are not
//                           valid UTF-8 (decode writes U+FFFD) and WordPiece's clean-up of " ." etc.
//     .startRule            how the decoder treats the first token: none (byte-level), drop-marker (Metaspace
//                           decoder: every ▁ of the first token dropped), strip (Llama: one leading " " of the whole
//                           text), raw (WordPiece)
//     .encodePrefix         bytes encode() puts before a text at its start: " " for SentencePiece's dummy prefix
//                           (Llama, .model files), empty for GPT-2/tiktoken. So for a text T, the tokens of encode(T)
//                           spell encodePrefix + T (where the normalizer keeps T as it is: not BERT's lowercasing or
//                           a .model's whitespace collapsing), and the start rule takes encodePrefix off again.
//                           A byte-level model of T therefore runs over encodePrefix + T and reports T.
//     .withPrefix(bytes)    ids whose bytes start with bytes (sorted-order view), O(|bytes| log V)
//     .prefixesOf(bytes, start?, end?)  ids whose bytes are a prefix of bytes[start, end), shortest first
//     .root() / .child(node, byte) / .idsIn(node) / .idsEndingAt(node)   the byte trie as ranges of the sorted order
//   canonicality(tokenizer): Canonicality        canonical.ts
//     .isCanonical(ids)     encode(decode(ids)) === ids (no post-processor specials)
//     .validPair(l, r)      BPE only (.hasPairRule); throws otherwise. Model level (merges) plus the pre-tokenizer's
//                           verdict on the pair's text; pairs with a special token are true.
//     .unreachable()        tokens no text produces (pre-tokenizer included); .modelUnreachable(): model level only
//     .encodeMid(bytes)     the ids of bytes standing inside a text (no start-of-text prefix)

export { TokenByteTable, type StartRule, type TrieRange } from "./token-bytes.js";
export { canonicality, type Canonicality } from "./canonical.js";
export { HEAL_MODES, HealingConstraint, continuationBytes, healingCandidates, planHealing, splitPromptBytes, type HealMode, type HealingPlan, type HealingReport } from "./heal.js";
export { healedGenerate, type HealedGenerateOptions, type HealedGeneration } from "./heal-generate.js";
export { exactHealingCovers, exactHealingPlan, rankedCovers, type ExactHealing, type HealingCover } from "./heal-exact.js";

// Byte-level reading of token models (byte-lm.ts: definitions of canonical covers and the 257-way normalisation),
// ensembles across tokenizers, next-byte distributions and byte-level bits per byte.
export { ByteLM, CoverRule, coverRule, END_OF_TEXT, BYTE_OUTCOMES, type ByteModel, type ByteLMOptions, type NextBytes, type CoverNode, type Cover, type PairContext } from "./byte-lm.js";
export { ByteEnsemble, ProxyTuned, combineDistributions, ensembleWeights, type Combine, type EnsembleOptions, type ProxyTuningOptions } from "./ensemble.js";
export { sampleBytes, scoreBytes, drawOutcome, type ByteSamplingOptions, type ByteScore } from "./byte-generate.js";
export { byteLevelBitsPerByte, readDocuments, type ByteLevelMember, type ByteLevelBits, type MemberBits, type DocumentsRead } from "./byte-bpb.js";
export { traceDocuments, traceBits, concatTraces, combinedBitsPerByte, chooseWeight, serializeTrace, parseTrace, type ByteTrace, type ChosenWeights } from "./byte-trace.js";
export { exactNextBytes, naiveNextBytes, type NextByteDistribution } from "./next-bytes.js";
export { nonCanonicalMass, type NonCanonicalMass } from "./noncanonical.js";
export { tokenLM, type TokenLM, type TokenState, type TokenRequest, type TokenResult } from "../lm/token-lm.js";

// Dynamic tokenization: per-batch merges (dynamic/merge.ts).
export { DynamicMerger, DYNAMIC_BOUNDARIES, type DynamicBoundary, type DynamicBatch, type DynamicMergeOptions, type DynamicMergeStep } from "./dynamic/merge.js";
export { dynamicBitsPerByte, dynamicGenerate, withPredictedBaseRows, type MergedTokenRows, type DynamicModel, type DynamicScore, type DynamicScoreOptions, type DynamicGenerateOptions, type DynamicGeneration } from "./dynamic/score.js";
