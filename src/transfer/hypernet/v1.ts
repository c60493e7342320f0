// The ZeTT v1 hypernetwork forward (Minixhofer et al., 2024), reading published checkpoints in the PyTorch port's
// layout (config.json with hn_* keys, model.safetensors with the port's tensor names). Each target token's source
// pieces (≤ hn_surface_maxlen, padded with pad_token_id) are embedded from the source model's rows (input ‖ output
// for untied models) through a frozen affine in_scaler, a projection, a post-LN RoBERTa encoder with learned
// positions; position 0 feeds one head per embedding (or one head for both: hn_single_head), and frozen scalers map
// the predictions to the statistics of the true embeddings. Browser-safe: files are given as JSON and bytes.
import { np, nn, fromFloat32, jit, toFloat32, tree, type Tensor } from "../../tensor/backend.js";
import { parseSafetensors } from "../../tensor/safetensors.js";
import { layerNorm, linear, type Params } from "../../lm/model.js";
import type { JsonObject } from "../../tokenize/types.js";
import { EmbeddingView, type EmbeddingRows } from "../embedding-view.js";
import type { VocabularyMap } from "../vocabulary-map.js";

export interface ZettV1Config {
  /** Source embedding width d (the model's hidden size). */
  dim: number;
  /** Untied models: rows are input ‖ output (2d) and a second embedding is predicted. */
  separate: boolean;
  maxPieces: number;
  layers: number;
  hidden: number;
  intermediate: number;
  heads: number;
  singleHead: boolean;
  rescale: boolean;
  padId: number;
  /** Ids at or past this read fallback_embeddings (extra tokens the hypernetwork learned). */
  originalVocabSize: number | null;
  extraTokens: number;
}

export interface ZettV1Hypernet {
  config: ZettV1Config;
  /** Weights by the port's names, float32 with their shapes. */
  weights: Map<string, { shape: number[]; data: Float32Array }>;
}

// RoBERTa (roberta-base, which the port's config names) uses LayerNorm eps 1e-5; the ProjectorBlock's LayerNorm 1e-6.
const ENCODER_EPS = 1e-5;
const PROJECTOR_EPS = 1e-6;
const REQUIRED = ["hn_surface_maxlen", "hn_n_layers", "hn_hidden_size", "hn_intermediate_size", "n_embd", "pad_token_id"];

/** Whether a config.json is a ZeTT checkpoint's (the port's configs carry hn_* keys; retoken's residual ones do not). */
export function isZettV1Config(json: JsonObject): boolean {
  return Object.keys(json).some((k) => k.startsWith("hn_"));
}

/** Validates a ZeTT hypernetwork config.json (the PyTorch port's ZettHypernetConfig). */
export function parseZettV1Config(json: JsonObject, where = "config.json"): ZettV1Config {
  const missing = REQUIRED.filter((k) => json[k] === undefined || json[k] === null);
  if (missing.length) throw new Error(`${where}: not a ZeTT hypernetwork config — missing ${missing.map((k) => `"${k}"`).join(", ")}`);
  const int = (k: string, min = 1): number => {
    const v = json[k];
    if (typeof v !== "number" || !Number.isInteger(v) || v < min) throw new Error(`${where}: "${k}" must be an integer ≥ ${min}, got ${JSON.stringify(v)}`);
    return v;
  };
  const flag = (k: string, dflt: boolean): boolean => {
    const v = json[k];
    if (v === undefined || v === null) return dflt;
    if (typeof v !== "boolean") throw new Error(`${where}: "${k}" must be true or false, got ${JSON.stringify(v)}`);
    return v;
  };
  const unsupported: [string, boolean][] = [
    ["hn_embed_using_source_embeddings", !flag("hn_embed_using_source_embeddings", true)],
    ["hn_add_inter_token_attention", flag("hn_add_inter_token_attention", false)],
    ["hn_embed_target_priors", flag("hn_embed_target_priors", false)],
    ["hn_concat_last_hidden_state", flag("hn_concat_last_hidden_state", false)],
    ["hn_embed_lang_id", flag("hn_embed_lang_id", false)],
  ];
  for (const [k, bad] of unsupported) if (bad) throw new Error(`${where}: "${k}": ${JSON.stringify(json[k])} is not supported (the published PyTorch port does not implement it either)`);
  const type = json.hn_model_type ?? "roberta";
  if (type !== "roberta") throw new Error(`${where}: "hn_model_type" ${JSON.stringify(type)} is not supported (only "roberta")`);
  const hidden = int("hn_hidden_size");
  // The port's default: one attention head per 64 hidden units.
  const heads = json.hn_num_attention_heads === undefined || json.hn_num_attention_heads === null ? Math.floor(hidden / 64) : int("hn_num_attention_heads");
  if (heads < 1 || hidden % heads) throw new Error(`${where}: hn_hidden_size ${hidden} is not divisible into ${heads} attention heads (set "hn_num_attention_heads")`);
  const original = json.original_vocab_size === undefined || json.original_vocab_size === null ? null : int("original_vocab_size");
  return {
    dim: int("n_embd"),
    separate: flag("separate_out_embeddings", false),
    maxPieces: int("hn_surface_maxlen"),
    layers: int("hn_n_layers"),
    hidden,
    intermediate: int("hn_intermediate_size"),
    heads,
    singleHead: flag("hn_single_head", false),
    rescale: flag("hn_rescale_embeddings", false),
    padId: int("pad_token_id", 0),
    originalVocabSize: original,
    extraTokens: json.hn_n_extra_tokens === undefined || json.hn_n_extra_tokens === null ? 0 : int("hn_n_extra_tokens", 0),
  };
}

