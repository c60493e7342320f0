// Per-keystroke latency of the playground in Chromium: 10 KB of FLORES devtest English in the text box, GPT-2 in one
// panel (and, as a second run, GPT-2 beside Llama 2), then 100 keystrokes typed at the end of the text. For each
// input event the page records (a) encode + redraw of every panel and (b) the time from the event to the frame after
// it was painted. The first keystroke (cold caches) is reported apart from the 100 that follow (after 20 warm-up
// keystrokes typed into FLORES dev text). A fourth run loads the bundled model and also reports how long the worker
// takes to show the healing and model views after typing pauses.
// Run: npm run bench:playground   (needs Debian's chromium)
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writePlayground } from "../src/web/site.js";
import { launchChromium } from "../test/web/chromium.js";

const FLORES = "../shared/data/flores200";
const text = readFileSync(`${FLORES}/devtest/eng_Latn.devtest`, "utf8").slice(0, 10_000);
const warmup = readFileSync(`${FLORES}/dev/eng_Latn.dev`, "utf8").slice(0, 20);
const typed = readFileSync(`${FLORES}/dev/eng_Latn.dev`, "utf8").slice(1000, 1100);

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

const dir = mkdtempSync(join(tmpdir(), "retoken-bench-playground-"));
await writePlayground(dir);
const { browser, page } = await launchChromium();
const llama = readFileSync("../shared/data/tokenizers/llama.json");
try {
  // No panel: what the text box alone costs per keystroke (the browser's share of the frame).
  // "model": GPT-2 with the bundled model loaded, so the worker heals and runs the model whenever typing pauses.
  const runs = [[], ["gpt2"], ["gpt2", "llama"], ["gpt2", "model"]];
  // RETOKEN_BENCH_RUNS=3 runs only the fourth (0-based indices, comma-separated).
  const only = process.env.RETOKEN_BENCH_RUNS?.split(",").map(Number);
  for (const panels of runs.filter((_, i) => !only || only.includes(i))) {
    await page.goto(`file://${dir}/index.html#t=${panels.length ? "gpt2" : ""}`);
    if (panels.length) await page.waitForFunction(() => /^\d+$/.test(document.querySelector("[data-testid=token-count]")?.textContent ?? ""), null, { timeout: 120_000 });
    if (panels.includes("llama")) {
      await page.locator("[data-testid=tokenizer-file]").setInputFiles({ name: "llama.json", mimeType: "application/json", buffer: llama });
      await page.waitForFunction(() => [...document.querySelectorAll("[data-testid=token-count]")].filter((e) => /^\d+$/.test(e.textContent ?? "")).length === 2, null, { timeout: 120_000 });
    }
    const input = page.locator("[data-testid=text-input]");
    await input.fill(text);
    await input.press("End");
    await page.keyboard.press("Control+End");
    const modelShows = (prompt: string) =>
      page.waitForFunction((prompt) => document.querySelector<HTMLElement>("[data-testid=model-panel]")?.dataset.prompt === prompt && document.querySelector("[data-testid=exact-next-byte-list] li"), prompt, { timeout: 300_000 });
    if (panels.includes("model")) {
      await page.locator("[data-testid=model-load]").click();
      await modelShows(await input.inputValue());
      // The click took the focus: back to the end of the text.
      await input.focus();
      await page.keyboard.press("Control+End");
    }
    await page.evaluate(() => ((window.retokenTimings = []), (window.retokenFrameTimings = [])));
    await page.keyboard.type(warmup[0]!);
    await page.waitForTimeout(100);
    const first = await page.evaluate(() => [window.retokenTimings[0]!, window.retokenFrameTimings[0]!]);
    for (const ch of warmup.slice(1)) await page.keyboard.type(ch);
    await page.waitForTimeout(100);
    await page.evaluate(() => ((window.retokenTimings = []), (window.retokenFrameTimings = [])));
    // One key at a time, each after the previous one's frame (a person's pace): latency, not a queue of key events.
    for (let i = 0; i < typed.length; i++) {
      await page.keyboard.type(typed[i]!);
      await page.waitForFunction((n) => window.retokenFrameTimings.length >= n, i + 1);
    }
    await page.waitForTimeout(200);
    const { work, frames, count, length } = await page.evaluate(() => ({
      work: window.retokenTimings,
      frames: window.retokenFrameTimings,
      count: document.querySelector("[data-testid=token-count]")?.textContent ?? "no",
      length: (document.querySelector("[data-testid=text-input]") as HTMLTextAreaElement).value.length,
    }));
    console.log(`${panels.join(" + ") || "no panel"}: ${length} chars, ${count} GPT-2 tokens, ${work.length} keystrokes`);
    console.log(`  first keystroke      encode+redraw ${first[0].toFixed(2)} ms, to painted frame ${first[1].toFixed(2)} ms`);
    console.log(`  steady (100 keys)    encode+redraw median ${quantile(work, 0.5).toFixed(2)} ms, p95 ${quantile(work, 0.95).toFixed(2)} ms`);
    console.log(`                       to painted frame median ${quantile(frames, 0.5).toFixed(2)} ms, p95 ${quantile(frames, 0.95).toFixed(2)} ms`);
    if (panels.includes("model")) {
      // Type a key, pause until the model's views show the new text: the worker's round trip per pause (after the
      // page's 250 ms wait for typing to pause), exact next byte included.
      await modelShows(await input.inputValue());
      await page.evaluate(() => (window.retokenCaretTimings = []));
      for (const ch of " the cat") {
        await page.keyboard.type(ch);
        await modelShows(await input.inputValue());
      }
      const trips = await page.evaluate(() => window.retokenCaretTimings);
      const status = await page.locator("[data-testid=exact-status]").textContent();
      console.log(`  model views after a pause (${trips.length} pauses): worker round trip median ${quantile(trips, 0.5).toFixed(0)} ms, p95 ${quantile(trips, 0.95).toFixed(0)} ms; last: ${status}`);
    }
  }
} finally {
  await browser.close();
}
