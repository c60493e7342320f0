// Copies what the product needs at run time from the corpus into assets/: held-out text per language (the last 1% of
// each corpus file, inside the 2% tail that train-model.ts never trains on) and a training-text sample for the
// auxiliary-space (static embedding) transfer of the demo.
// Run: node --import tsx scripts/default-model/make-assets.ts [CORPUS_DIR] [ASSETS_DIR]
import { readFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../../src/node/files.js";

const corpus = process.argv[2] ?? "tmp/corpus/text";
const assets = process.argv[3] ?? "assets";
mkdirSync(join(assets, "text"), { recursive: true });
const wholeLines = (s: string) => s.slice(s.indexOf("\n") + 1, s.lastIndexOf("\n") + 1);
for (const lang of ["en", "de", "fr", "es", "ru", "pl", "ja", "code"]) {
  const text = readFileSync(join(corpus, `${lang}.txt`), "utf8");
  const tail = wholeLines(text.slice(Math.floor(text.length * 0.99)));
  await writeFileAtomic(join(assets, "text", `${lang}-heldout.txt`), tail);
  if (lang === "de") await writeFileAtomic(join(assets, "text", `${lang}-sample.txt`), wholeLines(text.slice(0, 300_000)));
  console.log(lang, tail.length);
}
