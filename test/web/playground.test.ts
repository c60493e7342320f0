// The playground in Chromium, built (file://) and served (http): the ids it shows for GPT-2, Llama 2 (a tokenizer.json
// chosen in the file input) and a SentencePiece .model (dropped on the page) equal the HF binding and spm_encode on
// FLORES lines in 10 scripts and hard strings; special tokens switch; the link reproduces the view; each view draws.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import tk from "tokenizers";
import { get_encoding } from "tiktoken";
import { writePlayground } from "../../src/web/site.js";
import { servePlayground } from "../../src/web/serve.js";
import { stateFromHash, stateToHash } from "../../src/web/state.js";
import { changedRange, visibleBytes } from "../../src/web/token-view.js";
import { floresLines, HARD_STRINGS, WHITESPACE_STRINGS } from "../formats/data.js";
import { spmEncode } from "../formats/spm-reference.js";
import { launchChromium, paintedShare, setCaret } from "./chromium.js";
import { loadLanguageModel } from "../../src/lm/node.js";
import { forward, disposeCache } from "../../src/lm/model.js";
import { toFloat32 } from "../../src/tensor/backend.js";

/** The bundled model's next-token probabilities after BOS + the prefix's ids, by the jax-js forward (not the page's code). */
async function referenceNextToken(prefix: string): Promise<Float64Array> {
  const { folder, tokenizer } = await loadLanguageModel(undefined);
  const ids = [folder.config.bosTokenId!, ...tokenizer.encode(prefix, { addSpecialTokens: false }).ids];
  const { logits, cache } = forward(folder.config, folder.params, [ids]);
  disposeCache(cache);
  const all = await toFloat32(logits);
  const V = folder.config.vocabSize;
  const row = all.subarray((ids.length - 1) * V, ids.length * V);
  const max = Math.max(...row);
  const e = Float64Array.from(row, (x) => Math.exp(x - max));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / z);
}

const TOKENIZERS = "../shared/data/tokenizers";
const LLAMA = `${TOKENIZERS}/llama.json`;
const SPM = `${TOKENIZERS}/sentencepiece/en-unigram.model`;
const SCRIPTS = ["eng_Latn", "rus_Cyrl", "arb_Arab", "hin_Deva", "zho_Hans", "kor_Hang", "ell_Grek", "heb_Hebr", "tha_Thai", "amh_Ethi"];

/** 20 FLORES lines per script and the hard strings a textarea can hold (no CR: its value turns CRLF into LF). */
function texts(): string[] {
  const flores = SCRIPTS.flatMap((lang) => floresLines(lang).filter((_, i) => i % 40 === 3).slice(0, 20));
  const lone = /(^|[^\ud800-\udbff])[\udc00-\udfff]|[\ud800-\udbff](?![\udc00-\udfff])/;
  return [...flores, ...HARD_STRINGS, ...WHITESPACE_STRINGS].filter((t) => t.length > 0 && !t.includes("\r") && !lone.test(t));
}

test("token faces: whitespace visible, partial UTF-8 as bytes (never U+FFFD); changed ranges; link state round-trips", () => {
  assert.deepEqual(visibleBytes(new TextEncoder().encode(" a\tb\n")), { label: "·a→b↵\n", partial: false });
  assert.deepEqual(visibleBytes(Uint8Array.of(0xe6, 0x97)), { label: "⟨E6 97⟩", partial: true });
  assert.deepEqual(visibleBytes(Uint8Array.of(0x20, 0xe6, 0x97, 0xa5, 0xe6)), { label: "·日⟨E6⟩", partial: true });
  assert.deepEqual(visibleBytes(Uint8Array.of(0x01, 0xff)), { label: "⟨01⟩⟨FF⟩", partial: true });
  assert.deepEqual(changedRange([1, 2, 3, 4], [1, 2, 9, 4]), [2, 1]);
  assert.deepEqual(changedRange([1, 1], [1, 1, 1]), [2, 0]);
  const state = { text: "a&b=c #x\n日本", tokenizers: ["gpt2", "file:x.model"], addSpecialTokens: true, parseSpecialTokens: false };
  assert.deepEqual(stateFromHash(stateToHash(state)), state);
});

