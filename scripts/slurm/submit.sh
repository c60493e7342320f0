#!/usr/bin/env bash
# Submits the count array and the dependent merge + train job; prints both job ids.
#   RETOKEN_WORK=/scratch/tok RETOKEN_SHARDS=64 \
#   RETOKEN_OPTIONS="--model bpe --jsonl-field text" RETOKEN_TRAIN_OPTIONS="--vocab-size 32000" \
#   scripts/slurm/submit.sh /data/fineweb/sample-10BT
# RETOKEN_OPTIONS go to both jobs (model, pre-tokenization, field); RETOKEN_TRAIN_OPTIONS only to training;
# RETOKEN_SBATCH_COUNT / RETOKEN_SBATCH_TRAIN are extra sbatch options (partition, --mem, --time, account).
# Options are split at spaces: values with spaces cannot be passed this way (call sbatch directly then).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
: "${RETOKEN_WORK:?set RETOKEN_WORK to a folder every node can write}"
: "${RETOKEN_SHARDS:?set RETOKEN_SHARDS to the number of count tasks}"
[ $# -gt 0 ] || { echo "submit.sh: give the corpus inputs (files, folders, globs)" >&2; exit 2; }
mkdir -p "$RETOKEN_WORK/logs"
read -r -a opts <<< "${RETOKEN_OPTIONS:-}"
read -r -a train_opts <<< "${RETOKEN_TRAIN_OPTIONS:-}"
read -r -a sbatch_count <<< "${RETOKEN_SBATCH_COUNT:-}"
read -r -a sbatch_train <<< "${RETOKEN_SBATCH_TRAIN:-}"
count_job=$(sbatch --parsable --export=ALL --array=1-"$RETOKEN_SHARDS" --output="$RETOKEN_WORK/logs/count-%A_%a.log" \
  "${sbatch_count[@]}" "$here/count-array.sbatch" "${opts[@]}" "$@")
count_job=${count_job%%;*}
train_job=$(sbatch --parsable --export=ALL --dependency=afterok:"$count_job" --kill-on-invalid-dep=yes \
  --output="$RETOKEN_WORK/logs/train-%j.log" "${sbatch_train[@]}" "$here/merge-train.sbatch" "${opts[@]}" "${train_opts[@]}")
echo "count array $count_job (${RETOKEN_SHARDS} tasks), merge + train ${train_job%%;*}: $RETOKEN_WORK/tokenizer.json"
