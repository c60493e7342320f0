/**
 * Measuring tokenizers on corpora: metrics, parity, vocabulary audit, digit partitions, data-mixture inference, reports.
 * @module retoken/analyze
 */
// retoken/analyze: measuring tokenizers on corpora — metrics, parity, the vocabulary audit, digit partitions, data
// mixture inference and the HTML report. Browser-safe.
export { compareTokenizers, formatCompareTable, type CompareOptions, type CompareReport, type NamedTokenizer, type CorpusText, type TextResult, type TokenizerSummary, type ComparableTokenizer } from "./compare.js";
export {
  countText,
  metricsFromCounts,
  renyiEntropy,
  efficiency,
  unigramBitsPerByte,
  wordSpans,
  type MeasurableTokenizer,
  type TextCounts,
  type TextMetrics,
  type EfficiencyOptions,
} from "./metrics.js";
export { auditVocabulary, vocabularyOverlap, canonicalVocabulary, type VocabularyAudit, type VocabularyOverlap, type AuditableTokenizer, type TokenClass } from "./audit.js";
export { digitReport, digitPartitionStats, type DigitLengthStats, type DigitTokenizer } from "./digits.js";
export { inferMixture, replayMerges, solveMixture, type MixtureCategory, type MixtureOptions, type MixtureResult } from "./mixture.js";
export { petrovFloresText } from "./flores.js";
export { measureCounts, type CountsMetrics } from "./count-metrics.js";
export { renderCompareHtml, compareCharts, type ChartSpec } from "./report-html.js";