/** Sets the text as typing does and reads every panel's ids from its token elements, for each string. */
async function shownIds(page: Page, strings: string[]): Promise<number[][][]> {
  return page.evaluate((strings) => {
    const input = document.querySelector("[data-testid=text-input]") as HTMLTextAreaElement;
    return strings.map((s) => {
      input.value = s;
      input.dispatchEvent(new Event("input"));
      return [...document.querySelectorAll("[data-testid=panel]")].map((p) => [...p.querySelectorAll("[data-testid=tokens] [data-id]")].map((e) => Number((e as HTMLElement).dataset.id)));
    });
  }, strings);
}

async function waitForPanels(page: Page, n: number): Promise<void> {
  await page.waitForFunction(
    (n) => {
      const counts = [...document.querySelectorAll("[data-testid=token-count]")];
      return counts.length === n && counts.every((c) => /^\d+$/.test(c.textContent ?? ""));
    },
    n,
    { timeout: 30_000 },
  );
}

async function dropFile(page: Page, path: string, name: string): Promise<void> {
  await page.evaluate(
    ({ b64, name }) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const data = new DataTransfer();
      data.items.add(new File([bytes], name));
      document.dispatchEvent(new DragEvent("drop", { dataTransfer: data, bubbles: true, cancelable: true }));
    },
    { b64: readFileSync(path).toString("base64"), name },
  );
}

