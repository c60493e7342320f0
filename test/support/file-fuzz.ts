// A structure-aware fuzzer for the file readers: real tokenizer.json, .model, .tiktoken and safetensors files are
// damaged (truncated, bits flipped, fields deleted, types swapped, numbers pushed to extremes, stages nested deep) and
// loaded by retoken and by the reference. The only allowed outcomes are "loads and encodes as the reference does" and
// "a clear error naming the file" (with the field, position or tensor after it); a crash, a silent difference or a
// load that the reference refuses without a documented reason is a failure. Used by test/fuzz/files.test.ts (a few
// dozen cases per format) and scripts/fuzz.ts (`npm run fuzz`, thousands).
import { fork, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRequire } from "node:module";
import { Tokenizer } from "../../src/index.js";
import { KNOWN_TIKTOKEN_ENCODINGS } from "../../src/formats/tiktoken.js";
import { sentencePieceToTokenizerJson } from "../../src/formats/sentencepiece.js";
import { DTYPE_BYTES, parseSafetensors } from "../../src/tensor/safetensors.js";
import { openSafetensors } from "../../src/node/safetensors.js";
import { mulberry32 } from "../../src/util/random.js";
import { DOCUMENTED_ACCEPTANCES } from "./fuzz-acceptances.js";

const require = createRequire(import.meta.url);
const { Tiktoken } = require("tiktoken") as { Tiktoken: new (ranks: string, specials: Record<string, number>, pattern: string) => { encode(t: string, allowed: "all"): Uint32Array; free(): void } };

export type FuzzFormat = "tokenizer.json" | "tiktoken" | "model" | "safetensors";
export const FUZZ_FORMATS: FuzzFormat[] = ["tokenizer.json", "tiktoken", "model", "safetensors"];

/** What happened to one damaged file. */
export type Outcome = "loads-as-reference" | "clear-error" | "documented-acceptance" | "crash" | "differs-from-reference" | "loads-that-reference-refuses";
export const ALLOWED: ReadonlySet<Outcome> = new Set(["loads-as-reference", "clear-error", "documented-acceptance"]);

export interface FuzzCase {
  format: FuzzFormat;
  base: string;
  mutation: string;
  outcome: Outcome;
  detail: string;
}

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const int = (r: Rand, n: number) => Math.floor(r() * n);

/** Texts every loaded tokenizer encodes: words, digits, CJK, emoji with ZWJ, combining marks, specials typed in. */
export const FUZZ_TEXTS = [
  "Hello world, this is a test.",
  "Die Datei wurde 2024 um 12:30 gespeichert.",
  "数学 and 日本語のテキスト 1234567",
  "👩‍👩‍👧‍👦 e\u0301\u0302\u0303 ﬁ ａｂｃ",
  "  leading and trailing spaces  ",
  "<s> <|endoftext|> [CLS] </s>",
];

// ---------------------------------------------------------------- mutation helpers

function truncate(r: Rand, bytes: Uint8Array): { bytes: Uint8Array; mutation: string } {
  const at = int(r, bytes.length);
  return { bytes: bytes.slice(0, at), mutation: `truncate at ${at}/${bytes.length}` };
}

