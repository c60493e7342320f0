// A model folder transferred by a named method whose extra inputs are files on disk (Node): omp's donor model, aux's
// corpus or donor, hypernet's network — the whole `retoken transfer` flow as one typed call, checked before any model
// is read. The CLI maps its flags onto these options and draws progress bars; transferModelFolder stays the
// lower-level call that takes the inputs themselves.
import { resolve } from "node:path";
import { stat } from "node:fs/promises";
import { readTextFile } from "../node/files.js";
import { DEFAULT_MODEL_DIR } from "../lm/node.js";
import { TRANSFER_METHODS, type MethodInputs, type TransferMethod } from "./methods.js";
import { transferModelFolder, readInputEmbeddings, type TransferFolderOptions, type TransferFolderResult, type TransferInputsContext } from "./folder.js";

export interface TransferFromFilesOptions extends Omit<TransferFolderOptions, "modelDir" | "method" | "inputs" | "strategies"> {
  /** Model folder (default: the bundled model). */
  modelDir?: string;
  method: TransferMethod;
  /** A model folder that already uses the target tokenizer (omp; or aux's embedding space). */
  donor?: string;
  /** Target-language text; aux trains static embeddings of `auxDim` dimensions (default 64) on it. */
  auxCorpus?: string;
  auxDim?: number;
  /** Read `auxCorpus` even if it looks binary (compressed files are refused regardless). */
  allowBinary?: boolean;
  /** Hypernetwork folder (hypernet); default: the bundled one, which fits the bundled model only. */
  hypernet?: string;
  /** Seed of the random rows (default 0). */
  seed?: number;
}

/** Checks the method and the files it needs, then transfers; the result is the folder written at `out`. */
export async function transferFromFiles(options: TransferFromFilesOptions): Promise<TransferFolderResult> {
  const { modelDir: givenModel, method, donor, auxCorpus, auxDim = 64, allowBinary, hypernet, seed = 0, ...folder } = options;
  if (!TRANSFER_METHODS.includes(method)) throw new Error(`transfer: unknown --method "${method}" (one of ${TRANSFER_METHODS.join(", ")})`);
  if (method === "omp" && !donor) throw new Error("transfer: --method omp needs --donor DIR, a model that already uses the target tokenizer");
  if (method === "aux" && !auxCorpus && !donor) throw new Error("transfer: --method aux needs --aux-corpus FILE (target-language text for static embeddings) or --donor DIR");
  if (!Number.isInteger(auxDim) || auxDim < 1) throw new Error(`transfer: --aux-dim must be a positive integer, got ${auxDim}`);
  if (!Number.isInteger(seed)) throw new Error(`transfer: --seed must be an integer, got ${seed}`);
  const bundled = givenModel === undefined || resolve(givenModel) === resolve(DEFAULT_MODEL_DIR);
  // The bundled hypernetwork is trained for the bundled model's embeddings only: another model needs its own.
  if (method === "hypernet" && !hypernet && !bundled) {
    throw new Error("transfer: --method hypernet needs --hypernet DIR with --model (a hypernetwork trained for that model; the bundled one fits the bundled model only)");
  }
  const modelDir = givenModel ?? DEFAULT_MODEL_DIR;
  if (givenModel === undefined && !(await stat(modelDir).then((s) => s.isDirectory(), () => false))) {
    throw new Error(`transfer: no --model given and the default model folder ${modelDir} does not exist (pass --model DIR)`);
  }

  /** The method's extra inputs, built once the target tokenizer is final (special tokens appended). */
  const inputs = async (ctx: TransferInputsContext): Promise<MethodInputs> => {
    const vocab = ctx.map.targetSize;
    if (method === "omp") return { donor: await readInputEmbeddings(donor!, vocab), seed };
    if (method === "aux") {
      if (auxCorpus) {
        const { staticEmbeddingsFromText } = await import("./static-embeddings.js");
        let text: string;
        try {
          text = await readTextFile(auxCorpus, { allowBinary });
        } catch (e) {
          throw new Error(`transfer: --aux-corpus ${(e as Error).message}`);
        }
        return { auxSpace: staticEmbeddingsFromText(text, ctx.target, { dim: auxDim, seed }), seed };
      }
      const rows = await readInputEmbeddings(donor!, vocab);
      return { auxSpace: { space: rows.data, dim: rows.dim }, seed };
    }
    if (method === "hypernet") {
      const { predictEmbeddingsWithHypernet, DEFAULT_HYPERNET_DIR } = await import("./hypernet/index.js");
      const { loadLanguageModel } = await import("../lm/node.js");
      const { folder: model } = await loadLanguageModel(modelDir);
      const predicted = await predictEmbeddingsWithHypernet({ model, sourceTokenizer: ctx.source, targetTokenizer: ctx.target, hypernetDir: hypernet ?? DEFAULT_HYPERNET_DIR });
      return { predicted, seed };
    }
    return { seed };
  };
  return transferModelFolder({ ...folder, modelDir, method, inputs });
}
