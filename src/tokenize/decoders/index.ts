// Registry of decoders: one line per tokenizer.json "type".

import { TokenizerError, type Decoder, type JsonObject } from "../types.js";
import { BPEDecoder } from "./bpe.js";
import { ByteFallbackDecoder } from "./byte-fallback.js";
import { ByteLevelDecoder } from "./byte-level.js";
import { CTCDecoder } from "./ctc.js";
import { FuseDecoder } from "./fuse.js";
import { MetaspaceDecoder } from "./metaspace.js";
import { ReplaceDecoder } from "./replace.js";
import { SequenceDecoder } from "./sequence.js";
import { StripDecoder } from "./strip.js";
import { WordPieceDecoder } from "./wordpiece.js";

const registry: Record<string, (json: JsonObject, path: string) => Decoder> = {
  ByteLevel: (j, p) => ByteLevelDecoder.fromJSON(j, p),
  Metaspace: (j, p) => MetaspaceDecoder.fromJSON(j, p),
  WordPiece: (j, p) => WordPieceDecoder.fromJSON(j, p),
  BPEDecoder: (j, p) => BPEDecoder.fromJSON(j, p),
  ByteFallback: () => ByteFallbackDecoder.fromJSON(),
  Fuse: () => FuseDecoder.fromJSON(),
  Strip: (j, p) => StripDecoder.fromJSON(j, p),
  Replace: (j, p) => ReplaceDecoder.fromJSON(j, p),
  CTC: (j, p) => CTCDecoder.fromJSON(j, p),
  Sequence: (j, p) => SequenceDecoder.fromJSON(j, p, decoderFromJSON),
};

/** Builds the decoder described by a tokenizer.json "decoder" object; `path` names it in errors. */
export function decoderFromJSON(json: JsonObject, path: string): Decoder {
  const type = json.type;
  if (typeof type !== "string") throw new TokenizerError(`missing "type" (one of ${Object.keys(registry).join(", ")})`, path);
  const build = registry[type];
  if (!build) throw new TokenizerError(`unknown decoder type "${type}" (expected one of ${Object.keys(registry).join(", ")})`, `${path}.type`);
  return build(json, path);
}

export { BPEDecoder, ByteFallbackDecoder, ByteLevelDecoder, CTCDecoder, FuseDecoder, MetaspaceDecoder, ReplaceDecoder, SequenceDecoder, StripDecoder, WordPieceDecoder };
export { cleanupTokenizationSpaces } from "./wordpiece.js";
export { byteFallbackToken, byteFallbackValue, isByteFallbackPiece } from "./byte-fallback.js";