/** Flips 1-4 bits, in `[from, to)` when given (e.g. a safetensors header). */
function bitflip(r: Rand, bytes: Uint8Array, from = 0, to = bytes.length): { bytes: Uint8Array; mutation: string } {
  const out = bytes.slice();
  const at: string[] = [];
  for (let k = 1 + int(r, 4); k > 0; k--) {
    const i = from + int(r, to - from);
    const bit = int(r, 8);
    out[i]! ^= 1 << bit;
    at.push(`${i}.${bit}`);
  }
  return { bytes: out, mutation: `bit flips ${at.join(" ")}` };
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Path = (string | number)[];

/** Paths into a JSON value; `bulk` keys (vocab, merges) contribute only `bulkSamples` random entries each. */
function jsonPaths(r: Rand, value: Json, bulk: ReadonlySet<string>, bulkSamples = 12): Path[] {
  const out: Path[] = [];
  const stack: [Json, Path][] = [[value, []]];
  while (stack.length) {
    const [v, path] = stack.pop()!;
    if (path.length) out.push(path);
    if (v === null || typeof v !== "object") continue;
    const keys: (string | number)[] = Array.isArray(v) ? v.map((_, i) => i) : Object.keys(v);
    const last = path[path.length - 1];
    const sample = typeof last === "string" && bulk.has(last) ? Array.from({ length: Math.min(bulkSamples, keys.length) }, () => pick(r, keys)) : keys;
    for (const k of sample) stack.push([(v as Record<string | number, Json>)[k]!, [...path, k]]);
  }
  return out;
}

function getAt(root: Json, path: Path): Json {
  let v = root;
  for (const k of path) v = (v as Record<string | number, Json>)[k]!;
  return v;
}

function setAt(root: Json, path: Path, value: Json | undefined): void {
  const parent = getAt(root, path.slice(0, -1)) as Record<string | number, Json> | Json[];
  const k = path[path.length - 1]!;
  if (value === undefined) {
    if (Array.isArray(parent)) parent.splice(k as number, 1);
    else delete (parent as Record<string, Json>)[k];
  } else (parent as Record<string | number, Json>)[k] = value;
}

const EXTREME_NUMBERS = [-1, 0, 1, 1.5, -1e9, 2 ** 31, 2 ** 32 + 1, 1e9, 1e12, 1e18, 2 ** 53 + 2, 1e300, -0.5];
const OTHER_TYPES: Json[] = [null, true, false, 0, -7, 1e12, "", "x", "Sequence", [], [1, "a"], {}, { type: "Sequence" }];

const NEST_MARK = "\u0000nest\u0000";

/** One structural mutation of a JSON document: its label, and for deep nesting a patch of the serialised text (built
 * as text: JSON.stringify itself recurses and would overflow on 10,000 levels). */
function mutateJson(r: Rand, root: Json, bulk: ReadonlySet<string>, nestable: readonly { key: string; type: string; field: string }[]): { label: string; patch?: (text: string) => string } {
  const kind = pick(r, ["delete", "swap", "number", "number", "nest", "duplicate"] as const);
  if (kind === "nest" && nestable.length) {
    const { key, type, field } = pick(r, nestable);
    const depth = pick(r, [2, 50, 62, 63, 64, 300, 10_000]);
    const inner = (root as Record<string, Json>)[key] ?? null;
    (root as Record<string, Json>)[key] = NEST_MARK;
    const open = `{"type":${JSON.stringify(type)},${JSON.stringify(field)}:[`;
    const nested = open.repeat(depth) + (inner === null ? "" : JSON.stringify(inner)) + "]}".repeat(depth);
    return { label: `nest ${key} in ${depth} ${type}s`, patch: (text) => text.replace(JSON.stringify(NEST_MARK), () => nested) };
  }
  const paths = jsonPaths(r, root, bulk);
  if (kind === "number") {
    const numeric = paths.filter((p) => typeof getAt(root, p) === "number");
    const path = numeric.length ? pick(r, numeric) : pick(r, paths);
    const v = pick(r, EXTREME_NUMBERS);
    setAt(root, path, v);
    return { label: `number ${path.join(".")} = ${v}` };
  }
  const path = pick(r, paths);
  if (kind === "delete") {
    setAt(root, path, undefined);
    return { label: `delete ${path.join(".")}` };
  }
  if (kind === "duplicate") {
    const parent = getAt(root, path.slice(0, -1));
    if (Array.isArray(parent)) {
      parent.splice(path[path.length - 1] as number, 0, structuredClone(getAt(root, path)));
      return { label: `duplicate ${path.join(".")}` };
    }
  }
  const old = getAt(root, path);
  const choices = OTHER_TYPES.filter((v) => typeof v !== typeof old || Array.isArray(v) !== Array.isArray(old));
  const v = structuredClone(pick(r, choices));
  setAt(root, path, v);
  return { label: `swap ${path.join(".")} = ${JSON.stringify(v)}` };
}

// ---------------------------------------------------------------- outcomes

/** A clear error starts with the file's name and says more after it. */
function isClear(e: unknown, file: string): boolean {
  const m = e instanceof Error ? e.message : String(e);
  return m.startsWith(`${file}: `) && m.length > file.length + 8 && !/Maximum call stack|is not a function|Cannot read prop|undefined is not|of undefined|of null/.test(m);
}

function errorText(e: unknown): string {
  return (e instanceof Error ? `${e.name}: ${e.message}` : String(e)).slice(0, 300);
}

type Encoded = { ids: number[][] } | { error: unknown };

function classify(format: FuzzFormat, base: string, mutation: string, file: string, damaged: Uint8Array, ours: Encoded, reference: Encoded): FuzzCase {
  const c = (outcome: Outcome, detail: string): FuzzCase => ({ format, base, mutation, outcome, detail });
  if ("error" in ours) return isClear(ours.error, file) ? c("clear-error", errorText(ours.error)) : c("crash", errorText(ours.error));
  if ("error" in reference) {
    const why = DOCUMENTED_ACCEPTANCES.find((a) => a.format === format && a.matches(mutation, errorText(reference.error), damaged));
    return why ? c("documented-acceptance", `${why.id}: ${errorText(reference.error)}`) : c("loads-that-reference-refuses", errorText(reference.error));
  }
  for (let i = 0; i < ours.ids.length; i++) {
    const a = ours.ids[i]!;
    const b = reference.ids[i]!;
    if (a.length !== b.length || a.some((x, j) => x !== b[j])) {
      const from = Math.max(0, a.findIndex((x, j) => x !== b[j]) - 2);
      return c("differs-from-reference", `${JSON.stringify(FUZZ_TEXTS[i])}: from token ${from}, ours ${JSON.stringify(a.slice(from, from + 10))} reference ${JSON.stringify(b.slice(from, from + 10))}`);
    }
  }
  return c("loads-as-reference", "");
}

function ourEncode(load: () => Tokenizer, texts: string[], addSpecialTokens: boolean): Encoded {
  try {
    const t = load();
    return { ids: texts.map((s) => Array.from(t.encode(s, { addSpecialTokens }).ids)) };
  } catch (error) {
    return { error };
  }
}

// ---------------------------------------------------------------- tokenizer.json

const JSON_BASES = [
  "assets/tokenizers/de-8k.json",
  "assets/tokenizers/ja-8k.json",
  "assets/default-model/tokenizer.json",
  "assets/gpt2-tokenizer.json",
  "../shared/data/tokenizers/llama.json",
  "../shared/data/tokenizers/mistral.json",
  "spm:../shared/data/tokenizers/sentencepiece/en-unigram.model",
];
const NESTABLE = [
  { key: "normalizer", type: "Sequence", field: "normalizers" },
  { key: "pre_tokenizer", type: "Sequence", field: "pretokenizers" },
  { key: "decoder", type: "Sequence", field: "decoders" },
  { key: "post_processor", type: "Sequence", field: "processors" },
];

const jsonBaseCache = new Map<string, string>();
function jsonBase(base: string): string {
  let text = jsonBaseCache.get(base);
  if (text === undefined) {
    text = base.startsWith("spm:") ? JSON.stringify(sentencePieceToTokenizerJson(new Uint8Array(readFileSync(base.slice(4))), { fileName: base.slice(4), spmEncode: false })) : readFileSync(base, "utf8");
    jsonBaseCache.set(base, text);
  }
  return text;
}

const HF_TIMEOUT_MS = 120_000;

/** The HF binding in a child process (hf-reference-child.mjs), restarted when a damaged file makes it abort. */
class HfReference {
  private child: ChildProcess | null = null;
  private next = 0;
  private stderr = "";
  private pending: { id: number; resolve: (e: Encoded) => void } | null = null;

  private start(): ChildProcess {
    const child = fork(new URL("./hf-reference-child.mjs", import.meta.url), [], { stdio: ["ignore", "ignore", "pipe", "ipc"] });
    child.stderr!.on("data", (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-2000)));
    child.on("message", (m: { id: number; ids?: number[][]; error?: string }) => {
      if (this.pending?.id !== m.id) return;
      const p = this.pending;
      this.pending = null;
      p.resolve(m.ids ? { ids: m.ids } : { error: new Error(m.error) });
    });
    child.on("exit", (code, signal) => {
      this.child = null;
      const p = this.pending;
      this.pending = null;
      const panic = this.stderr.split("\n").find((l) => /panicked|memory allocation/.test(l)) ?? "";
      p?.resolve({ error: new Error(`the HF binding aborted the process (${signal ?? code}): ${panic}`) });
    });
    child.unref();
    (child as unknown as { channel?: { unref(): void } }).channel?.unref();
    return child;
  }

  encode(json: string | null, texts: string[]): Promise<Encoded> {
    if (json === null) return Promise.resolve({ error: new Error("not UTF-8") });
    this.child ??= this.start();
    this.stderr = "";
    const id = this.next++;
    return new Promise((resolve) => {
      // The child and its channel are unref'd (they must not keep a finished run alive), so a request that is never
      // answered would let the event loop drain and end the run with exit code 13: a referenced timer waits for it,
      // and a reference that hangs counts as refusing the file.
      const timer = setTimeout(() => {
        if (this.pending?.id !== id) return;
        this.pending = null;
        this.child?.kill("SIGKILL");
        this.child = null;
        resolve({ error: new Error(`the HF binding did not answer in ${HF_TIMEOUT_MS / 1000} s`) });
      }, HF_TIMEOUT_MS);
      this.pending = { id, resolve: (e) => (clearTimeout(timer), resolve(e)) };
      // A child that died before the message went out answers through the send callback, not 'exit'.
      this.child!.send({ id, json, texts }, (e) => {
        if (e && this.pending?.id === id) {
          this.pending = null;
          this.child = null;
          resolve({ error: new Error(`the HF binding's process is gone: ${e.message}`) });
        }
      });
    });
  }

  close(): void {
    this.child?.kill();
    this.child = null;
  }
}

