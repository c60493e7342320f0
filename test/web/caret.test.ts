// The playground's views at the caret in Chromium (built site, file://): token healing shows what retoken/decode's
// planHealing removes and which candidates HealingConstraint refuses; with the bundled model (run in the page's
// worker on the plain-JS forward) the exact next-byte probabilities equal exactNextBytes in Node (OpenBLAS forward)
// and the healed first token's probabilities equal the Node model's renormalised over healingCandidates, and exact
// healing's covers equal exactHealingCovers, to 1e-5 (the page and Node agree to float32 rounding, not bit for bit).
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { Tokenizer } from "../../src/index.js";
import { writePlayground } from "../../src/web/site.js";
import { stateToHash } from "../../src/web/state.js";
import { CaretEngine, exactWindow, EXACT_WINDOW } from "../../src/web/caret.js";
import { canonicality, type Canonicality, HealingConstraint, healingCandidates, planHealing, splitPromptBytes, exactNextBytes, exactHealingCovers, coverRule, healedGenerate } from "../../src/decode/index.js";
import { launchChromium, paintedShare } from "./chromium.js";
import { loadLanguageModel } from "../../src/lm/node.js";
import { tokenLM } from "../../src/lm/token-lm.js";

interface ShownHeal {
  removed: number[];
  bytes: string;
  report: { tokensRemoved: number; bytesRemoved: number; candidates: number };
  candidates: { id: number; canonical: boolean; p: number | null }[];
}

/** Waits until the healing view shows `prompt` healed with `key` (and, with `probabilities`, the model's numbers). */
async function shownHeal(page: Page, prompt: string, key: string, probabilities = false): Promise<ShownHeal> {
  await page.waitForFunction(
    ({ prompt, key, probabilities }) => {
      const v = document.querySelector<HTMLElement>("[data-testid=heal-view]");
      if (v?.dataset.prompt !== prompt || v.dataset.key !== key) return false;
      return !probabilities || [...v.querySelectorAll<HTMLElement>("[data-testid=heal-candidates] li")].every((li) => li.dataset.p !== undefined);
    },
    { prompt, key, probabilities },
    { timeout: 60_000 },
  );
  return page.evaluate(() => {
    const v = document.querySelector<HTMLElement>("[data-testid=heal-view]")!;
    const report = v.querySelector<HTMLElement>("[data-testid=heal-report]")!.dataset;
    const removed = v.querySelector<HTMLElement>("[data-testid=heal-removed]")!;
    return {
      removed: [...removed.querySelectorAll<HTMLElement>("[data-id]")].map((e) => Number(e.dataset.id)),
      bytes: removed.dataset.bytes!,
      report: { tokensRemoved: Number(report.tokensRemoved), bytesRemoved: Number(report.bytesRemoved), candidates: Number(report.candidates) },
      candidates: [...v.querySelectorAll<HTMLElement>("[data-testid=heal-candidates] li")].map((li) => ({ id: Number(li.dataset.id), canonical: li.dataset.canonical === "true", p: li.dataset.p === undefined ? null : Number(li.dataset.p) })),
    };
  });
}

/** What retoken/decode says about the same prompt in Node. */
const canons = new Map<Tokenizer, Canonicality>();
function nodeHeal(tokenizer: Tokenizer, prompt: string) {
  let canon = canons.get(tokenizer);
  if (!canon) canons.set(tokenizer, (canon = canonicality(tokenizer)));
  const { text, partial } = splitPromptBytes(prompt);
  const plan = planHealing(canon, tokenizer.encode(text, { addSpecialTokens: false }).ids, partial, "rollback");
  const constraint = new HealingConstraint(canon, plan);
  return { plan, candidates: healingCandidates(canon, plan.keptIds, plan.removed), canonical: (id: number) => constraint.canonicalWith(id) };
}

function assertHealEqual(shown: ShownHeal, ref: ReturnType<typeof nodeHeal>, what: string): void {
  assert.deepEqual(shown.removed, ref.plan.removedIds, `${what}: removed tokens`);
  assert.equal(shown.bytes, Buffer.from(ref.plan.removed).toString("hex"), `${what}: removed bytes`);
  assert.deepEqual(shown.report, ref.plan.report, `${what}: report`);
  assert.equal(shown.candidates.length, Math.min(12, ref.plan.removed.length ? ref.candidates.length : 0), `${what}: candidates shown`);
  for (const c of shown.candidates) {
    assert.ok(ref.candidates.includes(c.id), `${what}: ${c.id} is not a healing candidate`);
    assert.equal(c.canonical, ref.canonical(c.id), `${what}: canonicity of ${c.id}`);
  }
}

async function setText(page: Page, text: string): Promise<void> {
  await page.locator("[data-testid=text-input]").fill(text);
  await page.locator("[data-testid=text-input]").press("End");
}

