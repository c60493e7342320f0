// tokenizer_config.json (the special-token roles and chat template that transformers keeps beside tokenizer.json) and
// chat templates rendered as transformers' apply_chat_template renders them, through @huggingface/jinja (the Jinja
// implementation transformers.js uses: trim_blocks and lstrip_blocks on, raise_exception and strftime_now defined).

import type { Template } from "@huggingface/jinja";
import { jinjaTemplate } from "../platform/files.js";
import { TokenizerError, type Json, type JsonObject } from "./types.js";
import { parseJsonObject } from "./json-fields.js";

/** The roles transformers gives special tokens (its SPECIAL_TOKENS_ATTRIBUTES), in its order. */
export const SPECIAL_TOKEN_ROLES = ["bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"] as const;
export type SpecialTokenRole = (typeof SPECIAL_TOKEN_ROLES)[number];

export interface TokenizerConfig {
  /** Special tokens by role (`bos_token` → "<s>"); a role the file leaves out or sets to null is absent. */
  specialTokens: Partial<Record<SpecialTokenRole, string>>;
  additionalSpecialTokens: string[];
  /** The default chat template, or null. */
  chatTemplate: string | null;
  /** Named templates ("default", "tool_use", …) when the file gives a list. */
  chatTemplates: Record<string, string>;
  modelMaxLength: number | null;
  /** The whole file, for fields retoken does not interpret. */
  json: JsonObject;
}

/** A role's token: a string, or a serialised AddedToken ({"content": …}). */
function tokenContent(v: Json | undefined, where: string): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v === "string") return v;
  if (typeof v === "object" && !Array.isArray(v) && typeof v.content === "string") return v.content;
  throw new TokenizerError(`expected a token string or {"content": …}, got ${JSON.stringify(v).slice(0, 80)}`, where);
}

/** Reads tokenizer_config.json content (an object or its text); errors name the file and field. */
export function parseTokenizerConfig(json: JsonObject | string, fileName = "tokenizer_config.json"): TokenizerConfig {
  if (typeof json === "string") json = parseJsonObject(json, fileName);
  const specialTokens: Partial<Record<SpecialTokenRole, string>> = {};
  for (const role of SPECIAL_TOKEN_ROLES) {
    const t = tokenContent(json[role], `${fileName}: ${role}`);
    if (t !== null) specialTokens[role] = t;
  }
  const extra = json.additional_special_tokens ?? [];
  if (!Array.isArray(extra)) throw new TokenizerError("expected a list of tokens", `${fileName}: additional_special_tokens`);
  const additionalSpecialTokens = extra.map((t, i) => tokenContent(t, `${fileName}: additional_special_tokens[${i}]`) ?? "");
  const chatTemplates: Record<string, string> = {};
  let chatTemplate: string | null = null;
  const ct = json.chat_template;
  if (typeof ct === "string") chatTemplate = ct;
  else if (Array.isArray(ct)) {
    ct.forEach((entry, i) => {
      const where = `${fileName}: chat_template[${i}]`;
      if (!entry || typeof entry !== "object" || Array.isArray(entry) || typeof entry.name !== "string" || typeof entry.template !== "string") {
        throw new TokenizerError(`expected {"name": string, "template": string}`, where);
      }
      chatTemplates[entry.name] = entry.template;
    });
    chatTemplate = chatTemplates.default ?? null;
  } else if (ct !== undefined && ct !== null) throw new TokenizerError("expected a template string or a list of {name, template}", `${fileName}: chat_template`);
  const max = json.model_max_length;
  if (max !== undefined && max !== null && typeof max !== "number") throw new TokenizerError(`expected a number, got ${JSON.stringify(max)}`, `${fileName}: model_max_length`);
  return { specialTokens, additionalSpecialTokens, chatTemplate, chatTemplates, modelMaxLength: typeof max === "number" ? max : null, json };
}

/** One chat message: a role and content (a string, or parts such as {type: "text", text}), plus whatever the
 * template reads (tool_calls, reasoning_content, …). */
export interface ChatMessage {
  role: string;
  content?: string | null | Record<string, unknown>[];
  [field: string]: unknown;
}