const hf = new HfReference();

async function fuzzTokenizerJson(r: Rand, dir: string): Promise<FuzzCase> {
  const base = pick(r, JSON_BASES.slice(0, 4).concat(r() < 0.25 ? JSON_BASES.slice(4) : []));
  const text = jsonBase(base);
  let bytes: Uint8Array;
  let mutation: string;
  const k = r();
  if (k < 0.15) ({ bytes, mutation } = truncate(r, new TextEncoder().encode(text)));
  else if (k < 0.3) ({ bytes, mutation } = bitflip(r, new TextEncoder().encode(text)));
  else {
    const root = JSON.parse(text) as Json;
    const m = mutateJson(r, root, new Set(["vocab", "merges"]), NESTABLE);
    mutation = m.label;
    const out = JSON.stringify(root);
    bytes = new TextEncoder().encode(m.patch ? m.patch(out) : out);
  }
  const file = join(dir, "tokenizer.json");
  const ours = ourEncode(() => Tokenizer.fromBytes(bytes, { fileName: file }), FUZZ_TEXTS, true);
  let decoded: string | null = null;
  try {
    decoded = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    /* the reference reads UTF-8 only */
  }
  return classify("tokenizer.json", base, mutation, file, bytes, ours, await hf.encode(decoded, FUZZ_TEXTS));
}

