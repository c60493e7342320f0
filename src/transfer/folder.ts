// Transfers a Hugging Face model folder to a new tokenizer (Node only): new input embeddings and output head at the
// target vocabulary, configs and tokenizer files rewritten, every other tensor copied byte for byte into shards named
// as the input's. Streaming: only the two embedding matrices are read whole (as raw bytes, rows decoded on demand);
// everything else is copied in chunks. Atomic: written into a temp folder beside `out`, renamed at the end, and
// removed on failure or SIGINT/SIGTERM.
import { copyFile, mkdir, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { parseModelConfig, type ModelConfig } from "../lm/config.js";
import { checkTokenizerFits } from "../lm/folder.js";
import { readJsonFile, removeOnSignal, replaceFolder, tempPathBeside } from "../node/files.js";
import { DTYPE_BYTES, encodeFromNumbers, type SafetensorsDtype, type TensorInfo } from "../tensor/safetensors.js";
import { checkpointFiles, openSafetensors, writeSafetensorsStreamed, type SafetensorsFile, type StreamedTensor } from "../node/safetensors.js";
import { Tokenizer } from "../platform/node-tokenizer.js";
import type { JsonObject } from "../tokenize/types.js";
import { EmbeddingView, EncodedEmbeddingRows } from "./embedding-view.js";
import { initializeEmbeddings, type InitResult, type InitStrategy } from "./init/index.js";
import { methodStrategies, type MethodInputs, type TransferMethod } from "./methods.js";
import { alignSpecialTokens, namedSpecialIds, pinSpecialTokens, remapConfig, targetTokenizerConfigFiles } from "./special-tokens.js";
import { buildVocabularyMap, type VocabularyMap } from "./vocabulary-map.js";

export type TransferPhase = "read" | "initialize" | "write";

export interface TransferProgress {
  phase: TransferPhase;
  /** Bytes read or written ("read", "write"); 0 then 1 for "initialize". */
  done: number;
  total: number;
}

/** What a method's extra inputs are built from, once the target tokenizer is final (special tokens appended). */
export interface TransferInputsContext {
  config: ModelConfig;
  source: Tokenizer;
  target: Tokenizer;
  map: VocabularyMap;
}

export interface TransferFolderOptions {
  modelDir: string;
  /** The target tokenizer: a file Tokenizer.fromFile reads (tokenizer.json, tiktoken, .model) or a loaded one. */
  targetTokenizer: string | Tokenizer;
  /** A named method (default "fvt"); `strategies` replaces it with an explicit strategy list. */
  method?: TransferMethod;
  strategies?: InitStrategy[];
  /** Extra inputs of the method (donor, auxiliary space, hypernetwork predictions), or a function that builds them. */
  inputs?: MethodInputs | ((ctx: TransferInputsContext) => MethodInputs | Promise<MethodInputs>);
  out: string;
  /** Append the model's special tokens that the target lacks (else: an error naming them). */
  addMissingSpecialTokens?: boolean;
  /** Replace an existing `out` folder (else: an error). */
  overwrite?: boolean;
  onProgress?: (p: TransferProgress) => void;
}

export interface TransferFolderResult {
  out: string;
  vocabSize: number;
  /** Rows filled per strategy. */
  counts: Record<string, number>;
  /** Source id → target id of the special tokens the configs name. */
  specialIds: Map<number, number>;
  addedSpecialTokens: string[];
  /** Files of the model folder not carried over (old-vocabulary weights, slow-tokenizer files, subfolders). */
  skipped: string[];
  /** Names of the tensors rewritten (the rest were copied byte for byte). */
  rewritten: string[];
}

const FLOAT_DTYPES: SafetensorsDtype[] = ["BF16", "F16", "F32"];
// Files that describe or hold the old vocabulary: not copied (tokenizer.json and the configs are rewritten).
const OLD_TOKENIZER_FILES = new Set(["tokenizer.model", "spiece.model", "vocab.json", "vocab.txt", "merges.txt", "added_tokens.json", "tokenizer.tiktoken"]);
const WEIGHT_FILE = /\.(safetensors|bin|pt|pth|ckpt|h5|msgpack|gguf|onnx|tiktoken)$/;
// Records of the source model's training: they describe a run the new model did not have.
const TRAINING_FILE = /^(train-log\.jsonl|trainer_state\.json|training_args\.bin|(all|train|eval)_results\.json|optimizer\.(pt|bin)|scheduler\.pt|scaler\.pt|rng_state.*\.pth|events\.out\.tfevents\..*)$/;
const REWRITTEN_FILES = new Set(["config.json", "tokenizer.json", "generation_config.json", "tokenizer_config.json", "special_tokens_map.json", "model.safetensors.index.json"]);

interface EmbeddingTensor {
  name: string;
  info: TensorInfo;
  file: SafetensorsFile;
  /** Which slice of the target view is written into it (a tied model's extra lm_head gets the input slice). */
  slice: 0 | 1;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Input and output embedding tensor names as the checkpoint spells them (GPT-2 may carry a "transformer." prefix). */
function embeddingTensorNames(config: ModelConfig, names: Set<string>, where: string): { input: string; output: string | null; extraHead: string | null } {
  if (config.arch === "gpt2") {
    const input = ["wte.weight", "transformer.wte.weight"].find((n) => names.has(n));
    if (!input) throw new Error(`${where}: no input embedding ("wte.weight" or "transformer.wte.weight")`);
    return { input, output: null, extraHead: names.has("lm_head.weight") ? "lm_head.weight" : null };
  }
  const input = "model.embed_tokens.weight";
  if (!names.has(input)) throw new Error(`${where}: no input embedding "${input}"`);
  if (config.tieWordEmbeddings) return { input, output: null, extraHead: names.has("lm_head.weight") ? "lm_head.weight" : null };
  if (!names.has("lm_head.weight")) throw new Error(`${where}: config.json says the embeddings are untied (tie_word_embeddings is not true) but there is no "lm_head.weight"`);
  return { input, output: "lm_head.weight", extraHead: null };
}

interface OpenCheckpoint {
  files: string[];
  index: Record<string, unknown> | null;
  /** Tensors each file contributes (those the index maps to it), in file order. */
  tensorsOf: Map<SafetensorsFile, TensorInfo[]>;
  where: Map<string, { info: TensorInfo; file: SafetensorsFile }>;
  close(): Promise<void>;
}

/** Opens every weight file of a folder (headers only) and indexes its tensors by name. */
async function openCheckpoint(dir: string): Promise<OpenCheckpoint> {
  const { files, weightMap, index } = await checkpointFiles(dir);
  const opened: SafetensorsFile[] = [];
  const close = async () => {
    for (const f of opened) await f.close();
  };
  const tensorsOf = new Map<SafetensorsFile, TensorInfo[]>();
  const where = new Map<string, { info: TensorInfo; file: SafetensorsFile }>();
  try {
    for (const path of files) {
      const f = await openSafetensors(path);
      opened.push(f);
      const mine = f.header.tensors.filter((t) => !weightMap || weightMap.get(t.name) === path).sort((a, b) => a.begin - b.begin);
      tensorsOf.set(f, mine);
      for (const t of mine) where.set(t.name, { info: t, file: f });
    }
    if (weightMap) for (const [name, path] of weightMap) if (!where.has(name)) throw new Error(`${join(dir, "model.safetensors.index.json")}: tensor "${name}" is mapped to ${basename(path)} but that shard does not hold it`);
  } catch (e) {
    await close();
    throw e;
  }
  return { files, index, tensorsOf, where, close };
}

/** One slice of the target view as a dtype's bytes, a block of rows at a time. */
function* encodedSlice(view: EmbeddingView, slice: 0 | 1, dtype: SafetensorsDtype, onBytes: (n: number) => void): Generator<Uint8Array> {
  const rowsPerBlock = Math.max(1, Math.floor((4 << 20) / view.dim));
  const block = new Float32Array(rowsPerBlock * view.dim);
  for (let r0 = 0; r0 < view.vocab; r0 += rowsPerBlock) {
    const n = Math.min(rowsPerBlock, view.vocab - r0);
    for (let i = 0; i < n; i++) block.set(view.data.subarray(view.offset(r0 + i, slice), view.offset(r0 + i, slice) + view.dim), i * view.dim);
    const bytes = encodeFromNumbers(block.subarray(0, n * view.dim), dtype);
    onBytes(bytes.length);
    yield bytes;
  }
}

/** Reads the source embedding matrices as raw bytes and runs the strategies over rows decoded on demand. */
async function initializeFromCheckpoint(
  config: ModelConfig,
  embeddings: EmbeddingTensor[],
  map: VocabularyMap,
  strategiesFor: (map: VocabularyMap) => Promise<InitStrategy[]>,
  progress: (p: TransferProgress) => void,
): Promise<InitResult> {
  const total = embeddings.reduce((a, e) => a + e.info.end - e.info.begin, 0);
  progress({ phase: "read", done: 0, total });
  const matrices: { bytes: Uint8Array; dtype: SafetensorsDtype }[] = [];
  let read = 0;
  for (const e of embeddings) {
    const bytes = await e.file.readBytes(e.name, (n) => progress({ phase: "read", done: (read += n), total }));
    matrices.push({ bytes, dtype: e.info.dtype });
  }
  progress({ phase: "initialize", done: 0, total: 1 });
  const strategies = await strategiesFor(map);
  const init = initializeEmbeddings(new EncodedEmbeddingRows(config.vocabSize, config.hiddenSize, matrices), map, strategies);
  progress({ phase: "initialize", done: 1, total: 1 });
  return init;
}

/** Transfers the model folder `modelDir` to `targetTokenizer`, writing a complete folder at `out`. */
export async function transferModelFolder(options: TransferFolderOptions): Promise<TransferFolderResult> {
  const modelDir = options.modelDir;
  const out = resolve(options.out);
  const progress = options.onProgress ?? (() => {});
  if (resolve(modelDir) === out) throw new Error(`transfer: --out ${options.out} is the model folder itself; write the transferred model somewhere else`);
  if (!options.overwrite && (await exists(out))) throw new Error(`transfer: ${options.out} already exists (remove it, or overwrite it with --force)`);

  // 1. Everything is checked before anything is written.
  const configPath = join(modelDir, "config.json");
  const rawConfig = await readJsonFile(configPath);
  const config = parseModelConfig(rawConfig, configPath);
  const generationPath = join(modelDir, "generation_config.json");
  const generation = (await exists(generationPath)) ? await readJsonFile(generationPath) : null;
  const sourcePath = join(modelDir, "tokenizer.json");
  if (!(await exists(sourcePath))) throw new Error(`${modelDir}: no tokenizer.json (the model's own tokenizer is needed to map its vocabulary)`);
  const source = await Tokenizer.fromFile(sourcePath);
  checkTokenizerFits(config, source, modelDir);
  const target = typeof options.targetTokenizer === "string" ? await Tokenizer.fromFile(options.targetTokenizer) : options.targetTokenizer;
  const targetName = typeof options.targetTokenizer === "string" ? options.targetTokenizer : "target tokenizer";
  const targetJsonBefore = typeof options.targetTokenizer === "string" && options.targetTokenizer.endsWith(".json") ? await readFile(options.targetTokenizer, "utf8") : null;

  const checkpoint = await openCheckpoint(modelDir);
  const { files, index, tensorsOf, where } = checkpoint;
  let tmp: string | null = null;
  let disposeSignal = () => {};
  try {
    const names = embeddingTensorNames(config, new Set(where.keys()), modelDir);
    const embeddings: EmbeddingTensor[] = [];
    for (const [name, slice] of [[names.input, 0], [names.output, 1], [names.extraHead, 0]] as const) {
      if (!name) continue;
      const { info, file } = where.get(name)!;
      if (!FLOAT_DTYPES.includes(info.dtype)) throw new Error(`${file.path}: tensor "${name}" has dtype ${info.dtype}; transfer supports ${FLOAT_DTYPES.join(", ")} embeddings`);
      if (info.shape.length !== 2 || info.shape[0] !== config.vocabSize || info.shape[1] !== config.hiddenSize)
        throw new Error(`${file.path}: tensor "${name}" has shape [${info.shape.join(", ")}], config.json implies [${config.vocabSize}, ${config.hiddenSize}]`);
      embeddings.push({ name, info, file, slice });
    }

    const named = namedSpecialIds([{ file: configPath, json: rawConfig }, { file: generationPath, json: generation }], source);
    const alignment = alignSpecialTokens(named, target, { addMissing: options.addMissingSpecialTokens, targetName });
    const map = buildVocabularyMap(source, target);
    pinSpecialTokens(map, alignment.remap);

    // 2–3. New rows from the source rows (the source bytes are released when this returns).
    const inputs = (map: VocabularyMap) => (typeof options.inputs === "function" ? options.inputs({ config, source, target, map }) : (options.inputs ?? {}));
    const init = await initializeFromCheckpoint(config, embeddings.filter((e) => e.name !== names.extraHead), map, async (m) => options.strategies ?? methodStrategies(options.method ?? "fvt", await inputs(m)), progress);
    const vocab = map.targetSize;

    // 4. Write everything into a temp folder beside `out`.
    tmp = tempPathBeside(out);
    disposeSignal = removeOnSignal(tmp);
    await mkdir(tmp, { recursive: true });
    const newBytes = (e: EmbeddingTensor) => vocab * config.hiddenSize * DTYPE_BYTES[e.info.dtype];
    const byName = new Map(embeddings.map((e) => [e.name, e]));
    let total = 0;
    for (const ts of tensorsOf.values()) for (const t of ts) total += byName.has(t.name) ? newBytes(byName.get(t.name)!) : t.end - t.begin;
    let written = 0;
    const onBytes = (n: number) => progress({ phase: "write", done: (written += n), total });
    progress({ phase: "write", done: 0, total });
    for (const [f, ts] of tensorsOf) {
      const streamed: StreamedTensor[] = ts.map((t) => {
        const e = byName.get(t.name);
        if (e) return { name: t.name, dtype: t.dtype, shape: [vocab, config.hiddenSize], chunks: () => encodedSlice(init.embeddings, e.slice, t.dtype, onBytes) };
        return {
          name: t.name,
          dtype: t.dtype,
          shape: t.shape,
          chunks: async function* () {
            for await (const chunk of f.readChunks(t.name)) {
              onBytes(chunk.length);
              yield chunk;
            }
          },
        };
      });
      await writeSafetensorsStreamed(join(tmp, basename(f.path)), streamed, f.header.metadata);
    }
    if (index) {
      const metadata = { ...((index.metadata as JsonObject | undefined) ?? {}), total_size: total };
      await writeFile(join(tmp, "model.safetensors.index.json"), JSON.stringify({ ...index, metadata }, null, 2) + "\n");
    }
    const json = (o: JsonObject) => JSON.stringify(o, null, 2) + "\n";
    await writeFile(join(tmp, "config.json"), json(remapConfig(rawConfig, alignment.remap, { vocab_size: vocab })));
    if (generation) await writeFile(join(tmp, "generation_config.json"), json(remapConfig(generation, alignment.remap)));
    await writeFile(join(tmp, "tokenizer.json"), alignment.added.length === 0 && targetJsonBefore !== null ? targetJsonBefore : target.toString());
    const sourceJson = async (file: string) => ((await exists(join(modelDir, file))) ? readJsonFile(join(modelDir, file)) : null);
    const tokenizerFiles = targetTokenizerConfigFiles(
      { tokenizerConfig: await sourceJson("tokenizer_config.json"), specialTokensMap: await sourceJson("special_tokens_map.json") },
      named,
      target,
      typeof rawConfig.max_position_embeddings === "number" ? rawConfig.max_position_embeddings : undefined,
    );
    await writeFile(join(tmp, "tokenizer_config.json"), json(tokenizerFiles.tokenizerConfig));
    await writeFile(join(tmp, "special_tokens_map.json"), json(tokenizerFiles.specialTokensMap));
    const skipped: string[] = [];
    const shardNames = new Set(files.map((p) => basename(p)));
    for (const entry of await readdir(modelDir, { withFileTypes: true })) {
      const name = entry.name;
      if (REWRITTEN_FILES.has(name) || shardNames.has(name)) continue;
      if (!entry.isFile() || name.startsWith(".") || OLD_TOKENIZER_FILES.has(name) || WEIGHT_FILE.test(name) || TRAINING_FILE.test(name)) {
        skipped.push(entry.isDirectory() ? `${name}/` : name);
        continue;
      }
      await copyFile(join(modelDir, name), join(tmp, name));
    }
    await replaceFolder(tmp, out);
    return {
      out,
      vocabSize: vocab,
      counts: init.counts,
      specialIds: alignment.remap,
      addedSpecialTokens: alignment.added,
      skipped: skipped.sort(),
      rewritten: embeddings.map((e) => e.name),
    };
  } catch (e) {
    if (tmp) await rm(tmp, { recursive: true, force: true });
    throw e;
  } finally {
    disposeSignal();
    await checkpoint.close();
  }
}

/** A model folder's input embeddings as a [V, 1, d] float32 view (a donor for OMP or an auxiliary space), read
 * without loading the rest of the model; `vocab` pads it with zero rows (special tokens appended to the target). */
export async function readInputEmbeddings(dir: string, vocab?: number): Promise<EmbeddingView> {
  const configPath = join(dir, "config.json");
  const config = parseModelConfig(await readJsonFile(configPath), configPath);
  const checkpoint = await openCheckpoint(dir);
  try {
    const name = embeddingTensorNames(config, new Set(checkpoint.where.keys()), dir).input;
    const { file, info } = checkpoint.where.get(name)!;
    const [rows, dim] = info.shape as [number, number];
    if (vocab !== undefined && rows > vocab) throw new Error(`${dir}: the donor has ${rows} embedding rows, the target tokenizer only ${vocab} tokens; the donor must use the target tokenizer`);
    const view = new EmbeddingView(Math.max(rows, vocab ?? 0), 1, dim);
    view.data.set((await file.readFloat32(name)).data);
    return view;
  } finally {
    await checkpoint.close();
  }
}
