// `retoken encode -t FILE [--count] [--tokens] [--offsets] [--no-special]`: UTF-8 text on stdin → ids as JSON.
import type { Command } from "commander";
import { loadTokenizer, readStdin } from "./shared.js";

export function register(program: Command): void {
  program
    .command("encode")
    .description("encode UTF-8 text from stdin; prints the ids as a JSON array")
    .option("-t, --tokenizer <file>", "tokenizer.json, .tiktoken rank file or SentencePiece .model (default: the bundled GPT-2 tokenizer)")
    .option("--count", "print only the number of tokens")
    .option("--tokens", "print the token strings too")
    .option("--offsets", "print the offsets (code points) too")
    .option("--no-special", "do not add special tokens")
    .option("--allow-binary", "encode stdin even if it looks binary (compressed input is refused regardless)")
    .action(async (opts: { tokenizer?: string; count?: boolean; tokens?: boolean; offsets?: boolean; special: boolean; allowBinary?: boolean }) => {
      const tokenizer = await loadTokenizer(opts.tokenizer);
      const text = await readStdin({ allowBinary: opts.allowBinary });
      const enc = tokenizer.encode(text, { addSpecialTokens: opts.special });
      if (opts.count) process.stdout.write(`${enc.ids.length}\n`);
      else if (opts.tokens || opts.offsets) {
        const out: Record<string, unknown> = { ids: enc.ids };
        if (opts.tokens) out.tokens = enc.tokens;
        if (opts.offsets) out.offsets = enc.codePointOffsets;
        process.stdout.write(JSON.stringify(out) + "\n");
      } else process.stdout.write(JSON.stringify(enc.ids) + "\n");
    });
}