// ---------------------------------------------------------------- tiktoken rank files

const LLAMA3 = KNOWN_TIKTOKEN_ENCODINGS.find((e) => e.name === "llama3")!;
/** tiktoken's own spelling of Llama 3's pattern (the reference takes the Rust regex syntax). */
const LLAMA3_PATTERN_RUST = String.raw`(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`;
let rankLines: string[] | null = null;

async function fuzzTiktoken(r: Rand, dir: string): Promise<FuzzCase> {
  rankLines ??= readFileSync("../shared/data/tokenizers/llama3.tiktoken", "utf8").split("\n").filter((l) => l);
  // Mostly the first 3,000 ranks (every byte and the commonest merges, so a case costs milliseconds); sometimes all.
  const whole = r() < 0.02;
  const count = whole ? rankLines.length : 3000;
  const base = whole ? "llama3.tiktoken" : "llama3.tiktoken (first 3,000 ranks)";
  let lines = rankLines.slice(0, count);
  let mutation: string;
  let bytes: Uint8Array | null = null;
  const kind = pick(r, ["truncate", "bitflip", "delete-line", "delete-byte", "duplicate-line", "rank", "rank", "token", "swap-ranks", "blank", "crlf", "garbage"] as const);
  const at = int(r, lines.length);
  switch (kind) {
    case "truncate":
    case "bitflip": {
      const b = new TextEncoder().encode(lines.join("\n") + "\n");
      ({ bytes, mutation } = kind === "truncate" ? truncate(r, b) : bitflip(r, b));
      break;
    }
    case "delete-line":
      mutation = `delete line ${at}`;
      lines.splice(at, 1);
      break;
    case "delete-byte": {
      const i = int(r, 256);
      mutation = `delete byte token line ${i}`;
      lines.splice(i, 1);
      break;
    }
    case "duplicate-line":
      mutation = `duplicate line ${at}`;
      lines.splice(int(r, lines.length), 0, lines[at]!);
      break;
    case "rank": {
      const v = pick(r, ["-1", "1.5", "1e9", "4294967296", "99999999999999999999", "x", "", String(at + 1), "0"]);
      mutation = `rank of line ${at} = ${JSON.stringify(v)}`;
      lines[at] = `${lines[at]!.split(" ")[0]} ${v}`;
      break;
    }
    case "token": {
      const v = pick(r, ["", "!!!!", "QQ=", "QQ", "QUJD=", "====", "a b", "Zm9v\u00e9"]);
      mutation = `token of line ${at} = ${JSON.stringify(v)}`;
      lines[at] = `${v} ${lines[at]!.split(" ")[1]}`;
      break;
    }
    case "swap-ranks": {
      const b = int(r, lines.length);
      mutation = `swap ranks of lines ${at} and ${b}`;
      const [ta, ra] = lines[at]!.split(" ");
      const [tb, rb] = lines[b]!.split(" ");
      lines[at] = `${ta} ${rb}`;
      lines[b] = `${tb} ${ra}`;
      break;
    }
    case "blank":
      mutation = `blank line at ${at}`;
      lines.splice(at, 0, pick(r, ["", " ", "\t"]));
      break;
    case "crlf":
      mutation = "CRLF line ends";
      lines = lines.map((l) => l + "\r");
      break;
    case "garbage":
      mutation = `garbage line at ${at}`;
      lines.splice(at, 0, pick(r, ["hello", "# comment", "QQ== 1 2", "\u0000\u0001"]));
      break;
  }
  bytes ??= new TextEncoder().encode(lines.join("\n") + "\n");
  const file = join(dir, "ranks.tiktoken");
  const specials = Object.fromEntries(Object.entries(LLAMA3.specialTokens).map(([t, id]) => [t, id - 128000 + count]));
  const texts = FUZZ_TEXTS;
  const ours = ourEncode(() => Tokenizer.fromBytes(bytes!, { fileName: file, pattern: LLAMA3.pattern, specialTokens: specials }), texts, false);
  let reference: Encoded;
  let enc: { encode(t: string, allowed: "all"): Uint32Array; free(): void } | null = null;
  try {
    enc = new Tiktoken(new TextDecoder().decode(bytes), specials, LLAMA3_PATTERN_RUST);
    reference = { ids: texts.map((s) => Array.from(enc!.encode(s, "all"))) };
  } catch (error) {
    reference = { error };
  }
  // After a panic the instance is still borrowed inside the wasm module: freeing it would throw.
  if (!("error" in reference)) enc?.free();
  return classify("tiktoken", base, mutation!, file, bytes, ours, reference);
}

