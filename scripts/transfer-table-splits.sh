#!/usr/bin/env bash
# The transfer tables of issue 12 in one transfer-eval run per target group: FLORES dev (LANG@dev, first DEV lines;
# the split that chooses), FLORES devtest (LANG, first TEST lines; the split reported) and the model's own held-out
# text (LANG@domain, first DOMAIN lines) are scored with the same transferred embeddings, so each target's hypernet
# rows are predicted once, not once per split (scripts/transfer-table.sh runs one split per call).
# PART=lang: the six language tokenizers; PART=real: GPT-2's and Llama 2's tokenizers on en and de.
# Usage: PART=lang|real [DEV=20 TEST=40 DOMAIN=40] [MODEL=DIR] [HYPERNET=DIR] bash scripts/transfer-table-splits.sh [METHODS] [OUT_PREFIX]
set -euo pipefail
[[ "${PART:-}" == lang || "${PART:-}" == real ]] || { echo "PART must be lang or real" >&2; exit 2; }
methods="${1:-copy,fvt,hypernet}"; out="${2:-tmp/transfer}"
dev="${DEV:-20}"; test="${TEST:-40}"; dom="${DOMAIN:-40}"
fl=../shared/data/flores200; cut=tmp/cut-$PART; mkdir -p $cut
declare -A code=([en]=eng_Latn [de]=deu_Latn [fr]=fra_Latn [es]=spa_Latn [ru]=rus_Cyrl [pl]=pol_Latn [ja]=jpn_Jpan)
args=()
if [[ "$PART" == lang ]]; then langs=(de fr es ru pl ja); else langs=(en de); fi
for l in "${langs[@]}"; do
  head -n "$test" "$fl/devtest/${code[$l]}.devtest" > $cut/$l.devtest; head -n "$dev" "$fl/dev/${code[$l]}.dev" > $cut/$l.dev
  head -n "$dom" "assets/text/$l-heldout.txt" > $cut/$l.domain
  args+=(--text "$l=$cut/$l.devtest" --text "$l@dev=$cut/$l.dev" --text "$l@domain=$cut/$l.domain")
done
if [[ "$PART" == lang ]]; then
  for l in "${langs[@]}"; do args+=(--target "$l,$l@dev,$l@domain=assets/tokenizers/$l-8k.json"); done
else
  for t in gpt-2 llama; do args+=(--target "en,de,en@dev,de@dev,en@domain,de@domain=../shared/data/tokenizers/$t.json"); done
  args+=(--add-special-tokens)
fi
node --import tsx src/cli/main.ts transfer-eval "${args[@]}" ${MODEL:+--model "$MODEL"} --hypernet "${HYPERNET:-assets/hypernet}" --methods "$methods" --json "$out.json" --html "$out.html"
