// tokenizer.json text read for a cold start. A BPE file is nearly all its model's `vocab` object and `merges` list
// (GPT-2: 50k keys and 50k merge strings in 1.3 MB), and JSON.parse of them, then a Map of the vocabulary and a
// lookup of every merge's three tokens in it, were ~2/3 of loading one. Here the two are cut out of the text, the rest
// goes to JSON.parse, and the vocabulary and merges are scanned in place into id tables: no string per token, no
// object of 50k keys. Both fields are parsed from their own text only when someone reads them. Anything the scan does
// not expect (an escape it cannot check, a duplicate, a merge of unknown tokens, a prefix, another model type) sends
// the whole text to JSON.parse and the plain readers, so what a file means, and every error, is theirs.

import type { Json, JsonObject } from "./types.js";
import { parseJsonObject, setOwn } from "./json-fields.js";
import { PREBUILT_BPE, type PrebuiltBpe } from "./models/bpe.js";
import { MAX_TOKEN_ID, Vocabulary, type DeferredVocabulary } from "./models/vocab.js";
import { HASH_MULTIPLIER, hashPowers } from "../util/byte-string-table.js";

/** tokenizer.json text as an object; a BPE model's vocab and merges are read lazily (see above). */
export function parseTokenizerJson(text: string, fileName: string): JsonObject {
  return readBpeTablesInPlace(text) ?? parseJsonObject(text, fileName);
}

function readBpeTablesInPlace(text: string): JsonObject | null {
  const cut = findModelTables(text);
  if (!cut) return null;
  const [first, second] = cut.vocab.at[0] < cut.merges.at[0] ? [cut.vocab.at, cut.merges.at] : [cut.merges.at, cut.vocab.at];
  let json: Json;
  try {
    json = JSON.parse(text.slice(cut.bom, first[0]) + "0" + text.slice(first[1], second[0]) + "0" + text.slice(second[1]));
  } catch {
    return null;
  }
  if (!json || typeof json !== "object" || Array.isArray(json)) return null;
  const model = json.model;
  if (!model || typeof model !== "object" || Array.isArray(model)) return null;
  // The merges were looked up as left + right: a continuing-subword prefix names the merged token otherwise.
  if ((model.type !== undefined && model.type !== "BPE") || (typeof model.continuing_subword_prefix === "string" && model.continuing_subword_prefix !== "")) return null;
  const { vocab, merges } = cut;
  const spell = () => ({ vocab: JSON.parse(text.slice(vocab.at[0], vocab.at[1])) as Json, merges: JSON.parse(text.slice(merges.at[0], merges.at[1])) as Json });
  json.model = lazyBpeModelJson(model, { vocab: new Vocabulary([], vocab.table), merges: merges.ids, shape: merges.shape }, spell);
  return json;
}

/**
 * The model object of a tokenizer.json whose `vocab` and `merges` are spelled out (by `spell`) only when read,
 * carrying the built tables for BpeModel.fromJSON (PREBUILT_BPE). Reading either field turns both into plain data and
 * drops the tables, so an edit to the JSON is what a tokenizer built from it runs.
 */
export function lazyBpeModelJson(fields: JsonObject, prebuilt: PrebuiltBpe, spell: () => { vocab: Json; merges: Json }): JsonObject {
  const model: JsonObject = { ...fields };
  const accessors = new Map<string, () => unknown>();
  const ours = (key: string) => Object.getOwnPropertyDescriptor(model, key)?.get === accessors.get(key);
  // Both fields become plain data at the first touch of either; one the caller deleted or redefined stays as they left it.
  const materialise = () => {
    delete (model as { [PREBUILT_BPE]?: PrebuiltBpe })[PREBUILT_BPE];
    const keep = { vocab: ours("vocab"), merges: ours("merges") };
    if (!keep.vocab && !keep.merges) return;
    const spelled = spell();
    for (const key of ["vocab", "merges"] as const) {
      if (keep[key]) Object.defineProperty(model, key, { value: spelled[key], writable: true, enumerable: true, configurable: true });
    }
  };
  for (const key of ["vocab", "merges"] as const) {
    const get = () => {
      materialise();
      return model[key];
    };
    accessors.set(key, get);
    Object.defineProperty(model, key, {
      enumerable: true,
      configurable: true,
      get,
      set(value: JsonObject[string]) {
        materialise();
        model[key] = value;
      },
    });
  }
  // Offered only while both accessors are in place: a field deleted or redefined means the JSON was edited.
  Object.defineProperty(model, PREBUILT_BPE, { get: () => (ours("vocab") && ours("merges") ? prebuilt : undefined), enumerable: false, configurable: true });
  return model;
}

