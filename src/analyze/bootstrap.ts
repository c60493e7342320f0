// Bootstrap intervals for reports (transfer tables, compare pages). Apart from charts.ts so that a caller that only
// needs the numbers does not load the plotting library.
import { mulberry32 } from "../util/random.js";

/** 95% percentile-bootstrap interval of a statistic over resampled items (seeded: a report is reproducible). */
export function bootstrapInterval<T>(items: T[], statistic: (sample: T[]) => number, resamples = 1000, seed = 1): { lo: number; hi: number } | null {
  if (items.length < 2) return null;
  const next = mulberry32(seed);
  const stats: number[] = [];
  const sample: T[] = new Array(items.length);
  for (let b = 0; b < resamples; b++) {
    for (let i = 0; i < items.length; i++) sample[i] = items[Math.floor(next() * items.length)]!;
    const s = statistic(sample);
    if (Number.isFinite(s)) stats.push(s);
  }
  if (stats.length < 2) return null;
  stats.sort((a, b) => a - b);
  const at = (q: number) => stats[Math.min(stats.length - 1, Math.max(0, Math.round(q * (stats.length - 1))))]!;
  return { lo: at(0.025), hi: at(0.975) };
}
