// A self-contained HTML report: every chart is drawn here as an inline <svg> (Observable Plot on a linkedom document),
// so the page needs no script to show its figures, opens offline, and each figure saves as a vector file. The numbers
// behind the charts are in tables on the page and in the JSON/CSV files written beside it.
import { parseHTML } from "linkedom";
import { bootstrapInterval } from "./bootstrap.js";
import { renderChart, type ChartRow, type ChartSpec } from "./charts.js";
import type { CompareReport } from "./compare.js";

export type { ChartSpec, ChartRow } from "./charts.js";

export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const finite = (v: number | null | undefined): v is number => v !== null && v !== undefined && Number.isFinite(v);

export function compareCharts(report: CompareReport): ChartSpec[] {
  const perText = (metric: (r: CompareReport["results"][number]) => number | null): ChartRow[] =>
    report.results.flatMap((r) => {
      const v = metric(r);
      return finite(v) ? [{ label: r.text, series: r.tokenizer, value: v }] : [];
    });
  const charts: ChartSpec[] = [];
  if (report.pivot) {
    const means: ChartRow[] = report.tokenizers.flatMap((tok) => {
      const premiums = report.results.filter((r) => r.tokenizer === tok && r.text !== report.pivot).map((r) => r.parityPremium).filter(finite);
      if (!premiums.length) return [];
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      const ci = bootstrapInterval(premiums, mean);
      return [{ label: tok, value: mean(premiums), ...(ci ?? {}) }];
    });
    charts.push({
      id: "parity-mean",
      title: `Mean parity premium over languages (tokens relative to ${report.pivot}; lower is fairer)`,
      axis: "mean premium",
      mark: "dot",
      rows: means,
      sort: "ascending",
      digits: 3,
      caption: "Lines: 95% bootstrap interval over languages (1,000 resamples).",
    });
    charts.push({ id: "parity", title: `Parity premium per language (tokens relative to ${report.pivot})`, axis: "premium (×)", mark: "bar", rows: perText((r) => r.parityPremium), sort: "descending", digits: 2 });
  }
  charts.push({ id: "bytes-per-token", title: "Bytes per token (higher: more text per token)", axis: "UTF-8 bytes / token", mark: "bar", rows: perText((r) => r.bytesPerToken), sort: "descending", digits: 2 });
  charts.push({ id: "fertility", title: "Fertility (tokens per word)", axis: "tokens / word", mark: "bar", rows: perText((r) => r.fertility), sort: "descending", digits: 2 });
  const unigram = perText((r) => r.unigramBitsPerByte);
  if (unigram.length) {
    charts.push({
      id: "unigram-bpb",
      title: "Unigram bits per byte (fitted on one split, measured on the held-out one; lower is better)",
      axis: "bits / byte",
      mark: "dot",
      rows: unigram,
      sort: "ascending",
      digits: 3,
    });
  }
  const audited = report.summaries.filter((s) => s.audit);
  if (audited.length) {
    const rows: ChartRow[] = audited.flatMap((s) =>
      Object.entries(s.audit!)
        .filter(([cls]) => cls !== "reachable")
        .map(([cls, n]) => ({ label: cls, series: s.tokenizer, value: n, text: `${n.toLocaleString("en")} (${((100 * n) / s.vocabSize).toFixed(2)}%)` })),
    );
    charts.push({
      id: "audit",
      title: "Vocabulary audit (Land & Bartolo 2024): flagged tokens per class",
      axis: "tokens",
      mark: "bar",
      rows,
      sort: "descending",
      caption: `Reachable tokens (not drawn): ${audited.map((s) => `${s.tokenizer} ${s.audit!.reachable.toLocaleString("en")} of ${s.vocabSize.toLocaleString("en")}`).join("; ")}. Percentages are of the vocabulary.`,
    });
  }
  return charts;
}