export interface ChatTemplateOptions {
  /** End with the start of an assistant turn (default false). */
  addGenerationPrompt?: boolean;
  /** Tool descriptions (JSON schemas) for templates that support tools. */
  tools?: Record<string, unknown>[] | null;
  /** Documents for retrieval-augmented templates. */
  documents?: Record<string, unknown>[] | null;
  /** A template's name from tokenizer_config.json ("tool_use"), or a template itself; default: the config's. */
  chatTemplate?: string;
  /** Further template variables (e.g. Qwen 3's enable_thinking). */
  variables?: Record<string, unknown>;
  /** End the text inside the last message (no end-of-turn after it), so that the model continues that message — a
   * prefilled assistant answer; transformers' continue_final_message. Not with addGenerationPrompt. */
  continueFinalMessage?: boolean;
}

const compiled = new Map<string, Template>();

/** Renders `messages` with the config's chat template exactly as transformers' apply_chat_template: the template
 * sees messages, tools, documents, add_generation_prompt, the special tokens by role, then the caller's variables. */
export function renderChatTemplate(config: TokenizerConfig | null, messages: ChatMessage[], options: ChatTemplateOptions = {}): string {
  if (!Array.isArray(messages)) throw new TokenizerError("applyChatTemplate: expected a list of messages");
  messages.forEach((m, i) => {
    if (!m || typeof m !== "object" || typeof m.role !== "string") throw new TokenizerError(`applyChatTemplate: message ${i} needs a string "role"`);
  });
  let source: string | null;
  if (options.chatTemplate !== undefined) source = config?.chatTemplates[options.chatTemplate] ?? options.chatTemplate;
  else source = config?.chatTemplate ?? null;
  if (source === null) throw new TokenizerError("applyChatTemplate: this tokenizer has no chat template (load its tokenizer_config.json, or pass options.chatTemplate)");
  let template = compiled.get(source);
  if (!template) {
    const Jinja = jinjaTemplate();
    try {
      template = new Jinja(source);
    } catch (e) {
      throw new TokenizerError(`applyChatTemplate: the chat template does not parse: ${(e as Error).message}`);
    }
    if (compiled.size > 32) compiled.clear();
    compiled.set(source, template);
  }
  const roles: Record<string, unknown> = { ...config?.specialTokens };
  if (config?.additionalSpecialTokens.length) roles.additional_special_tokens = config.additionalSpecialTokens;
  if (options.continueFinalMessage && options.addGenerationPrompt) {
    throw new TokenizerError("applyChatTemplate: continueFinalMessage and addGenerationPrompt exclude each other (one continues the last message, the other opens a new turn)");
  }
  const finalText = options.continueFinalMessage ? finalMessageText(messages) : null;
  const rendered = template.render({
    messages,
    tools: options.tools ?? null,
    documents: options.documents ?? null,
    add_generation_prompt: options.addGenerationPrompt ?? false,
    ...roles,
    ...options.variables,
  });
  return finalText === null ? rendered : cutAfterText(rendered, finalText);
}

/** The text continueFinalMessage continues: the last message's content, or its last text part. */
function finalMessageText(messages: ChatMessage[]): string {
  let text: unknown = messages[messages.length - 1]?.content;
  if (Array.isArray(text)) text = [...text].reverse().find((part) => typeof part?.text === "string")?.text;
  if (typeof text !== "string") throw new TokenizerError("applyChatTemplate: continueFinalMessage needs text in the last message to continue");
  return text;
}

/** The rendered chat up to the end of the final message's text, as transformers cuts it: at the last occurrence of
 * the stripped text, keeping the message's own trailing whitespace only where the template kept it too. */
function cutAfterText(rendered: string, text: string): string {
  const stripped = text.trim();
  const at = rendered.lastIndexOf(stripped);
  if (at < 0) throw new TokenizerError("applyChatTemplate: continueFinalMessage: the last message's text does not appear in the rendered chat (the template changes it)");
  // Compared with the untrimmed text, so a message with leading whitespace is always cut at its stripped end.
  const withTrailing = text.trimStart().length;
  return rendered.slice(0, at + (rendered.slice(at, at + withTrailing) === text ? withTrailing : stripped.length));
}