// ---------------------------------------------------------------- SentencePiece .model

const MODEL_BASES = ["test/formats/fixtures/unigram-bytefallback.model", "test/formats/fixtures/bpe-bytefallback.model", "test/formats/fixtures/unigram-nfkc.model", "test/formats/fixtures/char-identity.model", "../shared/data/tokenizers/sentencepiece/en-unigram.model"];

interface ProtoField {
  field: number;
  wire: number;
  /** The whole field (tag included) and its payload, as byte ranges of the message. */
  start: number;
  payload: number;
  end: number;
}

function readVarint(b: Uint8Array, at: number): [number, number] {
  let v = 0;
  let scale = 1;
  for (let i = 0; i < 10 && at < b.length; i++) {
    const x = b[at++]!;
    v += (x & 0x7f) * scale;
    if (!(x & 0x80)) return [v, at];
    scale *= 128;
  }
  throw new Error("bad varint");
}

function varint(v: number): number[] {
  const out: number[] = [];
  do {
    let x = v % 128;
    v = Math.floor(v / 128);
    if (v) x |= 0x80;
    out.push(x);
  } while (v);
  return out;
}

/** The top-level fields of a protobuf message (undamaged input only). */
function protoFields(b: Uint8Array): ProtoField[] {
  const out: ProtoField[] = [];
  let at = 0;
  while (at < b.length) {
    const start = at;
    const [tag, p] = readVarint(b, at);
    const wire = tag % 8;
    let end: number;
    let payload = p;
    if (wire === 0) end = readVarint(b, p)[1];
    else if (wire === 1) end = p + 8;
    else if (wire === 5) end = p + 4;
    else {
      const [n, q] = readVarint(b, p);
      payload = q;
      end = q + n;
    }
    out.push({ field: Math.floor(tag / 8), wire, start, payload, end });
    at = end;
  }
  return out;
}

const cat = (...parts: ArrayLike<number>[]) => {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};

/** A length-delimited field with a new payload. */
function withPayload(b: Uint8Array, f: ProtoField, payload: Uint8Array): Uint8Array {
  return cat(varint(f.field * 8 + 2), varint(payload.length), payload);
}

