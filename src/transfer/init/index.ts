export * from "./strategy.js";
export { copyInit } from "./copy.js";
export { fvtInit, type FvtMode } from "./fvt.js";
export { randomInit } from "./random.js";
export { ompInit, orthogonalMatchingPursuit, type OmpOptions } from "./omp.js";
export { auxKnnInit, sparsemax, type AuxKnnOptions } from "./aux-knn.js";
