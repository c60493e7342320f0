// `retoken inspect FILE [--json]`: what a tokenizer file is — model, vocabulary, pipeline stages, special tokens.
import type { Command } from "commander";
import { Tokenizer } from "../../platform/node-tokenizer.js";
import type { Json, JsonObject } from "../../tokenize/types.js";
import { modelTypeOf } from "../../tokenize/models/index.js";

const BULKY = new Set(["vocab", "merges", "precompiled_charsmap", "special_tokens", "single", "pair"]);

/** A one-line description of a pipeline stage from its JSON: its type and its small settings, nested stages inline. */
export function describeStage(json: Json | undefined): string {
  if (json === null || json === undefined) return "none";
  if (typeof json !== "object" || Array.isArray(json)) return JSON.stringify(json);
  const type = String(json.type ?? "?");
  const nested = (["normalizers", "pretokenizers", "processors", "decoders"] as const).find((k) => Array.isArray(json[k]));
  if (nested) return `${type}[${(json[nested] as Json[]).map(describeStage).join(", ")}]`;
  const params = Object.entries(json)
    .filter(([k, v]) => k !== "type" && !BULKY.has(k) && v !== null && !(typeof v === "object" && !Array.isArray(v) && Object.keys(v).length > 4))
    .map(([k, v]) => `${k}=${typeof v === "string" ? JSON.stringify(v) : JSON.stringify(v)}`);
  if (json.type === "TemplateProcessing" && Array.isArray(json.single)) {
    params.unshift(`single=${JSON.stringify((json.single as JsonObject[]).map((p) => Object.values(p).map((x) => (x as JsonObject).id)[0]).join(" "))}`);
  }
  return params.length ? `${type}(${params.join(", ")})` : type;
}

export interface TokenizerInfo {
  model: string;
  vocabSize: number;
  modelVocabSize: number;
  normalizer: string;
  preTokenizer: string;
  modelSettings: string;
  postProcessor: string;
  decoder: string;
  addedTokens: { id: number; content: string; special: boolean }[];
}

export function inspectTokenizer(tokenizer: Tokenizer): TokenizerInfo {
  const json = tokenizer.toJSON();
  const model = (json.model ?? {}) as JsonObject;
  const added = (Array.isArray(json.added_tokens) ? json.added_tokens : []) as JsonObject[];
  return {
    model: String(modelTypeOf(model)),
    vocabSize: tokenizer.vocabSize(true),
    modelVocabSize: tokenizer.vocabSize(false),
    normalizer: describeStage(json.normalizer),
    preTokenizer: describeStage(json.pre_tokenizer),
    modelSettings: describeStage({ ...model, type: modelTypeOf(model) } as JsonObject),
    postProcessor: describeStage(json.post_processor),
    decoder: describeStage(json.decoder),
    addedTokens: added.map((t) => ({ id: Number(t.id), content: String(t.content), special: t.special === true })),
  };
}

export function register(program: Command): void {
  program
    .command("inspect")
    .description("print what a tokenizer file is: model type, vocab size, pipeline stages, special tokens")
    .argument("<file>", "tokenizer.json, .tiktoken rank file or SentencePiece .model")
    .option("--json", "print a JSON object")
    .action(async (file: string, opts: { json?: boolean }) => {
      const info = inspectTokenizer(await Tokenizer.fromFile(file));
      if (opts.json) {
        process.stdout.write(JSON.stringify(info, null, 2) + "\n");
        return;
      }
      const specials = info.addedTokens.filter((t) => t.special);
      const lines = [
        `file:            ${file}`,
        `model:           ${info.model}, ${info.vocabSize} tokens (${info.modelVocabSize} in the model, ${info.vocabSize - info.modelVocabSize} added)`,
        `normalizer:      ${info.normalizer}`,
        `pre-tokenizer:   ${info.preTokenizer}`,
        `model settings:  ${info.modelSettings}`,
        `post-processor:  ${info.postProcessor}`,
        `decoder:         ${info.decoder}`,
        `special tokens:  ${specials.length ? specials.slice(0, 12).map((t) => `${t.content}=${t.id}`).join(" ") + (specials.length > 12 ? ` … (${specials.length} in all)` : "") : "none"}`,
      ];
      const other = info.addedTokens.length - specials.length;
      if (other) lines.push(`added tokens:    ${other} not special`);
      process.stdout.write(lines.join("\n") + "\n");
    });
}
