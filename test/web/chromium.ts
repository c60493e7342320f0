// Debian's Chromium driven by playwright-core, as every browser test here launches it (one launch per test file).
import { existsSync } from "node:fs";
import type { Browser, Page } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

/** `webgpu`: WebGPU on SwiftShader's Vulkan (a CPU adapter, so it runs on any machine; Chromium ships it). */
export async function launchChromium(options: { webgpu?: boolean } = {}): Promise<{ browser: Browser; page: Page; errors: string[] }> {
  // A missing browser fails the test (never a skip): the README's set-up installs it.
  if (!existsSync(CHROMIUM)) throw new Error("chromium is not installed: bash scripts/setup.sh --dev");
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", ...(options.webgpu ? ["--enable-unsafe-webgpu", "--use-webgpu-adapter=swiftshader"] : ["--disable-gpu"]), "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--allow-file-access-from-files"],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(String(e)));
  return { browser, page, errors };
}

/** Share of a PNG's pixels that are not (near) white, counted by the browser's own PNG decoder. */
export async function paintedShare(page: Page, png: Buffer): Promise<number> {
  return page.evaluate(async (b64) => {
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    const canvas = Object.assign(document.createElement("canvas"), { width: img.width, height: img.height });
    const ctx = canvas.getContext("2d")!;
    ctx.drawImage(img, 0, 0);
    const data = ctx.getImageData(0, 0, img.width, img.height).data;
    let painted = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i]! < 235 || data[i + 1]! < 235 || data[i + 2]! < 235) painted++;
    return painted / (img.width * img.height);
  }, png.toString("base64"));
}

/** Puts the caret of the playground's text box at UTF-16 position `n`, as a click there would. */
export async function setCaret(page: Page, n: number): Promise<void> {
  await page.locator("[data-testid=text-input]").evaluate((e, n) => {
    const t = e as HTMLTextAreaElement;
    t.focus();
    t.setSelectionRange(n, n);
    t.dispatchEvent(new MouseEvent("click"));
  }, n);
}
