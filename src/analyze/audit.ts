// Vocabulary audit without a model (Land & Bartolo 2024, "Fishing for Magikarp", the tokenizer part): which tokens
// can ever be produced by encoding text, and byte-level overlap between two vocabularies.

import type { JsonObject } from "../tokenize/types.js";
import { canonicalKey, canonicalToken, isCompleteUtf8, tokenSpelling } from "../tokenize/byte-vocabulary.js";

export interface AuditableTokenizer {
  encode(text: string, options?: { addSpecialTokens?: boolean }): { ids: ArrayLike<number> };
  vocabSize(withAddedTokens?: boolean): number;
  idToToken(id: number): string | undefined;
  toJSON(): JsonObject;
}

export type TokenClass = "reachable" | "unreachable-single" | "unreachable-multi" | "undecodable" | "special";

export interface VocabularyAudit {
  counts: Record<TokenClass, number>;
  /** A few examples of each class (token strings), for the report. */
  examples: Record<TokenClass, string[]>;
  /** Class of every id (index = id); ids with no token are absent. */
  classes: (TokenClass | undefined)[];
}

const utf8 = new TextDecoder("utf-8", { ignoreBOM: true });

function specialIds(json: JsonObject): Set<number> {
  const out = new Set<number>();
  const added = Array.isArray(json.added_tokens) ? json.added_tokens : [];
  for (const t of added) {
    if (t && typeof t === "object" && !Array.isArray(t) && t.special === true && typeof t.id === "number") out.add(t.id);
  }
  return out;
}

function sameIds(a: ArrayLike<number>, from: number, b: number[]): boolean {
  if (a.length - from !== b.length) return false;
  for (let i = 0; i < b.length; i++) if (a[from + i] !== b[i]) return false;
  return true;
}

/**
 * Classifies every token. A token is reachable when encoding its own text gives back exactly that token — alone,
 * or after a guard prefix for word-internal pieces (which never start a text): the guard's own tokens must come out
 * unchanged first. A token whose bytes are not complete UTF-8 cannot be typed as text: "undecodable".
 */
export function auditVocabulary(tokenizer: AuditableTokenizer, options: { guard?: string; examples?: number } = {}): VocabularyAudit {
  const json = tokenizer.toJSON();
  const spelling = tokenSpelling(json);
  const specials = specialIds(json);
  const guard = options.guard ?? "«";
  const guardIds = Array.from(tokenizer.encode(guard, { addSpecialTokens: false }).ids);
  const maxExamples = options.examples ?? 8;
  const counts: Record<TokenClass, number> = { reachable: 0, "unreachable-single": 0, "unreachable-multi": 0, undecodable: 0, special: 0 };
  const examples: Record<TokenClass, string[]> = { reachable: [], "unreachable-single": [], "unreachable-multi": [], undecodable: [], special: [] };
  const classes: (TokenClass | undefined)[] = [];
  const n = tokenizer.vocabSize(true);
  for (let id = 0; id < n; id++) {
    const token = tokenizer.idToToken(id);
    if (token === undefined) continue;
    let cls: TokenClass;
    const canon = canonicalToken(token, spelling, specials.has(id));
    if (canon.special) cls = "special";
    else if (!isCompleteUtf8(canon.bytes)) cls = "undecodable";
    else {
      let text = utf8.decode(canon.bytes);
      // A WordPiece word-initial piece carries a canonical leading space that the pre-tokenizer drops again.
      if (spelling.continuationPrefix !== null && !canon.continuation) text = text.slice(1);
      const direct = tokenizer.encode(text, { addSpecialTokens: false }).ids;
      if (direct.length === 1 && direct[0] === id) cls = "reachable";
      else {
        const guarded = tokenizer.encode(guard + text, { addSpecialTokens: false }).ids;
        const prefixOk = guardIds.every((g, i) => guarded[i] === g);
        if (prefixOk && sameIds(guarded, guardIds.length, [id])) cls = "reachable";
        else {
          const single = direct.length === 1 || (prefixOk && guarded.length - guardIds.length === 1);
          cls = single ? "unreachable-single" : "unreachable-multi";
        }
      }
    }
    classes[id] = cls;
    counts[cls]++;
    if (examples[cls].length < maxExamples) examples[cls].push(token);
  }
  return { counts, examples, classes };
}

export interface VocabularyOverlap {
  sizeA: number;
  sizeB: number;
  shared: number;
  /** shared / |A ∪ B| */
  jaccard: number;
  /** Shared tokens as [tokenInA, idInA, tokenInB, idInB], in A's id order. */
  pairs: [string, number, string, number][];
}

/** Canonical keys of a tokenizer's vocabulary (one per id; specials keyed by their content). */
export function canonicalVocabulary(tokenizer: Pick<AuditableTokenizer, "idToToken" | "vocabSize" | "toJSON">): Map<string, number> {
  const json = tokenizer.toJSON();
  const spelling = tokenSpelling(json);
  const specials = specialIds(json);
  const out = new Map<string, number>();
  const n = tokenizer.vocabSize(true);
  for (let id = 0; id < n; id++) {
    const token = tokenizer.idToToken(id);
    if (token === undefined) continue;
    const key = canonicalKey(canonicalToken(token, spelling, specials.has(id)));
    if (!out.has(key)) out.set(key, id);
  }
  return out;
}

/** Tokens shared by two tokenizers, compared as byte strings (so "▁x", "Ġx" and word-initial "x" match). */
export function vocabularyOverlap(a: AuditableTokenizer, b: AuditableTokenizer): VocabularyOverlap {
  const va = canonicalVocabulary(a);
  const vb = canonicalVocabulary(b);
  const pairs: [string, number, string, number][] = [];
  for (const [key, ida] of va) {
    const idb = vb.get(key);
    if (idb !== undefined) pairs.push([a.idToToken(ida)!, ida, b.idToToken(idb)!, idb]);
  }
  pairs.sort((x, y) => x[1] - y[1]);
  const union = va.size + vb.size - pairs.length;
  return { sizeA: va.size, sizeB: vb.size, shared: pairs.length, jaccard: union ? pairs.length / union : 0, pairs };
}