/** Replaces field `f` of message `b` by `replacement` bytes. */
function replaceField(b: Uint8Array, f: ProtoField, replacement: Uint8Array): Uint8Array {
  return cat(b.subarray(0, f.start), replacement, b.subarray(f.end));
}

function mutateModel(r: Rand, b: Uint8Array): { bytes: Uint8Array; mutation: string } {
  const kind = pick(r, ["truncate", "bitflip", "delete-piece", "piece-field", "piece-type", "score", "duplicate-piece", "spec-field", "spec-field"] as const);
  if (kind === "truncate") return truncate(r, b);
  if (kind === "bitflip") return bitflip(r, b);
  const fields = protoFields(b);
  const pieces = fields.filter((f) => f.field === 1);
  const pi = int(r, pieces.length);
  const piece = pieces[pi]!;
  const pieceBytes = b.subarray(piece.payload, piece.end);
  const sub = protoFields(pieceBytes);
  switch (kind) {
    case "delete-piece":
      return { bytes: replaceField(b, piece, new Uint8Array(0)), mutation: `delete pieces[${pi}]` };
    case "duplicate-piece":
      return { bytes: cat(b.subarray(0, piece.end), b.subarray(piece.start, piece.end), b.subarray(piece.end)), mutation: `duplicate pieces[${pi}]` };
    case "piece-field": {
      const f = pick(r, sub);
      return { bytes: replaceField(b, piece, withPayload(b, piece, replaceField(pieceBytes, f, new Uint8Array(0)))), mutation: `delete field ${f.field} of pieces[${pi}]` };
    }
    case "piece-type": {
      const v = pick(r, [0, 2, 3, 4, 5, 6, 7, 99, 2 ** 31]);
      const without = sub.filter((f) => f.field !== 3).map((f) => pieceBytes.subarray(f.start, f.end));
      return { bytes: replaceField(b, piece, withPayload(b, piece, cat(...without, varint(3 * 8), varint(v)))), mutation: `pieces[${pi}].type = ${v}` };
    }
    case "score": {
      const v = pick(r, [NaN, Infinity, -Infinity, 3.4e38, -1e30, 0]);
      const f32 = new Uint8Array(4);
      new DataView(f32.buffer).setFloat32(0, v, true);
      const without = sub.filter((f) => f.field !== 2).map((f) => pieceBytes.subarray(f.start, f.end));
      return { bytes: replaceField(b, piece, withPayload(b, piece, cat(...without, [2 * 8 + 5], f32))), mutation: `pieces[${pi}].score = ${v}` };
    }
    case "spec-field": {
      const specs = fields.filter((f) => f.field === 2 || f.field === 3);
      const spec = pick(r, specs);
      const specBytes = b.subarray(spec.payload, spec.end);
      const sf = protoFields(specBytes);
      const f = pick(r, sf);
      if (f.wire === 0 && r() < 0.7) {
        const v = pick(r, [0, 1, 2, 3, 4, 5, 7, 255, 2 ** 31, 2 ** 53]);
        return { bytes: replaceField(b, spec, withPayload(b, spec, replaceField(specBytes, f, cat(varint(f.field * 8), varint(v))))), mutation: `spec ${spec.field} field ${f.field} = ${v}` };
      }
      if (f.wire === 2 && r() < 0.5) {
        const payload = specBytes.subarray(f.payload, f.end);
        const cut = payload.subarray(0, int(r, payload.length + 1));
        return { bytes: replaceField(b, spec, withPayload(b, spec, replaceField(specBytes, f, cat(varint(f.field * 8 + 2), varint(cut.length), cut)))), mutation: `spec ${spec.field} field ${f.field} cut to ${cut.length}/${payload.length} bytes` };
      }
      return { bytes: replaceField(b, spec, withPayload(b, spec, replaceField(specBytes, f, new Uint8Array(0)))), mutation: `delete spec ${spec.field} field ${f.field}` };
    }
  }
}

/** spm_encode's ids for each text, or its refusal (exit status, signal or error output). */
function spmEncodeFile(path: string, texts: string[]): Encoded {
  const r = spawnSync("spm_encode", [`--model=${path}`, "--output_format=id"], { input: texts.join("\n") + "\n", timeout: 20_000, maxBuffer: 1 << 26 });
  // spm_encode that fails to load the model exits before reading its input (EPIPE on our side).
  if (r.error && (r.error as NodeJS.ErrnoException).code !== "EPIPE") throw r.error;
  if (r.error || r.status !== 0) {
    const lines = r.stderr.toString().trim().split("\n");
    return { error: new Error(`spm_encode: status ${r.status} signal ${r.signal}: ${lines.find((l) => /\] /.test(l)) ?? lines.pop()}`) };
  }
  const out = r.stdout.toString().split("\n");
  return { ids: texts.map((_, i) => (out[i]!.trim() === "" ? [] : out[i]!.trim().split(" ").map(Number))) };
}

