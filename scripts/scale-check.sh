#!/usr/bin/env bash
# The ≥100 MB check of issue 19 (not part of npm test: minutes): for each format (Parquet HF folder, JSONL.zst) and
# model (BPE, Unigram, WordPiece), train in one process, then count 4 shards one after another + count-merge + train
# --counts, and require byte-identical tokenizers. Logs wall time and peak RSS of every step (GNU time) to
# $WORK/results.tsv (wall and CPU seconds: CPU time is the per-process speed on a shared machine); counting throughput, merge memory and count-file sizes come from it (docs/scale.md).
#   bash scripts/scale-check.sh /root/retoken-corpora/c110 /root/retoken-corpora/work [models] [formats]
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${1:?corpus folder (scripts/make-corpus.ts output)}
work=${2:?work folder}
models=${3:-"bpe unigram wordpiece"}
formats=${4:-"parquet jsonl"}
vocab=${VOCAB:-8000}
mkdir -p "$work"
results="$work/results.tsv"
[ -f "$results" ] || printf 'format\tmodel\tstep\twall_s\tcpu_s\tpeak_rss_kb\tbytes_out\n' > "$results"
retoken=(node --import tsx src/cli/main.ts)
timed() { # timed FORMAT MODEL STEP OUTFILE -- command...
  local f=$1 m=$2 step=$3 out=$4; shift 5
  /usr/bin/time -f '%e %U %S %M' -o "$work/.time.$f.$m" "$@" 2>> "$work/log.txt"
  read -r wall user sys rss < "$work/.time.$f.$m"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$f" "$m" "$step" "$wall" "$(echo "$user + $sys" | bc)" "$rss" "$(stat -c %s "$out")" >> "$results"
}
for f in $formats; do
  if [ "$f" = parquet ]; then input="$corpus/parquet"; else input="$corpus/jsonl/*.jsonl.zst"; fi
  for m in $models; do
    d="$work/$f-$m"; mkdir -p "$d"
    timed "$f" "$m" one-process "$d/one.json" -- "${retoken[@]}" train --model "$m" --vocab-size "$vocab" --jsonl-field text --no-progress --out "$d/one.json" "$input"
    for i in 1 2 3 4; do
      timed "$f" "$m" "count-$i/4" "$d/s$i.cnt" -- "${retoken[@]}" count --model "$m" --jsonl-field text --shard "$i/4" --no-progress --out "$d/s$i.cnt" "$input"
    done
    timed "$f" "$m" count-merge "$d/all.cnt" -- "${retoken[@]}" count-merge "$d/s3.cnt" "$d/s1.cnt" "$d/s4.cnt" "$d/s2.cnt" --out "$d/all.cnt"
    timed "$f" "$m" train-counts "$d/counts.json" -- "${retoken[@]}" train --model "$m" --vocab-size "$vocab" --counts "$d/all.cnt" --no-progress --out "$d/counts.json"
    if cmp -s "$d/one.json" "$d/counts.json"; then same=IDENTICAL; else same=DIFFERENT; fi
    printf '%s\t%s\tsharded-vs-one\t%s\t\t\t\n' "$f" "$m" "$same" >> "$results"
    echo "$f $m: 4 shards + merge + train --counts vs one process: $same" >&2
  done
done
column -t -s $'\t' "$results" >&2
