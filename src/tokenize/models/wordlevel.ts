// WordLevel: each pre-token is one vocabulary entry, or the unknown token.
import type { JsonObject, Model, Token } from "../types.js";
import { TokenizerError } from "../types.js";
import { str } from "../json-fields.js";
import { VocabularyModel, keepKeys, readVocabObject, type Vocabulary } from "./vocab.js";

export class WordLevelModel extends VocabularyModel implements Model {
  readonly type = "WordLevel";

  constructor(vocab: Vocabulary, readonly unkToken: string | null, private readonly source: JsonObject = {}) {
    super(vocab);
  }

  static fromJSON(json: JsonObject, path: string): WordLevelModel {
    return new WordLevelModel(readVocabObject(json.vocab, path), str(json, "unk_token", path, "<unk>", false), json);
  }

  tokenize(piece: string): Token[] {
    if (piece.length === 0) return [];
    const id = this.vocab.id(piece);
    if (id !== undefined) return [{ id, value: piece, start: 0, end: piece.length }];
    const unk = this.unkToken === null ? undefined : this.vocab.id(this.unkToken);
    if (unk === undefined) throw new TokenizerError(`WordLevel: ${JSON.stringify(piece.slice(0, 40))} is not in the vocabulary and the model has no unknown token`);
    return [{ id: unk, value: this.unkToken!, start: 0, end: piece.length }];
  }

  toJSON(): JsonObject {
    return keepKeys(this.source, { type: "WordLevel", vocab: this.vocab.toJSON(), unk_token: this.unkToken });
  }
}
