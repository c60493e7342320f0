// `retoken demo`: encode a multilingual sample with the bundled tokenizer and show what happened.
import type { Command } from "commander";
import { loadTokenizer } from "./shared.js";

const SAMPLE = [
  "Tokenizers turn text into numbers.",
  "Les tokenizers transforment le texte en nombres.",
  "Токенизаторы превращают текст в числа.",
  "トークナイザーはテキストを数値に変換します。",
  "function add(a, b) { return a + b; } // 12345",
];

export function register(program: Command): void {
  program
    .command("demo")
    .description("encode a multilingual sample with the bundled tokenizer (or -t FILE) and print tokens, ids and bytes per token")
    .option("-t, --tokenizer <file>", "tokenizer file (default: the bundled GPT-2 tokenizer)")
    .action(async (opts: { tokenizer?: string }) => {
      const tokenizer = await loadTokenizer(opts.tokenizer);
      const utf8 = new TextEncoder();
      let bytes = 0;
      let tokens = 0;
      for (const line of SAMPLE) {
        const enc = tokenizer.encode(line, { addSpecialTokens: false });
        const n = utf8.encode(line).length;
        bytes += n;
        tokens += enc.ids.length;
        const shown = enc.tokens.map((_, i) => line.slice(enc.offsets[i]![0], enc.offsets[i]![1])).map((s) => `[${s}]`).join("");
        process.stdout.write(`${line}\n  ${enc.ids.length} tokens, ${(n / enc.ids.length).toFixed(2)} bytes/token\n  pieces: ${shown}\n  ids:    ${JSON.stringify(enc.ids)}\n`);
        if (tokenizer.decode(enc.ids) !== line) throw new Error(`demo: decoding did not give the text back for ${JSON.stringify(line)}`);
      }
      process.stdout.write(`\nIn all: ${tokens} tokens for ${bytes} bytes (${(bytes / tokens).toFixed(2)} bytes/token); every line decodes back to itself.\n`);
    });
}
