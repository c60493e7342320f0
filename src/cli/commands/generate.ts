// `retoken generate [--model DIR] "prompt" [--max-tokens N --temperature T --top-k K --top-p P --seed S]`: streams text.
import type { Command } from "commander";

export function register(program: Command): void {
  program
    .command("generate")
    .description("continue a prompt with a language model, streaming text as it is produced")
    .argument("<prompt>", "text to continue")
    .option("-m, --model <dir>", "model folder; default: the bundled model")
    .option("-n, --max-tokens <n>", "tokens to generate", "64")
    .option("--temperature <t>", "0 = greedy", "0")
    .option("--top-k <k>", "sample among the k most likely tokens (0 = all)", "0")
    .option("--top-p <p>", "nucleus sampling threshold", "1")
    .option("--seed <s>", "random seed", "0")
    .action(async (prompt: string, opts: { model?: string; maxTokens: string; temperature: string; topK: string; topP: string; seed: string }) => {
      const num = (v: string, name: string, ok: (n: number) => boolean) => {
        const n = Number(v);
        if (!Number.isFinite(n) || !ok(n)) throw new Error(`generate: bad --${name} "${v}"`);
        return n;
      };
      const maxTokens = num(opts.maxTokens, "max-tokens", (n) => Number.isInteger(n) && n >= 0);
      const temperature = num(opts.temperature, "temperature", (n) => n >= 0);
      const topK = num(opts.topK, "top-k", (n) => Number.isInteger(n) && n >= 0);
      const topP = num(opts.topP, "top-p", (n) => n > 0 && n <= 1);
      const seed = num(opts.seed, "seed", Number.isInteger);
      const { loadLanguageModel } = await import("../../lm/node.js");
      const { generate } = await import("../../lm/generate.js");
      const { folder, tokenizer } = await loadLanguageModel(opts.model);
      const start = folder.config.bosTokenId;
      const ids = tokenizer.encode(prompt, { addSpecialTokens: false }).ids;
      const promptIds = start === null ? Array.from(ids) : [start, ...ids];
      const stream = tokenizer.createStreamDecoder({ skipSpecialTokens: true });
      process.stdout.write(prompt);
      await generate(folder, promptIds, { maxTokens, temperature, topK, topP, seed, onToken: (id) => process.stdout.write(stream.push(id)) });
      process.stdout.write(stream.flush() + "\n");
    });
}
