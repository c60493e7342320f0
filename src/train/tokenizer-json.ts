// Assembles tokenizer.json objects in the layout the HF library writes (key order included), and post-training
// vocabulary edits that work on any model type.

import type { Json, JsonObject } from "../tokenize/types.js";
import type { PreTokenizerPlan } from "./pretokenize.js";

export function addedTokenJson(id: number, content: string, special = true): JsonObject {
  return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: !special, special };
}

export function assembleTokenizerJson(
  plan: PreTokenizerPlan,
  model: JsonObject,
  added: { id: number; content: string; special?: boolean }[],
  decoder: JsonObject | null = plan.decoder,
  postProcessor: JsonObject | null = null,
): JsonObject {
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: added.map((t) => addedTokenJson(t.id, t.content, t.special ?? true)) as Json[],
    normalizer: plan.normalizer,
    pre_tokenizer: plan.preTokenizer,
    post_processor: postProcessor,
    decoder,
    model,
  };
}

/** Number of distinct ids in a tokenizer.json (model vocabulary plus added tokens outside it). */
export function tokenizerJsonVocabSize(json: JsonObject): number {
  const model = json.model as JsonObject;
  const ids = new Set<number>();
  if (Array.isArray(model.vocab)) for (let i = 0; i < model.vocab.length; i++) ids.add(i);
  else for (const v of Object.values(model.vocab as JsonObject)) ids.add(v as number);
  for (const t of (json.added_tokens as JsonObject[]) ?? []) ids.add(t.id as number);
  return ids.size;
}

/**
 * Pads the vocabulary with reserved special tokens `<|reserved_N|>` up to the next power of two (as KL3M does, so
 * embedding matrices tile well). The reserved tokens join both the model vocabulary and the added tokens.
 */
export function padVocabToPowerOfTwo(json: JsonObject): JsonObject {
  const size = tokenizerJsonVocabSize(json);
  let target = 1;
  while (target < size) target *= 2;
  const model = json.model as JsonObject;
  const added = json.added_tokens as JsonObject[];
  let n = 0;
  for (let id = size; id < target; id++) {
    let content = `<|reserved_${n++}|>`;
    while (hasToken(model, content)) content = `<|reserved_${n++}|>`;
    if (Array.isArray(model.vocab)) (model.vocab as Json[]).push([content, 0]);
    else (model.vocab as JsonObject)[content] = id;
    added.push(addedTokenJson(id, content, true));
  }
  return json;
}

function hasToken(model: JsonObject, token: string): boolean {
  if (Array.isArray(model.vocab)) return (model.vocab as [string, number][]).some((p) => p[0] === token);
  return Object.hasOwn(model.vocab as JsonObject, token);
}

/** Special tokens get the first ids, in the order given (duplicates dropped). */
export function uniqueTokens(tokens: readonly string[] | undefined): string[] {
  return [...new Set(tokens ?? [])];
}

/**
 * Decoder for Metaspace text with byte fallback, laid out as Llama's: ▁ → space before bytes are fused (a Metaspace
 * decoder after Fuse would drop every ▁ of the fused first token), then one leading space stripped.
 */
export function byteFallbackDecoder(): JsonObject {
  return {
    type: "Sequence",
    decoders: [
      { type: "Replace", pattern: { String: "▁" }, content: " " },
      { type: "ByteFallback" },
      { type: "Fuse" },
      { type: "Strip", content: " ", start: 1, stop: 0 },
    ],
  };
}
