// Registry of post-processors: one line per tokenizer.json "type".

import { TokenizerError, type JsonObject } from "../types.js";
import type { BasePostProcessor } from "./base.js";
import { BertProcessing } from "./bert.js";
import { ByteLevelProcessor } from "./byte-level.js";
import { RobertaProcessing } from "./roberta.js";
import { SequenceProcessor } from "./sequence.js";
import { TemplateProcessing } from "./template.js";

const registry: Record<string, (json: JsonObject, path: string) => BasePostProcessor> = {
  TemplateProcessing: (j, p) => TemplateProcessing.fromJSON(j, p),
  BertProcessing: (j, p) => BertProcessing.fromJSON(j, p),
  RobertaProcessing: (j, p) => RobertaProcessing.fromJSON(j, p),
  ByteLevel: (j, p) => ByteLevelProcessor.fromJSON(j, p),
  Sequence: (j, p) => SequenceProcessor.fromJSON(j, p, postProcessorFromJSON),
};

/** Builds the post-processor described by a tokenizer.json "post_processor" object; `path` names it in errors. */
export function postProcessorFromJSON(json: JsonObject, path: string): BasePostProcessor {
  const type = json.type;
  if (typeof type !== "string") throw new TokenizerError(`missing "type" (one of ${Object.keys(registry).join(", ")})`, path);
  const build = registry[type];
  if (!build) throw new TokenizerError(`unknown post-processor type "${type}" (expected one of ${Object.keys(registry).join(", ")})`, `${path}.type`);
  return build(json, path);
}

export { BasePostProcessor } from "./base.js";
export { BertProcessing, ByteLevelProcessor, RobertaProcessing, SequenceProcessor, TemplateProcessing };
export type { TemplatePiece, TemplateSpecialToken } from "./template.js";
