// Dynamic merging on real batches (FLORES lines, real tokenizers): the incremental merger against a plain reference
// of the anchor's loop (recount every round, first most frequent pair in scan order, merge left to right), losslessness,
// the boundary modes' promises, special tokens, and the reduction target.
import { test } from "node:test";
import assert from "node:assert/strict";
import { DynamicMerger, DYNAMIC_BOUNDARIES, type DynamicBoundary } from "../../src/decode/index.js";
import { decodeTokenizer } from "./tokenizers.js";
import { floresLines } from "../support/corpora.js";

/** The anchor's algorithm written as plainly as possible: ids ≥ base are merged tokens, spelled by `spell`. */
function referenceMerge(merger: DynamicMerger, batch: number[][], boundary: DynamicBoundary, rounds: number): { merges: [number, number][]; sequences: number[][] } {
  const base = merger.table.size;
  const spelled: Uint8Array[] = [];
  const bytes = (id: number) => (id < base ? merger.table.bytes(id) : spelled[id - base]!);
  const isValid = (l: number, r: number) => !(l < base && merger.table.isSpecial(l)) && !(r < base && merger.table.isSpecial(r)) && merger.validBytes(bytes(l), bytes(r), boundary);
  let seqs = batch.map((s) => [...s]);
  const merges: [number, number][] = [];
  for (let round = 0; round < rounds; round++) {
    const counts = new Map<string, number>();
    for (const s of seqs) for (let i = 0; i + 1 < s.length; i++) if (isValid(s[i]!, s[i + 1]!)) counts.set(`${s[i]},${s[i + 1]}`, (counts.get(`${s[i]},${s[i + 1]}`) ?? 0) + 1);
    let best: string | null = null;
    for (const [k, c] of counts) if (best === null || c > counts.get(best)!) best = k;
    if (best === null) break;
    const [a, b] = best.split(",").map(Number) as [number, number];
    const id = base + merges.length;
    spelled.push(new Uint8Array([...bytes(a), ...bytes(b)]));
    merges.push([a, b]);
    seqs = seqs.map((s) => {
      const out: number[] = [];
      for (let i = 0; i < s.length; i++) {
        if (i + 1 < s.length && s[i] === a && s[i + 1] === b) {
          out.push(id);
          i++;
        } else out.push(s[i]!);
      }
      return out;
    });
  }
  return { merges, sequences: seqs };
}

const batchOf = (lang: string, from: number, n: number) => floresLines(lang, "devtest").slice(from, from + n);
const concat = (parts: Uint8Array[]) => Buffer.concat(parts);

test("the incremental merger equals the reference loop on real batches: same merges, same sequences", () => {
  const cases: [string, string, number][] = [
    ["default-model", "deu_Latn", 250],
    ["default-model", "rus_Cyrl", 150],
    ["gpt-2", "zho_Hans", 120],
  ];
  for (const [name, lang, rounds] of cases) {
    const tok = decodeTokenizer(name);
    const merger = new DynamicMerger(tok);
    const batch = batchOf(lang, 0, 16).map((l) => tok.encodeIds(l, { addSpecialTokens: false }));
    for (const boundary of DYNAMIC_BOUNDARIES) {
      const fast = merger.mergeBatch(batch, { boundary, merges: rounds });
      const ref = referenceMerge(merger, batch, boundary, rounds);
      assert.deepEqual(fast.merges.map((m) => [m.left, m.right]), ref.merges, `${name} ${lang} ${boundary}`);
      assert.deepEqual(fast.sequences.map((s) => Array.from(s)), ref.sequences, `${name} ${lang} ${boundary}`);
      assert.equal(fast.tokensAfter, ref.sequences.reduce((n, s) => n + s.length, 0));
      // Each merge removes one token per occurrence it merged; overlapping runs (a a a) merge fewer than counted.
      assert.ok(fast.merges.every((m) => m.count >= 1));
      assert.ok(fast.tokensBefore - fast.tokensAfter <= fast.merges.reduce((n, m) => n + m.count, 0));
      assert.ok(fast.merges.length === rounds || fast.merges.length === ref.merges.length, "stops only when no valid pair is left");
    }
  }
});

