// The playground's model on WebGPU (src/lm/webgpu-token-lm.ts), in Chromium on SwiftShader's Vulkan adapter (a CPU
// implementation of WebGPU, so the test runs on any machine): the page finds the adapter, and its next-token
// probabilities, exact next-byte probabilities (many forked and extended states: the byte-level model's covers) and a
// greedy healed continuation equal the Node model's (OpenBLAS forward) to float32 rounding.
import { test } from "node:test";
import assert from "node:assert/strict";
import { stateToHash } from "../../src/web/state.js";
import { servePlayground } from "../../src/web/serve.js";
import { canonicality, coverRule, exactNextBytes, healedGenerate } from "../../src/decode/index.js";
import { loadLanguageModel } from "../../src/lm/node.js";
import { tokenLM } from "../../src/lm/token-lm.js";
import { launchChromium } from "./chromium.js";

/** Opens the page on `prompt` and loads the model with WebGPU checked; the backend the page names, and its status
 * line where the model did not load in time. */
async function loadOnPage(url: string, prompt: string): Promise<{ session: Awaited<ReturnType<typeof launchChromium>>; backend: string }> {
  const session = await launchChromium({ webgpu: true });
  try {
    return { session, backend: await loadModel(session.page, url, prompt, session.errors) };
  } catch (e) {
    await session.browser.close();
    throw e;
  }
}

async function loadModel(page: Awaited<ReturnType<typeof launchChromium>>["page"], url: string, prompt: string, errors: string[]): Promise<string> {
  await page.goto(`${url}${stateToHash({ text: prompt, tokenizers: ["default-model"], addSpecialTokens: false, parseSpecialTokens: true })}`);
  await page.locator("[data-testid=text-input]").focus();
  await page.keyboard.press("End");
  assert.equal(await page.locator("[data-testid=model-webgpu]").isChecked(), true, "WebGPU is the default");
  await page.locator("[data-testid=model-load]").click();
  const status = page.locator("[data-testid=model-status]");
  try {
    await page.waitForFunction(() => document.querySelector<HTMLElement>("[data-testid=model-status]")?.dataset.backend !== undefined, null, { timeout: 120_000 });
  } catch (e) {
    throw new Error(`the model did not load in 120 s; the page says: ${JSON.stringify(await status.textContent().catch(() => "(gone)"))}; page errors: ${JSON.stringify(errors)} (${(e as Error).message})`);
  }
  return (await status.getAttribute("data-backend"))!;
}

test("the model runs on WebGPU where the browser has an adapter, and its numbers are the CPU forward's", async () => {
  const { folder, tokenizer } = await loadLanguageModel(undefined);
  const lm = await tokenLM(folder);
  const { server, url } = await servePlayground(0);
  const prompt = "Five, Four, Thre";
  let session: Awaited<ReturnType<typeof launchChromium>> | undefined;
  try {
    let backend: string;
    ({ session, backend } = await loadOnPage(url, prompt));
    if (/did not answer within/.test(backend)) {
      // SwiftShader's GPU process has, rarely, left requestAdapter pending in a fresh browser (the page then falls
      // back to the CPU after WEBGPU_ANSWER_MS, which is the product's behaviour); the comparison below needs WebGPU,
      // so one more browser is started before the test fails.
      await session.browser.close();
      session = undefined;
      ({ session, backend } = await loadOnPage(url, prompt));
    }
    const { page, errors } = session;
    assert.match(backend, /^WebGPU \(.*swiftshader/, backend);

    // Next token after the prompt's tokens (the caret view reads the whole short prompt).
    await page.waitForFunction((prompt) => document.querySelector<HTMLElement>("[data-testid=model-panel]")?.dataset.prompt === prompt && document.querySelectorAll("[data-testid=exact-next-byte-list] li").length === 10, prompt, { timeout: 120_000 });
    const shownTokens = await page.$$eval("[data-testid=next-token-list] li", (lis) => lis.map((li) => ({ id: Number((li as HTMLElement).dataset.id), p: Number((li as HTMLElement).dataset.p) })));
    const ids = tokenizer.encode(prompt, { addSpecialTokens: false }).ids;
    const [next] = await lm.extend([{ from: null, ids: [lm.startId!, ...ids] }]);
    assert.equal(shownTokens.length, 10);
    for (const t of shownTokens) assert.ok(Math.abs(t.p - Math.exp(next!.logProbs[t.id]!)) < 1e-5, `next token ${t.id}: ${t.p} vs ${Math.exp(next!.logProbs[t.id]!)}`);

    // The exact next byte: the byte-level model forks and extends states for every live cover.
    const exact = await page.$$eval("[data-testid=exact-next-byte-list] li", (lis) => lis.map((li) => ({ byte: Number((li as HTMLElement).dataset.id), p: Number((li as HTMLElement).dataset.p) })));
    const want = await exactNextBytes(lm, coverRule(tokenizer), prompt);
    for (const e of exact) assert.ok(Math.abs(e.p - want.bytes[e.byte]!) < 1e-5, `exact p(${e.byte}) ${e.p} vs ${want.bytes[e.byte]}`);
    if (process.env.RETOKEN_TEST_TIMES) {
      const gap = (xs: number[]) => Math.max(...xs).toExponential(2);
      console.log(`largest |WebGPU − CPU|: next token ${gap(shownTokens.map((t) => Math.abs(t.p - Math.exp(next!.logProbs[t.id]!))))}, exact next byte ${gap(exact.map((e) => Math.abs(e.p - want.bytes[e.byte]!)))}`);
    }

    // Generation with rollback healing, greedy: the same continuation as Node's.
    await page.locator("[data-testid=generate-max-tokens]").fill("6");
    await page.locator("[data-testid=generate-button]").click();
    await page.waitForFunction(() => document.querySelector<HTMLElement>("[data-testid=generate-output]")?.dataset.continuation !== undefined, null, { timeout: 120_000 });
    const continuation = await page.locator("[data-testid=generate-output]").getAttribute("data-continuation");
    const ref = await healedGenerate(folder, tokenizer, canonicality(tokenizer), prompt, { heal: "rollback", maxTokens: 6, temperature: 0 });
    assert.equal(continuation, new TextDecoder().decode(ref.continuation));
    assert.deepEqual(errors, []);
  } finally {
    await session?.browser.close();
    server.close();
  }
});
