// Reading a model's vocabulary from tokenizer.json, with errors that name the field.

import type { Json, JsonObject } from "../types.js";
import { TokenizerError } from "../types.js";
import { setOwn } from "../json-fields.js";

/** A token → id table and its reverse. */
export class Vocabulary {
  readonly ids: Map<string, number>;
  readonly tokens: (string | undefined)[];

  constructor(entries: Iterable<[string, number]>, adopt?: { ids: Map<string, number>; tokens: (string | undefined)[] }) {
    if (adopt) {
      // A converter's finished tables (tiktoken ranks), taken over without a copy.
      this.ids = adopt.ids;
      this.tokens = adopt.tokens;
      return;
    }
    this.ids = new Map();
    this.tokens = [];
    for (const [token, id] of entries) {
      this.ids.set(token, id);
      this.tokens[id] = token;
    }
  }

  get size(): number {
    return this.ids.size;
  }

  /** The vocabulary as a tokenizer.json object, in id order (as HF writes it). */
  toJSON(): JsonObject {
    const entries = [...this.ids].sort((a, b) => a[1] - b[1]);
    const out: JsonObject = {};
    for (const [t, id] of entries) setOwn(out, t, id);
    return out;
  }
}

/** The vocabulary side of a model whose tokens live in a Vocabulary (BPE, WordPiece, WordLevel). */
export abstract class VocabularyModel {
  constructor(readonly vocab: Vocabulary) {}

  tokenToId(token: string): number | undefined {
    return this.vocab.ids.get(token);
  }
  idToToken(id: number): string | undefined {
    return this.vocab.tokens[id];
  }
  get vocabSize(): number {
    return this.vocab.size;
  }
  getVocab(): Map<string, number> {
    return new Map(this.vocab.ids);
  }
}

/** The largest token id a vocabulary may use: ids index arrays and pack into merge tables (BPE keeps 21 bits), and
 * real vocabularies stay below 300,000. */
export const MAX_TOKEN_ID = (1 << 21) - 1;

export function readVocabObject(json: Json | undefined, path: string): Vocabulary {
  if (!json || typeof json !== "object" || Array.isArray(json)) throw new TokenizerError("expected an object of token → id", `${path}.vocab`);
  const ids = new Map<string, number>();
  const tokens: (string | undefined)[] = [];
  for (const token in json) {
    const id = (json as Record<string, Json>)[token];
    if (typeof id !== "number" || !Number.isInteger(id) || id < 0) throw new TokenizerError(`id of ${JSON.stringify(token)} must be a non-negative integer, got ${JSON.stringify(id)}`, `${path}.vocab`);
    if (id > MAX_TOKEN_ID) throw new TokenizerError(`id of ${JSON.stringify(token)} is ${id}, past the largest token id retoken supports (${MAX_TOKEN_ID}; real vocabularies stay below 300,000)`, `${path}.vocab`);
    ids.set(token, id);
    tokens[id] = token;
  }
  return new Vocabulary([], { ids, tokens });
}

export { optionalString } from "../json-fields.js";
export { bool as optionalBoolean } from "../json-fields.js";

/** The keys of the JSON a model was read from, so toJSON() writes back the same fields (older files lack some). */
export function keepKeys(json: JsonObject, full: JsonObject): JsonObject {
  if (Object.keys(json).length === 0) return full;
  const out: JsonObject = {};
  for (const k of Object.keys(full)) if (k in json || k === "type") out[k] = full[k]!;
  return out;
}