function table(report: CompareReport): string {
  const head = ["text", ...report.tokenizers.flatMap((t) => [`${t}<br>tokens`, "bytes/token", "fertility", ...(report.pivot ? ["premium"] : []), "unigram bits/byte"])];
  const rows = report.texts.map((text) => {
    const cells = [escapeHtml(text)];
    for (const tok of report.tokenizers) {
      const r = report.results.find((x) => x.tokenizer === tok && x.text === text)!;
      cells.push(String(r.tokens), r.bytesPerToken.toFixed(2), r.fertility.toFixed(2));
      if (report.pivot) cells.push(r.parityPremium === null ? "–" : r.parityPremium.toFixed(2));
      cells.push(r.unigramBitsPerByte === null ? "–" : r.unigramBitsPerByte.toFixed(3));
    }
    return `<tr>${cells.map((c, i) => (i === 0 ? `<th>${c}</th>` : `<td>${c}</td>`)).join("")}</tr>`;
  });
  return `<table><thead><tr>${head.map((h) => `<th>${h.replace(/^(.*?)<br>/, (_, t: string) => escapeHtml(t) + "<br>")}</th>`).join("")}</tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

function summaryTable(report: CompareReport): string {
  const cols = ["tokenizer", "|V|", "bytes/token", "chars/token", "fertility", "continued words", `Rényi eff. (α=${report.alpha})`, "Shannon eff.", "utilisation", "mean premium", "mean unigram bits/byte"];
  return htmlTable(
    cols,
    report.summaries.map((s) => [
      s.tokenizer,
      String(s.vocabSize),
      s.bytesPerToken.toFixed(3),
      s.charsPerToken.toFixed(3),
      s.fertility.toFixed(3),
      (100 * s.continuedWordShare).toFixed(1) + "%",
      s.renyiEfficiency.toFixed(3),
      s.shannonEfficiency.toFixed(3),
      (100 * s.vocabularyUtilisation).toFixed(1) + "%",
      s.meanParityPremium === null ? "–" : s.meanParityPremium.toFixed(2),
      s.meanUnigramBitsPerByte === null ? "–" : s.meanUnigramBitsPerByte.toFixed(3),
    ]),
  );
}

/** Per (tokenizer, text) rows of a comparison as CSV (the JSON's `results`, flattened). */
export function compareCsv(report: CompareReport): string {
  const cols = ["tokenizer", "text", "tokens", "bytes", "bytesPerToken", "charsPerToken", "fertility", "normalisedSequenceLength", "parityPremium", "unigramBitsPerByte"] as const;
  return toCsv(
    [...cols],
    report.results.map((r) => cols.map((c) => (r as unknown as Record<string, string | number | null>)[c] ?? "")),
  );
}

/** RFC 4180 CSV: fields with a comma, quote or line break are quoted, quotes doubled. */
export function toCsv(header: string[], rows: (string | number | null)[][]): string {
  const field = (v: string | number | null) => {
    const s = v === null ? "" : String(v);
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [header, ...rows].map((r) => r.map(field).join(",")).join("\r\n") + "\r\n";
}

/** Renders a comparison; `corpus` names the text measured and its split (it is printed at the top of the page). */
export function renderCompareHtml(report: CompareReport, corpus: string, title = "retoken compare"): string {
  const intro = `<p>Tokenizers: ${report.tokenizers.map(escapeHtml).join(", ")}. Reference for normalised sequence length: ${escapeHtml(report.reference)}.
${report.pivot ? `Parity premium relative to ${escapeHtml(report.pivot)}.` : "No pivot text: parity premium not computed."}</p>
<h2>Summary</h2>
${summaryTable(report)}`;
  return renderChartsPage({ title, corpus, intro, charts: compareCharts(report), outro: `<h2>Per text</h2>\n${table(report)}` });
}

/** An HTML table from a header row and body rows (first cell of each row is a row header); cells are escaped. */
export function htmlTable(header: string[], rows: (string | number)[][]): string {
  const cell = (c: string | number, i: number) => (i === 0 ? `<th>${escapeHtml(String(c))}</th>` : `<td>${escapeHtml(String(c))}</td>`);
  return `<table><thead><tr>${header.map((c) => `<th>${escapeHtml(c)}</th>`).join("")}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map(cell).join("")}</tr>`).join("")}</tbody></table>`;
}

/** Each chart as SVG markup, drawn on one server-side document. */
export function chartsMarkup(charts: ChartSpec[]): string[] {
  const { document } = parseHTML("<!doctype html><html><body></body></html>");
  return charts.map((c) => renderChart(c, document as unknown as Document).outerHTML);
}

/**
 * A self-contained page: `intro` and `outro` are trusted HTML (build them with htmlTable / escaped text), `corpus` is
 * the sentence naming the text and split measured, and every chart is an inline <svg> with a button that saves it.
 */
export function renderChartsPage(page: { title: string; corpus: string; intro: string; charts: ChartSpec[]; outro?: string }): string {
  const { title, intro, charts } = page;
  const svgs = chartsMarkup(charts);
  const figures = charts
    .map(
      (c, i) => `<section class="chart" id="${escapeHtml(c.id)}" data-chart>
<h2>${escapeHtml(c.title)}</h2>
${svgs[i]}
${c.caption ? `<p class="caption">${escapeHtml(c.caption)}</p>` : ""}
<button type="button" data-export="${escapeHtml(c.id)}">Save SVG</button>
</section>`,
    )
    .join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>
body{font:14px system-ui,sans-serif;margin:2em;color:#222;max-width:1100px}
table{border-collapse:collapse;margin:1em 0;font-variant-numeric:tabular-nums}
th,td{border:1px solid #ddd;padding:3px 8px;text-align:right}th{background:#f6f6f6}
tbody th{text-align:left}
.corpus{background:#f4f6fb;border-left:4px solid #4269d0;padding:.5em 1em}
.chart{margin:2em 0}.chart svg{max-width:100%;height:auto}
.caption{color:#555;font-size:13px}
button[data-export]{font-size:12px}
</style></head><body>
<h1>${escapeHtml(title)}</h1>
<p class="corpus"><strong>Text measured:</strong> ${escapeHtml(page.corpus)}</p>
${intro}
${figures}
${page.outro ?? ""}
<script>
// Saves a chart as a standalone .svg file (the figure is already on the page; this only packages it).
for (const button of document.querySelectorAll("button[data-export]")) {
  button.addEventListener("click", () => {
    const svg = button.parentElement.querySelector("svg");
    const source = new XMLSerializer().serializeToString(svg);
    const url = URL.createObjectURL(new Blob([source], { type: "image/svg+xml" }));
    const a = Object.assign(document.createElement("a"), { href: url, download: button.dataset.export + ".svg" });
    a.click();
    URL.revokeObjectURL(url);
  });
}
</script>
</body></html>
`;
}
