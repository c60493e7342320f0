// `retoken bpb [--model DIR] FILE [--json]`: bits per byte of a language model on a text file.
import type { Command } from "commander";
import { readTextFile } from "../../node/files.js";
import { labelled, positiveIntFlag, printJson } from "./shared.js";

export function register(program: Command): void {
  program
    .command("bpb")
    .description("bits per byte of a model on a UTF-8 text file (first token predicted from BOS, else EOS)")
    .argument("<file>", "UTF-8 text file")
    .option("-m, --model <dir>", "model folder (config.json, model.safetensors, tokenizer.json); default: the bundled model")
    .option("--window <n>", "tokens per forward pass (default: min(max positions, 512))")
    .option("--stride <n>", "tokens between windows (default: window / 2)")
    .option("--json", "print a JSON object")
    .option("--allow-binary", "read the file even if it looks binary (compressed files are refused regardless)")
    .action(async (file: string, opts: { model?: string; window?: string; stride?: string; json?: boolean; allowBinary?: boolean }) => {
      const { loadLanguageModel } = await import("../../lm/node.js");
      const { bitsPerByte } = await import("../../lm/bpb.js");
      const window = positiveIntFlag("bpb", "window", opts.window);
      const stride = positiveIntFlag("bpb", "stride", opts.stride);
      const text = await readTextFile(file, { allowBinary: opts.allowBinary });
      const { folder, tokenizer, dir } = await loadLanguageModel(opts.model);
      const t0 = performance.now();
      const r = await bitsPerByte(folder, tokenizer, text, { window, stride });
      const seconds = (performance.now() - t0) / 1000;
      if (opts.json) printJson({ bitsPerByte: r.bitsPerByte, model: dir, file, tokens: r.tokens, bytes: r.bytes, nllNats: r.nll, startId: r.startId, window: r.window, stride: r.stride, seconds });
      else
        process.stdout.write(
          labelled([
            ["bits per byte", r.bitsPerByte.toFixed(4)],
            ["file", `${file} (${r.bytes} bytes, ${r.tokens} tokens)`],
            ["model", dir],
            ["window / stride", `${r.window} / ${r.stride} tokens`],
            ["time", `${seconds.toFixed(1)} s`],
          ]),
        );
    });
}