async function fuzzModel(r: Rand, dir: string): Promise<FuzzCase> {
  const base = pick(r, MODEL_BASES.slice(0, 4).concat(r() < 0.2 ? MODEL_BASES.slice(4) : []));
  const { bytes, mutation } = mutateModel(r, new Uint8Array(readFileSync(base)));
  const file = join(dir, "damaged.model");
  writeFileSync(file, bytes);
  const texts = FUZZ_TEXTS;
  const ours = ourEncode(() => Tokenizer.fromBytes(bytes, { fileName: file }), texts, false);
  return classify("model", base, mutation, file, bytes, ours, spmEncodeFile(file, texts));
}

// ---------------------------------------------------------------- safetensors

const SAFETENSORS_BASES = ["test/fixtures/lm/dtypes.safetensors", "test/fixtures/lm/bf16.safetensors", "test/fixtures/lm/gpt2-tiny/model.safetensors", "test/fixtures/lm/qwen2-bias-tied-yarn/model.safetensors"];

/** The format's rules, checked independently of src/tensor (a bitmap of claimed bytes): the verdict a strict reader
 * must reach. */
function safetensorsRulesAllow(b: Uint8Array): boolean {
  if (b.length < 8) return false;
  const n = Number(new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true));
  if (n > 100_000_000 || 8 + n > b.length || b[8] !== 0x7b) return false;
  let header: Record<string, unknown>;
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(b.subarray(8, 8 + n));
    header = JSON.parse(text);
  } catch {
    return false;
  }
  if (!header || typeof header !== "object" || Array.isArray(header)) return false;
  // Duplicate keys anywhere: a re-serialisation loses them, so compare key counts in the text with the parsed object.
  const keyCount = (v: unknown): number => (v && typeof v === "object" ? (Array.isArray(v) ? v.reduce((s: number, x) => s + keyCount(x), 0) : Object.entries(v).reduce((s, [, x]) => s + 1 + keyCount(x), 0)) : 0);
  const textKeys = (text.match(/"(?:[^"\\]|\\.)*"\s*:/g) ?? []).length;
  if (textKeys !== keyCount(header)) return false;
  const data = b.length - 8 - n;
  const claimed = new Uint8Array(data);
  for (const [name, entry] of Object.entries(header)) {
    if (name === "__metadata__") {
      if (entry === null) continue;
      if (typeof entry !== "object" || Array.isArray(entry) || Object.values(entry as object).some((v) => typeof v !== "string")) return false;
      continue;
    }
    if (!entry || typeof entry !== "object" || Array.isArray(entry)) return false;
    const { dtype, shape, data_offsets } = entry as Record<string, unknown>;
    if (typeof dtype !== "string" || !Object.hasOwn(DTYPE_BYTES, dtype)) return false;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) return false;
    if (!Array.isArray(data_offsets) || data_offsets.length !== 2 || !data_offsets.every((d) => Number.isSafeInteger(d) && d >= 0)) return false;
    const [s, e] = data_offsets as number[];
    const bytes = (shape as number[]).reduce((a, x) => a * x, 1) * DTYPE_BYTES[dtype as keyof typeof DTYPE_BYTES];
    if (!(e! >= s!) || e! - s! !== bytes || e! > data) return false;
    for (let i = s!; i < e!; i++) {
      if (claimed[i]) return false;
      claimed[i] = 1;
    }
  }
  return claimed.every((x) => x === 1);
}

