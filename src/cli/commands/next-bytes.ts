// `retoken next-bytes --prompt TEXT [--model DIR] [--method exact|naive] [--json]`: the distribution of the byte after
// a prompt (exact: every canonical encoding that covers the prompt; naive: the prompt's own encoding only).
import type { Command } from "commander";
import { positiveIntFlag, printJson } from "./shared.js";

export function register(program: Command): void {
  program
    .command("next-bytes")
    .description("the probability of each next byte (and of the end of text) after a prompt")
    .requiredOption("--prompt <text>", "the text so far")
    .option("-m, --model <dir>", "model folder; default: the bundled model")
    .option("--method <method>", "exact (all canonical covers) or naive (the prompt's encoding, summed by first byte)", "exact")
    .option("--top <n>", "bytes listed without --json", "10")
    .option("--json", 'print { "distribution": [{ "byte", "p" }, …] (all 256, most likely first), "endOfText" }')
    .action(async (opts: { prompt: string; model?: string; method: string; top: string; json?: boolean }) => {
      if (opts.method !== "exact" && opts.method !== "naive") throw new Error(`next-bytes: --method must be exact or naive, got "${opts.method}"`);
      const top = positiveIntFlag("next-bytes", "top", opts.top)!;
      const { loadLanguageModel } = await import("../../lm/node.js");
      const { tokenLM } = await import("../../lm/token-lm.js");
      const { coverRule } = await import("../../decode/byte-lm.js");
      const { exactNextBytes, naiveNextBytes } = await import("../../decode/next-bytes.js");
      const { folder, tokenizer } = await loadLanguageModel(opts.model);
      const lm = await tokenLM(folder);
      const rule = coverRule(tokenizer);
      const d = opts.method === "exact" ? await exactNextBytes(lm, rule, opts.prompt) : await naiveNextBytes(lm, tokenizer, rule.table, opts.prompt);
      const distribution = Array.from(d.bytes, (p, byte) => ({ byte, p })).sort((a, b) => b.p - a.p || a.byte - b.byte);
      if (opts.json) {
        printJson({ distribution, endOfText: d.endOfText });
        return;
      }
      const show = (b: number) => (b >= 0x20 && b < 0x7f ? JSON.stringify(String.fromCharCode(b)) : `0x${b.toString(16).padStart(2, "0")}`);
      for (const { byte, p } of distribution.slice(0, top)) process.stdout.write(`${show(byte).padEnd(6)} ${p.toFixed(6)}\n`);
      process.stdout.write(`${"end".padEnd(6)} ${d.endOfText.toFixed(6)}\n`);
    });
}
