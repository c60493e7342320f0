// The brute-force oracle of the byte-level model, written independently of src/decode: token bytes from the
// vocabulary strings, canonicality by encoding texts, every cover scored along its own token sequence. Shared by the
// byte-level model's exactness test and exact healing's.
import { readFileSync } from "node:fs";
import { Tokenizer } from "../../src/index.js";
import type { Tokenizer as TokenizerType } from "../../src/tokenize/tokenizer.js";
import type { ModelConfig } from "../../src/lm/config.js";
import type { Params } from "../../src/lm/model.js";
import type { TokenLM, TokenState } from "../../src/lm/token-lm.js";

const utf8 = new TextEncoder();
const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const FIX = "test/fixtures/decode";

/** GPT-2's byte ↔ printable-character table, written out again here (the oracle shares no code with src/decode). */
function gpt2CharToByte(): Map<string, number> {
  const out = new Map<string, number>();
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
    out.set(String.fromCodePoint(printable ? b : 256 + extra++), b);
  }
  return out;
}

export interface Case {
  name: string;
  tokenizer: TokenizerType;
  /** How the oracle spells a vocabulary string as bytes. */
  spelling: "byte-level" | "metaspace";
  /** Bytes encode() puts before a text. */
  prefix: string;
}

function tokenBytesOracle(c: Case): (Uint8Array | null)[] {
  const special = new Set(c.tokenizer.addedTokens.map((t) => t.id));
  const charToByte = gpt2CharToByte();
  const out: (Uint8Array | null)[] = [];
  for (let id = 0; id < c.tokenizer.vocabSize(); id++) {
    const s = c.tokenizer.idToToken(id);
    if (s === undefined || special.has(id)) {
      out.push(null);
      continue;
    }
    if (c.spelling === "byte-level") out.push(Uint8Array.from(Array.from(s, (ch) => charToByte.get(ch)!)));
    else {
      const m = /^<0x([0-9A-F]{2})>$/.exec(s);
      out.push(m ? Uint8Array.of(parseInt(m[1]!, 16)) : utf8.encode(s.replaceAll("\u2581", " ")));
    }
  }
  return out;
}

export const concat = (...parts: ArrayLike<number>[]) => Uint8Array.from(parts.flatMap((p) => Array.from(p)));
const same = (a: ArrayLike<number>, b: ArrayLike<number>) => a.length === b.length && Array.from(a).every((v, i) => v === b[i]);
const startsWithBytes = (a: Uint8Array, p: Uint8Array) => p.length <= a.length && p.every((v, i) => a[i] === v);

/** Continuation bytes still missing at the end of `bytes` and the range of the next one; null when not UTF-8 at all. */
function openCharacter(bytes: Uint8Array): { need: number; lo: number; hi: number } | null {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    const len = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (len === 0) return null;
    const lo = b === 0xe0 ? 0xa0 : b === 0xf0 ? 0x90 : 0x80;
    const hi = b === 0xed ? 0x9f : b === 0xf4 ? 0x8f : 0xbf;
    for (let k = 1; k < len; k++) {
      if (i + k === bytes.length) return { need: len - k, lo: k === 1 ? lo : 0x80, hi: k === 1 ? hi : 0xbf };
      const c = bytes[i + k]!;
      if (c < (k === 1 ? lo : 0x80) || c > (k === 1 ? hi : 0xbf)) return null;
    }
    i += len;
  }
  return { need: 0, lo: 0, hi: 0 };
}

/** Every way to finish the open character at the end of `bytes` (first missing byte: all values; later ones: three). */
function finishings(open: { need: number; lo: number; hi: number }): number[][] {
  if (open.need === 0) return [[]];
  const later = (n: number): number[][] => (n === 0 ? [[]] : later(n - 1).flatMap((r) => [0x80, 0xa0, 0xbf].map((b) => [b, ...r])));
  const out: number[][] = [];
  for (let b = open.lo; b <= open.hi; b++) for (const r of later(open.need - 1)) out.push([b, ...r]);
  return out;
}

export class Oracle {
  readonly bytes: (Uint8Array | null)[];
  private readonly scores = new Map<string, { logP: number; next: Float64Array; state: TokenState }>();
  readonly prefix: Uint8Array;

  constructor(
    readonly c: Case,
    readonly model: { config: ModelConfig; params: Params },
    readonly lm: TokenLM,
  ) {
    this.bytes = tokenBytesOracle(c);
    this.prefix = utf8.encode(c.prefix);
  }

  spelled(ids: number[]): Uint8Array {
    return concat(...ids.map((id) => this.bytes[id] ?? new Uint8Array(0)));
  }

  encode(textBytes: Uint8Array): number[] {
    return this.c.tokenizer.encodeIds(strict.decode(textBytes), { addSpecialTokens: false });
  }

  /** log P(ids | BOS) and the next-token log-probabilities after them, extending the token-level model one token at
   * a time along this one sequence (the same arithmetic as any other use of the model, so the comparison below
   * measures the byte-level logic, not float32 rounding). */
  async score(ids: number[]): Promise<{ logP: number; next: Float64Array; state: TokenState }> {
    const key = ids.join(",");
    const hit = this.scores.get(key);
    if (hit) return hit;
    let out: { logP: number; next: Float64Array; state: TokenState };
    if (ids.length === 0) {
      const [r] = await this.lm.extend([{ from: null, ids: [this.model.config.bosTokenId!] }]);
      out = { logP: 0, next: r!.logProbs, state: r!.state };
    } else {
      const before = await this.score(ids.slice(0, -1));
      const last = ids[ids.length - 1]!;
      const [r] = await this.lm.extend([{ from: before.state, ids: [last] }]);
      out = { logP: before.logP + before.next[last]!, next: r!.logProbs, state: r!.state };
    }
    this.scores.set(key, out);
    return out;
  }

