// tokenizer.json read for a cold start. A BPE file is nearly all its model's `vocab` object and `merges` list
// (GPT-2: 50k keys and 50k merge strings in 1.3 MB), and JSON.parse of them, then a Map of the vocabulary and a
// lookup of every merge's three tokens in it, were ~2/3 of loading one. Here the two are read from the file's UTF-8
// bytes where they lie, by a small wasm module (json-tables.wat: compiled code from the first byte, where the same
// loops in JavaScript ran mostly unoptimised in a fresh process), into id tables: no string per token, no object of
// 50k keys. JSON.parse reads the rest, and the two fields from their own bytes only when someone reads them. Anything
// the scan does not vouch for (an escape JSON refuses, a repeated key, two keys on one id, a merge of unknown tokens,
// a continuing-subword prefix, another model type, a second `model`, no WebAssembly) sends the whole text to
// JSON.parse and the plain readers, so what a file means, and every error, is theirs.

import type { Json, JsonObject } from "./types.js";
import { TokenizerError } from "./types.js";
import { parseJsonObject } from "./json-fields.js";
import { PREBUILT_BPE, type PrebuiltBpe } from "./models/bpe.js";
import { Vocabulary, type DeferredVocabulary } from "./models/vocab.js";
import { isWellFormed } from "../util/utf8.js";
import { jsonTablesWasm } from "./json-tables-wasm.js";
import { wasmInstance } from "../util/wasm-instance.js";

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const utf8 = new TextDecoder("utf-8", { ignoreBOM: true });

/** tokenizer.json text as an object; a BPE model's vocab and merges are read lazily (see above). */
export function parseTokenizerJson(text: string, fileName: string): JsonObject {
  // A lone surrogate has no UTF-8 form: such a text is JSON.parse's alone.
  return (isWellFormed(text) && readBpeTablesInPlace(new TextEncoder().encode(text))) || parseJsonObject(text, fileName);
}

/** The same from the file's bytes (which must be UTF-8, as JSON text must). */
export function parseTokenizerJsonBytes(bytes: Uint8Array, fileName: string): JsonObject {
  return readBpeTablesInPlace(bytes) ?? parseJsonBytes(bytes, fileName);
}

/** JSON bytes parsed whole by JSON.parse (for a file with no BPE model to read in place). */
export function parseJsonBytes(bytes: Uint8Array, fileName: string): JsonObject {
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    throw new TokenizerError("not valid UTF-8 (JSON text must be; the reference refuses it too)", fileName);
  }
  return parseJsonObject(text, fileName);
}

/**
 * JSON.parse of a file's bytes with each [start, end) range (in file order) replaced by `standIn`: the rest of a file
 * whose big values are read where they lie. A BOM is skipped; null where the rest is not UTF-8 or not JSON (the
 * caller then parses the whole file, whose errors name the problem).
 */
export function parseJsonAround(bytes: Uint8Array, ranges: readonly (readonly [number, number])[], standIn: string): Json | null {
  let at = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  let text = "";
  try {
    for (const [start, end] of ranges) {
      text += strictUtf8.decode(bytes.subarray(at, start)) + standIn;
      at = end;
    }
    return JSON.parse(text + strictUtf8.decode(bytes.subarray(at))) as Json;
  } catch {
    return null;
  }
}