async function fuzzSafetensors(r: Rand, dir: string): Promise<FuzzCase> {
  const base = pick(r, SAFETENSORS_BASES);
  const b = new Uint8Array(readFileSync(base));
  const n = Number(new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true));
  let bytes: Uint8Array;
  let mutation: string;
  const k = r();
  if (k < 0.15) ({ bytes, mutation } = truncate(r, b));
  else if (k < 0.3) ({ bytes, mutation } = bitflip(r, b, 0, 8 + n));
  else if (k < 0.35) {
    const v = pick(r, [0n, 1n, BigInt(n - 1), BigInt(n + 1), BigInt(b.length), 1n << 40n, (1n << 64n) - 1n]);
    bytes = b.slice();
    new DataView(bytes.buffer).setBigUint64(0, v, true);
    mutation = `header length = ${v}`;
  } else if (k < 0.42) {
    const extra = pick(r, [1, 8, 4096]);
    bytes = cat(b, new Uint8Array(extra));
    mutation = `${extra} bytes appended`;
  } else {
    const header = JSON.parse(new TextDecoder().decode(b.subarray(8, 8 + n))) as Json;
    const names = Object.keys(header as object).filter((x) => x !== "__metadata__");
    if (r() < 0.15) {
      // Two entries under one name (JSON.stringify cannot write that, so the text is spliced).
      const name = pick(r, names);
      const other = (header as Record<string, Json>)[pick(r, names)]!;
      const text = JSON.stringify(header).replace(/\}$/, `,${JSON.stringify(name)}:${JSON.stringify(other)}}`);
      mutation = `second entry for ${name}`;
      const h = new TextEncoder().encode(text);
      bytes = cat(new Uint8Array(new BigUint64Array([BigInt(h.length)]).buffer), h, b.subarray(8 + n));
    } else {
      mutation = mutateJson(r, header, new Set(), []).label;
      const h = new TextEncoder().encode(JSON.stringify(header));
      bytes = cat(new Uint8Array(new BigUint64Array([BigInt(h.length)]).buffer), h, b.subarray(8 + n));
    }
  }
  const file = join(dir, "damaged.safetensors");
  writeFileSync(file, bytes);
  const c = (outcome: Outcome, detail: string): FuzzCase => ({ format: "safetensors", base, mutation, outcome, detail });
  const allowed = safetensorsRulesAllow(bytes);
  let accepted: boolean;
  try {
    const mem = parseSafetensors(bytes, file);
    const f = await openSafetensors(file);
    try {
      for (const t of f.header.tensors) {
        const a = (await f.readFloat32(t.name)).data;
        const m = mem.read(t.name);
        if (a.length !== m.length || a.some((x, i) => !Object.is(x, m[i]))) return c("differs-from-reference", `tensor "${t.name}": the streaming and in-memory readers differ`);
      }
    } finally {
      await f.close();
    }
    accepted = true;
  } catch (e) {
    if (!isClear(e, file)) return c("crash", errorText(e));
    if (allowed) return c("differs-from-reference", `refused a file the format allows: ${errorText(e)}`);
    return c("clear-error", errorText(e));
  }
  return accepted && !allowed ? c("loads-that-reference-refuses", "accepted a file the format's rules refuse") : c("loads-as-reference", "");
}

// ---------------------------------------------------------------- the runner

const FUZZERS: Record<FuzzFormat, (r: Rand, dir: string) => Promise<FuzzCase>> = {
  "tokenizer.json": fuzzTokenizerJson,
  tiktoken: fuzzTiktoken,
  model: fuzzModel,
  safetensors: fuzzSafetensors,
};

export interface FuzzReport {
  format: FuzzFormat;
  cases: number;
  counts: Record<Outcome, number>;
  failures: FuzzCase[];
  seconds: number;
}

/** Damages `cases` files of one format from `seed` and tallies the outcomes. */
export async function fuzzFiles(format: FuzzFormat, seed: number, cases: number, onCase?: (c: FuzzCase, i: number) => void): Promise<FuzzReport> {
  const dir = mkdtempSync(join(tmpdir(), "retoken-fuzz-"));
  const counts = Object.fromEntries(["loads-as-reference", "clear-error", "documented-acceptance", "crash", "differs-from-reference", "loads-that-reference-refuses"].map((o) => [o, 0])) as Record<Outcome, number>;
  const failures: FuzzCase[] = [];
  const t0 = performance.now();
  try {
    for (let i = 0; i < cases; i++) {
      const r = mulberry32(seed * 1_000_003 + i);
      let c: FuzzCase;
      try {
        c = await FUZZERS[format](r, dir);
      } catch (e) {
        c = { format, base: "?", mutation: `case ${i}`, outcome: "crash", detail: `the fuzzer itself: ${errorText(e)}` };
      }
      counts[c.outcome]++;
      if (!ALLOWED.has(c.outcome)) failures.push(c);
      onCase?.(c, i);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    hf.close();
  }
  return { format, cases, counts, failures, seconds: (performance.now() - t0) / 1000 };
}
