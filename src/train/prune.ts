// Vocabulary pruning to a smaller size: drop the last-learned BPE merges / WordPiece pieces, or the lowest-scoring
// Unigram pieces. Base characters, byte pieces and added tokens always stay; ids are renumbered compactly in their
// old order, so a vocabulary built in merge order keeps every surviving id unchanged.

import type { Json, JsonObject } from "../tokenize/types.js";
import { TokenizerError } from "../tokenize/types.js";
import { isByteFallbackPiece } from "../tokenize/decoders/byte-fallback.js";
import { readMerges } from "./continue.js";
import { setOwn } from "../tokenize/json-fields.js";

function remapAdded(json: JsonObject, newId: (old: number) => number | undefined): void {
  json.added_tokens = ((json.added_tokens as JsonObject[]) ?? [])
    .map((t) => ({ ...t, id: newId(t.id as number) ?? -1 }))
    .filter((t) => t.id >= 0) as Json[];
}

export function pruneTokenizerJson(source: JsonObject, vocabSize: number, where = "tokenizer.json"): JsonObject {
  const json = structuredClone(source);
  const model = json.model as JsonObject;
  const addedIds = new Set(((json.added_tokens as JsonObject[]) ?? []).map((t) => t.id as number));
  if (model.type === "Unigram") {
    const vocab = model.vocab as [string, number][];
    const unkId = (model.unk_id as number | null) ?? -1;
    const keep = new Uint8Array(vocab.length);
    let kept = 0;
    vocab.forEach(([piece], i) => {
      if (i === unkId || addedIds.has(i) || isByteFallbackPiece(piece) || [...piece].length === 1) {
        keep[i] = 1;
        kept++;
      }
    });
    if (kept > vocabSize) throw new TokenizerError(`${where}: ${kept} pieces are required (characters, bytes, special); cannot prune to ${vocabSize}`);
    const order = vocab.map((_, i) => i).filter((i) => !keep[i]).sort((a, b) => vocab[b]![1] - vocab[a]![1] || a - b);
    for (const i of order) {
      if (kept >= vocabSize) break;
      keep[i] = 1;
      kept++;
    }
    const map = new Map<number, number>();
    const out: [string, number][] = [];
    vocab.forEach((p, i) => {
      if (keep[i]) {
        map.set(i, out.length);
        out.push(p);
      }
    });
    model.vocab = out as Json[];
    if (unkId >= 0) model.unk_id = map.get(unkId)!;
    remapAdded(json, (o) => map.get(o));
    return json;
  }
  if (model.type !== "BPE" && model.type !== "WordPiece") throw new TokenizerError(`${where}: cannot prune a ${model.type} model`);
  const vocab = model.vocab as Record<string, number>;
  const entries = Object.entries(vocab).sort((a, b) => a[1] - b[1]);
  const keep = new Set<string>();
  const merges = model.type === "BPE" ? readMerges(model.merges as Json, where) : [];
  const produced = new Set(merges.map(([a, b]) => a + b));
  // Required: added tokens and every token no merge produces (alphabet, bytes); WordPiece: single (##)characters.
  for (const [t, id] of entries) {
    const base = model.type === "BPE" ? !produced.has(t) : [...t.replace(/^##/, "")].length === 1;
    if (addedIds.has(id) || base) keep.add(t);
  }
  if (keep.size > vocabSize) throw new TokenizerError(`${where}: ${keep.size} tokens are required (alphabet, special); cannot prune to ${vocabSize}`);
  const keptMerges: [string, string][] = [];
  if (model.type === "BPE") {
    for (const [a, b] of merges) {
      if (!keep.has(a) || !keep.has(b)) continue;
      const m = a + b;
      if (!keep.has(m)) {
        if (keep.size >= vocabSize) continue;
        keep.add(m);
      }
      keptMerges.push([a, b]);
    }
  } else {
    for (const [t] of entries) {
      if (keep.size >= vocabSize) break;
      keep.add(t);
    }
  }
  const map = new Map<number, number>();
  const newVocab: Record<string, number> = {};
  let next = 0;
  for (const [t, id] of entries) {
    if (!keep.has(t)) continue;
    map.set(id, next);
    setOwn(newVocab, t, next++);
  }
  model.vocab = newVocab;
  if (model.type === "BPE") {
    const stringForm = typeof (model.merges as Json[])[0] === "string";
    model.merges = keptMerges.map(([a, b]) => (stringForm ? `${a} ${b}` : [a, b])) as Json[];
  }
  remapAdded(json, (o) => map.get(o));
  return json;
}