function readBpeTablesInPlace(bytes: Uint8Array): JsonObject | null {
  const scan = TableScan.of(bytes);
  const cut = scan && scan.findModelTables();
  if (!cut) return null;
  const json = parseJsonAround(bytes, cut.vocab[0] < cut.merges[0] ? [cut.vocab, cut.merges] : [cut.merges, cut.vocab], "0");
  if (!json || typeof json !== "object" || Array.isArray(json)) return null;
  const model = json.model;
  if (!model || typeof model !== "object" || Array.isArray(model)) return null;
  // The merges were looked up as left + right: a continuing-subword prefix names the merged token otherwise.
  if ((model.type !== undefined && model.type !== "BPE") || (typeof model.continuing_subword_prefix === "string" && model.continuing_subword_prefix !== "")) return null;
  const field = (at: [number, number]) => JSON.parse(utf8.decode(bytes.subarray(at[0], at[1]))) as Json;
  const spell = () => ({ vocab: field(cut.vocab), merges: field(cut.merges) });
  json.model = lazyBpeModelJson(model, { vocab: new Vocabulary([], scan.vocabulary()), merges: scan.mergeIds(), shape: scan.mergeShape() }, spell);
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

// ---- the wasm scan ----

interface TableExports {
  memory: WebAssembly.Memory;
  reset(len: number): number;
  space(p: number): number;
  stringEnd(p: number): number;
  valueEnd(p: number): number;
  vocab(p: number): number;
  merges(p: number): number;
  lookup(p: number, n: number): number;
  scratch(n: number): number;
  gatherKeys(out: number): number;
  innerMarker(m: number, ml: number): number;
  records: WebAssembly.Global;
  count: WebAssembly.Global;
  entryOfId: WebAssembly.Global;
  idLimit: WebAssembly.Global;
  triples: WebAssembly.Global;
  mergeCount: WebAssembly.Global;
  shape: WebAssembly.Global;
}

/** One file's scan: its bytes copied into a fresh instance's memory, which the deferred vocabulary keeps. */
class TableScan {
  private constructor(
    private readonly wasm: TableExports,
    private readonly len: number,
  ) {}

  /** Null where this runtime cannot run the module (the plain readers then do it all). */
  static of(bytes: Uint8Array): TableScan | null {
    // The file, then its tables: entry records, the id table, hash slots, merge triples — under three times the
    // file for every tokenizer.json tried (GPT-2's 1.3 MB file ~3 MB of tables, Llama 3's 9 MB ~8 MB).
    const wasm = wasmInstance<TableExports>(jsonTablesWasm, 4 * bytes.length + (1 << 20));
    if (!wasm) return null;
    new Uint8Array(wasm.memory.buffer).set(bytes);
    if (!wasm.reset(bytes.length)) return null;
    return new TableScan(wasm, bytes.length);
  }

  private byte(p: number): number {
    return p < this.len ? new Uint8Array(this.wasm.memory.buffer)[p]! : -1;
  }

  /** Whether the string at [from, to) (quotes included) is `key`, spelled without escapes. */
  private keyIs(from: number, to: number, key: string): boolean {
    if (to - from !== key.length + 2) return false;
    const mem = new Uint8Array(this.wasm.memory.buffer);
    for (let k = 0; k < key.length; k++) if (mem[from + 1 + k] !== key.charCodeAt(k)) return false;
    return true;
  }

  /**
   * Walks the object at p: `read(key, start)` reads each member's value and gives where it ends (−1: give up); keys
   * are matched by `keys` (a key with an escape gives up). Returns the object's end, or −1.
   */
  private walkObject(p: number, keys: readonly string[], read: (key: string | null, start: number) => number): number {
    const w = this.wasm;
    p = w.space(p);
    if (this.byte(p) !== 0x7b) return -1;
    p = w.space(p + 1);
    if (this.byte(p) === 0x7d) return p + 1;
    for (;;) {
      if (this.byte(p) !== 0x22) return -1;
      const keyEnd = w.stringEnd(p);
      if (keyEnd < 0) return -1;
      const mem = new Uint8Array(w.memory.buffer);
      if (mem.subarray(p + 1, keyEnd - 1).includes(0x5c)) return -1;
      const key = keys.find((k) => this.keyIs(p, keyEnd, k)) ?? null;
      p = w.space(keyEnd);
      if (this.byte(p) !== 0x3a) return -1;
      const end = read(key, w.space(p + 1));
      if (end < 0) return -1;
      p = w.space(end);
      const c = this.byte(p);
      if (c === 0x7d) return p + 1;
      if (c !== 0x2c) return -1;
      p = w.space(p + 1);
    }
  }

  /** Where the top-level `model` object's `vocab` and `merges` lie, read (the vocabulary first, as every file writes
   * them); null when either is missing, repeated or not as the scan expects. */
  findModelTables(): { vocab: [number, number]; merges: [number, number] } | null {
    const w = this.wasm;
    const bom = this.byte(0) === 0xef && this.byte(1) === 0xbb && this.byte(2) === 0xbf ? 3 : 0;
    let vocab: [number, number] | null = null;
    let merges: [number, number] | null = null;
    let models = 0;
    const readModel = (key: string | null, start: number): number => {
      if (key === "vocab") {
        if (vocab) return -1;
        const end = w.vocab(start);
        if (end >= 0) vocab = [start, end];
        return end;
      }
      if (key === "merges") {
        if (merges || !vocab) return -1;
        const end = w.merges(start);
        if (end >= 0) merges = [start, end];
        return end;
      }
      return w.valueEnd(start);
    };
    // A second "model" would be the one JSON.parse keeps: not the one read here.
    const end = this.walkObject(bom, ["model"], (key, start) => (key === null ? w.valueEnd(start) : ++models === 1 ? this.walkObject(start, ["vocab", "merges"], readModel) : -1));
    return end >= 0 && vocab && merges ? { vocab, merges } : null;
  }

  vocabulary(): WasmVocabulary {
    return new WasmVocabulary(this.wasm);
  }

  /** The merges as (left, right, merged) id triples in rank order. */
  mergeIds(): Int32Array {
    const w = this.wasm;
    const at = w.triples.value as number;
    return new Int32Array(w.memory.buffer, at, 3 * (w.mergeCount.value as number)).slice();
  }

  mergeShape(): "strings" | "pairs" {
    return this.wasm.shape.value === 1 ? "strings" : "pairs";
  }
}

/**
 * The scanned vocabulary in the module's memory: single lookups hash the token's UTF-8 bytes there; a token's string
 * is decoded from its key's bytes (unescaped in place by the scan); the id → token list decodes every key at once.
 */
class WasmVocabulary implements DeferredVocabulary {
  readonly size: number;
  readonly idLimit: number;
  private readonly records: number;
  /** id → entry (−1: no token), copied out of the module's memory: has() and token() are asked per id. */
  private readonly entryOfId: Int32Array;

  constructor(private readonly wasm: TableExports) {
    this.size = wasm.count.value as number;
    this.idLimit = wasm.idLimit.value as number;
    this.records = wasm.records.value as number;
    this.entryOfId = new Int32Array(wasm.memory.buffer, wasm.entryOfId.value as number, this.idLimit).slice();
  }

  /** The memory as words (a view made again only when the memory has grown, which detaches the old one). */
  private words(): Int32Array {
    if (this.view.buffer !== this.wasm.memory.buffer) this.view = new Int32Array(this.wasm.memory.buffer);
    return this.view;
  }
  private view = new Int32Array(0);

  private entry(id: number): number {
    return Number.isInteger(id) && id >= 0 && id < this.idLimit ? this.entryOfId[id]! : -1;
  }

  id(token: string): number | undefined {
    if (!isWellFormed(token)) return undefined;
    const at = this.wasm.scratch(3 * token.length);
    if (at < 0) return undefined;
    const { written } = new TextEncoder().encodeInto(token, new Uint8Array(this.wasm.memory.buffer, at, 3 * token.length));
    const id = this.wasm.lookup(at, written);
    return id < 0 ? undefined : id;
  }

  has(id: number): boolean {
    return this.entry(id) >= 0;
  }

  token(id: number): string | undefined {
    const e = this.entry(id);
    if (e < 0) return undefined;
    const r = (this.records >> 2) + 5 * e;
    const words = this.words();
    return utf8.decode(new Uint8Array(this.wasm.memory.buffer, words[r]!, words[r + 1]!));
  }

  tokenList(): (string | undefined)[] {
    const tokens = new Array<string | undefined>(this.idLimit);
    let total = 0;
    let words = this.words();
    for (let e = 0; e < this.size; e++) total += words[(this.records >> 2) + 5 * e + 1]!;
    const out = this.wasm.scratch(total);
    if (out < 0) throw new Error("json tables: out of memory spelling the vocabulary");
    this.wasm.gatherKeys(out);
    // One decode of every key, in id order, then slices by each key's UTF-16 length.
    const all = utf8.decode(new Uint8Array(this.wasm.memory.buffer, out, total));
    words = this.words();
    for (let id = 0, pos = 0; id < this.idLimit; id++) {
      const e = this.entryOfId[id]!;
      if (e < 0) continue;
      const units = words[(this.records >> 2) + 5 * e + 2]!;
      tokens[id] = all.slice(pos, (pos += units));
    }
    return tokens;
  }

  hasInnerMarker(marker: string): boolean {
    const bytes = new TextEncoder().encode(marker);
    const at = this.wasm.scratch(bytes.length);
    if (at < 0) throw new Error("json tables: out of memory asking for a marker");
    new Uint8Array(this.wasm.memory.buffer, at, bytes.length).set(bytes);
    return this.wasm.innerMarker(at, bytes.length) === 1;
  }

  build(): { ids: Map<string, number>; tokens: (string | undefined)[] } {
    const tokens = this.tokenList();
    const ids = new Map<string, number>();
    const words = this.words();
    // In the order the plain reader's for…in gives (keys a JSON object holds as array indices first, ascending, then
    // the file's order): getVocab's order does not depend on how the file was read.
    const indexIds: number[] = [];
    for (let id = 0; id < tokens.length; id++) if (tokens[id] !== undefined && isArrayIndex(tokens[id]!)) indexIds.push(id);
    indexIds.sort((x, y) => Number(tokens[x]) - Number(tokens[y]));
    for (const id of indexIds) ids.set(tokens[id]!, id);
    for (let e = 0; e < this.size; e++) {
      const id = words[(this.records >> 2) + 5 * e + 3]!;
      if (!ids.has(tokens[id]!)) ids.set(tokens[id]!, id);
    }
    return { ids, tokens };
  }
}

/** A key a JS object keeps as an array index ("0", "17"; not "017" nor 2³² − 1 or more). */
function isArrayIndex(key: string): boolean {
  return /^(0|[1-9][0-9]{0,9})$/.test(key) && Number(key) < 4294967295;
}
