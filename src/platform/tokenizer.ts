// The Tokenizer with every file format plugged in, for code inside retoken that loads tokenizers (the web app, and
// through node-tokenizer.ts the Node folders): the entry points do the same for users, but nothing inside src imports
// an entry point — the package root re-exports modules, it is not a dependency of them.
import { tokenizerJsonFromBytes } from "../formats/index.js";
import { setTokenizerFileParser } from "./files.js";

setTokenizerFileParser(tokenizerJsonFromBytes);

export { Tokenizer } from "../tokenize/tokenizer.js";
