// Turns the unpacked Debian packages of fetch-corpus.sh into plain-text training files, one per language
// (`<lang>.txt`) plus `code.txt`, capped per language so that no language swamps the mix.
// Run: node --import tsx scripts/default-model/make-corpus.ts ROOT OUT [--cap-bytes N] [--min-bytes N]
// Man pages (roff) are reduced to their running text: requests are dropped, font/escape sequences removed,
// macro arguments (.B, .SH, .TP …) kept as text. Fortune files are split on their "%" separators. HTML manuals
// (debian-reference, FAQ, handbook, guides) keep their block text; info manuals drop node headers; gettext catalogues
// (.mo) give their translated strings; apt's Translation-* indexes give package descriptions.
// Lines of the shipped held-out texts (assets/text/*-heldout.txt) never enter the output; languages with less than
// --min-bytes of text are left out. The output is deterministic: documents are ordered by a hash of their source
// path (every source is spread over the file, so the 2% tail held out by train-model.ts is a mix), cut at a line.
import { readdirSync, readFileSync, statSync, mkdirSync, existsSync } from "node:fs";
import { join, basename } from "node:path";
import { gunzipSync } from "node:zlib";
import { writeFileAtomic } from "../../src/node/files.js";
import { heldOutLines, walk } from "./corpus-files.js";

const [root, out] = process.argv.slice(2);
if (!root || !out) {
  console.error("usage: make-corpus.ts ROOT OUT [--cap-bytes N]");
  process.exit(2);
}
const capArg = process.argv.indexOf("--cap-bytes");
const CAP = capArg > 0 ? Number(process.argv[capArg + 1]) : 4_000_000;
const minArg = process.argv.indexOf("--min-bytes");
const MIN = minArg > 0 ? Number(process.argv[minArg + 1]) : 500_000;

const utf8 = new TextDecoder("utf-8", { fatal: true });
function decode(bytes: Uint8Array): string | null {
  try {
    return utf8.decode(bytes);
  } catch {
    return null; // legacy encodings are skipped rather than guessed
  }
}

const NAMED: Record<string, string> = {
  aq: "'", dq: '"', lq: "“", rq: "”", oq: "‘", cq: "’", em: "—", en: "–", hy: "-", bu: "•", co: "©", rg: "®", tm: "™",
  "<-": "←", "->": "→", mu: "×", di: "÷", "+-": "±", de: "°", ti: "~", ha: "^", rs: "\\", sl: "/", ba: "|", lh: "☜", rh: "☞",
};

/** Removes roff escapes from one line of text. */
function unescape(line: string): string {
  return line
    .replace(/\\\(([^\s]{2})/g, (_, n: string) => NAMED[n] ?? "")
    .replace(/\\\[([^\]]*)\]/g, (_, n: string) => NAMED[n] ?? "")
    .replace(/\\f(\[[^\]]*\]|\(..|.)/g, "")
    .replace(/\\[sS][+-]?\d+/g, "")
    .replace(/\\[*]\(?../g, "")
    .replace(/\\[hvwlLxXbnoDkz]'[^']*'/g, "")
    .replace(/\\[-]/g, "-")
    .replace(/\\e/g, "\\")
    .replace(/\\[ ~0]/g, " ")
    .replace(/\\[&|^,/:%!c)]/g, "")
    .replace(/\\"/g, "")
    .replace(/\\(.)/g, "$1");
}

const TEXT_MACROS = new Set(["B", "I", "BR", "RB", "BI", "IB", "IR", "RI", "SM", "SB", "SH", "SS", "IP", "TP", "UR", "MT", "Nm", "Nd", "Sh", "Ss", "It", "Fl", "Ar", "Pa", "Xr", "Dl", "Op", "Em", "Sy", "Li", "Cm", "Ql", "Dq", "Sq", "Pq", "Va", "Fn", "Fa", "Ft", "Dv", "Er", "Ev"]);
const BREAKS = new Set(["PP", "LP", "P", "SH", "SS", "TP", "IP", "HP", "br", "sp", "Pp", "Sh", "Ss", "Bl", "El", "nf", "fi", "RS", "RE", "EX", "EE", "TS", "TE"]);

function splitArgs(rest: string): string[] {
  const args: string[] = [];
  const re = /"((?:[^"]|"")*)"|(\S+)/g;
  for (const m of rest.matchAll(re)) args.push(m[1] !== undefined ? m[1].replace(/""/g, '"') : m[2]!);
  return args;
}

