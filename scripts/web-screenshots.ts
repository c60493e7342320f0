// The README's pictures: screenshots of the playground's views (bundled tokenizers; files chosen and dropped, with the
// special-token switches) and one report chart as SVG, each checked to have drawn before it is written to docs/img/.
// Run: node --import tsx scripts/web-screenshots.ts   (needs Debian's chromium and ../shared/data)
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Tokenizer } from "../src/index.js";
import { compareTokenizers } from "../src/analyze/compare.js";
import { chartsMarkup, compareCharts } from "../src/analyze/report-html.js";
import { writePlayground } from "../src/web/site.js";
import { stateToHash } from "../src/web/state.js";
import { launchChromium, paintedShare, setCaret } from "../test/web/chromium.js";

const OUT = "docs/img";
const TOKENIZERS = "../shared/data/tokenizers";
mkdirSync(OUT, { recursive: true });

const site = mkdtempSync(join(tmpdir(), "retoken-shots-"));
await writePlayground(site);
const { browser, page, errors } = await launchChromium();
const check = async (png: Buffer, name: string) => {
  const share = await paintedShare(page, png);
  if (share < 0.03) throw new Error(`${name}: only ${(share * 100).toFixed(1)}% of the pixels are drawn`);
  writeFileSync(join(OUT, name), png);
  console.log(`${join(OUT, name)}: ${(share * 100).toFixed(1)}% drawn`);
};
const ready = (n: number) =>
  page.waitForFunction((n) => [...document.querySelectorAll("[data-testid=token-count]")].filter((c) => /^\d+$/.test(c.textContent ?? "")).length === n, n, { timeout: 120_000 });
try {
  const text = "Tokenizers disagree: naïve café, Grüße aus München, Ελληνικά and русский текст.\nCode: for (let i = 0; i < 10; i++) {}";
  await page.goto(`file://${site}/index.html${stateToHash({ text, tokenizers: ["gpt2", "default-model", "de-8k"], addSpecialTokens: false, parseSpecialTokens: true })}`);
  await ready(3);
  await page.waitForTimeout(500);
  await page.locator("[data-testid=panel] >> nth=0").locator(".t.p >> nth=0").hover();
  await check(await page.screenshot(), "playground.png");

  await page.goto(`file://${site}/index.html${stateToHash({ text: "<s>Hello <|endoftext|> world</s> — Ελληνικά", tokenizers: ["gpt2"], addSpecialTokens: true, parseSpecialTokens: true })}`);
  await ready(1);
  await page.locator("[data-testid=tokenizer-file]").setInputFiles(join(TOKENIZERS, "llama.json"));
  await ready(2);
  await page.locator("[data-testid=tokenizer-file]").setInputFiles(join(TOKENIZERS, "sentencepiece/en-unigram.model"));
  await ready(3);
  await page.waitForTimeout(500);
  await page.locator("[data-testid=panel] >> nth=1").locator(".t.s >> nth=0").hover();
  await check(await page.screenshot(), "playground-files.png");

  // The model at the caret: the caret stops inside a word, so the prompt ends mid-token.
  const prompt = "Die Datei wird gelöscht, wenn der Benutzer";
  await page.goto(`file://${site}/index.html${stateToHash({ text: prompt, tokenizers: ["default-model"], addSpecialTokens: false, parseSpecialTokens: true })}`);
  await ready(1);
  await page.locator("[data-testid=model-load]").click();
  await setCaret(page, prompt.length - 4);
  await page.waitForFunction(() => document.querySelectorAll("[data-testid=next-token-list] li").length === 10, null, { timeout: 120_000 });
  await page.waitForFunction(() => document.querySelectorAll("[data-testid=exact-next-byte-list] li").length === 10 && document.querySelector("[data-testid=heal-candidates] li[data-p]"), null, { timeout: 120_000 });
  await page.locator("[data-testid=model-panel]").scrollIntoViewIfNeeded();
  await check(await page.screenshot({ fullPage: true }), "playground-model.png");
  await check(await page.locator("[data-testid=heal-panel]").screenshot(), "playground-healing.png");
  // Generation with rollback healing from the same caret (inside "Benutzer"): the struck tokens are spelled again.
  await page.locator("[data-testid=generate-max-tokens]").fill("16");
  await page.locator("[data-testid=generate-button]").click();
  await page.waitForFunction(() => document.querySelector<HTMLElement>("[data-testid=generate-output]")?.dataset.continuation !== undefined, null, { timeout: 120_000 });
  await check(await page.locator("[data-testid=generate-panel]").screenshot(), "playground-generate.png");
  if (errors.length) throw new Error(`console errors: ${errors.join("; ")}`);

  // One report chart for the README: bytes per token of three tokenizers on FLORES-200 dev (first 100 lines, 6 languages).
  const langs = ["eng_Latn", "deu_Latn", "rus_Cyrl", "hin_Deva", "jpn_Jpan", "amh_Ethi"];
  const corpus = langs.map((l) => ({ name: l, text: readFileSync(`../shared/data/flores200/dev/${l}.dev`, "utf8").split("\n").slice(0, 100).join("\n") }));
  const named = [
    { name: "GPT-2", tokenizer: await Tokenizer.fromFile(join(TOKENIZERS, "gpt-2.json")) },
    { name: "Llama 2", tokenizer: await Tokenizer.fromFile(join(TOKENIZERS, "llama.json")) },
    { name: "retoken default", tokenizer: await Tokenizer.fromFile("assets/default-model/tokenizer.json") },
  ];
  const report = compareTokenizers(named, corpus, { audit: false });
  const chart = compareCharts(report).find((c) => c.id === "bytes-per-token")!;
  chart.caption = "FLORES-200 dev, first 100 lines per language.";
  const markup = chartsMarkup([chart])[0]!;
  // A standalone .svg file (shown by the README as an image) must declare its namespace.
  const svg = markup.includes('xmlns="http://www.w3.org/2000/svg"') ? markup : markup.replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ');
  await page.setContent(`<body style="margin:0;background:#fff">${svg}</body>`);
  const drawn = await paintedShare(page, await page.locator("svg").first().screenshot());
  if (drawn < 0.02) throw new Error(`chart: only ${(drawn * 100).toFixed(1)}% drawn`);
  writeFileSync(join(OUT, "compare-bytes-per-token.svg"), svg + "\n");
  console.log(`${join(OUT, "compare-bytes-per-token.svg")}: ${(drawn * 100).toFixed(1)}% drawn`);
} finally {
  await browser.close();
}