test("merging is lossless and each boundary mode keeps its promise (pre-tokens whole, words whole)", () => {
  const tok = decodeTokenizer("default-model");
  const merger = new DynamicMerger(tok);
  const canonPieces = (text: string) => {
    const out: string[] = [];
    tok.preTokenizer!.preTokenizeText!(text, false, out);
    return out;
  };
  const lines = [...batchOf("eng_Latn", 40, 12), ...batchOf("spa_Latn", 40, 12)];
  const batch = lines.map((l) => tok.encodeIds(l, { addSpecialTokens: false }));
  let reductions: Record<string, number> = {};
  for (const boundary of DYNAMIC_BOUNDARIES) {
    const out = merger.mergeBatch(batch, { boundary, merges: 400 });
    reductions[boundary] = out.reduction;
    out.sequences.forEach((seq, i) => {
      assert.deepEqual(concat(Array.from(seq, (id) => out.bytes(id))), concat(batch[i]!.map((id) => merger.table.bytes(id))), `lossless: line ${i}`);
    });
    for (let k = 0; k < out.merges.length; k++) {
      const text = new TextDecoder().decode(out.bytes(out.baseSize + k));
      if (boundary !== "sentence") assert.match(text, /^\s*\S*$/u, `${boundary}: ${JSON.stringify(text)} spans words`);
      if (boundary === "pretokens" && !text.includes("\uFFFD")) assert.ok(canonPieces(text).length === 1, `${JSON.stringify(text)} is several pre-tokens`);
    }
  }
  // Wider boundaries allow every merge a narrower one allows, and more.
  assert.ok(reductions.pretokens! <= reductions.word! && reductions.word! < reductions.sentence!, JSON.stringify(reductions));
  // The pre-tokenizer really constrains: "word." is one word, two pre-tokens.
  const ids = (s: string) => tok.encodeIds(s, { addSpecialTokens: false });
  const dot = [ids(" end"), ids(".")];
  assert.equal(merger.validBytes(merger.table.bytes(dot[0]![0]!), merger.table.bytes(dot[1]![0]!), "pretokens"), false);
  assert.equal(merger.validBytes(merger.table.bytes(dot[0]![0]!), merger.table.bytes(dot[1]![0]!), "word"), true);
});

test("special tokens are never merged; the reduction target is reached by merging until it holds", () => {
  const tok = decodeTokenizer("default-model");
  const merger = new DynamicMerger(tok);
  const bos = tok.tokenToId("<|begin_of_text|>")!;
  const lines = batchOf("fra_Latn", 100, 16);
  const batch = lines.map((l) => [bos, ...tok.encodeIds(l, { addSpecialTokens: false }), bos]);
  const out = merger.mergeBatch(batch, { boundary: "sentence", reduction: 0.3 });
  for (const m of out.merges) assert.ok(m.left !== bos && m.right !== bos);
  for (const s of out.sequences) {
    assert.equal(s[0], bos);
    assert.equal(s[s.length - 1], bos);
  }
  assert.ok(out.reduction >= 0.3, `${out.reduction}`);
  // One merge fewer falls short: the search stops at the first merge count that reaches the target.
  const fewer = merger.mergeBatch(batch, { boundary: "sentence", merges: out.merges.length - 1 });
  assert.ok(fewer.reduction < 0.3);
  assert.deepEqual(fewer.merges, out.merges.slice(0, -1));
  // Ties go to the pair seen first: a batch of two identical-count pairs picks the earlier one.
  const [x, y, z, w] = [" the", " cat", " of", " in"].map((s) => ids(tok, s));
  assert.ok([x, y, z, w].every((t) => t.length === 1));
  const tie = merger.mergeBatch([[...z!, ...w!], [...x!, ...y!]], { boundary: "sentence", merges: 1 });
  assert.deepEqual([tie.merges[0]!.left, tie.merges[0]!.right], [z![0], w![0]]);
  assert.throws(() => merger.mergeBatch(batch, { reduction: 1 }), /reduction must be in \[0, 1\)/);
  assert.throws(() => merger.mergeBatch(batch, {}), /give merges or reduction/);
  assert.throws(() => merger.mergeBatch([[1e9]], { merges: 1 }), /sequence 1, position 1: id 1000000000 is outside/);
});

function ids(tok: ReturnType<typeof decodeTokenizer>, s: string): number[] {
  return tok.encodeIds(s, { addSpecialTokens: false });
}

test("merges learned on one batch apply to another as a fixed BPE would: each merge in order, left to right", () => {
  const tok = decodeTokenizer("default-model");
  const merger = new DynamicMerger(tok);
  const encode = (lines: string[]) => lines.map((l) => tok.encodeIds(l, { addSpecialTokens: false }));
  const learnedOn = encode(batchOf("deu_Latn", 0, 16));
  const learned = merger.mergeBatch(learnedOn, { boundary: "pretokens", merges: 150 });
  assert.deepEqual(merger.applyMerges(learnedOn, learned).sequences, learned.sequences);
  const other = encode(batchOf("deu_Latn", 16, 16));
  let seqs = other.map((s) => [...s]);
  learned.merges.forEach((m, k) => {
    seqs = seqs.map((s) => {
      const out: number[] = [];
      for (let i = 0; i < s.length; i++) {
        if (i + 1 < s.length && s[i] === m.left && s[i + 1] === m.right) {
          out.push(learned.baseSize + k);
          i++;
        } else out.push(s[i]!);
      }
      return out;
    });
  });
  const applied = merger.applyMerges(other, learned);
  assert.deepEqual(applied.sequences.map((s) => Array.from(s)), seqs);
  assert.ok(applied.reduction > 0 && applied.reduction < learned.reduction, `${applied.reduction} vs ${learned.reduction}`);
});
