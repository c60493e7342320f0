// A self-contained HTML report of a comparison: Chart.js is inlined (no CDN; it opens offline), the data is
// embedded as JSON, and every chart marks itself drawn so a headless browser test can check the page.

import type { CompareReport } from "./compare.js";

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
// JSON inside <script> must not be able to close the element.
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, "\\u003c");

export interface ChartSpec {
  id: string;
  title: string;
  type: "bar";
  labels: string[];
  datasets: { label: string; data: (number | null)[] }[];
  stacked?: boolean;
  yLabel: string;
}

export function compareCharts(report: CompareReport): ChartSpec[] {
  const byText = (metric: (r: CompareReport["results"][number]) => number | null) =>
    report.tokenizers.map((tok) => ({
      label: tok,
      data: report.texts.map((text) => {
        const r = report.results.find((x) => x.tokenizer === tok && x.text === text)!;
        const v = metric(r);
        return v === null || !Number.isFinite(v) ? null : Number(v.toFixed(4));
      }),
    }));
  const charts: ChartSpec[] = [];
  if (report.pivot) {
    charts.push({ id: "parity", title: `Parity premium (tokens relative to ${report.pivot})`, type: "bar", labels: report.texts, datasets: byText((r) => r.parityPremium), yLabel: "premium" });
  }
  charts.push({ id: "bytes-per-token", title: "Bytes per token", type: "bar", labels: report.texts, datasets: byText((r) => r.bytesPerToken), yLabel: "UTF-8 bytes / token" });
  charts.push({ id: "fertility", title: "Fertility (tokens per word)", type: "bar", labels: report.texts, datasets: byText((r) => r.fertility), yLabel: "tokens / word" });
  if (report.results.some((r) => r.unigramBitsPerByte !== null)) {
    charts.push({ id: "unigram-bpb", title: "Unigram bits per byte (fitted on one split, measured on the held-out one)", type: "bar", labels: report.texts, datasets: byText((r) => r.unigramBitsPerByte), yLabel: "bits / byte" });
  }
  const audited = report.summaries.filter((s) => s.audit);
  if (audited.length) {
    const classes = Object.keys(audited[0]!.audit!) as (keyof NonNullable<(typeof audited)[number]["audit"]>)[];
    charts.push({
      id: "audit",
      title: "Vocabulary audit (Land & Bartolo 2024)",
      type: "bar",
      labels: audited.map((s) => s.tokenizer),
      datasets: classes.map((c) => ({ label: c, data: audited.map((s) => s.audit![c]) })),
      stacked: true,
      yLabel: "tokens",
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
  const rows = report.summaries.map((s) =>
    [
      escapeHtml(s.tokenizer),
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
    ].map((c, i) => (i === 0 ? `<th>${c}</th>` : `<td>${c}</td>`)).join(""),
  );
  return `<table><thead><tr>${cols.map((c) => `<th>${escapeHtml(c)}</th>`).join("")}</tr></thead><tbody>${rows.map((r) => `<tr>${r}</tr>`).join("")}</tbody></table>`;
}

/** Renders the report; `chartJs` is the text of Chart.js's UMD build, inlined into the page. */
export function renderCompareHtml(report: CompareReport, chartJs: string, title = "retoken compare"): string {
  const intro = `<p>Tokenizers: ${report.tokenizers.map(escapeHtml).join(", ")}. Reference for normalised sequence length: ${escapeHtml(report.reference)}.
${report.pivot ? `Parity premium relative to ${escapeHtml(report.pivot)}.` : "No pivot text: parity premium not computed."}</p>
<h2>Summary</h2>
${summaryTable(report)}`;
  return renderChartsPage({ title, intro, charts: compareCharts(report), outro: `<h2>Per text</h2>\n${table(report)}` }, chartJs);
}

/** An HTML table from a header row and body rows (first cell of each row is a row header); cells are escaped. */
export function htmlTable(header: string[], rows: (string | number)[][]): string {
  const cell = (c: string | number, i: number) => (i === 0 ? `<th>${escapeHtml(String(c))}</th>` : `<td>${escapeHtml(String(c))}</td>`);
  return `<table><thead><tr>${header.map((c) => `<th>${escapeHtml(c)}</th>`).join("")}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map(cell).join("")}</tr>`).join("")}</tbody></table>`;
}

/**
 * A self-contained page: `intro` and `outro` are trusted HTML (build them with htmlTable / escaped text), each chart
 * gets a canvas, Chart.js is inlined, and every chart marks itself drawn (window.chartsDrawn, data-drawn).
 */
export function renderChartsPage(page: { title: string; intro: string; charts: ChartSpec[]; outro?: string }, chartJs: string): string {
  const { title, intro, charts } = page;
  const canvases = charts
    .map((c) => `<section><h2>${escapeHtml(c.title)}</h2><div class="chart"><canvas id="${c.id}" data-chart></canvas></div></section>`)
    .join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>
body{font:14px system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:1em 0;font-variant-numeric:tabular-nums}
th,td{border:1px solid #ddd;padding:3px 8px;text-align:right}th{background:#f6f6f6}
tbody th{text-align:left}
.chart{position:relative;height:360px;max-width:1200px}
</style></head><body>
<h1>${escapeHtml(title)}</h1>
${intro}
${canvases}
${page.outro ?? ""}
<script>${chartJs.replace(/<\/script/gi, "<\\/script")}</script>
<script>
const charts = ${scriptJson(charts)};
window.chartsDrawn = 0;
for (const spec of charts) {
  const canvas = document.getElementById(spec.id);
  new Chart(canvas, {
    type: spec.type,
    data: { labels: spec.labels, datasets: spec.datasets },
    options: {
      animation: false, maintainAspectRatio: false, responsive: true,
      scales: { x: { stacked: !!spec.stacked }, y: { stacked: !!spec.stacked, title: { display: true, text: spec.yLabel } } },
      plugins: { legend: { position: "top" } },
    },
    plugins: [{ id: "drawn", afterRender: (chart) => { if (!chart.$drawn) { chart.$drawn = true; window.chartsDrawn++; canvas.dataset.drawn = "1"; } } }],
  });
}
</script>
</body></html>
`;
}