/** The running text of a man page. */
export function roffToText(src: string): string {
  const out: string[] = [];
  let para: string[] = [];
  const flush = () => {
    const text = para.join(" ").replace(/\s+/g, " ").trim();
    if (text) out.push(text);
    para = [];
  };
  for (const raw of src.split("\n")) {
    if (raw.startsWith(".\\\"") || raw.startsWith("'\\\"") || raw.startsWith('\\"')) continue;
    if (raw.startsWith(".") || raw.startsWith("'")) {
      const m = /^[.'][ \t]*(\S+)\s*(.*)$/.exec(raw);
      if (!m) continue;
      const [, name, rest] = m as unknown as [string, string, string];
      if (BREAKS.has(name)) flush();
      if (TEXT_MACROS.has(name)) {
        const args = splitArgs(rest);
        // .BR/.IR … alternate fonts without spaces; the others join words with spaces.
        const alternating = /^[BIR]{2}$/.test(name);
        const text = unescape(alternating ? args.join("") : args.join(" "));
        if (name === "TP" || name === "IP") {
          // The argument of .IP is a tag; .TP's tag is the next line (handled as text).
          if (name === "IP" && args[0]) para.push(unescape(args[0]));
        } else if (text) para.push(text);
        if (name === "SH" || name === "SS" || name === "Sh" || name === "Ss") flush();
      }
      continue;
    }
    para.push(unescape(raw));
  }
  flush();
  return out.join("\n");
}

/** Fortunes, one per paragraph. */
function fortunesToText(src: string): string {
  return src
    .split(/^%\s*$/m)
    .map((f) => f.trim())
    .filter((f) => f.length > 0)
    .join("\n\n");
}

/** "de-DE", "pt_BR", "zh_TW", "zh-cn" … → the corpus's language names (zh-Hant for traditional Chinese). */
function languageOf(code: string): string | null {
  const c = code.toLowerCase().replace(/_/g, "-");
  if (!/^[a-z]{2}(-[a-z]{2,4})?$/.test(c)) return null;
  if (c === "zh-tw" || c === "zh-hant" || c === "zh-hk") return "zh-Hant";
  if (c === "cz") return "cs"; // fortunes-cs names its folder after the country
  return c.slice(0, 2);
}

/** FNV-1a of a string: a stable document order that interleaves the sources. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

const byLang = new Map<string, { key: number; text: string }[]>();
const add = (lang: string, text: string, source: string) => {
  if (!text.trim()) return;
  let list = byLang.get(lang);
  if (!list) byLang.set(lang, (list = []));
  list.push({ key: hash(source), text });
};

// Man pages: usr/share/man/<lang>/manN/*.gz; the untranslated English ones are usr/share/man/manN.
const manRoot = join(root, "usr/share/man");
for (const entry of existsSync(manRoot) ? readdirSync(manRoot).sort() : []) {
  const lang = entry.startsWith("man") ? "en" : entry.replace(/_.*/, "") === "zh" ? (entry === "zh_TW" ? "zh-Hant" : "zh") : entry.replace(/_.*/, "");
  for (const file of walk(join(manRoot, entry))) {
    const bytes = file.endsWith(".gz") ? gunzipSync(readFileSync(file)) : readFileSync(file);
    const src = decode(bytes);
    if (src === null || src.startsWith(".so ")) continue; // aliases (.so) and legacy encodings
    add(lang, roffToText(src), file);
  }
}

