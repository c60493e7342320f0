// Hypernetwork folders (Node): config.json (the residual network's shape, what it was trained on) and
// model.safetensors (trainable weights plus the frozen rescalers under "rescale.*"); and the one call that transfer
// and transfer-eval make: predict a target tokenizer's embeddings for a model.
// First: jax-js decides between shared and private wasm memory when it loads, its kernels when they compile.
import "../../tensor/install-node-shims.js";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { encodeFromNumbers, type TensorToWrite } from "../../tensor/safetensors.js";
import { openSafetensors, writeSafetensors } from "../../node/safetensors.js";
import { readJsonFile, replaceFolder, tempPathBeside } from "../../node/files.js";
import type { ModelConfig } from "../../lm/config.js";
import type { Params } from "../../lm/model.js";
import { EmbeddingView } from "../embedding-view.js";
import { buildVocabularyMap, type TransferTokenizer } from "../vocabulary-map.js";
import { mapSpecialIds, modelEmbeddings, withEmbeddings, type EvalTokenizer } from "../evaluate.js";
import { transferEmbeddings } from "../methods.js";
import { pinSpecialTokens } from "../special-tokens.js";
import { isZettV1Config, loadZettV1, zettV1PredictEmbeddings } from "./v1.js";
export { HypernetTokenRows, type HypernetRowsOptions } from "./dynamic-rows.js";
import { checkHypernetConfig, hypernetShapes, predictEmbeddings, type ResidualHypernet, type ResidualHypernetConfig } from "./residual.js";

const RESCALERS = { "rescale.in_shift": "inShift", "rescale.in_scale": "inScale", "rescale.out_scale": "outScale" } as const;

/** The hypernetwork shipped with retoken, trained for the bundled default model (assets/hypernet/). */
export const DEFAULT_HYPERNET_DIR = fileURLToPath(new URL("../../../assets/hypernet/", import.meta.url));

export async function saveHypernet(dir: string, net: ResidualHypernet, meta: Record<string, unknown> = {}): Promise<void> {
  const tmp = tempPathBeside(dir);
  await mkdir(tmp, { recursive: true });
  try {
    const tensors: TensorToWrite[] = Object.keys(net.arrays)
      .sort()
      .map((name) => ({ name, dtype: "F32" as const, shape: net.shapes[name]!, data: encodeFromNumbers(net.arrays[name]!, "F32") }));
    for (const [name, key] of Object.entries(RESCALERS)) tensors.push({ name, dtype: "F32", shape: [net.rescalers[key].length], data: encodeFromNumbers(net.rescalers[key], "F32") });
    await writeSafetensors(join(tmp, "model.safetensors"), tensors, { format: "retoken-hypernet" });
    await writeFile(join(tmp, "config.json"), JSON.stringify({ ...net.config, ...meta }, null, 2) + "\n");
    await replaceFolder(tmp, dir);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}

export async function loadHypernet(dir: string): Promise<ResidualHypernet> {
  const raw = (await readJsonFile(join(dir, "config.json"))) as unknown as ResidualHypernetConfig;
  if (raw.kind !== "residual-hypernet") throw new Error(`${join(dir, "config.json")}: not a residual hypernetwork (kind ${JSON.stringify(raw.kind)}); ZeTT v1 checkpoints (hn_* keys) load with loadZettV1`);
  const config: ResidualHypernetConfig = { kind: raw.kind, slices: raw.slices, dim: raw.dim, hidden: raw.hidden, layers: raw.layers, heads: raw.heads, intermediate: raw.intermediate, maxPieces: raw.maxPieces, base: raw.base };
  checkHypernetConfig(config, join(dir, "config.json"));
  const shapes = hypernetShapes(config);
  const file = join(dir, "model.safetensors");
  const f = await openSafetensors(file);
  try {
    const arrays: Record<string, Float32Array> = {};
    const have = new Set(f.header.tensors.map((t) => t.name));
    for (const [name, shape] of Object.entries(shapes)) {
      if (!have.has(name)) throw new Error(`${file}: missing tensor "${name}"`);
      const { info, data } = await f.readFloat32(name);
      if (info.shape.join() !== shape.join()) throw new Error(`${file}: "${name}" has shape [${info.shape.join(", ")}], the config needs [${shape.join(", ")}]`);
      arrays[name] = data;
    }
    const w = config.slices * config.dim;
    const rescalers: Record<"inShift" | "inScale" | "outScale", Float32Array> = { inShift: new Float32Array(), inScale: new Float32Array(), outScale: new Float32Array() };
    for (const [name, key] of Object.entries(RESCALERS)) {
      if (!have.has(name)) throw new Error(`${file}: missing tensor "${name}"`);
      const { data } = await f.readFloat32(name);
      if (data.length !== w) throw new Error(`${file}: "${name}" has ${data.length} values, the config needs ${w}`);
      rescalers[key] = data;
    }
    return { config, arrays, shapes, rescalers };
  } finally {
    await f.close();
  }
}

/**
 * The target tokenizer's embeddings [V_target, S, d] predicted by the hypernetwork in `hypernetDir` for `model`
 * (special tokens are pinned to their source rows by the caller's method strategy).
 */
export async function predictEmbeddingsWithHypernet(args: {
  model: { config: ModelConfig; params: Params };
  sourceTokenizer: TransferTokenizer;
  targetTokenizer: TransferTokenizer;
  hypernetDir: string;
}): Promise<EmbeddingView> {
  const json = await readJsonFile(join(args.hypernetDir, "config.json"));
  if (isZettV1Config(json)) {
    // A published ZeTT checkpoint (PyTorch-port layout); it also keeps special tokens' source rows itself.
    const weightsPath = join(args.hypernetDir, "model.safetensors");
    const bytes = await readFile(weightsPath).catch((e: Error) => {
      throw new Error(`${weightsPath}: cannot read the hypernetwork weights (${e.message})`);
    });
    const net = loadZettV1(json, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), args.hypernetDir);
    const map = buildVocabularyMap(args.sourceTokenizer, args.targetTokenizer);
    return (await zettV1PredictEmbeddings(net, await modelEmbeddings(args.model), map)).view;
  }
  const net = await loadHypernet(args.hypernetDir);
  const source = await modelEmbeddings(args.model);
  const map = buildVocabularyMap(args.sourceTokenizer, args.targetTokenizer);
  return predictEmbeddings(net, source, map.pieces);
}

/**
 * The model speaking `targetTokenizer` with hypernetwork embeddings (special tokens keep their source rows), in
 * memory: the static transfer that dynamic tokenization is compared with.
 */
export async function staticHypernetTransfer(model: { config: ModelConfig; params: Params }, sourceTokenizer: EvalTokenizer, targetTokenizer: EvalTokenizer, hypernetDir: string): Promise<{ config: ModelConfig; params: Params }> {
  const specials = mapSpecialIds(model.config, sourceTokenizer, targetTokenizer, "target tokenizer");
  const map = buildVocabularyMap(sourceTokenizer, targetTokenizer);
  pinSpecialTokens(map, specials.remap);
  const predicted = await predictEmbeddingsWithHypernet({ model, sourceTokenizer, targetTokenizer, hypernetDir });
  return withEmbeddings(model, transferEmbeddings(await modelEmbeddings(model), map, "hypernet", { predicted }).embeddings, specials);
}
