// Model folders as Hugging Face writes them (Node only): config.json, model.safetensors or shards with
// model.safetensors.index.json, tokenizer.json, generation_config.json. Writes are atomic: a temp folder, then rename.
import { mkdir, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fromFloat32, toFloat32 } from "../tensor/backend.js";
import { encodeFromNumbers, type SafetensorsDtype, type TensorToWrite } from "../tensor/safetensors.js";
import { forEachTensor, writeSafetensors } from "../node/safetensors.js";
import type { JsonObject } from "../tokenize/types.js";
import { parseModelConfig, type ModelConfig } from "./config.js";
import { readJsonFile as readJson, removeOnSignal, replaceFolder, tempPathBeside } from "../node/files.js";
import type { Params } from "./model.js";

export interface ModelFolder {
  dir: string;
  config: ModelConfig;
  params: Params;
  /** Path of tokenizer.json when the folder has one. */
  tokenizerPath: string | null;
  generationConfig: JsonObject | null;
  /** The dtype of every weight on disk, or null when they differ. */
  dtype: SafetensorsDtype | null;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

// Buffers that some checkpoints carry but that are not parameters (GPT-2's causal-mask buffers, rotary caches).
const IGNORED = /(^|\.)(attn\.bias|attn\.masked_bias|rotary_emb\.inv_freq)$/;

/** Loads a model folder: weights become float32 tensors keyed by HF names (GPT-2's "transformer." prefix dropped). */
export async function loadModelFolder(dir: string): Promise<ModelFolder> {
  const config = parseModelConfig(await readJson(join(dir, "config.json")), join(dir, "config.json"));
  const params: Params = {};
  const dtypes = new Set<string>();
  await forEachTensor(dir, (name, shape, data, dtype) => {
    if (IGNORED.test(name)) return;
    dtypes.add(dtype);
    const key = config.arch === "gpt2" ? name.replace(/^transformer\./, "") : name;
    params[key] = fromFloat32(data, shape);
  });
  checkShapes(config, params, dir);
  const tok = join(dir, "tokenizer.json");
  const gen = join(dir, "generation_config.json");
  return {
    dir,
    config,
    params,
    tokenizerPath: (await exists(tok)) ? tok : null,
    generationConfig: (await exists(gen)) ? await readJson(gen) : null,
    dtype: dtypes.size === 1 ? ([...dtypes][0] as SafetensorsDtype) : null,
  };
}

function expectedShapes(config: ModelConfig): Map<string, number[]> {
  const m = new Map<string, number[]>();
  if (config.arch === "gpt2") {
    const { vocabSize: V, hiddenSize: d, intermediateSize: I } = config;
    m.set("wte.weight", [V, d]);
    m.set("wpe.weight", [config.maxPositions, d]);
    for (let l = 0; l < config.numLayers; l++) {
      const p = `h.${l}`;
      for (const n of ["ln_1", "ln_2"]) (m.set(`${p}.${n}.weight`, [d]), m.set(`${p}.${n}.bias`, [d]));
      m.set(`${p}.attn.c_attn.weight`, [d, 3 * d]).set(`${p}.attn.c_attn.bias`, [3 * d]);
      m.set(`${p}.attn.c_proj.weight`, [d, d]).set(`${p}.attn.c_proj.bias`, [d]);
      m.set(`${p}.mlp.c_fc.weight`, [d, I]).set(`${p}.mlp.c_fc.bias`, [I]);
      m.set(`${p}.mlp.c_proj.weight`, [I, d]).set(`${p}.mlp.c_proj.bias`, [d]);
    }
    m.set("ln_f.weight", [d]).set("ln_f.bias", [d]);
    return m;
  }
  const { vocabSize: V, hiddenSize: d, intermediateSize: I, numHeads: H, numKvHeads: KV, headDim: hd } = config;
  m.set("model.embed_tokens.weight", [V, d]).set("model.norm.weight", [d]);
  if (!config.tieWordEmbeddings) m.set("lm_head.weight", [V, d]);
  for (let l = 0; l < config.numLayers; l++) {
    const p = `model.layers.${l}`;
    m.set(`${p}.input_layernorm.weight`, [d]).set(`${p}.post_attention_layernorm.weight`, [d]);
    const proj: [string, number, number, boolean][] = [
      ["self_attn.q_proj", H * hd, d, config.attentionBias],
      ["self_attn.k_proj", KV * hd, d, config.attentionBias],
      ["self_attn.v_proj", KV * hd, d, config.attentionBias],
      ["self_attn.o_proj", d, H * hd, config.attentionOutBias],
      ["mlp.gate_proj", I, d, config.mlpBias],
      ["mlp.up_proj", I, d, config.mlpBias],
      ["mlp.down_proj", d, I, config.mlpBias],
    ];
    for (const [n, o, i, b] of proj) {
      m.set(`${p}.${n}.weight`, [o, i]);
      if (b) m.set(`${p}.${n}.bias`, [o]);
    }
  }
  return m;
}

/** Every weight the config implies is present with the right shape. */
export function checkShapes(config: ModelConfig, params: Params, where: string): void {
  for (const [name, shape] of expectedShapes(config)) {
    const t = params[name];
    if (!t) {
      // Untied models sometimes omit lm_head in practice when tie_word_embeddings is missing: that is a config lie, say so.
      throw new Error(`${where}: weight "${name}" is missing (expected shape [${shape.join(", ")}])`);
    }
    if (t.shape.length !== shape.length || t.shape.some((s, i) => s !== shape[i]))
      throw new Error(`${where}: weight "${name}" has shape [${t.shape.join(", ")}], config.json implies [${shape.join(", ")}]`);
  }
}

/** What checkTokenizerFits needs of a tokenizer. */
export interface VocabularyOf {
  vocabSize(withAddedTokens?: boolean): number;
  idToToken(id: number): string | undefined;
}

/**
 * Refuses a model folder whose tokenizer.json cannot belong to its embeddings: more tokens than embedding rows, far
 * fewer (models pad their vocabulary by a few percent at most), or a bos/eos id of config.json that is no token.
 */
export function checkTokenizerFits(config: ModelConfig, tokenizer: VocabularyOf, dir: string): void {
  const tokens = tokenizer.vocabSize(true);
  const rows = config.vocabSize;
  const tokenizerPath = join(dir, "tokenizer.json");
  const rowsAre = `config.json "vocab_size" and the embedding matrix say ${rows}`;
  if (tokens > rows) throw new Error(`${tokenizerPath}: has ${tokens} tokens but the model has ${rows} embedding rows (${rowsAre}); the tokenizer does not belong to this model`);
  if (rows > 1.25 * tokens + 128) throw new Error(`${tokenizerPath}: has ${tokens} tokens but the model has ${rows} embedding rows (${rowsAre}); padding is a few percent at most, so the tokenizer does not belong to this model`);
  for (const [field, value] of [["bos_token_id", config.bosTokenId], ["eos_token_id", config.eosTokenId]] as const)
    for (const id of value === null ? [] : Array.isArray(value) ? value : [value])
      if (tokenizer.idToToken(id) === undefined) throw new Error(`${join(dir, "config.json")}: "${field}" is ${id}, which is no token of ${tokenizerPath} (${tokens} tokens); the tokenizer does not belong to this model`);
}

export interface SaveOptions {
  /** Weight dtype on disk (default F32). */
  dtype?: SafetensorsDtype;
  tokenizerJson?: string | JsonObject;
  generationConfig?: JsonObject;
  /** Split weights into shards of at most this many bytes (writes model.safetensors.index.json). */
  maxShardBytes?: number;
  /** More files of the folder by name (tokenizer_config.json, a training log), written as given. */
  extraFiles?: Record<string, string>;
  /** Abandons the write (nothing is left behind) when aborted. */
  signal?: AbortSignal;
}

/**
 * Writes a model folder atomically (temp folder beside it, then rename; an existing folder is replaced). A failure,
 * an abort or SIGINT/SIGTERM while writing removes the temp folder.
 */
export async function saveModelFolder(dir: string, config: ModelConfig, params: Params, options: SaveOptions = {}): Promise<void> {
  const dtype = options.dtype ?? "F32";
  const tmp = tempPathBeside(dir);
  const stopWatching = removeOnSignal(tmp);
  await mkdir(tmp, { recursive: true });
  try {
    const config2 = { ...config.raw, torch_dtype: dtype === "F32" ? "float32" : dtype === "F16" ? "float16" : dtype === "BF16" ? "bfloat16" : config.raw.torch_dtype };
    await writeFile(join(tmp, "config.json"), JSON.stringify(config2, null, 2) + "\n");
    const names = Object.keys(params).sort();
    const tensors: TensorToWrite[] = [];
    for (const name of names) {
      options.signal?.throwIfAborted();
      const t = params[name];
      const shape = [...t.shape];
      tensors.push({ name: config.arch === "gpt2" ? name : name, dtype, shape, data: encodeFromNumbers(await toFloat32(t.ref), dtype) });
    }
    const meta = { format: "pt" };
    if (options.maxShardBytes && tensors.reduce((a, t) => a + t.data.length, 0) > options.maxShardBytes) {
      const shards: TensorToWrite[][] = [[]];
      let size = 0;
      for (const t of tensors) {
        if (size > 0 && size + t.data.length > options.maxShardBytes) (shards.push([]), (size = 0));
        shards[shards.length - 1].push(t);
        size += t.data.length;
      }
      const weightMap: Record<string, string> = {};
      const n = String(shards.length).padStart(5, "0");
      for (let i = 0; i < shards.length; i++) {
        const file = `model-${String(i + 1).padStart(5, "0")}-of-${n}.safetensors`;
        await writeSafetensors(join(tmp, file), shards[i], meta);
        for (const t of shards[i]) weightMap[t.name] = file;
      }
      const total = tensors.reduce((a, t) => a + t.data.length, 0);
      await writeFile(join(tmp, "model.safetensors.index.json"), JSON.stringify({ metadata: { total_size: total }, weight_map: weightMap }, null, 2) + "\n");
    } else await writeSafetensors(join(tmp, "model.safetensors"), tensors, meta);
    if (options.tokenizerJson !== undefined)
      await writeFile(join(tmp, "tokenizer.json"), typeof options.tokenizerJson === "string" ? options.tokenizerJson : JSON.stringify(options.tokenizerJson));
    if (options.generationConfig) await writeFile(join(tmp, "generation_config.json"), JSON.stringify(options.generationConfig, null, 2) + "\n");
    for (const [name, text] of Object.entries(options.extraFiles ?? {})) await writeFile(join(tmp, name), text);
    options.signal?.throwIfAborted();
    await replaceFolder(tmp, dir);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  } finally {
    stopWatching();
  }
}

/** Builds params from plain arrays (tests, part B's initialisation). */
export function paramsFromArrays(arrays: Record<string, { shape: number[]; data: Float32Array }>): Params {
  const p: Params = {};
  for (const [k, v] of Object.entries(arrays)) p[k] = fromFloat32(v.data, v.shape);
  return p;
}
