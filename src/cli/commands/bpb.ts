// `retoken bpb [--model DIR] FILE [--json]`: bits per byte of a language model on a text file; `--documents` scores
// each line as one document, `--byte-level` reads them byte by byte, `--ensemble` combines models at the byte level.
import type { Command } from "commander";
import { readFile } from "node:fs/promises";

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
    .action(async (file: string, opts: BpbFlags) => {
      const { loadLanguageModel } = await import("../../lm/node.js");
      const int = (v: string | undefined, name: string) => {
        if (v === undefined) return undefined;
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1) throw new Error(`bpb: --${name} must be a positive integer, got "${v}"`);
        return n;
      };
      const window = int(opts.window, "window");
      const stride = int(opts.stride, "stride");
      if ((opts.byteLevel || opts.ensemble) && !opts.documents) throw new Error("bpb: --byte-level and --ensemble score documents one by one: add --documents");
      if ((opts.weights || opts.combine !== "mixture") && !opts.ensemble) throw new Error("bpb: --weights and --combine need --ensemble");
      let text: string;
      try {
        text = await readFile(file, "utf8");
      } catch {
        throw new Error(`bpb: cannot read ${file}`);
      }
      const t0 = performance.now();
      const seconds = () => (performance.now() - t0) / 1000;
      const print = (bits: number, json: Record<string, unknown>) => process.stdout.write(opts.json ? JSON.stringify({ bitsPerByte: bits, ...json, seconds: seconds() }) + "\n" : `${bits.toFixed(4)}\n`);
      if (!opts.documents) {
        const { bitsPerByte } = await import("../../lm/bpb.js");
        const { folder, tokenizer, dir } = await loadLanguageModel(opts.model);
        const r = await bitsPerByte(folder, tokenizer, text, { window, stride });
        print(r.bitsPerByte, { model: dir, file, tokens: r.tokens, bytes: r.bytes, nllNats: r.nll, startId: r.startId, window: r.window, stride: r.stride });
        return;
      }
      const documents = text.split(/\r?\n/).filter((line) => line.length > 0);
      if (documents.length === 0) throw new Error(`bpb: ${file} has no non-empty lines`);
      if (!opts.byteLevel && !opts.ensemble) {
        const { documentBitsPerByte } = await import("../../lm/bpb.js");
        const { folder, tokenizer, dir } = await loadLanguageModel(opts.model);
        const r = await documentBitsPerByte(folder, tokenizer, documents, { window, stride });
        print(r.bitsPerByte, { model: dir, file, documents: r.documents, tokens: r.tokens, bytes: r.bytes, nllNats: r.nll });
        return;
      }
      const dirs = opts.ensemble ? opts.ensemble.split(",").filter((d) => d.length > 0) : [opts.model];
      if (opts.ensemble && dirs.length < 2) throw new Error(`bpb: --ensemble needs at least two model folders, got "${opts.ensemble}"`);
      if (opts.ensemble && opts.model) throw new Error("bpb: give the ensemble's models in --ensemble, not --model");
      const weights = opts.weights?.split(",").map((w) => {
        const n = Number(w);
        if (!Number.isFinite(n) || n < 0) throw new Error(`bpb: --weights must be non-negative numbers, got "${opts.weights}"`);
        return n;
      });
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
      if (members.length === 1) {
        const m = r.members[0]!;
        print(r.bitsPerByte, { model: m.name, file, documents: r.documents, bytes: r.bytes, renormalisedBitsPerByte: m.renormalisedBitsPerByte, forwardPasses: passes, forwardPassesPerByte: passes / r.bytes });
      } else print(r.bitsPerByte, { combine, weights: weights ?? dirs.map(() => 1 / dirs.length), file, documents: r.documents, bytes: r.bytes, members: r.members, forwardPasses: passes });
    });
}
