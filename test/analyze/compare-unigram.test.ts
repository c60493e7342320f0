// Unigram bits per byte in `compare` (issue 14 item 6): under --flores it is fitted on dev and measured on devtest —
// checked against the formula on the HF binding's ids — and a one-line text still has a held-out half.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tk from "tokenizers";
import { Tokenizer } from "../../src/index.js";
import { compareTokenizers, formatCompareTable, unigramSplit } from "../../src/analyze/compare.js";
import { renderCompareHtml } from "../../src/analyze/report-html.js";
import { readFloresFolder } from "../../src/cli/commands/compare.js";
import { floresLines, TOKENIZERS } from "../support/corpora.js";

const GPT2 = `${TOKENIZERS}/gpt-2.json`;

/** Add-one unigram cross-entropy in bits per byte, written out from docs/metrics.md on the reference's ids. */
function referenceBitsPerByte(fitIds: number[], heldIds: number[], heldBytes: number, vocab: number): number {
  const counts = new Map<number, number>();
  for (const id of fitIds) counts.set(id, (counts.get(id) ?? 0) + 1);
  let bits = 0;
  for (const id of heldIds) bits += -Math.log2(((counts.get(id) ?? 0) + 1) / (fitIds.length + vocab));
  return bits / heldBytes;
}

test("compare --flores: unigram bits per byte fitted on dev, measured on devtest (the formula on HF's ids), in table and HTML", async () => {
  const dir = mkdtempSync(join(tmpdir(), "retoken-flores-"));
  mkdirSync(join(dir, "dev"));
  mkdirSync(join(dir, "devtest"));
  const files: Record<string, { dev: string; devtest: string }> = {};
  for (const lang of ["eng_Latn", "deu_Latn", "zho_Hans"]) {
    files[lang] = { dev: floresLines(lang).slice(0, 60).join("\n") + "\n", devtest: floresLines(lang, "devtest").slice(0, 40).join("\n") + "\n" };
    writeFileSync(join(dir, "dev", `${lang}.dev`), files[lang]!.dev);
    writeFileSync(join(dir, "devtest", `${lang}.devtest`), files[lang]!.devtest);
  }
  const corpus = await readFloresFolder(dir);
  const report = compareTokenizers([{ name: "gpt-2", tokenizer: await Tokenizer.fromFile(GPT2) }], corpus, { audit: false, digits: false });
  const hf = await tk.Tokenizer.fromFile(GPT2);
  for (const r of report.results) {
    const { dev, devtest } = files[r.text]!;
    const ids = async (s: string) => (await hf.encode(s, null, { addSpecialTokens: false })).getIds();
    const expected = referenceBitsPerByte(await ids(dev), await ids(devtest), Buffer.byteLength(devtest), 50257);
    assert.ok(r.unigramBitsPerByte !== null && r.unigramBitsPerByte > 0.5, `${r.text}: ${r.unigramBitsPerByte}`);
    assert.ok(Math.abs(r.unigramBitsPerByte - expected) < 1e-9, `${r.text}: ${r.unigramBitsPerByte} vs ${expected}`);
  }
  assert.ok(report.summaries[0]!.meanUnigramBitsPerByte! > 0);
  const table = formatCompareTable(report);
  assert.match(table, /gpt-2 uni bits\/B/);
  const eng = report.results.find((r) => r.text === "eng_Latn")!;
  assert.match(table, new RegExp(`^eng_Latn .*${eng.unigramBitsPerByte!.toFixed(3)}$`, "m"));
  const html = renderCompareHtml(report, "");
  assert.match(html, /unigram bits\/byte/);
  assert.ok(html.includes(`<td>${eng.unigramBitsPerByte!.toFixed(3)}</td>`));
  assert.match(html, /"id":"unigram-bpb"|unigram-bpb/);
});

test("unigramSplit: lines halve; a one-line text halves by code points; an empty held-out split gives null, not 0", () => {
  assert.deepEqual(unigramSplit({ name: "a", text: "one\ntwo\nthree\n" }), ["one\ntwo", "three"]);
  assert.deepEqual(unigramSplit({ name: "a", text: "abc🙂de" }), ["abc", "🙂de"]);
  assert.throws(() => unigramSplit({ name: "a", text: "x", fit: "x" }), /only one of fit and heldOut/);
  const t = { vocabSize: () => 3, encode: () => ({ ids: [0], offsets: [[0, 1]] as [number, number][] }) };
  const report = compareTokenizers([{ name: "t", tokenizer: t as never }], [{ name: "x", text: "x" }], { audit: false, digits: false });
  assert.equal(report.results[0]!.unigramBitsPerByte, null);
});
