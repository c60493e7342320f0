// The model registry: one line per model type that tokenizer.json can name.
import type { JsonObject, Model } from "../types.js";
import { TokenizerError } from "../types.js";
import { BpeModel } from "./bpe.js";
import { UnigramModel } from "./unigram.js";
import { WordLevelModel } from "./wordlevel.js";
import { WordPieceModel } from "./wordpiece.js";

const registry: Record<string, (json: JsonObject, path: string) => Model> = {
  BPE: BpeModel.fromJSON,
  Unigram: UnigramModel.fromJSON,
  WordPiece: WordPieceModel.fromJSON,
  WordLevel: WordLevelModel.fromJSON,
};

/** A model object's type: its "type", or for files without one (GPT-2's) the type its fields imply, as HF infers it. */
export function modelTypeOf(json: JsonObject): unknown {
  if (json.type !== undefined) return json.type;
  if ("merges" in json) return "BPE";
  if (Array.isArray(json.vocab)) return "Unigram";
  if ("max_input_chars_per_word" in json || "continuing_subword_prefix" in json) return "WordPiece";
  return "WordLevel";
}

/** Builds a model from its tokenizer.json object. Files without "type" are recognised by their fields, as HF does. */
export function modelFromJSON(json: JsonObject, path: string): Model {
  if (!json || typeof json !== "object" || Array.isArray(json)) throw new TokenizerError("expected a model object", path);
  const type = modelTypeOf(json);
  if (typeof type !== "string" || !(type in registry)) {
    throw new TokenizerError(`unknown model type ${JSON.stringify(type)} (expected one of ${Object.keys(registry).join(", ")})`, `${path}.type`);
  }
  return registry[type]!(json, path);
}

export { BpeModel, UnigramModel, WordLevelModel, WordPieceModel };
