#!/usr/bin/env bash
# The transfer results table of issue 6: the default model transferred zero-shot to language-specific tokenizers
# trained by retoken (8k byte-level BPE per language, assets/tokenizers) and to GPT-2's tokenizer, scored in bits per
# byte on held-out FLORES-200 devtest, or with TEXTS=domain on the model's own held-out corpus text (assets/text).
# SPLIT=dev scores FLORES dev instead: the split that chooses methods and settings, devtest only reports them.
# MODEL and HYPERNET name another model folder and its hypernetwork (default: the bundled ones).
# Usage: [TEXTS=flores|domain] [SPLIT=devtest|dev] [MODEL=DIR HYPERNET=DIR] bash scripts/transfer-table.sh [LINES] [METHODS] [OUT_PREFIX]
set -euo pipefail
lines="${1:-60}"
methods="${2:-copy,fvt,aux,hypernet}"
out="${3:-docs/transfer-results}"
split="${SPLIT:-devtest}"
[[ "$split" == dev || "$split" == devtest ]] || { echo "SPLIT must be dev or devtest, got $split" >&2; exit 2; }
flores="${FLORES:-../shared/data/flores200/$split}"
corpus="${CORPUS:-tmp/corpus/text}"
declare -A code=([en]=eng_Latn [de]=deu_Latn [fr]=fra_Latn [es]=spa_Latn [ru]=rus_Cyrl [pl]=pol_Latn [ja]=jpn_Jpan)
args=()
for l in de fr es ru pl ja; do
  args+=(--target "$l=assets/tokenizers/$l-8k.json" --aux-text "$l=$corpus/$l.txt")
done
for l in en de fr es ru pl ja; do
  if [[ "${TEXTS:-flores}" == domain ]]; then args+=(--text "$l=assets/text/$l-heldout.txt"); else args+=(--text "$l=$flores/${code[$l]}.$split"); fi
done
# Real models' tokenizers on English and German: GPT-2's byte-level BPE and Llama 2's SentencePiece BPE (byte fallback).
args+=(--target "en,de=../shared/data/tokenizers/gpt-2.json" --target "en,de=../shared/data/tokenizers/llama.json" \
  --add-special-tokens --aux-text "en=$corpus/en.txt")
hn=()
[[ "$methods" == *hypernet* ]] && hn=(--hypernet "${HYPERNET:-assets/hypernet}")
model=()
[[ -n "${MODEL:-}" ]] && model=(--model "$MODEL")
node --import tsx src/cli/main.ts transfer-eval "${model[@]}" "${args[@]}" "${hn[@]}" --methods "$methods" --lines "$lines" --json "$out.json" --html "$out.html"
