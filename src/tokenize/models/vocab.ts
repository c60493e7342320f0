// Reading a model's vocabulary from tokenizer.json, with errors that name the field.

import type { Json, JsonObject } from "../types.js";
import { TokenizerError } from "../types.js";
import { setOwn } from "../json-fields.js";

/**
 * A vocabulary a converter can answer single lookups from without spelling every token: a rank file's 200k tokens
 * as 200k strings in a Map cost more of a cold start (~70 ms) than the rest of its loading, and encoding ids needs
 * none of them (it looks tokens up by bytes). `build` spells the tables when someone needs them whole.
 */
export interface DeferredVocabulary {
  /** How many tokens there are. */
  readonly size: number;
  /** One more than the largest id. */
  readonly idLimit: number;
  /** One token's id (what ids.get would give), without building the tables. */
  id(token: string): number | undefined;
  /** One id's token (what tokens[id] would give), without building the tables. */
  token(id: number): string | undefined;
  /** Whether some token has this id. */
  has(id: number): boolean;
  /** tokens[id] alone, without the token → id Map `build` adds (what `tokens` and `entries` need). */
  tokenList(): (string | undefined)[];
  build(): { ids: Map<string, number>; tokens: (string | undefined)[] };
  /** Vocabulary.hasInnerMarker's answer without spelling the tokens (where the tokens' bytes are at hand). */
  hasInnerMarker?(marker: string): boolean;
}

/** A token → id table and its reverse. */
export class Vocabulary {
  private idMap: Map<string, number> | null;
  private tokenList: (string | undefined)[] | null;
  private deferred: DeferredVocabulary | null = null;

  /** `adopt`: a converter's finished tables, taken over without a copy, or a deferred vocabulary whose tables are
   * built on first use of `ids` or `tokens`. */
  constructor(entries: Iterable<[string, number]>, adopt?: { ids: Map<string, number>; tokens: (string | undefined)[] } | DeferredVocabulary) {
    if (adopt && "build" in adopt) {
      this.idMap = null;
      this.tokenList = null;
      this.deferred = adopt;
      return;
    }
    if (adopt) {
      this.idMap = adopt.ids;
      this.tokenList = adopt.tokens;
      return;
    }
    this.idMap = new Map();
    this.tokenList = [];
    for (const [token, id] of entries) {
      this.idMap.set(token, id);
      this.tokenList[id] = token;
    }
  }

  get ids(): Map<string, number> {
    if (!this.idMap) this.build();
    return this.idMap!;
  }

  /** tokens[id] is the token of that id (undefined where no token has it). */
  get tokens(): (string | undefined)[] {
    return (this.tokenList ??= this.deferred!.tokenList());
  }

  /** The id of one token. */
  id(token: string): number | undefined {
    return this.idMap ? this.idMap.get(token) : this.deferred!.id(token);
  }

  /** The token of one id. A deferred vocabulary's answer is kept (in `tokensMet`): its own decodes the token's UTF-8
   * on every call, and encode()'s fields, the pool's packing and decode() ask once per token. */
  token(id: number): string | undefined {
    if (this.tokenList) return this.tokenList[id];
    const met = this.tokensMet;
    const kept = met[id];
    if (kept !== undefined) return kept;
    const t = this.deferred!.token(id);
    // Only a token is kept: an id outside the vocabulary (decode() asks before it refuses one) would stretch the list
    // or hang a property on it, and a list made sparse that way is read slowly by every later encode().
    if (t !== undefined) met[id] = t;
    return t;
  }

  /** The tokens `token` has spelled so far, by id (undefined for the others); the whole list once `tokens` has been
   * read. */
  get tokensMet(): (string | undefined)[] {
    return this.tokenList ?? (this.metList ??= new Array<string | undefined>(this.deferred!.idLimit));
  }
  private metList: (string | undefined)[] | null = null;

  /** Every (token, id) once, in no set order (a deferred vocabulary lists them from its id → token list, without
   * building the token → id Map). */
  entries(): Iterable<[string, number]> {
    if (this.idMap) return this.idMap.entries();
    const tokens = this.tokens;
    const out: [string, number][] = [];
    for (let id = 0; id < tokens.length; id++) if (tokens[id] !== undefined) out.push([tokens[id]!, id]);
    return out;
  }

  /** Whether some token holds `marker` after its first character with something other than `marker` just before it
   * (BPE cuts a piece before each marker only where no token spans such a cut). A deferred vocabulary answers from
   * the tokens' bytes: spelling Llama's 32k tokens to ask was ~15 ms of its cold start. */
  hasInnerMarker(marker: string): boolean {
    if (!this.tokenList && this.deferred!.hasInnerMarker) return this.deferred!.hasInnerMarker(marker);
    const tokens = this.tokens;
    const m = marker.length;
    for (let id = 0; id < tokens.length; id++) {
      const token = tokens[id];
      if (token === undefined) continue;
      for (let i = token.indexOf(marker, 1); i > 0; i = token.indexOf(marker, i + 1)) if (i < m || !token.startsWith(marker, i - m)) return true;
    }
    return false;
  }

  /** Whether some token has this id. */
  has(id: number): boolean {
    return this.tokenList ? this.tokenList[id] !== undefined : this.deferred!.has(id);
  }

  get size(): number {
    return this.idMap ? this.idMap.size : this.deferred!.size;
  }

  /** Whether the id → token list is still to be spelled (a deferred vocabulary's, until someone reads `tokens`). */
  get deferredTokens(): boolean {
    return this.tokenList === null;
  }

  /** Whether the token → id and id → token tables exist yet (a deferred vocabulary builds them on first use). */
  get spelled(): boolean {
    return this.idMap !== null;
  }

  /** One more than the largest id. */
  get idLimit(): number {
    return this.tokenList ? this.tokenList.length : this.deferred!.idLimit;
  }

  private build(): void {
    const built = this.deferred!.build();
    this.idMap = built.ids;
    this.tokenList = built.tokens;
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
    return this.vocab.id(token);
  }
  idToToken(id: number): string | undefined {
    return this.vocab.token(id);
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
