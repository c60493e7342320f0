// Initialisers are interchangeable strategies over one [V, S, d] view (as langsfer composes overlap, similarity
// and weights): each fills the target rows it knows how to fill and leaves the rest to the next one.

import { EmbeddingView, type EmbeddingRows } from "../embedding-view.js";
import type { VocabularyMap } from "../vocabulary-map.js";

export interface InitContext {
  /** Source rows; a returned row is valid until the next source.row() call. */
  source: EmbeddingRows;
  map: VocabularyMap;
  target: EmbeddingView;
  /** Which strategy filled each target row (index into the strategy list), −1 while unfilled. */
  filledBy: Int16Array;
}

export interface InitStrategy {
  readonly name: string;
  /** Fills unfilled rows of ctx.target; returns how many it filled. */
  apply(ctx: InitContext, index: number): number;
}

export interface InitResult {
  embeddings: EmbeddingView;
  /** Rows filled per strategy name (and "unfilled"). */
  counts: Record<string, number>;
  filledBy: Int16Array;
}

/** Runs the strategies in order; a row belongs to the first strategy that fills it. */
export function initializeEmbeddings(source: EmbeddingRows, map: VocabularyMap, strategies: InitStrategy[]): InitResult {
  const target = new EmbeddingView(map.targetSize, source.slices, source.dim);
  const filledBy = new Int16Array(map.targetSize).fill(-1);
  const ctx: InitContext = { source, map, target, filledBy };
  const counts: Record<string, number> = {};
  strategies.forEach((s, i) => (counts[s.name] = (counts[s.name] ?? 0) + s.apply(ctx, i)));
  counts.unfilled = filledBy.reduce((n, b) => n + (b < 0 ? 1 : 0), 0);
  return { embeddings: target, counts, filledBy };
}

/** target row := Σ_j w_j · source row ids[j] (all slices). */
export function combineRows(ctx: InitContext, targetId: number, ids: ArrayLike<number>, weights: ArrayLike<number>): void {
  const out = ctx.target.row(targetId);
  out.fill(0);
  for (let j = 0; j < ids.length; j++) {
    const w = weights[j]!;
    if (w === 0) continue;
    const r = ctx.source.row(ids[j]!);
    for (let x = 0; x < out.length; x++) out[x]! += w * r[x]!;
  }
}

/** Target ids that exist in the source vocabulary, with their source ids: the anchors of similarity methods. */
export function anchors(map: VocabularyMap): { target: number[]; source: number[] } {
  const target: number[] = [];
  const source: number[] = [];
  map.shared.forEach((s, t) => {
    if (s >= 0 && !map.specials.has(t)) {
      target.push(t);
      source.push(s);
    }
  });
  return { target, source };
}
