/**
 * Language models: model folders, forward passes, bits per byte, generation, training (Node).
 * @module retoken/lm
 */
// retoken/lm: language models — model folders (safetensors), Llama-family and GPT-2 forward passes, bits per byte,
// generation and training. Node: loadLanguageModel installs the backend and the OpenBLAS CPU path.
export { loadLanguageModel, useOpenBlas, DEFAULT_MODEL_DIR } from "./node.js";
export { loadModelFolder, saveModelFolder, type ModelFolder, type SaveOptions } from "./folder.js";
export { parseModelConfig, type ModelConfig, type LlamaConfig, type Gpt2Config } from "./config.js";
export { bitsPerByte, type BitsPerByteOptions, type BitsPerByteResult, type TextTokenizer } from "./bpb.js";
export { generate, type GenerateOptions, type SamplingOptions } from "./generate.js";
export { forward, type Params } from "./model.js";
export { LanguageModelTrainer, type TrainerOptions, type StepLog } from "./train.js";
export { finetuneModelFolder, FinetuneInterrupted, type FinetuneOptions, type FinetuneResult, type FinetuneLogEntry, type FinetuneEval } from "./finetune.js";
