// WordPiece (BERT): greedy longest match from the left; pieces after the first carry the continuation prefix.
// Matches HF: a word longer than max_input_chars_per_word, or one with any unmatched part, becomes one unknown token.
import type { JsonObject, Model, Token } from "../types.js";
import { TokenizerError } from "../types.js";
import { nonNegativeInt, str } from "../json-fields.js";
import { VocabularyModel, keepKeys, optionalString, readVocabObject, type Vocabulary } from "./vocab.js";

export class WordPieceModel extends VocabularyModel implements Model {
  readonly type = "WordPiece";

  constructor(
    vocab: Vocabulary,
    readonly unkToken: string,
    readonly continuingSubwordPrefix: string,
    readonly maxInputCharsPerWord: number,
    private readonly source: JsonObject = {},
  ) {
    super(vocab);
  }

  static fromJSON(json: JsonObject, path: string): WordPieceModel {
    const max = nonNegativeInt(json.max_input_chars_per_word ?? 100, `${path}.max_input_chars_per_word`);
    return new WordPieceModel(
      readVocabObject(json.vocab, path),
      str(json, "unk_token", path, "[UNK]", false),
      str(json, "continuing_subword_prefix", path, "##", false),
      max,
      json,
    );
  }

  private unknown(piece: string): Token[] {
    const id = this.vocab.id(this.unkToken);
    if (id === undefined) throw new TokenizerError(`WordPiece: the unknown token ${JSON.stringify(this.unkToken)} is not in the vocabulary`);
    return [{ id, value: this.unkToken, start: 0, end: piece.length }];
  }

  tokenize(piece: string): Token[] {
    if (piece.length === 0) return [];
    let chars = 0;
    for (let i = 0; i < piece.length; i++) {
      const c = piece.charCodeAt(i);
      if (!(c >= 0xdc00 && c <= 0xdfff && i > 0 && (piece.charCodeAt(i - 1) & 0xfc00) === 0xd800)) chars++;
    }
    if (chars > this.maxInputCharsPerWord) return this.unknown(piece);
    const out: Token[] = [];
    let start = 0;
    while (start < piece.length) {
      let end = piece.length;
      let found: Token | null = null;
      while (start < end) {
        const sub = start > 0 ? this.continuingSubwordPrefix + piece.slice(start, end) : piece.slice(start, end);
        const id = this.vocab.id(sub);
        if (id !== undefined) {
          found = { id, value: sub, start, end };
          break;
        }
        // Step back one whole code point.
        end -= end - 2 >= start && (piece.charCodeAt(end - 1) & 0xfc00) === 0xdc00 && (piece.charCodeAt(end - 2) & 0xfc00) === 0xd800 ? 2 : 1;
      }
      if (!found) return this.unknown(piece);
      out.push(found);
      start = end;
    }
    return out;
  }

  toJSON(): JsonObject {
    return keepKeys(this.source, {
      type: "WordPiece",
      unk_token: this.unkToken,
      continuing_subword_prefix: this.continuingSubwordPrefix,
      max_input_chars_per_word: this.maxInputCharsPerWord,
      vocab: this.vocab.toJSON(),
    });
  }
}
