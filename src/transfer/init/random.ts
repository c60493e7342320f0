// Random: rows drawn from a normal distribution with the source's per-dimension mean and variance (the baseline
// that the ZeTT paper compares against; also the fallback for tokens nothing else can place).
import type { InitStrategy } from "./strategy.js";
import { gaussian, mulberry32 } from "../../util/random.js";

export function randomInit(options: { seed?: number } = {}): InitStrategy {
  return {
    name: "random",
    apply(ctx, index) {
      // The statistics read every source row: skip them when nothing is left to fill.
      if (ctx.filledBy.every((b) => b >= 0)) return 0;
      const { mean, variance } = ctx.source.rowStatistics();
      const gauss = gaussian(mulberry32(options.seed ?? 0));
      let n = 0;
      for (let t = 0; t < ctx.map.targetSize; t++) {
        if (ctx.filledBy[t]! >= 0) continue;
        const r = ctx.target.row(t);
        for (let j = 0; j < r.length; j++) r[j] = mean[j]! + Math.sqrt(variance[j]!) * gauss();
        ctx.filledBy[t] = index;
        n++;
      }
      return n;
    },
  };
}
