// Reading typed fields of a tokenizer.json object, with errors that name the field: shared by every stage.
import { TokenizerError, type JsonObject } from "./types.js";

/** A string field; `fallback` when absent (if given), and when null unless `nullAllowed` is false (HF's reader
 * refuses null for a plain String field: WordPiece's and WordLevel's unk_token). */
export function str(o: JsonObject, key: string, path: string, fallback?: string, nullAllowed = true): string {
  const v = o[key];
  if ((v === undefined || (v === null && nullAllowed)) && fallback !== undefined) return fallback;
  if (typeof v !== "string") throw new TokenizerError(`expected a string, got ${JSON.stringify(v)}`, `${path}.${key}`);
  return v;
}

/** A string field that may be absent or null. */
export function optionalString(o: JsonObject, key: string, path: string): string | null {
  const v = o[key];
  if (v === undefined || v === null) return null;
  return str(o, key, path);
}

/** Ids in an encoding are 32-bit integers (HF reads them as u32 and refuses larger ones). */
export const MAX_ID = 0x7fffffff;

/** A non-negative integer at `path`, at most `max` (HF reads counts and ids as u32/usize: a float or a number past
 * that is refused there too, and here nothing downstream has to guard against 1e300); at least `min`. */
export function nonNegativeInt(v: unknown, path: string, max = 0xffffffff, min = 0): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min) throw new TokenizerError(`expected ${min > 0 ? "a positive" : "a non-negative"} integer, got ${JSON.stringify(v)}`, path);
  if (v > max) throw new TokenizerError(`${v} is past the largest value allowed here (${max})`, path);
  return v;
}

/** A boolean field; `fallback` when absent. null is refused, as HF's reader refuses it for a plain bool field. */
export function bool(o: JsonObject, key: string, path: string, fallback: boolean): boolean {
  const v = o[key];
  if (v === undefined) return fallback;
  if (typeof v !== "boolean") throw new TokenizerError(`expected true or false, got ${JSON.stringify(v)}`, `${path}.${key}`);
  return v;
}

/** A boolean field that HF's reader also takes as null (stages with a hand-written deserializer: Metaspace,
 * RobertaProcessing); `fallback` when absent or null. */
export function boolAllowingNull(o: JsonObject, key: string, path: string, fallback: boolean): boolean {
  return o[key] === null ? fallback : bool(o, key, path, fallback);
}

/** The deepest nesting of arrays and objects the reference reads (serde_json stops at its 128th level). */
export const MAX_JSON_DEPTH = 127;

/**
 * Refuses a value nested deeper than MAX_JSON_DEPTH levels (counting from the document's root, `depth` levels above
 * `value`), naming the field path where it goes too deep: the stage readers recurse into Sequences, and a file nested
 * 10,000 deep must be an error, not a stack overflow. Iterative, so it cannot overflow itself. `skip` keys are not
 * entered (bulk tables whose entries the readers type-check one level down).
 */
export function checkNesting(value: unknown, path: string, depth: number, skip: ReadonlySet<string> = new Set()): void {
  interface Frame {
    v: unknown;
    depth: number;
    key: string;
    parent: Frame | null;
  }
  const stack: Frame[] = [{ v: value, depth, key: path, parent: null }];
  while (stack.length) {
    const f = stack.pop()!;
    if (f.depth > MAX_JSON_DEPTH) {
      const parts: string[] = [];
      for (let p: Frame | null = f; p; p = p.parent) parts.push(p.key);
      parts.reverse();
      const shown = parts.length > 8 ? [...parts.slice(0, 4), `…(${parts.length - 6} more)…`, ...parts.slice(-2)] : parts;
      throw new TokenizerError(`nested deeper than ${MAX_JSON_DEPTH} levels of arrays and objects (the reference's JSON reader stops at 128)`, shown.join("").replace(/^\./, ""));
    }
    if (Array.isArray(f.v)) {
      for (let i = 0; i < f.v.length; i++) if (f.v[i] !== null && typeof f.v[i] === "object") stack.push({ v: f.v[i], depth: f.depth + 1, key: `[${i}]`, parent: f });
    } else {
      // Skipped keys are not even read: a converter's lazy vocab/merges accessors must stay unread.
      for (const k of Object.keys(f.v as object)) {
        if (skip.has(k)) continue;
        const x = (f.v as Record<string, unknown>)[k];
        if (x !== null && typeof x === "object") stack.push({ v: x, depth: f.depth + 1, key: `.${k}`, parent: f });
      }
    }
  }
}

/** JSON text that must hold an object (a leading BOM allowed); errors name the file. */
export function parseJsonObject(text: string, fileName: string): JsonObject {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.replace(/^\ufeff/, ""));
  } catch (e) {
    throw new TokenizerError(`not valid JSON: ${(e as Error).message}`, fileName);
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new TokenizerError("expected a JSON object", fileName);
  return parsed as JsonObject;
}

/** o[key] = value as an own property, "__proto__" included: a plain assignment of that key sets the object's
 * prototype instead (a vocabulary may hold the token "__proto__"). */
export function setOwn<T>(o: Record<string, T>, key: string, value: T): void {
  if (key === "__proto__") Object.defineProperty(o, key, { value, writable: true, enumerable: true, configurable: true });
  else o[key] = value;
}