// Fortunes: usr/share/games/fortunes/<lang>/*, usr/share/games/fortunes-de/*, English at the top level.
const fortuneDirs: [string, string][] = [["de", "usr/share/games/fortunes-de"]];
const fortunesTop = join(root, "usr/share/games/fortunes");
for (const entry of existsSync(fortunesTop) ? readdirSync(fortunesTop).sort() : []) {
  const p = join(fortunesTop, entry);
  if (statSync(p).isDirectory()) fortuneDirs.push([entry === "off" ? "" : (languageOf(entry) ?? entry), join("usr/share/games/fortunes", entry)]);
}
for (const [lang, dir] of fortuneDirs) {
  if (!lang) continue; // the offensive sections stay out
  for (const file of walk(join(root, dir))) {
    if (file.endsWith(".dat") || file.endsWith(".u8")) continue;
    const src = decode(readFileSync(file));
    if (src !== null) add(lang, fortunesToText(src), file);
  }
}
for (const file of walk(fortunesTop)) {
  if (basename(join(file, "..")) !== "fortunes" || file.endsWith(".dat") || file.endsWith(".u8")) continue;
  const src = decode(readFileSync(file));
  // Top-level Italian collections sit beside the English ones; keep only the English ones of fortunes-min.
  if (src !== null && ["fortunes", "literature", "riddles"].includes(basename(file))) add("en", fortunesToText(src), file);
}

// Code: the TypeScript declaration files and sources of npm packages in node_modules (Apache-2.0 / MIT).
const codeRoots = ["node_modules/typescript/lib", "node_modules/commander/lib", "node_modules/chart.js/dist", "node_modules/highs",
  "node_modules/@types/node", "node_modules/undici-types", "node_modules/fast-check/lib", "node_modules/playwright-core/lib"];
for (const dir of codeRoots) {
  for (const file of walk(dir)) {
    if (!/\.(d\.ts|ts|js|mjs)$/.test(file) || /\.min\.js$/.test(file) || statSync(file).size > 2_000_000) continue;
    const src = decode(readFileSync(file));
    if (src !== null) add("code", src, file);
  }
}

// HTML manuals: the language is the file's suffix (ch01.de.html), else a directory (de-DE/, FAQ/de/), else English.
const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " ", copy: "©", hellip: "…", mdash: "—", ndash: "–", lsquo: "‘", rsquo: "’", ldquo: "“", rdquo: "”", laquo: "«", raquo: "»" };
export function htmlToText(src: string): string {
  return src
    .replace(/<(script|style|head)\b[\s\S]*?<\/\1>/gi, "")
    .replace(/<!--[\s\S]*?-->/g, "")
    .replace(/<\/?(p|div|h[1-6]|li|tr|pre|br|dt|dd|table|ul|ol|dl|blockquote|section|title)\b[^>]*>/gi, "\n")
    .replace(/<[^>]*>/g, "")
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e: string) => {
      if (e[0] === "#") {
        const cp = e[1] === "x" || e[1] === "X" ? parseInt(e.slice(2), 16) : Number(e.slice(1));
        return cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : "";
      }
      return ENTITIES[e.toLowerCase()] ?? m;
    })
    .split("\n")
    .map((l) => l.replace(/[ \t\r]+/g, " ").trim())
    .filter((l) => l.length > 0)
    .join("\n");
}
for (const dir of ["usr/share/doc", "usr/share/debian-reference", "usr/share/developers-reference"]) {
  for (const file of walk(join(root, dir))) {
    if (!file.endsWith(".html")) continue;
    const parts = file.slice(root.length).split("/");
    const suffix = /\.([a-zA-Z_-]+)\.html$/.exec(basename(file))?.[1];
    let lang = suffix ? languageOf(suffix) : null;
    for (const part of parts) if (!lang) lang = languageOf(part);
    const src = decode(readFileSync(file));
    if (src !== null) add(lang ?? "en", htmlToText(src), file);
  }
}

// Info manuals: node separators and headers dropped; developers-reference-LANG.info is that language.
for (const file of walk(join(root, "usr/share/info"))) {
  if (!/\.info(-\d+)?(\.gz)?$/.test(file)) continue;
  const src = decode(file.endsWith(".gz") ? gunzipSync(readFileSync(file)) : readFileSync(file));
  if (src === null) continue;
  const lang = languageOf(/-([a-z]{2}(?:[_-][a-zA-Z]{2})?)\.info/.exec(basename(file))?.[1] ?? "en") ?? "en";
  add(lang, src.split("\n").filter((l) => !l.startsWith("\x1f") && !l.startsWith("File: ") && !l.includes("\x00")).join("\n"), file);
}

