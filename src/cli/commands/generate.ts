// `retoken generate PROMPT [--model DIR] [--heal off|rollback|exact] [--max-tokens N] [--greedy | --temperature T
// --top-k K --top-p P --seed S] [--json]`: streams text, or prints { prompt, continuation, text, healing } as JSON.
import type { Command } from "commander";
import { numberFlag } from "./shared.js";

export function register(program: Command): void {
  program
    .command("generate")
    .description("continue a prompt with a language model, streaming text as it is produced")
    .argument("<prompt>", "text to continue")
    .option("-m, --model <dir>", "model folder; default: the bundled model")
    .option("-n, --max-tokens <n>", "tokens to generate", "64")
    .option("--heal <mode>", "token healing of a prompt that ends inside a token: off, rollback or exact", "off")
    .option("--greedy", "always take the most likely token (temperature 0)")
    .option("--temperature <t>", "0 = greedy", "0")
    .option("--top-k <k>", "sample among the k most likely tokens (0 = all)", "0")
    .option("--top-p <p>", "nucleus sampling threshold", "1")
    .option("--seed <s>", "random seed", "0")
    .option("--json", "print { prompt, continuation, text, healing } instead of streaming")
    .action(async (prompt: string, opts: { model?: string; maxTokens: string; heal: string; greedy?: boolean; temperature: string; topK: string; topP: string; seed: string; json?: boolean }) => {
      const { HEAL_MODES, canonicality, healedGenerate } = await import("../../decode/index.js");
      const heal = HEAL_MODES.find((m) => m === opts.heal);
      if (!heal) throw new Error(`generate: bad --heal "${opts.heal}" (expected ${HEAL_MODES.join(", ")})`);
      const maxTokens = numberFlag("generate", "max-tokens", opts.maxTokens, { integer: true, min: 0 })!;
      const temperature = opts.greedy ? 0 : numberFlag("generate", "temperature", opts.temperature, { min: 0 })!;
      const topK = numberFlag("generate", "top-k", opts.topK, { integer: true, min: 0 })!;
      const topP = numberFlag("generate", "top-p", opts.topP, { min: 0, above: true, max: 1 })!;
      const seed = numberFlag("generate", "seed", opts.seed, { integer: true })!;
      const { loadLanguageModel } = await import("../../lm/node.js");
      const { folder, tokenizer } = await loadLanguageModel(opts.model);
      const canon = canonicality(tokenizer);
      const { continuationBytes } = await import("../../decode/index.js");
      const stream = new TextDecoder();
      let written = 0;
      const generated: number[] = [];
      let plan: Parameters<typeof continuationBytes>[1] | null = null;
      const result = await healedGenerate(folder, tokenizer, canon, prompt, {
        heal,
        maxTokens,
        temperature,
        topK,
        topP,
        seed,
        onPlan: (p) => {
          plan = p;
          if (!opts.json) process.stdout.write(prompt);
        },
        onToken: (id) => {
          if (opts.json || !plan) return;
          generated.push(id);
          // Continuation bytes so far, written as they complete whole characters.
          const bytes = continuationBytes(canon, plan, generated);
          process.stdout.write(stream.decode(bytes.subarray(written), { stream: true }));
          written = bytes.length;
        },
      });
      const continuation = new TextDecoder().decode(result.continuation);
      if (opts.json) process.stdout.write(JSON.stringify({ prompt, continuation, text: prompt + continuation, healing: result.healing }, null, 2) + "\n");
      else process.stdout.write(stream.decode() + "\n");
    });
}
