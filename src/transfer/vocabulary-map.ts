// How a target vocabulary relates to a source one: which target tokens exist in the source (compared as bytes),
// and how the source tokenizer's model alone (no normalizer, no pre-tokenizer: ZeTT's convention) splits each
// target token into source pieces.

import type { JsonObject, Model } from "../tokenize/types.js";
import { byteLevelAlphabet, canonicalKey, canonicalToken, isByteFallbackPiece, tokenSpelling, type CanonicalToken, type TokenSpelling } from "../tokenize/byte-vocabulary.js";
import { byteFallbackToken } from "../tokenize/decoders/byte-fallback.js";

export interface TransferTokenizer {
  toJSON(): JsonObject;
  idToToken(id: number): string | undefined;
  vocabSize(withAddedTokens?: boolean): number;
  model: Model;
}

export interface VocabularyMap {
  sourceSize: number;
  targetSize: number;
  /** target id → the source id of the same canonical token, or −1. */
  shared: Int32Array;
  /** target id → source ids of its bytes as the source model splits them (empty for specials without text). */
  pieces: number[][];
  /** target ids that are special tokens. */
  specials: Set<number>;
  targetTokens: CanonicalToken[];
}

function specialIdsOf(json: JsonObject): Map<number, string> {
  const out = new Map<number, string>();
  for (const t of Array.isArray(json.added_tokens) ? json.added_tokens : []) {
    if (t && typeof t === "object" && !Array.isArray(t) && t.special === true && typeof t.id === "number" && typeof t.content === "string") out.set(t.id, t.content);
  }
  return out;
}

/** Embedding rows a tokenizer needs: one per id up to its largest. Its token count is not enough where ids leave holes
 * (a rank file's specials: cl100k has 100,261 tokens, ids up to 100,276 and none at 100,256). */
function idRows(t: TransferTokenizer, json: JsonObject): number {
  let rows = t.vocabSize(true);
  for (const a of Array.isArray(json.added_tokens) ? json.added_tokens : []) {
    if (a && typeof a === "object" && !Array.isArray(a) && typeof a.id === "number") rows = Math.max(rows, a.id + 1);
  }
  return rows;
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Spells raw bytes the way the source model reads its pieces. */
export function spellForModel(bytes: Uint8Array, spelling: TokenSpelling, continuation: boolean): string {
  if (spelling.byteLevel) {
    const alphabet = byteLevelAlphabet();
    let s = "";
    for (const b of bytes) s += alphabet[b];
    return s;
  }
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    if (spelling.byteFallback) return Array.from(bytes, byteFallbackToken).join("");
    text = new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes);
  }
  if (spelling.spaceMarker) text = text.split(" ").join(spelling.spaceMarker);
  if (spelling.continuationPrefix !== null) text = continuation ? spelling.continuationPrefix + text : text.replace(/^ /, "");
  return text;
}

/** Source ids of a spelled token as the model alone splits it (byte-fallback spellings looked up piece by piece). */
export function tokenizeBytePieces(model: Model, spelled: string): number[] {
  // A byte-fallback spelling is a run of "<0xNN>" tokens: look them up one by one.
  const m = spelled.match(/^(<0x[0-9A-F]{2}>)+$/);
  if (m) return (spelled.match(/<0x[0-9A-F]{2}>/g) ?? []).map((p) => model.tokenToId(p) ?? -1).filter((id) => id >= 0);
  return model.tokenize(spelled).map((t) => t.id);
}

export function buildVocabularyMap(source: TransferTokenizer, target: TransferTokenizer): VocabularyMap {
  const sourceJson = source.toJSON();
  const targetJson = target.toJSON();
  const sourceSpelling = tokenSpelling(sourceJson);
  const targetSpelling = tokenSpelling(targetJson);
  const sourceSpecials = specialIdsOf(sourceJson);
  const targetSpecials = specialIdsOf(targetJson);
  const sourceSize = idRows(source, sourceJson);
  const targetSize = idRows(target, targetJson);

  // Several source tokens can spell the same bytes: a byte-fallback vocabulary holds "<0x2C>" beside ",". The row to
  // copy is the one the model learned, the token its tokenizer produces: a byte piece only where no other token
  // spells its byte (a Llama-style vocabulary lists its byte pieces first, so the first id would be the unused one).
  const sourceByKey = new Map<string, number>();
  const bytePiece = (id: number) => sourceSpelling.byteFallback && !sourceSpecials.has(id) && isByteFallbackPiece(source.idToToken(id)!);
  for (let id = 0; id < sourceSize; id++) {
    const tok = source.idToToken(id);
    if (tok === undefined) continue;
    const key = canonicalKey(canonicalToken(tok, sourceSpelling, sourceSpecials.has(id)));
    const held = sourceByKey.get(key);
    if (held === undefined || (bytePiece(held) && !bytePiece(id))) sourceByKey.set(key, id);
  }
  const shared = new Int32Array(targetSize).fill(-1);
  const pieces: number[][] = [];
  const targetTokens: CanonicalToken[] = [];
  for (let id = 0; id < targetSize; id++) {
    const tok = target.idToToken(id);
    const canon = canonicalToken(tok ?? "", targetSpelling, targetSpecials.has(id));
    targetTokens.push(canon);
    if (tok === undefined) {
      pieces.push([]);
      continue;
    }
    const same = sourceByKey.get(canonicalKey(canon));
    if (same !== undefined) shared[id] = same;
    if (canon.special || canon.bytes.length === 0) {
      pieces.push(same !== undefined ? [same] : []);
      continue;
    }
    pieces.push(tokenizeBytePieces(source.model, spellForModel(canon.bytes, sourceSpelling, canon.continuation)));
  }
  return { sourceSize, targetSize, shared, pieces, specials: new Set(targetSpecials.keys()), targetTokens };
}