// ---- finding the two tables ----

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** The end (one past the closing quote) of the JSON string whose opening quote is at `i`, or −1. */
function stringEnd(text: string, i: number): number {
  for (let j = text.indexOf('"', i + 1); j >= 0; j = text.indexOf('"', j + 1)) {
    let slashes = 0;
    while (text.charCodeAt(j - 1 - slashes) === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return j + 1;
  }
  return -1;
}

const STRUCTURE = /["{}[\]]/g;

/** The end of the JSON value starting at `i`, or −1. Scalars end at the next , } or ]: JSON.parse of the rest checks
 * what they are. */
function valueEnd(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c === QUOTE) return stringEnd(text, i);
  if (c !== 0x7b && c !== 0x5b) {
    const m = /[,}\]]/g;
    m.lastIndex = i;
    return m.exec(text) ? m.lastIndex - 1 : -1;
  }
  let depth = 0;
  STRUCTURE.lastIndex = i;
  for (let m = STRUCTURE.exec(text); m; m = STRUCTURE.exec(text)) {
    const at = m.index;
    const ch = text.charCodeAt(at);
    if (ch === QUOTE) {
      const end = stringEnd(text, at);
      if (end < 0) return -1;
      STRUCTURE.lastIndex = end;
    } else if (ch === 0x7b || ch === 0x5b) depth++;
    else if (--depth === 0) return at + 1;
  }
  return -1;
}

function skipSpace(text: string, i: number): number {
  for (;;) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return i;
    i++;
  }
}

/**
 * Walks the object whose `{` is at `i` (after whitespace): `read(key, start)` reads each member's value and gives
 * where it ends (−1: give up). Returns the object's end, or −1 when it is not an object or a key has an escape.
 */
function walkObject(text: string, i: number, read: (key: string, start: number) => number): number {
  i = skipSpace(text, i);
  if (text.charCodeAt(i) !== 0x7b) return -1;
  i = skipSpace(text, i + 1);
  if (text.charCodeAt(i) === 0x7d) return i + 1;
  for (;;) {
    if (text.charCodeAt(i) !== QUOTE) return -1;
    const keyEnd = stringEnd(text, i);
    if (keyEnd < 0) return -1;
    const key = text.slice(i + 1, keyEnd - 1);
    if (key.includes("\\")) return -1;
    i = skipSpace(text, keyEnd);
    if (text.charCodeAt(i) !== 0x3a) return -1;
    const end = read(key, skipSpace(text, i + 1));
    if (end < 0) return -1;
    i = skipSpace(text, end);
    const c = text.charCodeAt(i);
    if (c === 0x7d) return i + 1;
    if (c !== 0x2c) return -1;
    i = skipSpace(text, i + 1);
  }
}

interface ModelTables {
  bom: number;
  vocab: { at: [number, number]; table: ScannedVocabulary };
  merges: { at: [number, number]; ids: Int32Array; shape: "strings" | "pairs" };
}

/** The top-level `model` object's `vocab` and `merges`, read where they lie in the text (the vocabulary first, as
 * every file writes them); null when either is missing, repeated or not as the scanners expect. */
