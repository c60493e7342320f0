// JSON field readers for the normalizer and pre-tokenizer files: errors name the JSON path.

import { TokenizerError, type Json, type JsonObject } from "../types.js";

export function reqStr(o: JsonObject, key: string, path: string): string {
  const v = o[key];
  if (typeof v !== "string") throw new TokenizerError(v === undefined ? `missing field "${key}"` : `expected a string, got ${JSON.stringify(v)}`, v === undefined ? path : `${path}.${key}`);
  return v;
}

export function reqArray(o: JsonObject, key: string, path: string): Json[] {
  const v = o[key];
  if (!Array.isArray(v)) throw new TokenizerError(v === undefined ? `missing field "${key}"` : `expected an array`, v === undefined ? path : `${path}.${key}`);
  return v;
}

export function asObject(v: Json, path: string): JsonObject {
  if (!v || typeof v !== "object" || Array.isArray(v)) throw new TokenizerError(`expected an object, got ${JSON.stringify(v)?.slice(0, 60)}`, path);
  return v;
}

/** A tokenizer.json pattern: {"String": "..."} or {"Regex": "..."}. */
export interface PatternJson {
  kind: "String" | "Regex";
  value: string;
}

export function readPattern(o: JsonObject, key: string, path: string): PatternJson {
  const p = asObject(o[key] ?? null, `${path}.${key}`);
  if (typeof p.String === "string") return { kind: "String", value: p.String };
  if (typeof p.Regex === "string") return { kind: "Regex", value: p.Regex };
  throw new TokenizerError(`expected {"String": ...} or {"Regex": ...}`, `${path}.${key}`);
}

/** One character (code point) from a JSON string field. */
export function reqChar(o: JsonObject, key: string, path: string, fallback?: string): string {
  const v = o[key] ?? fallback;
  if (typeof v !== "string" || [...v].length !== 1) throw new TokenizerError(`expected a single character, got ${JSON.stringify(v)}`, `${path}.${key}`);
  return v;
}
