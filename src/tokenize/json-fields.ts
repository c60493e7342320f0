// Reading typed fields of a tokenizer.json object, with errors that name the field: shared by every stage.
import { TokenizerError, type JsonObject } from "./types.js";

/** A string field; `fallback` when absent or null (if given). */
export function str(o: JsonObject, key: string, path: string, fallback?: string): string {
  const v = o[key];
  if ((v === undefined || v === null) && fallback !== undefined) return fallback;
  if (typeof v !== "string") throw new TokenizerError(`expected a string, got ${JSON.stringify(v)}`, `${path}.${key}`);
  return v;
}

/** A string field that may be absent or null. */
export function optionalString(o: JsonObject, key: string, path: string): string | null {
  const v = o[key];
  if (v === undefined || v === null) return null;
  return str(o, key, path);
}

/** A boolean field; `fallback` when absent or null. */
export function bool(o: JsonObject, key: string, path: string, fallback: boolean): boolean {
  const v = o[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== "boolean") throw new TokenizerError(`expected true or false, got ${JSON.stringify(v)}`, `${path}.${key}`);
  return v;
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