function findModelTables(text: string): ModelTables | null {
  const bom = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let vocab: ModelTables["vocab"] | null = null;
  let merges: ModelTables["merges"] | null = null;
  let models = 0;
  const readModel = (key: string, start: number): number => {
    if (key === "vocab") {
      if (vocab) return -1;
      const read = ScannedVocabulary.scan(text, start);
      if (!read) return -1;
      vocab = { at: [start, read.end], table: read.table };
      return read.end;
    }
    if (key === "merges") {
      if (merges || !vocab) return -1;
      const read = scanMerges(text, start, vocab.table);
      if (!read) return -1;
      merges = { at: [start, read.end], ids: read.ids, shape: read.shape };
      return read.end;
    }
    return valueEnd(text, start);
  };
  // A second "model" would be the one JSON.parse keeps: not the one read here.
  const end = walkObject(text, bom, (key, start) => (key !== "model" ? valueEnd(text, start) : ++models === 1 ? walkObject(text, start, readModel) : -1));
  return end >= 0 && vocab && merges ? { bom, vocab, merges } : null;
}

// ---- the vocabulary, read in place ----

/**
 * A vocab object's entries as spans of the file's text (a key with escapes: its unescaped string), in an
 * open-addressing table by the polynomial hash of their UTF-16 units: single lookups and the merges' lookups need no
 * string per token; `build` spells the Map and list when someone reads them whole.
 */
class ScannedVocabulary implements DeferredVocabulary {
  private constructor(
    private readonly text: string,
    /** Entry e's key is text[start[e], end[e]); a negative start −k−1 means escapedKeys[k]. */
    private readonly start: Int32Array,
    private readonly end: Int32Array,
    private readonly escapedKeys: string[],
    private readonly idOf: Int32Array,
    private readonly entryOfId: Int32Array,
    /** Per slot: hash, then entry + 1 (0: empty). */
    private readonly slots: Int32Array,
    private readonly hashes: Int32Array,
    readonly size: number,
    /** P^k for k up to the longest key's length: the hash of a join from its parts' hashes. */
    private readonly powers: Int32Array,
  ) {}

  get idLimit(): number {
    return this.entryOfId.length;
  }

  /** The vocab object at text[from] and where it ends, or null where it is anything but "key": id pairs the scan
   * can vouch for. */
  static scan(text: string, from: number): { table: ScannedVocabulary; end: number } | null {
    if (text.charCodeAt(from) !== 0x7b) return null;
    let start: Int32Array = new Int32Array(1024);
    let end: Int32Array = new Int32Array(start.length);
    let ids: Int32Array = new Int32Array(start.length);
    let hashes: Int32Array = new Int32Array(start.length);
    const escapedKeys: string[] = [];
    let n = 0;
    let maxId = -1;
    let longest = 0;
    let i = skipSpace(text, from + 1);
    if (text.charCodeAt(i) !== 0x7d) {
      for (;;) {
        if (text.charCodeAt(i) !== QUOTE) return null;
        if (n === start.length) {
          (start = grown(start)), (end = grown(end)), (ids = grown(ids)), (hashes = grown(hashes));
        }
        let h: number;
        let j: number;
        PLAIN_STRING.lastIndex = i + 1;
        if (PLAIN_STRING.test(text)) {
          j = PLAIN_STRING.lastIndex;
          start[n] = i + 1;
          end[n] = j - 1;
          h = hashSpan(text, i + 1, j - 1);
        } else {
          const close = stringEnd(text, i);
          const key = close < 0 ? null : unescape(text.slice(i, close));
          if (key === null) return null;
          start[n] = -escapedKeys.length - 1;
          end[n] = key.length;
          escapedKeys.push(key);
          h = hashSpan(key, 0, key.length);
          j = close;
        }
        if (end[n]! - Math.max(0, start[n]!) > longest) longest = end[n]! - Math.max(0, start[n]!);
        hashes[n] = h;
        i = skipSpace(text, j);
        if (text.charCodeAt(i) !== 0x3a) return null;
        i = skipSpace(text, i + 1);
        // A plain JSON integer (no sign, no leading zero, no fraction): anything else goes to the plain reader.
        let id = text.charCodeAt(i) - 0x30;
        if (id < 0 || id > 9) return null;
        i++;
        for (let d = text.charCodeAt(i) - 0x30; d >= 0 && d <= 9; d = text.charCodeAt(++i) - 0x30) {
          if (id === 0) return null;
          id = id * 10 + d;
          if (id > MAX_TOKEN_ID) return null;
        }
        ids[n++] = id;
        if (id > maxId) maxId = id;
        i = skipSpace(text, i);
        const next = text.charCodeAt(i);
        if (next === 0x7d) break;
        if (next !== 0x2c) return null;
        i = skipSpace(text, i + 1);
      }
    }
    const entryOfId = new Int32Array(maxId + 1).fill(-1);
    for (let e = 0; e < n; e++) {
      // Two tokens with one id: the plain reader keeps the merges' strings to tell them apart.
      if (entryOfId[ids[e]!] !== -1) return null;
      entryOfId[ids[e]!] = e;
    }
    let size = 16;
    while (size < n * 2) size *= 2;
    const vocab = new ScannedVocabulary(text, start, end, escapedKeys, ids, entryOfId, new Int32Array(2 * size), hashes, n, hashPowers(longest));
    for (let e = 0; e < n; e++) if (!vocab.place(e)) return null;
    return { table: vocab, end: i + 1 };
  }

