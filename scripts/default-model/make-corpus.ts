// Turns the unpacked Debian packages of fetch-corpus.sh into plain-text training files, one per language
// (`<lang>.txt`) plus `code.txt`, capped per language so that no language swamps the mix.
// Run: node --import tsx scripts/default-model/make-corpus.ts ROOT OUT [--cap-bytes N]
// Man pages (roff) are reduced to their running text: requests are dropped, font/escape sequences removed,
// macro arguments (.B, .SH, .TP …) kept as text. Fortune files are split on their "%" separators.
// The output is deterministic: files are visited in sorted order and every language is cut at a line boundary.
import { readdirSync, readFileSync, statSync, mkdirSync, existsSync } from "node:fs";
import { join, basename } from "node:path";
import { gunzipSync } from "node:zlib";
import { writeFileAtomic } from "../../src/node/files.js";

const [root, out] = process.argv.slice(2);
if (!root || !out) {
  console.error("usage: make-corpus.ts ROOT OUT [--cap-bytes N]");
  process.exit(2);
}
const capArg = process.argv.indexOf("--cap-bytes");
const CAP = capArg > 0 ? Number(process.argv[capArg + 1]) : 3_000_000;

function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const files: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    const st = statSync(p, { throwIfNoEntry: false });
    if (!st) continue; // dangling symlink
    if (st.isDirectory()) files.push(...walk(p));
    else if (st.isFile()) files.push(p);
  }
  return files;
}

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

const byLang = new Map<string, string[]>();
const add = (lang: string, text: string) => {
  if (!text.trim()) return;
  let list = byLang.get(lang);
  if (!list) byLang.set(lang, (list = []));
  list.push(text);
};

// Man pages: usr/share/man/<lang>/manN/*.gz; the untranslated English ones are usr/share/man/manN.
const manRoot = join(root, "usr/share/man");
for (const entry of existsSync(manRoot) ? readdirSync(manRoot).sort() : []) {
  const lang = entry.startsWith("man") ? "en" : entry.replace(/_.*/, "") === "zh" ? (entry === "zh_TW" ? "zh-Hant" : "zh") : entry.replace(/_.*/, "");
  for (const file of walk(join(manRoot, entry))) {
    const bytes = file.endsWith(".gz") ? gunzipSync(readFileSync(file)) : readFileSync(file);
    const src = decode(bytes);
    if (src === null || src.startsWith(".so ")) continue; // aliases (.so) and legacy encodings
    add(lang, roffToText(src));
  }
}

// Fortunes: usr/share/games/fortunes/<lang>/*, usr/share/games/fortunes-de/*, English at the top level.
const fortuneDirs: [string, string][] = [["de", "usr/share/games/fortunes-de"]];
const fortunesTop = join(root, "usr/share/games/fortunes");
for (const entry of existsSync(fortunesTop) ? readdirSync(fortunesTop).sort() : []) {
  const p = join(fortunesTop, entry);
  if (statSync(p).isDirectory()) fortuneDirs.push([entry === "off" ? "" : entry, join("usr/share/games/fortunes", entry)]);
}
for (const [lang, dir] of fortuneDirs) {
  if (!lang) continue; // the offensive sections stay out
  for (const file of walk(join(root, dir))) {
    if (file.endsWith(".dat") || file.endsWith(".u8")) continue;
    const src = decode(readFileSync(file));
    if (src !== null) add(lang, fortunesToText(src));
  }
}
for (const file of walk(fortunesTop)) {
  if (basename(join(file, "..")) !== "fortunes" || file.endsWith(".dat") || file.endsWith(".u8")) continue;
  const src = decode(readFileSync(file));
  // Top-level Italian collections sit beside the English ones; keep only the English ones of fortunes-min.
  if (src !== null && ["fortunes", "literature", "riddles"].includes(basename(file))) add("en", fortunesToText(src));
}

// Code: the TypeScript declaration files and sources of npm packages in node_modules (Apache-2.0 / MIT).
const codeRoots = ["node_modules/typescript/lib", "node_modules/commander/lib", "node_modules/chart.js/dist", "node_modules/highs"];
for (const dir of codeRoots) {
  for (const file of walk(dir)) {
    if (!/\.(d\.ts|ts|js|mjs)$/.test(file) || /\.min\.js$/.test(file) || statSync(file).size > 2_000_000) continue;
    const src = decode(readFileSync(file));
    if (src !== null) add("code", src);
  }
}

mkdirSync(out, { recursive: true });
const summary: Record<string, number> = {};
for (const [lang, texts] of [...byLang].sort((a, b) => a[0].localeCompare(b[0]))) {
  // Take documents round-robin in sorted order up to the cap, whole lines only.
  let text = texts.join("\n\n");
  const enc = new TextEncoder();
  if (enc.encode(text).length > CAP) {
    let cut = Math.min(text.length, CAP);
    while (enc.encode(text.slice(0, cut)).length > CAP) cut = Math.floor(cut * 0.95);
    const nl = text.lastIndexOf("\n", cut);
    text = text.slice(0, nl > 0 ? nl : cut);
  }
  await writeFileAtomic(join(out, `${lang}.txt`), text + "\n");
  summary[lang] = enc.encode(text).length;
}
console.log(JSON.stringify(summary));