/** The tensors the forward reads, with their shapes ("positions" rows are only checked to be ≥ maxPieces). */
export function zettV1Shapes(c: ZettV1Config): Map<string, number[]> {
  const nIn = c.separate ? 2 * c.dim : c.dim;
  const H = c.hidden;
  const I = c.intermediate;
  const m = new Map<string, number[]>();
  const lin = (name: string, o: number, i: number) => m.set(`${name}.weight`, [o, i]).set(`${name}.bias`, [o]);
  const ln = (name: string, n: number) => m.set(`${name}.weight`, [n]).set(`${name}.bias`, [n]);
  const projector = (name: string) => {
    lin(`${name}.dense1`, I, H);
    lin(`${name}.dense2`, H, I);
    ln(`${name}.ln`, H);
  };
  m.set("fallback_embeddings.weight", [Math.max(c.extraTokens, 1), nIn]);
  lin("input_projection.0", H, nIn);
  projector("input_projection.1");
  m.set("model.embeddings.position_embeddings.weight", [-1, H]);
  m.set("model.embeddings.token_type_embeddings.weight", [-1, H]);
  ln("model.embeddings.LayerNorm", H);
  for (let l = 0; l < c.layers; l++) {
    const p = `model.encoder.layer.${l}`;
    for (const n of ["query", "key", "value"]) lin(`${p}.attention.self.${n}`, H, H);
    lin(`${p}.attention.output.dense`, H, H);
    ln(`${p}.attention.output.LayerNorm`, H);
    lin(`${p}.intermediate.dense`, I, H);
    lin(`${p}.output.dense`, H, I);
    ln(`${p}.output.LayerNorm`, H);
  }
  projector("output_projection.0");
  lin("output_projection.1", c.singleHead ? nIn : c.dim, H);
  if (c.separate && !c.singleHead) {
    projector("output_projection_out.0");
    lin("output_projection_out.1", c.dim, H);
  }
  if (c.rescale) {
    m.set("in_scaler.w", [1, nIn]).set("in_scaler.b", [1, nIn]).set("scaler.w", [1, c.dim]).set("scaler.b", [1, c.dim]);
    if (c.separate) m.set("out_scaler.w", [1, c.dim]).set("out_scaler.b", [1, c.dim]);
  }
  return m;
}

/** A checkpoint from its config.json (parsed) and model.safetensors (bytes); every tensor the forward reads is checked. */
export function loadZettV1(configJson: JsonObject, safetensors: Uint8Array, where = "hypernetwork"): ZettV1Hypernet {
  const config = parseZettV1Config(configJson, `${where}/config.json`);
  const file = `${where}/model.safetensors`;
  const st = parseSafetensors(safetensors, file);
  const infos = new Map(st.header.tensors.map((t) => [t.name, t]));
  const shapes = zettV1Shapes(config);
  const missing = [...shapes.keys()].filter((n) => !infos.has(n));
  if (missing.length)
    throw new Error(`${file}: missing ${missing.length} tensor${missing.length === 1 ? "" : "s"} of a ZeTT v1 hypernetwork with this config: ${missing.slice(0, 8).join(", ")}${missing.length > 8 ? ", …" : ""}`);
  const weights = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, want] of shapes) {
    const got = infos.get(name)!.shape;
    const ok = got.length === want.length && want.every((w, i) => w === -1 || w === got[i]);
    if (!ok) throw new Error(`${file}: "${name}" has shape [${got.join(", ")}], the config needs [${want.map((w) => (w === -1 ? "*" : w)).join(", ")}]`);
    weights.set(name, { shape: got, data: st.read(name) });
  }
  const positions = weights.get("model.embeddings.position_embeddings.weight")!.shape[0]!;
  if (positions < config.maxPieces) throw new Error(`${file}: ${positions} position embeddings, hn_surface_maxlen needs ${config.maxPieces}`);
  return { config, weights };
}

