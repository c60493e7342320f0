// The HTML report opens in headless Chromium with no console error, and every chart draws.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRequire } from "node:module";
import { Tokenizer } from "../../src/index.js";
import { compareTokenizers } from "../../src/analyze/compare.js";
import { renderCompareHtml } from "../../src/analyze/report-html.js";
import { floresCorpus } from "./flores.js";

const chromium = "/usr/bin/chromium";

test("compare report renders in headless Chromium with every chart drawn", async () => {
  assert.ok(existsSync(chromium), "chromium is not installed: bash scripts/setup.sh --dev");
  const gpt2 = await Tokenizer.fromFile("../shared/data/tokenizers/gpt-2.json");
  const llama = await Tokenizer.fromFile("../shared/data/tokenizers/llama.json");
  const corpus = floresCorpus(["eng_Latn", "deu_Latn", "jpn_Jpan", "hin_Deva", "amh_Ethi"], 40);
  const report = compareTokenizers([{ name: "gpt-2", tokenizer: gpt2 }, { name: "llama", tokenizer: llama }], corpus);
  const chartJs = readFileSync(join(createRequire(import.meta.url).resolve("chart.js"), "..", "chart.umd.js"), "utf8");
  const html = renderCompareHtml(report, chartJs);
  assert.ok(!/https?:\/\/(?!www\.w3\.org)/.test(html.replace(chartJs, "")), "the report must not load anything from the network");
  const dir = mkdtempSync(join(tmpdir(), "retoken-report-"));
  const file = join(dir, "report.html");
  writeFileSync(file, html);

  const { chromium: pw } = await import("playwright-core");
  const browser = await pw.launch({
    executablePath: chromium,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto("file://" + file);
    await page.waitForFunction(() => (window as unknown as { chartsDrawn: number }).chartsDrawn >= document.querySelectorAll("canvas[data-chart]").length, null, { timeout: 20000 });
    const canvases = await page.$$eval("canvas[data-chart]", (els) =>
      els.map((el) => {
        const c = el as HTMLCanvasElement;
        const ctx = c.getContext("2d")!;
        const data = ctx.getImageData(0, 0, c.width, c.height).data;
        let painted = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) painted++;
        return { id: c.id, drawn: c.dataset.drawn === "1", painted, width: c.width };
      }),
    );
    assert.deepEqual(errors, []);
    assert.deepEqual(canvases.map((c) => c.id).sort(), ["audit", "bytes-per-token", "fertility", "parity", "unigram-bpb"]);
    for (const c of canvases) {
      assert.ok(c.drawn, `chart ${c.id} did not finish drawing`);
      assert.ok(c.width > 0 && c.painted > 1000, `chart ${c.id} painted only ${c.painted} pixels`);
    }
  } finally {
    await browser.close();
  }
});
