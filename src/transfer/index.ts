/**
 * Tokenizer transfer: vocabulary maps, initialisation strategies, hypernetworks, evaluation, model folders.
 * @module retoken/transfer
 */
// retoken/transfer: giving a model a new tokenizer — vocabulary maps, initialisation strategies over the [V, 2, d]
// embedding view, the hypernetworks, evaluation, and whole model folders (Node).
export { buildVocabularyMap, type VocabularyMap, type TransferTokenizer } from "./vocabulary-map.js";
export { EmbeddingView, EncodedEmbeddingRows, type EmbeddingRows } from "./embedding-view.js";
export { TRANSFER_METHODS, transferEmbeddings, methodStrategies, type TransferMethod, type MethodInputs } from "./methods.js";
export * from "./init/index.js";
export { trainStaticEmbeddings, staticEmbeddingsFromText, type StaticEmbeddingOptions } from "./static-embeddings.js";
export { evaluateTransfer, methodAverages, formatTransferTable, transferCharts, type EvalTarget, type EvalRow, type EvalOptions, type TransferEvalReport } from "./evaluate.js";
export { transferModelFolder, readInputEmbeddings, type TransferFolderOptions, type TransferFolderResult, type TransferProgress } from "./folder.js";
export { transferFromFiles, type TransferFromFilesOptions } from "./transfer-files.js";
export { loadHypernet, saveHypernet, predictEmbeddingsWithHypernet, staticHypernetTransfer, HypernetTokenRows, type HypernetRowsOptions } from "./hypernet/index.js";
export { loadZettV1, parseZettV1Config, zettV1PredictEmbeddings, type ZettV1Config } from "./hypernet/v1.js";
