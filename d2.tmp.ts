import { readFileSync } from "node:fs";
import { readVocabObject } from "./src/tokenize/models/vocab.js";
import { BpeModel } from "./src/tokenize/models/bpe.js";
import { modelFromJSON } from "./src/tokenize/models/index.js";
const base = JSON.parse(readFileSync("assets/tokenizers/de-8k.json", "utf8"));
base.model.vocab["ab"] = 2 ** 31;
console.time("model");
try { modelFromJSON(base.model, "m"); } catch (e) { console.log(String(e)); }
console.timeEnd("model");