test("exact window: whole text up to EXACT_WINDOW bytes, else its end from a word start", () => {
  assert.equal(exactWindow("short text"), "short text");
  const long = "word ".repeat(200) + "tail";
  const w = exactWindow(long);
  assert.ok(long.endsWith(w) && w.startsWith("word") && new TextEncoder().encode(w).length <= EXACT_WINDOW, w.slice(0, 20));
});

test("a heal view says whether its candidates are in the model's order (the page shows probabilities only beside those)", async () => {
  const { readFile } = await import("node:fs/promises");
  const engine = new CaretEngine();
  engine.addTokenizer("gpt2", JSON.parse(await readFile("assets/gpt2-tokenizer.json", "utf8")));
  const prompt = '<a href="http:';
  const bytes = engine.heal("gpt2", prompt);
  assert.equal(bytes.byModel, false);
  assert.ok(bytes.candidates.length > 1, "the prompt has candidates to order");
  // Reversed byte order stands in for the model's: the view keeps the order it was given and says so.
  const reversed = engine.heal("gpt2", prompt, (ids) => [...ids].reverse());
  assert.equal(reversed.byModel, true);
  assert.notDeepEqual(reversed.candidates.map((c) => c.id), bytes.candidates.map((c) => c.id));
});

test("playground healing and exact next-byte views equal retoken/decode in Node", async () => {
  const { folder, tokenizer } = await loadLanguageModel(undefined);
  const gpt2 = await Tokenizer.fromFile("assets/gpt2-tokenizer.json");
  const lm = await tokenLM(folder);
  const dir = mkdtempSync(join(tmpdir(), "retoken-caret-"));
  await writePlayground(join(dir, "site"));
  const { browser, page, errors } = await launchChromium();
  const t0 = performance.now();
  const mark = (what: string) => process.env.RETOKEN_TEST_TIMES && console.log(`${((performance.now() - t0) / 1000).toFixed(1)} s ${what}`);
  try {
    const first = '<a href="http:';
    await page.goto(`file://${join(dir, "site", "index.html")}${stateToHash({ text: first, tokenizers: ["default-model", "gpt2"], addSpecialTokens: false, parseSpecialTokens: true })}`);
    await page.locator("[data-testid=text-input]").focus();
    await page.keyboard.press("End");
    // Healing needs no model: the default model's tokenizer backs up over ":" (":" + "//" is one token).
    const before = await shownHeal(page, first, "default-model");
    assertHealEqual(before, nodeHeal(tokenizer, first), "default-model, no model");
    assert.ok(before.candidates.every((c) => c.p === null));
    mark("healing without the model");

    // The plain-JS forward (test/web/webgpu.test.ts checks the WebGPU one). It and Node's OpenBLAS forward sum in
    // different orders, so their float32 probabilities agree to about 1e-6, not exactly: 1.1e-6 apart at most with
    // session 11's continued model (not shipped; 1e-6 held with the bundled one). AGREE leaves room, far below any real error.
    const AGREE = 1e-5;
    await page.locator("[data-testid=model-webgpu]").uncheck();
    await page.locator("[data-testid=model-load]").click();
    // The last prompt is typed on from the one before: the page's byte-level model reads only the new bytes.
    for (const prompt of [first, "Five, Four, Thr", "Five, Four, Thre"]) {
      if (prompt === "Five, Four, Thre") await page.keyboard.type("e");
      else if (prompt !== first) await setText(page, prompt);
      const shown = await shownHeal(page, prompt, "default-model", true);
      const ref = nodeHeal(tokenizer, prompt);
      assertHealEqual(shown, ref, `default-model ${JSON.stringify(prompt)}`);
      // The healed first token: P(candidate | kept tokens) renormalised over every candidate, most likely first.
      const [head] = await lm.extend([{ from: null, ids: [lm.startId!, ...ref.plan.keptIds] }]);
      const z = ref.candidates.reduce((a, id) => a + Math.exp(head!.logProbs[id]!), 0);
      const byP = [...ref.candidates].sort((a, b) => head!.logProbs[b]! - head!.logProbs[a]!).slice(0, shown.candidates.length);
      assert.deepEqual(shown.candidates.map((c) => c.id), byP, "candidates by probability");
      for (const c of shown.candidates) assert.ok(Math.abs(c.p! - Math.exp(head!.logProbs[c.id]!) / z) < AGREE, `healed p(${c.id}) ${c.p} vs ${Math.exp(head!.logProbs[c.id]!) / z}`);

      // The exact next byte: the page's top 10 and the end of text equal exactNextBytes.
      await page.waitForFunction((prompt) => document.querySelector<HTMLElement>("[data-testid=model-panel]")?.dataset.prompt === prompt && document.querySelectorAll("[data-testid=exact-next-byte-list] li").length === 10, prompt, { timeout: 60_000 });
      const exact = await page.$$eval("[data-testid=exact-next-byte-list] li", (lis) => lis.map((li) => ({ byte: Number((li as HTMLElement).dataset.id), p: Number((li as HTMLElement).dataset.p) })));
      const end = Number(await page.locator("[data-testid=exact-status]").getAttribute("data-end"));
      const want = await exactNextBytes(lm, coverRule(tokenizer), prompt);
      const order = [...want.bytes.keys()].sort((a, b) => want.bytes[b]! - want.bytes[a]! || a - b);
      // Equal probabilities may come in either order (a difference below AGREE decides it): compare the values.
      exact.forEach((e, i) => {
        assert.ok(Math.abs(e.p - want.bytes[e.byte]!) < AGREE, `${JSON.stringify(prompt)}: exact p(${e.byte}) ${e.p} vs ${want.bytes[e.byte]}`);
        assert.ok(Math.abs(e.p - want.bytes[order[i]!]!) < AGREE, `${JSON.stringify(prompt)}: rank ${i}`);
      });
      assert.ok(Math.abs(end - want.endOfText) < AGREE, `end of text ${end} vs ${want.endOfText}`);
      // Exact healing: the covers shown (ids and probability among all covers) are exactHealingCovers's.
      const covers = await page.$$eval("[data-testid=exact-covers] li", (lis) => lis.map((li) => ({ ids: (li as HTMLElement).dataset.ids!, p: Number((li as HTMLElement).dataset.p) })));
      const healing = await exactHealingCovers(lm, tokenizer, coverRule(tokenizer), prompt);
      healing.model?.close();
      assert.equal(covers.length, Math.min(6, healing.covers.length));
      covers.forEach((c, i) => {
        const ref = healing.covers.find((r) => r.ids.join(",") === c.ids);
        assert.ok(ref && Math.abs(ref.p - c.p) < AGREE, `${JSON.stringify(prompt)}: cover ${c.ids} p ${c.p} vs ${ref?.p}`);
        assert.ok(Math.abs(healing.covers[i]!.p - c.p) < AGREE, `${JSON.stringify(prompt)}: cover rank ${i}`);
      });
      mark(`model views ${prompt}`);
    }
    assert.ok((await paintedShare(page, await page.locator("[data-testid=model-panel]").screenshot())) > 0.02, "the model panel did not draw");
    assert.ok((await paintedShare(page, await page.locator("[data-testid=heal-panel]").screenshot())) > 0.01, "the healing panel did not draw");

    // Another tokenizer: GPT-2 backs "Five, Four, Thre" up over " Thre" (" Three" is one token).
    await page.locator("[data-testid=heal-tokenizer]").selectOption("gpt2");
    const g = await shownHeal(page, "Five, Four, Thre", "gpt2");
    mark("gpt2 shown");
    assert.ok(g.report.tokensRemoved > 0);
    assertHealEqual(g, nodeHeal(gpt2, "Five, Four, Thre"), "gpt2");
    mark("gpt2 compared");

    // Generation with healing in the page (greedy) writes what healedGenerate writes in Node, for rollback and exact;
    // the text before the caret is never changed (the continuation goes after its last byte).
    for (const heal of ["rollback", "exact"] as const) {
      await page.locator("[data-testid=generate-heal]").selectOption(heal);
      await page.locator("[data-testid=generate-max-tokens]").fill("6");
      await page.locator("[data-testid=generate-button]").click();
      await page.waitForFunction((heal) => {
        const o = document.querySelector<HTMLElement>("[data-testid=generate-output]");
        return o?.dataset.heal === heal && o.dataset.continuation !== undefined;
      }, heal, { timeout: 120_000 });
      const shown = await page.locator("[data-testid=generate-output]").evaluate((e) => ({ ...(e as HTMLElement).dataset }));
      const want = await healedGenerate(folder, tokenizer, canonicality(tokenizer), "Five, Four, Thre", { heal, maxTokens: 6, temperature: 0 });
      assert.equal(shown.prompt, "Five, Four, Thre", heal);
      assert.equal(shown.continuation, new TextDecoder().decode(want.continuation), `${heal}: continuation`);
      assert.equal(shown.tokensRemoved, String(want.healing.tokensRemoved), `${heal}: tokens removed`);
      assert.equal(shown.bytesRemoved, String(want.healing.bytesRemoved), `${heal}: bytes removed`);
      if (heal === "rollback") assert.ok(want.healing.tokensRemoved > 0, "the prompt ends inside a token: rollback backs up");
      mark(`generation ${heal}`);
    }
    assert.ok((await paintedShare(page, await page.locator("[data-testid=generate-panel]").screenshot())) > 0.01, "the generation panel did not draw");
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});
