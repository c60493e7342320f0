// A small residual hypernetwork and random source rows for the hypernetwork tests (width 16: steps stay fast).
import { EmbeddingView } from "../../src/transfer/embedding-view.js";

/** Random source embeddings (V rows of width d), drawn from `normal` in row order. */
export function randomSourceView(V: number, d: number, normal: () => number): EmbeddingView {
  return new EmbeddingView(V, 1, d, Float32Array.from({ length: V * d }, () => normal() * 0.3));
}

/** A one-layer residual hypernetwork config over rows of width d. */
export function smallHypernetConfig(d: number) {
  return { kind: "residual-hypernet" as const, slices: 1 as const, dim: d, hidden: 16, layers: 1, heads: 2, intermediate: 32, maxPieces: 7, base: "mean" as const };
}
