// FVT (Gee et al. 2022, "Fast Vocabulary Transfer"): a new token's row is built from the rows of the source pieces
// its bytes split into — their mean, the first piece's row, or a mean weighted by each piece's byte length.
import type { InitStrategy } from "./strategy.js";
import { combineRows } from "./strategy.js";

export type FvtMode = "mean" | "first" | "length-weighted";

export function fvtInit(options: { mode?: FvtMode; pieceBytes?: (sourceId: number) => number } = {}): InitStrategy {
  const mode = options.mode ?? "mean";
  if (mode === "length-weighted" && !options.pieceBytes) throw new Error("fvtInit: length-weighted mode needs pieceBytes");
  return {
    name: mode === "mean" ? "fvt" : `fvt-${mode}`,
    apply(ctx, index) {
      let n = 0;
      ctx.map.pieces.forEach((pieces, t) => {
        if (ctx.filledBy[t]! >= 0 || pieces.length === 0) return;
        let ids: number[] = pieces;
        let weights: number[];
        if (mode === "first") {
          ids = [pieces[0]!];
          weights = [1];
        } else if (mode === "length-weighted") {
          const lens = pieces.map((p) => Math.max(1, options.pieceBytes!(p)));
          const total = lens.reduce((a, b) => a + b, 0);
          weights = lens.map((l) => l / total);
        } else weights = pieces.map(() => 1 / pieces.length);
        combineRows(ctx, t, ids, weights);
        ctx.filledBy[t] = index;
        n++;
      });
      return n;
    },
  };
}