test("playground (built and served): ids equal HF and spm_encode, files load, specials switch, links round-trip, views draw", async () => {
  const t0 = performance.now();
  const mark = (what: string) => process.env.RETOKEN_TEST_TIMES && console.log(`${((performance.now() - t0) / 1000).toFixed(1)} s ${what}`);
  const strings = texts();
  assert.ok(strings.length >= 200, `${strings.length} strings`);
  const hf = async (file: string) => {
    const t = tk.Tokenizer.fromString(readFileSync(file, "utf8"));
    return Promise.all(strings.map(async (s) => (await t.encode(s, null, { addSpecialTokens: false })).getIds()));
  };
  const reference = { gpt2: await hf(`${TOKENIZERS}/gpt-2.json`), llama: await hf(LLAMA), spm: spmEncode(SPM, strings.map((s) => (s.includes("\n") ? "" : s))) };

  mark("references");
  const dir = mkdtempSync(join(tmpdir(), "retoken-playground-"));
  await writePlayground(join(dir, "site"));
  const { server, url } = await servePlayground(0);
  const { browser, page, errors } = await launchChromium();
  mark("site built, browser up");
  const summary: string[] = [];
  try {
    for (const [where, base] of [["built", `file://${join(dir, "site", "index.html")}`], ["served", url]] as const) {
      errors.length = 0;
      await page.goto(`${base}#t=gpt2`);
      await waitForPanels(page, 1);
      await page.locator("[data-testid=tokenizer-file]").setInputFiles(LLAMA);
      await waitForPanels(page, 2);
      await dropFile(page, SPM, "en-unigram.model");
      await waitForPanels(page, 3);
      mark(`${where}: files loaded`);
      assert.match(await page.locator("[data-testid=status]").textContent() ?? "", /en-unigram\.model loaded/);
      assert.deepEqual(await page.$$eval("[data-testid=tokenizer-select]", (s) => s.map((e) => (e as HTMLSelectElement).value)), ["gpt2", "file:llama.json", "file:en-unigram.model"]);

      const shown = await shownIds(page, strings);
      const equal = { gpt2: 0, llama: 0, spm: 0 };
      let spmTotal = 0;
      strings.forEach((s, i) => {
        const [g, l, m] = shown[i]!;
        if (JSON.stringify(g) === JSON.stringify(reference.gpt2[i])) equal.gpt2++;
        else assert.fail(`${where} GPT-2 ${JSON.stringify(s)}: shown ${g} expected ${reference.gpt2[i]}`);
        if (JSON.stringify(l) === JSON.stringify(reference.llama[i])) equal.llama++;
        else assert.fail(`${where} Llama 2 ${JSON.stringify(s)}: shown ${l} expected ${reference.llama[i]}`);
        if (s.includes("\n")) return; // spm_encode reads one sentence per line
        spmTotal++;
        if (JSON.stringify(m) === JSON.stringify(reference.spm[i])) equal.spm++;
        else assert.fail(`${where} en-unigram.model ${JSON.stringify(s)}: shown ${m} expected ${reference.spm[i]}`);
      });
      mark(`${where}: ids compared`);
      summary.push(`${where}: GPT-2 ${equal.gpt2}/${strings.length}, Llama 2 ${equal.llama}/${strings.length}, .model ${equal.spm}/${spmTotal}`);

      // Special tokens: matched in text by default, read as plain text when switched off.
      const special = "a<|endoftext|>b";
      assert.deepEqual((await shownIds(page, [special]))[0]![0], [64, 50256, 65]);
      await page.locator("[data-testid=parse-special]").uncheck();
      assert.ok(!(await shownIds(page, [special]))[0]![0]!.includes(50256), "literal mode must not match <|endoftext|>");
      await page.locator("[data-testid=parse-special]").check();
      await page.locator("[data-testid=add-special]").check();
      assert.deepEqual((await shownIds(page, ["hi"]))[0]![1]!.slice(0, 1), [1], "Llama 2 adds <s> when special tokens are on");
      await page.locator("[data-testid=add-special]").uncheck();

      // Hover shows id, bytes and offsets; the keyboard moves the selection.
      await page.locator("[data-testid=text-input]").fill("héllo 日本");
      await page.locator("[data-testid=panel] >> nth=0").locator("[data-id] >> nth=1").hover();
      assert.match(await page.locator("[data-testid=token-details] >> nth=0").textContent() ?? "", /id \d+ .*bytes [0-9A-F ]+.*UTF-16/);
      await page.locator("[data-testid=tokens] >> nth=0").focus();
      await page.keyboard.press("End");
      assert.match(await page.locator("[data-testid=token-details] >> nth=0").textContent() ?? "", /text \[\d+, 8\) UTF-16/);
      assert.equal(await page.locator("[data-testid=panel] >> nth=0").locator(".t.p").count() > 0, true, "GPT-2 splits 日本 into byte tokens shown as partial");
      assert.ok(!(await page.locator("[data-testid=panel] >> nth=0").locator("[data-testid=tokens]").textContent())!.includes("\ufffd"), "no U+FFFD for partial characters");

      if (where === "built") {
        // The bundled model in the page: next-token probabilities at the caret equal the jax-js forward in Node.
        const prefix = "Die Datei wird ";
        await page.locator("[data-testid=text-input]").fill(prefix + "gelöscht.");
        await page.locator("[data-testid=model-load]").click();
        await setCaret(page, prefix.length);
        await page.waitForFunction(() => document.querySelectorAll("[data-testid=next-token-list] li").length === 10, null, { timeout: 60_000 });
        const shownNext = await page.$$eval("[data-testid=next-token-list] li", (lis) => lis.map((li) => ({ id: Number((li as HTMLElement).dataset.id), p: Number((li as HTMLElement).dataset.p) })));
        const ref = await referenceNextToken(prefix);
        const refTop = [...ref.keys()].sort((a, b) => ref[b]! - ref[a]!).slice(0, 10);
        assert.deepEqual(shownNext.map((r) => r.id), refTop, "top-10 next tokens");
        for (const r of shownNext) assert.ok(Math.abs(r.p - ref[r.id]!) < 1e-4, `p(${r.id}) ${r.p} vs ${ref[r.id]}`);
        const byteSum = await page.$$eval("[data-testid=next-byte-list] li", (lis) => lis.reduce((a, li) => a + Number((li as HTMLElement).dataset.p), 0));
        assert.ok(byteSum > 0.5 && byteSum <= 1 + 1e-6, `top-10 next bytes hold ${byteSum}`);
        assert.ok((await paintedShare(page, await page.locator("[data-testid=model-panel]").screenshot())) > 0.02, "the model panel did not draw");
        mark("model panel checked");
      }
      const shot = await page.screenshot({ fullPage: true });
      assert.ok((await paintedShare(page, shot)) > 0.03, `${where}: the page screenshot is blank`);
      await page.locator("[data-testid=compare-chart] svg").first().waitFor({ timeout: 5000 });
      // The figure, not its svg: a redraw after the last edit replaces the svg while a screenshot waits for it.
      const chart = page.locator("[data-testid=compare-chart]");
      assert.ok((await paintedShare(page, await chart.screenshot())) > 0.01, `${where}: the comparison chart did not draw`);
      assert.deepEqual(errors, [], `${where}: console errors`);
      mark(`${where}: done`);
    }

    // The link reproduces the view: text, tokenizers and switches.
    await page.goto(`${url}#t=gpt2,de-8k`);
    await waitForPanels(page, 2);
    await page.locator("[data-testid=text-input]").fill("Link state: «Grüße» 🙂");
    await page.locator("[data-testid=parse-special]").uncheck();
    await page.waitForTimeout(400);
    const link = page.url();
    const before = await page.$$eval("[data-testid=panel]", (ps) => ps.map((p) => p.querySelector("[data-testid=tokens]")!.innerHTML));
    const other = await browser.newPage();
    await other.goto(link);
    await waitForPanels(other, 2);
    assert.equal(await other.locator("[data-testid=text-input]").inputValue(), "Link state: «Grüße» 🙂");
    assert.equal(await other.locator("[data-testid=parse-special]").isChecked(), false);
    assert.deepEqual(await other.$$eval("[data-testid=tokenizer-select]", (s) => s.map((e) => (e as HTMLSelectElement).value)), ["gpt2", "de-8k"]);
    assert.deepEqual(await other.$$eval("[data-testid=panel]", (ps) => ps.map((p) => p.querySelector("[data-testid=tokens]")!.innerHTML)), before);

    // Named encodings, read in the page from js-tiktoken's packed tables: tiktoken's ids (special tokens matched, the page's default).
    await page.goto(`${url}#t=cl100k_base,o200k_base`);
    await waitForPanels(page, 2);
    await page.locator("[data-testid=text-input]").fill("loaded?");
    await page.waitForFunction(() => [...document.querySelectorAll("[data-testid=panel]")].every((p) => p.querySelector("[data-testid=tokens] [data-id]")), null, { timeout: 60_000 });
    const sample = strings.filter((_, i) => i % 4 === 0);
    const shownNamed = await shownIds(page, sample);
    for (const [k, name] of (["cl100k_base", "o200k_base"] as const).entries()) {
      const enc = get_encoding(name);
      sample.forEach((s, i) => assert.deepEqual(shownNamed[i]![k], [...enc.encode(s, "all")], `${name} ${JSON.stringify(s)}`));
      enc.free();
    }
    summary.push(`named encodings: cl100k_base and o200k_base ${sample.length}/${sample.length} each`);
    console.log(summary.join("\n"));
  } finally {
    await browser.close();
    server.close();
  }
});

test("retoken playground: serves the page and prints its URL; --build refuses a missing parent folder", async () => {
  const { spawn, spawnSync } = await import("node:child_process");
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "playground", "--port", "0"], { stdio: ["ignore", "pipe", "pipe"] });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout.on("data", (d: Buffer) => {
        out += d.toString();
        const m = /http:\/\/127\.0\.0\.1:\d+\//.exec(out);
        if (m) resolve(m[0]);
      });
      child.on("exit", (code) => reject(new Error(`playground exited with ${code}`)));
    });
    const page = await fetch(url);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /retokenManifest/);
    assert.equal((await fetch(`${url}assets/gpt2.js`)).status, 200);
    assert.equal((await fetch(`${url}nope.js`)).status, 404);
  } finally {
    child.kill();
  }
  const bad = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", "playground", "--build", join(tmpdir(), "no-such-parent-4711", "site")], { encoding: "utf8" });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /no-such-parent-4711 does not exist/);
});
