// Charts for reports and the playground, drawn as SVG by Observable Plot from one serialisable spec. The same function
// runs in a browser (window.document) and in Node (a linkedom document), so a report carries finished <svg> elements
// that open without script and save as vector figures.
import * as Plot from "@observablehq/plot";

/** One bar or dot: `label` is the category, `series` the group (tokenizer, method) when a chart compares several. */
export interface ChartRow {
  label: string;
  series?: string;
  value: number;
  /** A 95% interval (bootstrap) around a mean; drawn as a line through the mark. */
  lo?: number;
  hi?: number;
  /** The value label written beside the mark (default: the value with `digits` decimals). */
  text?: string;
}

export interface ChartSpec {
  id: string;
  title: string;
  /** What the axis measures, with its unit. */
  axis: string;
  /** Bars from zero (counts, ratios of lengths) or dots on an axis that starts where the data does (bits per byte). */
  mark: "bar" | "dot";
  rows: ChartRow[];
  /** Category order: by value, largest first ("descending") or smallest first ("ascending"). */
  sort: "ascending" | "descending";
  digits?: number;
  /** A sentence under the chart: what was measured on which text. */
  caption?: string;
  /** A logarithmic value axis (counts spanning orders of magnitude). */
  log?: boolean;
}

const PALETTE = ["#4269d0", "#efb118", "#ff725c", "#6cc5b0", "#3ca951", "#ff8ab7", "#a463f2", "#97bbf5", "#9c6b4e", "#9498a0"];

/** Categories ordered by their mean value over series (one sort for bars and dots, so the eye reads a ranking). */
export function sortedLabels(rows: ChartRow[], order: ChartSpec["sort"]): string[] {
  const sums = new Map<string, { s: number; n: number }>();
  for (const r of rows) {
    if (!Number.isFinite(r.value)) continue;
    const e = sums.get(r.label) ?? { s: 0, n: 0 };
    e.s += r.value;
    e.n++;
    sums.set(r.label, e);
  }
  const labels = [...new Set(rows.map((r) => r.label))];
  const mean = (l: string) => {
    const e = sums.get(l);
    return e && e.n ? e.s / e.n : -Infinity;
  };
  return labels.sort((a, b) => (order === "ascending" ? mean(a) - mean(b) : mean(b) - mean(a)));
}

/** The value axis of a dot chart: from just below the smallest value (or interval end) to just above the largest. */
export function dataDomain(rows: ChartRow[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const r of rows) {
    for (const v of [r.value, r.lo, r.hi]) {
      if (v === undefined || !Number.isFinite(v)) continue;
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  }
  if (!Number.isFinite(lo)) return [0, 1];
  const pad = (hi - lo || Math.abs(hi) || 1) * 0.08;
  return [lo - pad, hi + pad * 2.5];
}

/** Draws the chart as one <svg> in `document`; series are named on the right axis (no separate legend to lose). */
export function renderChart(spec: ChartSpec, document: Document): SVGSVGElement {
  const rows = spec.rows.filter((r) => Number.isFinite(r.value));
  const series = [...new Set(rows.map((r) => r.series ?? ""))];
  const grouped = series.length > 1;
  const labels = sortedLabels(rows, spec.sort);
  const digits = spec.digits ?? 3;
  const text = (r: ChartRow) => r.text ?? r.value.toFixed(digits);
  const longest = Math.max(4, ...labels.map((l) => l.length));
  const longestSeries = grouped ? Math.max(...series.map((s) => s.length)) : 0;
  const rowHeight = 18;
  const height = 60 + rowHeight * (grouped ? labels.length * series.length + labels.length * 0.5 : labels.length);
  const y = grouped ? "series" : "label";
  const fy = grouped ? "label" : undefined;
  const fill = grouped ? "series" : PALETTE[0];
  const where = (r: ChartRow) => r.hi ?? r.value;
  const domain = spec.mark === "dot" && !spec.log ? dataDomain(rows) : undefined;
  const marks: Plot.Markish[] = [];
  if (spec.mark === "bar") {
    marks.push(Plot.barX(rows, { x: "value", y, fy, fill, title: (r: ChartRow) => `${r.label}${r.series ? ` · ${r.series}` : ""}: ${text(r)}` }));
    if (!spec.log) marks.push(Plot.ruleX([0]));
  } else {
    marks.push(Plot.ruleY(rows, { y, fy, x1: domain ? domain[0] : 0, x2: "value", stroke: "#ddd" }));
    marks.push(Plot.dot(rows, { x: "value", y, fy, fill, r: 4, title: (r: ChartRow) => `${r.label}${r.series ? ` · ${r.series}` : ""}: ${text(r)}` }));
  }
  const withInterval = rows.filter((r) => r.lo !== undefined && r.hi !== undefined);
  if (withInterval.length) {
    marks.push(Plot.ruleY(withInterval, { y, fy, x1: "lo", x2: "hi", stroke: "#222", strokeWidth: 1.5 }));
    marks.push(Plot.tickX(withInterval, { y, fy, x: "lo", stroke: "#222" }), Plot.tickX(withInterval, { y, fy, x: "hi", stroke: "#222" }));
  }
  marks.push(Plot.text(rows, { x: where, y, fy, text, dx: 5, textAnchor: "start", fill: "#222" }));
  const maxValue = Math.max(...rows.map(where));
  return Plot.plot({
    document,
    width: 760,
    height,
    marginLeft: Math.min(260, 24 + longest * 7),
    marginRight: grouped ? 80 + Math.min(200, longestSeries * 6.5) : 70,
    style: { fontSize: "12px", overflow: "visible", background: "white" },
    x: {
      label: spec.axis,
      grid: true,
      type: spec.log ? "log" : "linear",
      domain: domain ?? (spec.log ? undefined : [0, maxValue * 1.12 || 1]),
      nice: spec.mark === "bar",
    },
    y: { label: null, domain: grouped ? series : labels, axis: grouped ? "right" : "left" },
    fy: grouped ? { label: null, domain: labels, padding: 0.15, axis: "left" } : undefined,
    color: grouped ? { domain: series, range: PALETTE } : undefined,
    marks,
  }) as SVGSVGElement;
}