  /** Puts entry e in the table; false when an equal key is there already (JSON.parse would keep the last). */
  private place(e: number): boolean {
    const mask = this.slots.length / 2 - 1;
    const h = this.hashes[e]!;
    const s = this.start[e]!;
    const src = s >= 0 ? this.text : this.escapedKeys[-s - 1]!;
    const from = s >= 0 ? s : 0;
    const to = this.end[e]!;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const other = this.slots[2 * slot + 1]! - 1;
      if (other < 0) {
        this.slots[2 * slot] = h;
        this.slots[2 * slot + 1] = e + 1;
        return true;
      }
      if (this.slots[2 * slot] === h && this.keyEquals(other, src, from, to, src, to, to)) return false;
    }
  }

  private key(e: number): [string, number, number] {
    const s = this.start[e]!;
    return s >= 0 ? [this.text, s, this.end[e]!] : [this.escapedKeys[-s - 1]!, 0, this.end[e]!];
  }

  /** Whether entry e's key is a[aFrom, aTo) followed by b[aTo…): the two spans a[aFrom, aTo) and b[bFrom, bTo). */
  private keyEquals(e: number, a: string, aFrom: number, aTo: number, b: string, bFrom: number, bTo: number): boolean {
    const s = this.start[e]!;
    const src = s >= 0 ? this.text : this.escapedKeys[-s - 1]!;
    let k = s >= 0 ? s : 0;
    if (this.end[e]! - k !== aTo - aFrom + (bTo - bFrom)) return false;
    for (let i = aFrom; i < aTo; i++, k++) if (src.charCodeAt(k) !== a.charCodeAt(i)) return false;
    for (let i = bFrom; i < bTo; i++, k++) if (src.charCodeAt(k) !== b.charCodeAt(i)) return false;
    return true;
  }

  /** The id of a[aFrom, aTo) + b[bFrom, bTo), whose hash is h; −1 when it is no token. */
  find(h: number, a: string, aFrom: number, aTo: number, b: string, bFrom: number, bTo: number): number {
    const slots = this.slots;
    const mask = slots.length / 2 - 1;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const e = slots[2 * slot + 1]! - 1;
      if (e < 0) return -1;
      if (slots[2 * slot] === h && this.keyEquals(e, a, aFrom, aTo, b, bFrom, bTo)) return this.idOf[e]!;
    }
  }

  /**
   * The merge of a[aFrom, aTo) and b[bFrom, bTo) as ids (left, right, merged) into out[at..at + 3); false when one of
   * the three is no token.
   */
  mergeInto(out: Int32Array, at: number, a: string, aFrom: number, aTo: number, b: string, bFrom: number, bTo: number): boolean {
    const longest = this.powers.length - 1;
    if (aTo - aFrom + (bTo - bFrom) > longest) return false;
    const ha = hashSpan(a, aFrom, aTo);
    const hb = hashSpan(b, bFrom, bTo);
    const left = this.find(ha, a, aFrom, aTo, a, aTo, aTo);
    const right = this.find(hb, b, bFrom, bTo, b, bTo, bTo);
    const merged = this.find((Math.imul(ha, this.powers[bTo - bFrom]!) + hb) | 0, a, aFrom, aTo, b, bFrom, bTo);
    out[at] = left;
    out[at + 1] = right;
    out[at + 2] = merged;
    return left >= 0 && right >= 0 && merged >= 0;
  }

  id(token: string): number | undefined {
    const id = this.find(hashSpan(token, 0, token.length), token, 0, token.length, token, 0, 0);
    return id < 0 ? undefined : id;
  }

  has(id: number): boolean {
    return id >= 0 && id < this.entryOfId.length && this.entryOfId[id]! >= 0;
  }

  token(id: number): string | undefined {
    if (!this.has(id)) return undefined;
    const [src, from, to] = this.key(this.entryOfId[id]!);
    return src.slice(from, to);
  }

  *entries(): Iterable<[string, number]> {
    for (let e = 0; e < this.size; e++) {
      const [src, from, to] = this.key(e);
      yield [src.slice(from, to), this.idOf[e]!];
    }
  }

  tokenList(): (string | undefined)[] {
    const tokens = new Array<string | undefined>(this.entryOfId.length);
    for (let e = 0; e < this.size; e++) {
      const s = this.start[e]!;
      tokens[this.idOf[e]!] = s >= 0 ? this.text.slice(s, this.end[e]!) : this.escapedKeys[-s - 1]!;
    }
    return tokens;
  }

  build(): { ids: Map<string, number>; tokens: (string | undefined)[] } {
    const tokens = this.tokenList();
    const ids = new Map<string, number>();
    // In the order the plain reader's for…in gives (the keys a JSON object holds as array indices first, ascending):
    // getVocab's order does not depend on how the file was read.
    const indexKeys: number[] = [];
    for (let e = 0; e < this.size; e++) if (isArrayIndex(tokens[this.idOf[e]!]!)) indexKeys.push(this.idOf[e]!);
    indexKeys.sort((x, y) => Number(tokens[x]) - Number(tokens[y]));
    for (const id of indexKeys) ids.set(tokens[id]!, id);
    for (let e = 0; e < this.size; e++) {
      const id = this.idOf[e]!;
      if (!ids.has(tokens[id]!)) ids.set(tokens[id]!, id);
    }
    return { ids, tokens };
  }
}

