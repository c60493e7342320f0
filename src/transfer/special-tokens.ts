// The special tokens a model relies on (the `*_token_id` fields of config.json and generation_config.json) must
// exist in the target tokenizer: matched by content, they keep their source rows and the configs get their new ids.
import type { AddedToken } from "../tokenize/added-vocabulary.js";
import type { JsonObject } from "../tokenize/types.js";
import type { VocabularyMap } from "./vocabulary-map.js";

export interface SpecialTokenTokenizer {
  idToToken(id: number): string | undefined;
  tokenToId(token: string): number | undefined | null;
  vocabSize(withAddedTokens?: boolean): number;
  addedTokens: AddedToken[];
}

/** One id a model's config names: file, field and the token it stands for. */
export interface NamedSpecialId {
  file: string;
  key: string;
  sourceId: number;
  content: string;
}

export interface SpecialTokenAlignment {
  /** Source id → target id for every id the configs name. */
  remap: Map<number, number>;
  named: NamedSpecialId[];
  /** Contents appended to the target tokenizer as special tokens (only with `addMissing`). */
  added: string[];
}

const isIdField = (key: string, value: unknown) =>
  key.endsWith("_token_id") && (typeof value === "number" || (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === "number")));

/** The special ids that config.json and generation_config.json name (bos/eos/pad/…), with their source tokens. */
export function namedSpecialIds(configs: { file: string; json: JsonObject | null }[], source: SpecialTokenTokenizer): NamedSpecialId[] {
  const out: NamedSpecialId[] = [];
  for (const { file, json } of configs) {
    if (!json) continue;
    for (const [key, value] of Object.entries(json)) {
      if (!isIdField(key, value)) continue;
      for (const id of Array.isArray(value) ? (value as number[]) : [value as number]) {
        const content = source.idToToken(id);
        if (content === undefined) throw new Error(`${file}: ${key} ${id} is not a token of the model's tokenizer.json (${source.vocabSize(true)} tokens)`);
        out.push({ file, key, sourceId: id, content });
      }
    }
  }
  return out;
}

/**
 * Finds every named special token in the target tokenizer by content. Missing ones are an error naming each token,
 * unless `addMissing`: then they are appended to the target as special added tokens (new ids after its vocabulary).
 */
export function alignSpecialTokens(named: NamedSpecialId[], target: SpecialTokenTokenizer, options: { addMissing?: boolean; targetName?: string } = {}): SpecialTokenAlignment {
  const remap = new Map<number, number>();
  const missing = new Map<string, NamedSpecialId[]>();
  for (const n of named) {
    const t = target.tokenToId(n.content);
    if (t === undefined || t === null) missing.set(n.content, [...(missing.get(n.content) ?? []), n]);
    else remap.set(n.sourceId, t);
  }
  const added: string[] = [];
  if (missing.size && !options.addMissing) {
    const list = [...missing].map(([content, ns]) => `${JSON.stringify(content)} (${ns.map((n) => `${n.key} ${n.sourceId} in ${n.file}`).join(", ")})`);
    throw new Error(
      `${options.targetName ?? "target tokenizer"}: has no token ${list.join("; ")}; the model needs ${missing.size === 1 ? "it" : "them"} — add ${missing.size === 1 ? "it" : "them"} to the target tokenizer's special tokens, or let retoken append ${missing.size === 1 ? "it" : "them"} (--add-special-tokens)`,
    );
  }
  if (missing.size) {
    let next = target.vocabSize(true);
    const tokens = [...target.addedTokens];
    for (const [content, ns] of missing) {
      tokens.push({ id: next, content, singleWord: false, lstrip: false, rstrip: false, normalized: false, special: true });
      for (const n of ns) remap.set(n.sourceId, next);
      added.push(content);
      next++;
    }
    target.addedTokens = tokens;
  }
  return { remap, named, added };
}

/** The named specials keep their source rows whatever the method: mark them shared and special in the map. */
export function pinSpecialTokens(map: VocabularyMap, remap: Map<number, number>): void {
  for (const [s, t] of remap) {
    map.shared[t] = s;
    map.pieces[t] = [s];
    map.specials.add(t);
  }
}