  /** The canonical sequences base·c whose base spells X[0, j) and whose last token is c (bytes X[0, j) + bytes(c)). */
  canonicalBases(X: Uint8Array, j: number, c: number): number[][] {
    // Depends on X[0, j) and c only: the same question comes back for every longer prefix.
    const key = `${Array.from(X.subarray(0, j)).join(".")}|${c}`;
    let hit = this.bases.get(key);
    if (!hit) this.bases.set(key, (hit = this.findBases(X.subarray(0, j), c)));
    return hit;
  }

  private readonly bases = new Map<string, number[][]>();

  private findBases(left: Uint8Array, c: number): number[][] {
    const X = left;
    const j = left.length;
    const Y = concat(X.subarray(0, j), this.bytes[c]!);
    if (!startsWithBytes(Y, this.prefix)) return [];
    const text = Y.subarray(this.prefix.length);
    const open = openCharacter(text);
    if (!open) return [];
    const bases = new Map<string, number[]>();
    for (const tail of finishings(open)) {
      const ids = this.encode(concat(text, tail));
      // base·c must be a prefix of the encoding (all of it when nothing was added).
      for (let k = 0; k < ids.length; k++) {
        if (ids[k] !== c || !same(this.spelled(ids.slice(0, k)), X.subarray(0, j))) continue;
        if (open.need === 0 && k !== ids.length - 1) continue;
        bases.set(ids.slice(0, k).join(","), ids.slice(0, k));
      }
      if (bases.size > 0 && open.need === 0) break;
    }
    return [...bases.values()];
  }

  /** Whether token c may follow ids (ids·c canonical, the oracle's way: some completion of the text encodes so). */
  canonicalNext(ids: number[], c: number): boolean {
    if (!this.bytes[c]) return false;
    const X = this.spelled(ids);
    const key = ids.join(",");
    if (this.canonicalBases(X, X.length, c).some((base) => base.join(",") === key)) return true;
    // A sequence may also only begin longer texts (SentencePiece's lone "▁" before " x"): probe a few next characters.
    const Y = concat(X, this.bytes[c]!);
    if (!startsWithBytes(Y, this.prefix)) return false;
    const text = Y.subarray(this.prefix.length);
    if (openCharacter(text)?.need !== 0) return false;
    const want = [...ids, c];
    return ["x", "a", "0", " ", "."].some((p) => {
      const got = this.encode(concat(text, utf8.encode(p)));
      return want.every((id, i) => got[i] === id) && same(this.spelled(got), concat(this.prefix, text, utf8.encode(p)));
    });
  }

  /** Every canonical cover of X (prefix included): base·c canonical, base spelling X[0, j) for some j < |X|, c's bytes
   * starting with X[j, |X|) (reaching or passing the end), with log P(base·c | BOS). */
  async covers(X: Uint8Array): Promise<{ ids: number[]; logP: number }[]> {
    const out: { ids: number[]; logP: number }[] = [];
    const n = X.length;
    for (let j = 0; j < n; j++) {
      for (let c = 0; c < this.bytes.length; c++) {
        const b = this.bytes[c];
        if (!b || b.length < n - j || !same(b.subarray(0, n - j), X.subarray(j))) continue;
        for (const base of this.canonicalBases(X, j, c)) {
          const s = await this.score(base);
          out.push({ ids: [...base, c], logP: s.logP + s.next[c]! });
        }
      }
    }
    return out;
  }

  /** Unnormalised A(X·b) for every byte and E(X) at 256. */
  async masses(X: Uint8Array): Promise<Float64Array> {
    const out = new Float64Array(257);
    const n = X.length;
    for (let j = 0; j <= n; j++) {
      for (let c = 0; c < this.bytes.length; c++) {
        const b = this.bytes[c];
        if (!b || b.length <= n - j || !same(b.subarray(0, n - j), X.subarray(j))) continue;
        for (const base of this.canonicalBases(X, j, c)) {
          const s = await this.score(base);
          out[b[n - j]!]! += Math.exp(s.logP + s.next[c]!);
        }
      }
    }
    const text = X.subarray(this.prefix.length);
    if (startsWithBytes(X, this.prefix) && openCharacter(text)?.need === 0) {
      const ids = this.encode(text);
      // The empty text's encoding is no tokens at all (the prefix is only put before some text).
      if (ids.length === 0 || same(this.spelled(ids), X)) {
        const s = await this.score(ids);
        out[256] = Math.exp(s.logP + s.next[this.model.config.eosTokenId as number]!);
      }
    }
    return out;
  }
}

/** The four tokenizer types of the exactness tests: small real-format files in test/fixtures/decode. */
export function oracleCases(): Case[] {
  const json = (f: string) => Tokenizer.fromJSON(readFileSync(`${FIX}/${f}`, "utf8"));
  const tiktoken = Tokenizer.fromBytes(new Uint8Array(readFileSync(`${FIX}/tiny.tiktoken`)), {
    fileName: "tiny.tiktoken",
    pattern: readFileSync(`${FIX}/tiny.tiktoken.pattern`, "utf8").trim(),
    specialTokens: { "<s>": 420, "</s>": 421 },
  });
  return [
    { name: "byte-level BPE", tokenizer: json("bpe.json"), spelling: "byte-level", prefix: "" },
    { name: "SentencePiece BPE (byte fallback)", tokenizer: json("spm-bpe.json"), spelling: "metaspace", prefix: " " },
    { name: "tiktoken rank file", tokenizer: tiktoken, spelling: "byte-level", prefix: "" },
    { name: "Unigram (byte fallback)", tokenizer: json("unigram.json"), spelling: "metaspace", prefix: " " },
  ];
}