/** The rest of a JSON string with neither an escape nor a control character, closing quote included (sticky: tested
 * from lastIndex, natively — far cheaper than a character loop in code not yet optimised, which a cold start runs). */
const PLAIN_STRING = /[^"\\\x00-\x1f]*"/y;

function grown(a: Int32Array): Int32Array {
  const b = new Int32Array(a.length * 4);
  b.set(a);
  return b;
}

/** The hash of s[from, to): Σ (s[k] + 1)·P^(to−1−k) mod 2^32 over UTF-16 units. */
function hashSpan(s: string, from: number, to: number): number {
  let h = 0;
  for (let i = from; i < to; i++) h = (Math.imul(h, HASH_MULTIPLIER) + s.charCodeAt(i) + 1) | 0;
  return h;
}

/** A key a JS object keeps as an array index ("0", "17"; not "017" nor 2³² − 1 or more). */
function isArrayIndex(key: string): boolean {
  return /^(0|[1-9][0-9]{0,9})$/.test(key) && Number(key) < 4294967295;
}

/** A JSON string literal's value, or null where JSON.parse refuses it. */
function unescape(literal: string): string | null {
  try {
    return JSON.parse(literal) as string;
  } catch {
    return null;
  }
}

// ---- the merges, read in place ----

/**
 * The merges list at text[from] ("left right" strings, or ["left", "right"] pairs) as (left, right, merged) id
 * triples, each part found in the scanned vocabulary by its span; null where anything is off (the plain reader then
 * says what).
 */
function scanMerges(text: string, from: number, vocab: ScannedVocabulary): { ids: Int32Array; shape: "strings" | "pairs"; end: number } | null {
  if (text.charCodeAt(from) !== 0x5b) return null;
  let ids: Int32Array = new Int32Array(3 * 1024);
  let n = 0;
  let shape: "strings" | "pairs" | null = null;
  let i = skipSpace(text, from + 1);
  if (text.charCodeAt(i) !== 0x5d) {
    for (;;) {
      if (3 * n + 3 > ids.length) ids = grown(ids);
      const c0 = text.charCodeAt(i);
      let found: boolean;
      if (c0 === QUOTE) {
        if (shape === "pairs") return null;
        shape = "strings";
        MERGE_STRING.lastIndex = i + 1;
        if (MERGE_STRING.test(text)) {
          const close = MERGE_STRING.lastIndex;
          const space = text.indexOf(" ", i + 1);
          found = vocab.mergeInto(ids, 3 * n, text, i + 1, space, text, space + 1, close - 1);
          i = close;
        } else {
          // An escape, or not one space: JSON.parse says what the string is.
          const close = stringEnd(text, i);
          const merge = close < 0 ? null : unescape(text.slice(i, close));
          const sp = merge === null ? -1 : merge.indexOf(" ");
          if (sp < 0 || merge!.indexOf(" ", sp + 1) >= 0) return null;
          found = vocab.mergeInto(ids, 3 * n, merge!, 0, sp, merge!, sp + 1, merge!.length);
          i = close;
        }
      } else if (c0 === 0x5b) {
        if (shape === "strings") return null;
        shape = "pairs";
        const a = pairPart(text, skipSpace(text, i + 1));
        if (!a) return null;
        i = skipSpace(text, a.end);
        if (text.charCodeAt(i) !== 0x2c) return null;
        const b = pairPart(text, skipSpace(text, i + 1));
        if (!b) return null;
        i = skipSpace(text, b.end);
        if (text.charCodeAt(i) !== 0x5d) return null;
        i++;
        found = vocab.mergeInto(ids, 3 * n, a.src, a.from, a.to, b.src, b.from, b.to);
      } else return null;
      if (!found) return null;
      n++;
      i = skipSpace(text, i);
      const next = text.charCodeAt(i);
      if (next === 0x5d) break;
      if (next !== 0x2c) return null;
      i = skipSpace(text, i + 1);
    }
  }
  return { ids: ids.slice(0, 3 * n), shape: shape ?? "pairs", end: i + 1 };
}

/** "left right" with exactly one space, no escape and no control character, closing quote included (sticky). */
const MERGE_STRING = /[^"\\\x00-\x1f ]* [^"\\\x00-\x1f ]*"/y;

/** The JSON string at text[i] as src[from, to) (the text itself, or its unescaped value), and where it ends; null
 * where JSON.parse refuses it. */
function pairPart(text: string, i: number): { src: string; from: number; to: number; end: number } | null {
  if (text.charCodeAt(i) !== QUOTE) return null;
  PLAIN_STRING.lastIndex = i + 1;
  if (PLAIN_STRING.test(text)) return { src: text, from: i + 1, to: PLAIN_STRING.lastIndex - 1, end: PLAIN_STRING.lastIndex };
  const end = stringEnd(text, i);
  const value = end < 0 ? null : unescape(text.slice(i, end));
  return value === null ? null : { src: value, from: 0, to: value.length, end };
}

