// General English prose for the default model, beside make-corpus.ts's man pages and manuals: FLORES is news and wiki
// text, and the model's English (4 MB of technical Debian text) did not move on it with 4× the tokens (session 11).
// Sources, all Debian packages (fetched by fetch-english-prose.sh): the World English Bible (sword-text-web, exported
// with SWORD's mod2imp), Freeciv's nation legends and help texts (short encyclopaedic history and geography), WordNet's
// glosses and their example sentences (dict-wn), the GNOME user help (C locale). FLORES stays held out, as do the
// lines of assets/text/*-heldout.txt.
//
//   node --import tsx scripts/default-model/make-english-prose.ts WORKDIR OUT.txt
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { writeFileAtomic } from "../../src/node/files.js";
import { heldOutLines, walk } from "./corpus-files.js";

const [work, out] = process.argv.slice(2);
if (!work || !out) throw new Error("usage: make-english-prose.ts WORKDIR OUT.txt");
const root = join(work, "root");

const entities: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " " };
const stripTags = (s: string) =>
  s.replace(/<[^>]*>/g, " ").replace(/&(#x?[0-9a-fA-F]+|\w+);/g, (m, e: string) =>
    e.startsWith("#x") ? String.fromCodePoint(parseInt(e.slice(2), 16)) : e.startsWith("#") ? String.fromCodePoint(Number(e.slice(1))) : (entities[e] ?? m));
const clean = (s: string) => s.replace(/\s+/g, " ").trim();

const docs: string[] = [];

// The Bible: one document per chapter, one line per verse. mod2imp prints "$$$Book c:v" then the verse's OSIS markup.
const imp = join(work, "web.imp");
if (existsSync(imp)) {
  let chapter = "";
  let verses: string[] = [];
  const flush = () => { if (verses.length) docs.push(verses.join("\n")); verses = []; };
  for (const block of readFileSync(imp, "utf8").split(/^\$\$\$/m)) {
    const nl = block.indexOf("\n");
    const ref = block.slice(0, nl).trim();
    const m = /^(.*) (\d+):(\d+)$/.exec(ref);
    if (!m || m[3] === "0") continue;
    // Footnotes and cross-references are notes, not the running text.
    const text = clean(stripTags(block.slice(nl + 1).replace(/<note[\s\S]*?<\/note>/g, "")));
    if (!text) continue;
    if (`${m[1]} ${m[2]}` !== chapter) { flush(); chapter = `${m[1]} ${m[2]}`; }
    verses.push(text);
  }
  flush();
}

// Freeciv: every translatable string of the rulesets and the help file, joined across the `\`-continued lines.
for (const file of walk(join(root, "usr/share/games/freeciv"))) {
  if (!/\.(ruleset|txt)$/.test(file)) continue;
  const src = readFileSync(file, "utf8").replace(/\\\n/g, "");
  for (const m of src.matchAll(/_\("((?:[^"\\]|\\.)*)"\)/g)) {
    const t = clean(m[1]!.replace(/\\n/g, "\n").replace(/\\"/g, '"').replace(/\[\/?\w+[^\]]*\]/g, ""));
    if (t.split(" ").length >= 8) docs.push(t);
  }
}

// WordNet: each sense's gloss as a sentence, its quoted examples as their own lines.
const wn = join(root, "usr/share/dictd/wn.dict.dz");
if (existsSync(wn)) {
  let entry: string[] = [];
  const flush = () => { if (entry.length) docs.push(entry.join("\n")); entry = []; };
  let sense = "";
  const endSense = () => {
    if (!sense) return;
    const body = sense.replace(/\[(syn|ant|also):[^\]]*\]/g, "");
    const examples = [...body.matchAll(/"([^"]+)"/g)].map((m) => clean(m[1]!));
    const gloss = clean(body.replace(/"[^"]*"/g, "").replace(/[;\s]+$/, ""));
    if (gloss.split(" ").length >= 4) entry.push(gloss.charAt(0).toUpperCase() + gloss.slice(1) + ".");
    for (const e of examples) if (e.split(" ").length >= 4) entry.push(e);
    sense = "";
  };
  for (const line of gunzipSync(readFileSync(wn)).toString("utf8").split("\n")) {
    if (/^\S/.test(line)) { endSense(); flush(); continue; }
    const m = /^\s+(?:(?:n|v|adj|adv)\s+)?\d+:\s(.*)$/.exec(line);
    if (m) { endSense(); sense = m[1]!; } else if (sense) sense += " " + line.trim();
  }
  endSense();
  flush();
}

// GNOME's user help, English pages only: paragraphs and list items of the Mallard sources.
for (const file of walk(join(root, "usr/share/help/C"))) {
  if (!file.endsWith(".page")) continue;
  const paras = [...readFileSync(file, "utf8").matchAll(/<(p|title|item)\b[^>]*>([\s\S]*?)<\/\1>/g)].map((m) => clean(stripTags(m[2]!)));
  const text = paras.filter((p) => p.split(" ").length >= 3).join("\n");
  if (text) docs.push(text);
}

const heldOut = heldOutLines();
// A fixed shuffle (documents keyed by a hash of their text), so every source is spread over the file and its held-out tail.
const hash = (s: string) => { let h = 2166136261; for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619); return h >>> 0; };
const kept = [...new Set(docs)]
  .map((d) => d.split("\n").filter((l) => !heldOut.has(l.trim())).join("\n").trim())
  .filter(Boolean)
  .map((d) => ({ d, k: hash(d) }))
  .sort((a, b) => a.k - b.k)
  .map((x) => x.d);
await writeFileAtomic(out, kept.join("\n\n") + "\n");
console.log(`${out}: ${kept.length} documents, ${(Buffer.byteLength(kept.join("\n\n")) / 1e6).toFixed(2)} MB`);
