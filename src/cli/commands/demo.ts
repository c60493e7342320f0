// `retoken demo`: the whole story on built-in defaults — the bundled multilingual model meets a German tokenizer
// trained by retoken; it is transferred zero-shot by each method and measured on held-out German text.
import type { Command } from "commander";
import { fileURLToPath } from "node:url";
import { existsSync } from "node:fs";
import { runTransferEval } from "./transfer-eval.js";

const asset = (p: string) => fileURLToPath(new URL(`../../../assets/${p}`, import.meta.url));
const SENTENCE = "Die Einstellung steuert, ob vor dem Einhängen ein Dateisystemprüfprogramm ausgeführt wird.";

export function register(program: Command): void {
  program
    .command("demo")
    .description("transfer the bundled model to a German tokenizer zero-shot (copy, FVT, aux-kNN, hypernetwork) and measure bits per byte on held-out German text")
    .option("--lines <n>", "held-out lines to score", "60")
    .option("--html <file>", "also write the HTML report")
    .option("--json", "print the results as one JSON object instead of the story")
    .action(async (opts: { lines: string; html?: string; json?: boolean }) => {
      const { Tokenizer } = await import("../../platform/node-tokenizer.js");
      const { DEFAULT_MODEL_DIR } = await import("../../lm/node.js");
      const target = asset("tokenizers/de-8k.json");
      const source = await Tokenizer.fromFile(`${DEFAULT_MODEL_DIR}/tokenizer.json`);
      const german = await Tokenizer.fromFile(target);
      const show = (t: InstanceType<typeof Tokenizer>) => {
        const e = t.encode(SENTENCE, { addSpecialTokens: false });
        return `${e.ids.length} tokens: ${e.offsets.map(([a, b]) => SENTENCE.slice(a, b)).join("|")}`;
      };
      const out = (s: string) => void (opts.json || process.stdout.write(s));
      out(`The bundled model (${source.vocabSize()} tokens, trained on 32 languages and code) and a German tokenizer (${german.vocabSize()} tokens, trained by retoken on German text):\n`);
      out(`  model's tokenizer   ${show(source)}\n  German tokenizer    ${show(german)}\n\n`);
      const hypernet = asset("hypernet");
      const methods = ["copy", "fvt", "aux", ...(existsSync(`${hypernet}/config.json`) ? ["hypernet"] : [])];
      out(`Transferring the model to the German tokenizer by ${methods.join(", ")}; bits per byte on held-out German text (lower is better):\n\n`);
      await runTransferEval(
        {
          target: [`de=${target}`],
          text: [`de=${asset("text/de-heldout.txt")}`],
          auxText: [`de=${asset("text/de-sample.txt")}`],
          methods: methods.join(","),
          lines: opts.lines,
          hypernet: methods.includes("hypernet") ? hypernet : undefined,
          html: opts.html,
          json: opts.json ? true : undefined,
          quiet: false,
        },
        out,
      );
      out(`\n"original" is the model with its own tokenizer; "length" is the change in sequence length with the German tokenizer.\n`);
    });
}
