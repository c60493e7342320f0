// `retoken decode -t FILE [--skip-special]`: a JSON array of ids on stdin → text.
import type { Command } from "commander";
import { loadTokenizer, printJson, readStdin } from "./shared.js";

export function register(program: Command): void {
  program
    .command("decode")
    .description("decode a JSON array of ids from stdin into text")
    .option("-t, --tokenizer <file>", "tokenizer file (default: the bundled GPT-2 tokenizer)")
    .option("--skip-special", "leave special tokens out")
    .option("--json", 'print {"text": ...} (the text exactly, no newline added)')
    .action(async (opts: { tokenizer?: string; skipSpecial?: boolean; json?: boolean }) => {
      const tokenizer = await loadTokenizer(opts.tokenizer);
      const input = (await readStdin()).trim();
      let ids: unknown;
      try {
        ids = JSON.parse(input);
      } catch {
        throw new Error(`decode: stdin is not JSON (expected an array of ids such as [15496, 995]), got ${JSON.stringify(input.slice(0, 40))}`);
      }
      if (!Array.isArray(ids) || !ids.every((x) => Number.isInteger(x))) throw new Error("decode: stdin must be a JSON array of integer ids");
      // decode() names the first id outside the vocabulary and its position.
      const text = tokenizer.decode(ids as number[], { skipSpecialTokens: opts.skipSpecial ?? false });
      if (opts.json) printJson({ text });
      else process.stdout.write(text + "\n");
    });
}