/** Target tokens as rows of source ids, truncated to maxPieces and padded with the pad id (ZeTT's surface forms). */
export function surfaceForms(config: ZettV1Config, pieces: ArrayLike<number>[]): { ids: Int32Array; truncated: number } {
  const L = config.maxPieces;
  const ids = new Int32Array(pieces.length * L).fill(config.padId);
  let truncated = 0;
  pieces.forEach((p, t) => {
    if (p.length > L) truncated++;
    for (let j = 0; j < Math.min(L, p.length); j++) ids[t * L + j] = p[j]!;
  });
  return { ids, truncated };
}

/** The encoder and heads on input rows [N, L, n_in] with key mask [N, L] (traceable; borrows p, consumes the inputs). */
function encode(c: ZettV1Config, p: Params, rows: Tensor, keep: Tensor): Tensor[] {
  const [N, L] = rows.shape as [number, number, number];
  const H = c.hidden;
  const hd = H / c.heads;
  const w = (name: string) => p[name]!.ref;
  const projector = (x: Tensor, name: string) => {
    const h = nn.gelu(linear(nn.gelu(linear(x.ref, p, `${name}.dense1`, true)), p, `${name}.dense2`, true));
    return layerNorm(h.add(x), w(`${name}.ln.weight`), w(`${name}.ln.bias`), PROJECTOR_EPS);
  };
  let x = projector(linear(rows, p, "input_projection.0", true), "input_projection.1");
  x = x.add(w("model.embeddings.position_embeddings.weight").slice([0, L])).add(w("model.embeddings.token_type_embeddings.weight").slice(0));
  x = layerNorm(x, w("model.embeddings.LayerNorm.weight"), w("model.embeddings.LayerNorm.bias"), ENCODER_EPS);
  // Masked keys get the most negative float32, as HF's extended attention mask does.
  const keyBias = keep.sub(1).mul(3.4028234663852886e38).reshape([N, 1, 1, L]);
  for (let l = 0; l < c.layers; l++) {
    const pre = `model.encoder.layer.${l}`;
    const heads = (t: Tensor) => t.reshape([N, L, c.heads, hd]).transpose([0, 2, 1, 3]);
    const q = heads(linear(x.ref, p, `${pre}.attention.self.query`, true));
    const k = heads(linear(x.ref, p, `${pre}.attention.self.key`, true));
    const v = heads(linear(x.ref, p, `${pre}.attention.self.value`, true));
    const scores = np.matmul(q, k.transpose([0, 1, 3, 2])).mul(1 / Math.sqrt(hd)).add(keyBias.ref);
    const ctx = np.matmul(nn.softmax(scores, -1), v).transpose([0, 2, 1, 3]).reshape([N, L, H]);
    x = layerNorm(linear(ctx, p, `${pre}.attention.output.dense`, true).add(x), w(`${pre}.attention.output.LayerNorm.weight`), w(`${pre}.attention.output.LayerNorm.bias`), ENCODER_EPS);
    const f = linear(nn.gelu(linear(x.ref, p, `${pre}.intermediate.dense`, true), { approximate: false }), p, `${pre}.output.dense`, true);
    x = layerNorm(f.add(x), w(`${pre}.output.LayerNorm.weight`), w(`${pre}.output.LayerNorm.bias`), ENCODER_EPS);
  }
  keyBias.dispose();
  const h0 = x.slice([], 0);
  const head = (name: string, x0: Tensor) => linear(projector(x0, `${name}.0`), p, `${name}.1`, true);
  const scale = (t: Tensor, name: string) => (c.rescale ? t.mul(w(`${name}.w`)).add(w(`${name}.b`)) : t);
  if (c.singleHead) {
    const out = head("output_projection", h0);
    if (!c.separate) return [scale(out, "scaler")];
    const [a, b] = np.split(out, 2, -1);
    return [scale(a!, "scaler"), scale(b!, "out_scaler")];
  }
  if (!c.separate) return [scale(head("output_projection", h0), "scaler")];
  return [scale(head("output_projection", h0.ref), "scaler"), scale(head("output_projection_out", h0), "out_scaler")];
}

type Encode = (p: Params, rows: Tensor, keep: Tensor) => Tensor[];
const compiled = new WeakMap<ZettV1Config, Encode>();

