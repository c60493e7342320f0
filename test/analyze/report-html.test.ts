// Reports: every chart is an inline <svg> drawn before any script runs; in headless Chromium each one paints (a
// screenshot of it is not blank), with no console error; bars are sorted, dot axes start where the data does.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Tokenizer } from "../../src/index.js";
import { compareTokenizers } from "../../src/analyze/compare.js";
import { compareCharts, compareCsv, renderChartsPage, renderCompareHtml, toCsv } from "../../src/analyze/report-html.js";
import { dataDomain, sortedLabels } from "../../src/analyze/charts.js";
import { bootstrapInterval } from "../../src/analyze/bootstrap.js";
import { transferCharts, lineInterval, type TransferEvalReport } from "../../src/transfer/evaluate.js";
import { floresCorpus } from "./flores.js";
import { launchChromium, paintedShare } from "../web/chromium.js";

test("chart helpers: sorted categories, a data-driven axis, a bootstrap interval that holds the mean, RFC 4180 CSV", () => {
  const rows = [{ label: "a", value: 2 }, { label: "b", value: 5 }, { label: "c", value: 3 }];
  assert.deepEqual(sortedLabels(rows, "descending"), ["b", "c", "a"]);
  assert.deepEqual(sortedLabels(rows, "ascending"), ["a", "c", "b"]);
  const [lo, hi] = dataDomain([{ label: "x", value: 1.4, lo: 1.35 }, { label: "y", value: 1.6, hi: 1.7 }]);
  assert.ok(lo > 1.3 && lo < 1.35 && hi > 1.7 && hi < 1.9, `axis ${lo}–${hi} should hug 1.35–1.7`);
  const xs = Array.from({ length: 50 }, (_, i) => (i % 7) + 1);
  const mean = (s: number[]) => s.reduce((a, b) => a + b, 0) / s.length;
  const ci = bootstrapInterval(xs, mean)!;
  assert.ok(ci.lo < mean(xs) && mean(xs) < ci.hi && ci.hi - ci.lo < 2, JSON.stringify(ci));
  assert.deepEqual(bootstrapInterval(xs, mean), ci, "seeded: the same interval every run");
  assert.equal(bootstrapInterval([1], mean), null);
  assert.equal(toCsv(["a", "b"], [["x,y", 'say "hi"'], [1, null]]), 'a,b\r\n"x,y","say ""hi"""\r\n1,\r\n');
  // Two lines, the second far worse: the interval spans both lines' rates.
  const interval = lineInterval("ab\ncd", [[0, 1], [1, 2], [3, 4], [4, 5]], Float64Array.from([1, 1, 5, 5].map((b) => b * Math.LN2)))!;
  assert.ok(interval[0] >= 2 / 3 - 1e-9 && interval[1] <= 5 + 1e-9 && interval[0] < interval[1], String(interval));
});

test("compare and transfer-eval reports: every chart is an <svg> that paints in Chromium; corpus named; CSV rows", async () => {
  const gpt2 = await Tokenizer.fromFile("../shared/data/tokenizers/gpt-2.json");
  const llama = await Tokenizer.fromFile("../shared/data/tokenizers/llama.json");
  const corpus = floresCorpus(["eng_Latn", "deu_Latn", "jpn_Jpan", "hin_Deva", "amh_Ethi"], 40);
  const report = compareTokenizers([{ name: "gpt-2", tokenizer: gpt2 }, { name: "llama", tokenizer: llama }], corpus);
  const html = renderCompareHtml(report, "FLORES-200 dev, first 40 lines of 5 languages");
  assert.ok(!/https?:\/\/(?!www\.w3\.org)/.test(html), "the report must not load anything from the network");
  assert.match(html, /Text measured:<\/strong> FLORES-200 dev, first 40 lines/);
  const csv = compareCsv(report).trim().split("\r\n");
  assert.equal(csv.length, 1 + 2 * 5);
  assert.match(csv[0]!, /^tokenizer,text,tokens,bytes,/);
  // Bars sorted by value: the first bytes-per-token category has the largest mean.
  const bpt = compareCharts(report).find((c) => c.id === "bytes-per-token")!;
  const means = sortedLabels(bpt.rows, "descending").map((l) => bpt.rows.filter((r) => r.label === l).reduce((a, r) => a + r.value, 0));
  assert.deepEqual(means, [...means].sort((a, b) => b - a));

  const transfer: TransferEvalReport = {
    model: "m",
    languages: ["de", "fr"],
    targets: ["t"],
    methods: ["copy", "fvt"],
    fills: {},
    rows: [
      { language: "de", target: "original", method: "original", bitsPerByte: 1.41, tokens: 10, bytes: 40, lengthRatio: 1, interval: [1.36, 1.47] },
      { language: "fr", target: "original", method: "original", bitsPerByte: 1.52, tokens: 10, bytes: 40, lengthRatio: 1, interval: [1.47, 1.58] },
      { language: "de", target: "t", method: "copy", bitsPerByte: 2.9, tokens: 12, bytes: 40, lengthRatio: 1.2, interval: [2.8, 3.0] },
      { language: "fr", target: "t", method: "copy", bitsPerByte: 3.1, tokens: 13, bytes: 40, lengthRatio: 1.3, interval: [3.0, 3.2] },
      { language: "de", target: "t", method: "fvt", bitsPerByte: 2.1, tokens: 12, bytes: 40, lengthRatio: 1.2, interval: [2.0, 2.2] },
      { language: "fr", target: "t", method: "fvt", bitsPerByte: 2.3, tokens: 13, bytes: 40, lengthRatio: 1.3, interval: null },
    ],
  };
  const transferHtml = renderChartsPage({ title: "transfer", corpus: "held-out de, fr", intro: "", charts: transferCharts(transfer) });

  const dir = mkdtempSync(join(tmpdir(), "retoken-report-"));
  const { browser, errors, page } = await launchChromium();
  try {
    for (const [name, page_] of [["compare", html], ["transfer", transferHtml]] as const) {
      const file = join(dir, `${name}.html`);
      writeFileSync(file, page_);
      errors.length = 0;
      await page.goto("file://" + file);
      const charts = await page.$$eval("section[data-chart]", (els) => els.map((el) => ({ id: el.id, svgs: el.querySelectorAll(":scope > svg").length, canvases: el.querySelectorAll("canvas").length })));
      assert.ok(charts.length >= 3, `${name}: ${charts.length} charts`);
      for (const c of charts) assert.deepEqual([c.svgs, c.canvases], [1, 0], `${name} chart ${c.id} must be one <svg>`);
      if (name === "compare") assert.deepEqual(charts.map((c) => c.id).sort(), ["audit", "bytes-per-token", "fertility", "parity", "parity-mean", "unigram-bpb"]);
      for (const c of charts) {
        const shot = await page.locator(`section#${c.id} > svg`).screenshot();
        const share = await paintedShare(page, shot);
        assert.ok(share > 0.01, `${name} chart ${c.id}: only ${(share * 100).toFixed(2)}% of its pixels are drawn`);
      }
      assert.deepEqual(errors, [], `${name}: console errors`);
      await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
    }
    console.log(`report screenshots in ${dir}`);
    assert.deepEqual(
      (await page.$$eval("section[data-chart]", (els) => els.map((e) => e.id))).sort(),
      ["bpb", "bpb-mean", "length"],
    );
  } finally {
    await browser.close();
  }
});
