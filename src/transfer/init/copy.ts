// Copy: a target token that exists in the source vocabulary (same bytes) keeps its source row.
import type { InitStrategy } from "./strategy.js";

export function copyInit(): InitStrategy {
  return {
    name: "copy",
    apply(ctx, index) {
      let n = 0;
      ctx.map.shared.forEach((s, t) => {
        if (s < 0 || ctx.filledBy[t]! >= 0 || s >= ctx.source.vocab) return;
        ctx.target.row(t).set(ctx.source.row(s));
        ctx.filledBy[t] = index;
        n++;
      });
      return n;
    },
  };
}