/**
 * Predicted rows ([N, S·d], input ‖ output for untied models) for surface forms [N, L] of source ids, in compiled
 * batches of `batch` tokens. `source` holds the source model's rows; its vocabulary must cover original_vocab_size.
 */
export async function zettV1Predict(net: ZettV1Hypernet, source: EmbeddingRows, ids: Int32Array, batch = 256): Promise<Float32Array> {
  const c = net.config;
  const nIn = c.separate ? 2 * c.dim : c.dim;
  if (source.rowWidth !== nIn || source.dim !== c.dim)
    throw new Error(`ZeTT hypernetwork: expects ${c.separate ? "untied" : "tied"} ${c.dim}-wide embeddings (rows of ${nIn}), the model has ${source.slices === 2 ? "untied" : "tied"} ${source.dim}-wide ones`);
  const orig = c.originalVocabSize ?? source.vocab;
  if (orig > source.vocab) throw new Error(`ZeTT hypernetwork: original_vocab_size ${orig} exceeds the model's ${source.vocab} embedding rows`);
  const L = c.maxPieces;
  const N = ids.length / L;
  let f = compiled.get(c);
  if (!f) {
    f = jit((p: Params, rows: Tensor, keep: Tensor) => {
      const out = encode(c, p, rows, keep);
      tree.dispose(p);
      return out;
    }) as unknown as Encode;
    compiled.set(c, f);
  }
  const inScale = c.rescale ? net.weights.get("in_scaler.w")!.data : null;
  const inShift = c.rescale ? net.weights.get("in_scaler.b")!.data : null;
  const fallback = net.weights.get("fallback_embeddings.weight")!.data;
  const params: Params = {};
  for (const [name, t] of net.weights) params[name] = fromFloat32(t.data, t.shape);
  const outWidth = c.separate ? 2 * c.dim : c.dim;
  const out = new Float32Array(N * outWidth);
  try {
    for (let start = 0; start < N; start += batch) {
      const n = Math.min(batch, N - start);
      const rows = new Float32Array(batch * L * nIn);
      const keep = new Float32Array(batch * L);
      for (let i = 0; i < batch * L; i++) {
        // Padding rows of the last batch repeat the pad id: they are computed and dropped.
        const id = i < n * L ? ids[start * L + i]! : c.padId;
        keep[i] = id === c.padId ? 0 : 1;
        const dst = rows.subarray(i * nIn, (i + 1) * nIn);
        if (id >= orig) {
          const e = id - orig;
          if (e >= Math.max(c.extraTokens, 1)) throw new Error(`ZeTT hypernetwork: piece id ${id} is past the source vocabulary (${orig}) and the ${c.extraTokens} extra tokens`);
          dst.set(fallback.subarray(e * nIn, (e + 1) * nIn));
        } else if (id < 0) throw new Error(`ZeTT hypernetwork: negative piece id ${id}`);
        else {
          dst.set(source.row(id));
          if (inScale) for (let j = 0; j < nIn; j++) dst[j] = inScale[j]! * dst[j]! + inShift![j]!;
        }
      }
      const preds = f(tree.ref(params), fromFloat32(rows, [batch, L, nIn]), fromFloat32(keep, [batch, L]));
      const parts: Float32Array[] = [];
      for (const t of preds) parts.push(await toFloat32(t));
      for (let r = 0; r < n; r++) parts.forEach((part, s) => out.set(part.subarray(r * c.dim, (r + 1) * c.dim), (start + r) * outWidth + s * c.dim));
    }
  } finally {
    tree.dispose(params);
  }
  return out;
}

/**
 * The target view [V_target, S, d] predicted by a ZeTT v1 checkpoint from the vocabulary map's piece lists. Special
 * tokens that exist in the source keep their source rows (as ZeTT's transfer does); other tokens without pieces get
 * zero rows, for the caller's fallback strategies.
 */
export async function zettV1PredictEmbeddings(net: ZettV1Hypernet, source: EmbeddingRows, map: VocabularyMap): Promise<{ view: EmbeddingView; truncated: number }> {
  const { ids, truncated } = surfaceForms(net.config, map.pieces);
  const rows = await zettV1Predict(net, source, ids);
  const view = new EmbeddingView(map.targetSize, source.slices, source.dim, rows);
  for (let t = 0; t < map.targetSize; t++) {
    const s = map.shared[t]!;
    if (map.specials.has(t) && s >= 0) view.row(t).set(source.row(s));
    else if (map.pieces[t]!.length === 0) view.row(t).fill(0);
  }
  return { view, truncated };
}
