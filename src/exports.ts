// What both entry points export (src/index.ts for Node, src/browser.ts for the browser): the tokenizer core and the
// format readers. Each entry plugs in its own platform first (file access, the Jinja engine of chat templates).
export { Tokenizer, type LoadOptions, type EncodeOptions, type DecodeOptions, type AddedTokenInput } from "./tokenize/tokenizer.js";
export {
  parseTokenizerConfig,
  renderChatTemplate,
  SPECIAL_TOKEN_ROLES,
  type TokenizerConfig,
  type SpecialTokenRole,
  type ChatMessage,
  type ChatTemplateOptions,
} from "./tokenize/chat-template.js";
export { loadEncoding, ENCODING_NAMES, type EncodingName } from "./encodings.js";
export type { AddedToken } from "./tokenize/added-vocabulary.js";
export { Encoding, type OffsetUnit } from "./tokenize/encoding.js";
export { TokenizerError, type Json, type JsonObject, type Token, type Normalizer, type PreTokenizer, type Model, type PostProcessor, type Decoder } from "./tokenize/types.js";
export { NormalizedString, type SplitDelimiterBehavior, type SplitPattern } from "./tokenize/normalized.js";
export { PreTokenizedString } from "./tokenize/pretokenized.js";
export { compilePattern } from "./tokenize/regex.js";
export * from "./tokenize/normalizers/index.js";
export * from "./tokenize/pretokenizers/index.js";
export * from "./tokenize/models/index.js";
export * from "./tokenize/processors/index.js";
export * from "./tokenize/decoders/index.js";
export { StreamDecoder } from "./tokenize/stream-decoder.js";
export {
  mergeEncodings,
  truncateEncoding,
  truncatePair,
  padEncoding,
  padEncodings,
  type PaddingOptions,
  type TruncationOptions,
} from "./tokenize/encoding-ops.js";
export * from "./formats/index.js";

