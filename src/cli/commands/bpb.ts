// `retoken bpb [--model DIR] FILE [--json]`: bits per byte of a language model on a text file; `--documents` scores
// each line as one document, `--byte-level` reads them byte by byte, `--ensemble` combines models at the byte level.
import type { Command } from "commander";
import { readTextFile } from "../../node/files.js";
import { labelled, numberFlag, positiveIntFlag, printJson } from "./shared.js";

interface BpbFlags {
  model?: string;
  window?: string;
  stride?: string;
  json?: boolean;
  documents?: boolean;
  byteLevel?: boolean;
  ensemble?: string;
  weights?: string;
  combine?: string;
}

export function register(program: Command): void {
  program
    .command("bpb")
    .description("bits per byte of a model on a UTF-8 text file (first token predicted from BOS, else EOS)")
    .argument("<file>", "UTF-8 text file")
    .option("-m, --model <dir>", "model folder (config.json, model.safetensors, tokenizer.json); default: the bundled model")
    .option("--window <n>", "tokens per forward pass (default: min(max positions, 512))")
    .option("--stride <n>", "tokens between windows (default: window / 2)")
    .option("--documents", "score each non-empty line as one document: start token, its tokens, the end-of-text token (which counts as a symbol with no bytes)")
    .option("--byte-level", "with --documents: the same through the exact byte-level model (equal to the token-level value; also reports the renormalised one)")
    .option("--ensemble <dirs>", "with --documents: comma-separated model folders combined at the byte level (tokenizers may differ)")
    .option("--weights <w,w>", "ensemble weights, one per model (default: equal)")
    .option("--combine <how>", "ensemble: mixture (Σ wᵢpᵢ) or product (Π pᵢ^wᵢ, renormalised)", "mixture")
    .option("--json", "print a JSON object")
    .option("--allow-binary", "read the file even if it looks binary (compressed files are refused regardless)")
    .action(async (file: string, opts: BpbFlags & { allowBinary?: boolean }) => {
      const { loadLanguageModel } = await import("../../lm/node.js");
      const window = positiveIntFlag("bpb", "window", opts.window);
      const stride = positiveIntFlag("bpb", "stride", opts.stride);
      if ((opts.byteLevel || opts.ensemble) && !opts.documents) throw new Error("bpb: --byte-level and --ensemble score documents one by one: add --documents");
      if ((opts.weights || opts.combine !== "mixture") && !opts.ensemble) throw new Error("bpb: --weights and --combine need --ensemble");
      const text = await readTextFile(file, { allowBinary: opts.allowBinary });
      const t0 = performance.now();
      const seconds = () => (performance.now() - t0) / 1000;
      if (!opts.documents) {
        const { bitsPerByte } = await import("../../lm/bpb.js");
        const { folder, tokenizer, dir } = await loadLanguageModel(opts.model);
        const r = await bitsPerByte(folder, tokenizer, text, { window, stride });
        if (opts.json) printJson({ bitsPerByte: r.bitsPerByte, model: dir, file, tokens: r.tokens, bytes: r.bytes, nllNats: r.nll, startId: r.startId, window: r.window, stride: r.stride, seconds: seconds() });
        else
          process.stdout.write(
            labelled([
              ["bits per byte", r.bitsPerByte.toFixed(4)],
              ["file", `${file} (${r.bytes} bytes, ${r.tokens} tokens)`],
              ["model", dir],
              ["window / stride", `${r.window} / ${r.stride} tokens`],
              ["time", `${seconds().toFixed(1)} s`],
            ]),
          );
        return;
      }
      const documents = text.split(/\r?\n/).filter((line) => line.length > 0);
      if (documents.length === 0) throw new Error(`bpb: ${file} has no non-empty lines`);
      if (!opts.byteLevel && !opts.ensemble) {
        const { documentBitsPerByte } = await import("../../lm/bpb.js");
        const { folder, tokenizer, dir } = await loadLanguageModel(opts.model);
        const r = await documentBitsPerByte(folder, tokenizer, documents, { window, stride });
        if (opts.json) printJson({ bitsPerByte: r.bitsPerByte, model: dir, file, documents: r.documents, tokens: r.tokens, bytes: r.bytes, nllNats: r.nll, seconds: seconds() });
        else
          process.stdout.write(
            labelled([
              ["bits per byte", r.bitsPerByte.toFixed(4)],
              ["file", `${file} (${r.documents} documents, ${r.bytes} bytes, ${r.tokens} tokens with the end tokens)`],
              ["model", dir],
              ["time", `${seconds().toFixed(1)} s`],
            ]),
          );
        return;
      }
      const dirs = opts.ensemble ? opts.ensemble.split(",").filter((d) => d.length > 0) : [opts.model];
      if (opts.ensemble && dirs.length < 2) throw new Error(`bpb: --ensemble needs at least two model folders, got "${opts.ensemble}"`);
      if (opts.ensemble && opts.model) throw new Error("bpb: give the ensemble's models in --ensemble, not --model");
      const weights = opts.weights?.split(",").map((w) => numberFlag("bpb", "weights", w, { min: 0 })!);
      const combine = opts.combine;
      if (combine !== "mixture" && combine !== "product") throw new Error(`bpb: --combine must be mixture or product, got "${combine}"`);
      const { tokenLM } = await import("../../lm/token-lm.js");
      const { coverRule } = await import("../../decode/byte-lm.js");
      const { byteLevelBitsPerByte } = await import("../../decode/byte-bpb.js");
      const members = [];
      for (const d of dirs) {
        const { folder, tokenizer, dir } = await loadLanguageModel(d);
        members.push({ lm: await tokenLM(folder), rule: coverRule(tokenizer), name: dir });
      }
      const r = await byteLevelBitsPerByte(members, documents, { combine, weights });
      const passes = r.members.reduce((a, m) => a + m.forwardPasses, 0);
      const fields =
        members.length === 1
          ? { model: r.members[0]!.name, file, documents: r.documents, bytes: r.bytes, renormalisedBitsPerByte: r.members[0]!.renormalisedBitsPerByte, forwardPasses: passes, forwardPassesPerByte: passes / r.bytes }
          : { combine, weights: weights ?? dirs.map(() => 1 / dirs.length), file, documents: r.documents, bytes: r.bytes, members: r.members, forwardPasses: passes };
      if (opts.json) printJson({ bitsPerByte: r.bitsPerByte, ...fields, seconds: seconds() });
      else
        process.stdout.write(
          labelled([
            [members.length === 1 ? "bits per byte (byte-level)" : `bits per byte (${combine})`, r.bitsPerByte.toFixed(4)],
            ...r.members.map((m) => [m.name, `${m.bitsPerByte.toFixed(4)} (renormalised ${m.renormalisedBitsPerByte.toFixed(4)})`] as const),
            ["file", `${file} (${r.documents} documents, ${r.bytes} bytes)`],
            ["forward passes per byte", (passes / r.bytes).toFixed(3)],
            ["time", `${seconds().toFixed(1)} s`],
          ]),
        );
    });
}