// Gettext catalogues: usr/share/locale/LANG/LC_MESSAGES/*.mo, the translated strings (plural forms split).
export function moStrings(bytes: Uint8Array): string[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 28) return [];
  const magic = view.getUint32(0, true);
  const little = magic === 0x950412de;
  if (!little && magic !== 0xde120495) return [];
  const n = view.getUint32(8, little);
  const translations = view.getUint32(16, little);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const at = translations + 8 * i;
    if (at + 8 > bytes.length) break;
    const length = view.getUint32(at, little);
    const offset = view.getUint32(at + 4, little);
    if (length === 0 || offset + length > bytes.length) continue;
    const text = decode(bytes.subarray(offset, offset + length));
    if (text === null || /^Project-Id-Version:/m.test(text)) continue; // the catalogue's header entry
    for (const form of text.split("\0")) if (form.trim()) out.push(form.trim());
  }
  return out;
}
const localeRoot = join(root, "usr/share/locale");
for (const entry of existsSync(localeRoot) ? readdirSync(localeRoot).sort() : []) {
  const lang = languageOf(entry);
  if (!lang || lang === "en") continue;
  for (const file of walk(join(localeRoot, entry))) if (file.endsWith(".mo")) add(lang, moStrings(readFileSync(file)).join("\n"), file);
}

// Package descriptions (Translation-LANG, written by fetch-corpus.sh): the short line, then the long text.
const translationsRoot = join(root, "translations");
for (const name of existsSync(translationsRoot) ? readdirSync(translationsRoot).sort() : []) {
  const lang = languageOf(decodeURIComponent(name.replace(/^Translation-/, "").replace(/\.txt$/, "")));
  const src = lang ? decode(readFileSync(join(translationsRoot, name))) : null;
  if (!lang || src === null) continue;
  for (const record of src.split(/\n\n+/)) {
    const m = /^Package: (\S+)[\s\S]*?^Description-[^:]+: (.*)\n?([\s\S]*)$/m.exec(record);
    if (!m) continue;
    const body = m[3]!.split("\n").map((l) => (l.trim() === "." ? "" : l.replace(/^ /, ""))).join("\n");
    add(lang, `${m[2]}\n${body}`.trim(), `${name}/${m[1]}`);
  }
}

// The shipped held-out texts stay out of training, line by line.
const heldOut = heldOutLines();

mkdirSync(out, { recursive: true });
const summary: Record<string, number> = {};
const enc = new TextEncoder();
const dropped: Record<string, number> = {};
for (const [lang, docs] of [...byLang].sort((a, b) => a[0].localeCompare(b[0]))) {
  // Documents in hash order up to the cap, whole lines only, the held-out lines removed.
  docs.sort((a, b) => a.key - b.key);
  let removed = 0;
  let total = 0;
  const kept: string[] = [];
  for (const doc of docs) {
    if (total >= CAP) break;
    let t = doc.text.split("\n").filter((l) => !(heldOut.has(l.trim()) && ++removed)).join("\n").trim();
    if (!t) continue;
    const bytes = Buffer.byteLength(t) + 2;
    if (total + bytes > CAP) {
      // The last document is cut at a line boundary so the language ends at the cap.
      let cut = Math.min(t.length, CAP - total);
      while (cut > 0 && Buffer.byteLength(t.slice(0, cut)) > CAP - total) cut = Math.floor(cut * 0.95);
      const nl = t.lastIndexOf("\n", cut);
      t = nl > 0 ? t.slice(0, nl) : "";
      if (!t) break;
    }
    kept.push(t);
    total += Buffer.byteLength(t) + 2;
  }
  if (removed) dropped[lang] = removed;
  const text = kept.join("\n\n");
  if (enc.encode(text).length < MIN) {
    console.error(`${lang}: ${enc.encode(text).length} bytes, under --min-bytes: left out`);
    continue;
  }
  await writeFileAtomic(join(out, `${lang}.txt`), text + "\n");
  summary[lang] = enc.encode(text).length;
}
console.log(JSON.stringify(summary));
console.error(`held-out lines removed: ${JSON.stringify(dropped)}`);