/** A config with every `*_token_id` field rewritten through `remap` and the given fields set. */
export function remapConfig(json: JsonObject, remap: Map<number, number>, set: JsonObject = {}): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(json)) {
    if (isIdField(key, value)) out[key] = Array.isArray(value) ? (value as number[]).map((v) => remap.get(v)!) : remap.get(value as number)!;
    else out[key] = value;
  }
  return { ...out, ...set };
}

const TOKEN_FIELDS = ["bos_token", "eos_token", "unk_token", "pad_token", "sep_token", "cls_token", "mask_token"];

/**
 * tokenizer_config.json / special_tokens_map.json for the target tokenizer: the old id table (added_tokens_decoder)
 * and slow-tokenizer file names go, token fields whose content the target lacks go, the rest (chat template,
 * max length) stays; the fast tokenizer reads everything else from tokenizer.json.
 */
export function targetTokenizerConfig(json: JsonObject, target: SpecialTokenTokenizer, isTokenizerConfig: boolean): JsonObject {
  const has = (v: unknown) => {
    const content = typeof v === "string" ? v : v && typeof v === "object" && !Array.isArray(v) ? (v as JsonObject).content : undefined;
    return typeof content === "string" && target.tokenToId(content) !== undefined && target.tokenToId(content) !== null;
  };
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(json)) {
    if (["added_tokens_decoder", "vocab_file", "merges_file", "tokenizer_file", "sp_model_kwargs", "auto_map"].includes(key)) continue;
    if (TOKEN_FIELDS.includes(key) && value !== null && !has(value)) continue;
    if (key === "additional_special_tokens" && Array.isArray(value)) out[key] = value.filter(has);
    else out[key] = value;
  }
  if (isTokenizerConfig) out.tokenizer_class = "PreTrainedTokenizerFast";
  return out;
}

/** The role field (`bos_token`, …) that a config's `*_token_id` key names, or null (decoder_start_token_id, …). */
function roleOfIdKey(key: string): string | null {
  const role = key.replace(/_id$/, "");
  return TOKEN_FIELDS.includes(role) ? role : null;
}

/**
 * tokenizer_config.json and special_tokens_map.json of the new tokenizer, written whether or not the source model had
 * them: the roles (bos/eos/pad/unk/…) the source files give and the target has, then the roles the model's configs
 * name by id (bos_token_id → bos_token, first id of a list), the target's added tokens as added_tokens_decoder (the
 * table transformers reads), and the source's other settings (chat template, max length).
 */
export function targetTokenizerConfigFiles(
  sources: { tokenizerConfig: JsonObject | null; specialTokensMap: JsonObject | null },
  named: NamedSpecialId[],
  target: SpecialTokenTokenizer,
  modelMaxLength: number | undefined,
): { tokenizerConfig: JsonObject; specialTokensMap: JsonObject } {
  const config = sources.tokenizerConfig ? targetTokenizerConfig(sources.tokenizerConfig, target, true) : {};
  const map = sources.specialTokensMap ? targetTokenizerConfig(sources.specialTokensMap, target, false) : {};
  const roles: JsonObject = {};
  for (const source of [map, config]) for (const role of TOKEN_FIELDS) if (source[role] !== undefined && source[role] !== null && roles[role] === undefined) roles[role] = source[role]!;
  for (const n of named) {
    const role = roleOfIdKey(n.key);
    if (role && roles[role] === undefined) roles[role] = n.content;
  }
  const additional = Array.isArray(map.additional_special_tokens) ? map.additional_special_tokens : Array.isArray(config.additional_special_tokens) ? config.additional_special_tokens : undefined;
  const decoder: JsonObject = {};
  for (const t of [...target.addedTokens].sort((a, b) => a.id - b.id)) {
    decoder[String(t.id)] = { content: t.content, lstrip: t.lstrip, normalized: t.normalized, rstrip: t.rstrip, single_word: t.singleWord, special: t.special };
  }
  const tokenizerConfig: JsonObject = {
    ...config,
    ...roles,
    ...(additional ? { additional_special_tokens: additional } : {}),
    added_tokens_decoder: decoder,
    tokenizer_class: "PreTrainedTokenizerFast",
    clean_up_tokenization_spaces: config.clean_up_tokenization_spaces ?? false,
  };
  if (tokenizerConfig.model_max_length === undefined && modelMaxLength !== undefined) tokenizerConfig.model_max_length = modelMaxLength;
  return { tokenizerConfig, specialTokensMap: { ...map, ...roles, ...(additional ? { additional_special_tokens: additional } : {}) } };
}
