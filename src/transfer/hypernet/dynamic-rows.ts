// Embedding rows for dynamically merged tokens (decode/dynamic): the residual hypernetwork predicts a token's row from
// the source rows of the pieces the model's own tokenizer splits its bytes into — the split it was trained on (the
// model alone, no pre-tokenizer: vocabulary-map.ts) — so a row depends on the token's bytes only, and rows are kept
// in an LRU cache keyed by those bytes (the anchor's hypernet_cache.py keeps frequent tokens the same way).
import type { EmbeddingView } from "../embedding-view.js";
import { spellForModel, tokenizeBytePieces, type TransferTokenizer } from "../vocabulary-map.js";
import { tokenSpelling, type TokenSpelling } from "../../tokenize/byte-vocabulary.js";
import { predictRows, type ResidualHypernet } from "./residual.js";
import type { MergedTokenRows } from "../../decode/dynamic/score.js";

export interface HypernetRowsOptions {
  /** Rows kept (least recently used evicted first); 0 turns the cache off. Default 8192. */
  cacheSize?: number;
  /** Tokens per hypernetwork call (one compiled shape). Default 64. */
  batch?: number;
}

export class HypernetTokenRows implements MergedTokenRows {
  readonly slices: 1 | 2;
  /** Rows served from the cache and rows predicted, since construction. */
  hits = 0;
  misses = 0;
  private readonly cache = new Map<string, Float32Array>();
  private readonly spelling: TokenSpelling;
  private readonly cacheSize: number;
  private readonly batch: number;

  constructor(
    private readonly net: ResidualHypernet,
    private readonly source: EmbeddingView,
    private readonly tokenizer: TransferTokenizer,
    options: HypernetRowsOptions = {},
  ) {
    if (source.slices !== net.config.slices || source.dim !== net.config.dim)
      throw new Error(`hypernet: trained for ${net.config.slices}×${net.config.dim} embeddings, the model has ${source.slices}×${source.dim}`);
    this.slices = source.slices;
    this.spelling = tokenSpelling(tokenizer.toJSON());
    this.cacheSize = options.cacheSize ?? 8192;
    this.batch = options.batch ?? 64;
    if (!(Number.isInteger(this.cacheSize) && this.cacheSize >= 0)) throw new Error(`hypernet rows: cacheSize must be a non-negative integer, got ${options.cacheSize}`);
    if (!(Number.isInteger(this.batch) && this.batch >= 1)) throw new Error(`hypernet rows: batch must be a positive integer, got ${options.batch}`);
  }

  /** The source pieces the hypernetwork reads for a token's bytes. */
  pieces(bytes: Uint8Array): number[] {
    return tokenizeBytePieces(this.tokenizer.model, spellForModel(bytes, this.spelling, false));
  }

  async rows(tokens: readonly Uint8Array[]): Promise<Float32Array> {
    const w = this.source.rowWidth;
    const out = new Float32Array(tokens.length * w);
    const missing = new Map<string, number[]>();
    tokens.forEach((bytes, i) => {
      if (bytes.length === 0) throw new Error(`hypernet rows: token ${i + 1} has no bytes`);
      const key = String.fromCharCode(...bytes);
      const row = this.cache.get(key);
      if (row) {
        // Most recently used last: Map keeps insertion order, so the first key is the eviction candidate.
        this.cache.delete(key);
        this.cache.set(key, row);
        out.set(row, i * w);
        this.hits++;
      } else {
        const at = missing.get(key);
        if (at) at.push(i);
        else missing.set(key, [i]);
      }
    });
    if (missing.size === 0) return out;
    const keys = [...missing.keys()];
    const predicted = await predictRows(this.net, this.source, keys.map((k) => this.pieces(tokens[missing.get(k)![0]!]!)), this.batch);
    this.misses += keys.length;
    keys.forEach((key, u) => {
      const row = predicted.slice(u * w, (u + 1) * w);
      for (const i of missing.get(key)!) out.set(row, i * w);
      if (this.cacheSize === 0) return;
      this.cache.set(key, row);
      if (this.cache.size > this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
    });
    return out;
  }
}
