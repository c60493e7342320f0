#!/usr/bin/env bash
# Runs the Slurm scripts for real on a one-node Slurm started here (munge, slurmctld and slurmd on localhost, a
# throw-away config) and checks that the job array + merge + train gives the one-process tokenizer byte for byte.
# Needs root and Debian's slurm-wlm and munge (.ci/run installs them). Not part of npm test (it starts daemons).
#   bash scripts/slurm/test-local.sh [CORPUS] [MODELS] [FORMATS] [VOCAB] [REFERENCE_DIR]
# CORPUS is a scripts/make-corpus.ts folder (default: the bundled sample); REFERENCE_DIR holds one-process tokenizers
# as REFERENCE_DIR/FORMAT-MODEL/one.json (scripts/scale-check.sh's layout), else they are trained here.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
corpus=${1:-scripts/slurm/sample}
models=${2:-"bpe unigram wordpiece"}
formats=${3:-"parquet jsonl"}
vocab=${4:-500}
reference=${5:-}
shards=${SHARDS:-4}
[ "$(id -u)" = 0 ] || { echo "test-local.sh: needs root (it starts munged, slurmctld, slurmd)" >&2; exit 1; }
for tool in munged slurmctld slurmd sbatch squeue; do
  command -v "$tool" >/dev/null 2>&1 || { echo "test-local.sh: $tool missing (apt-get install slurm-wlm munge)" >&2; exit 1; }
done

tmp=$(mktemp -d /tmp/retoken-slurm-XXXXXX)
chmod 755 "$tmp"
host=$(hostname -s)
cleanup() {
  # Cancel the jobs and let their steps end before the daemons go, so no slurmstepd is left behind.
  if [ -n "${SLURM_CONF:-}" ]; then
    scancel --quiet --user=root 2>/dev/null || true
    for _ in $(seq 1 15); do [ -z "$(squeue -h -o %i 2>/dev/null)" ] && break; sleep 1; done
  fi
  [ -f "$tmp/slurmctld.pid" ] && kill "$(cat "$tmp/slurmctld.pid")" 2>/dev/null || true
  [ -f "$tmp/slurmd.pid" ] && kill "$(cat "$tmp/slurmd.pid")" 2>/dev/null || true
  [ -f "$tmp/munge/munged.pid" ] && kill "$(cat "$tmp/munge/munged.pid")" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# munge: the key the package made, a socket of our own so a running munged elsewhere is left alone.
[ -f /etc/munge/munge.key ] || { mungekey --create 2>/dev/null || /usr/sbin/create-munge-key -f; chown munge:munge /etc/munge/munge.key; }
mkdir -p "$tmp/munge" && chown munge:munge "$tmp/munge"
runuser -u munge -- /usr/sbin/munged --socket="$tmp/munge/munge.socket" --pid-file="$tmp/munge/munged.pid" --seed-file="$tmp/munge/seed" --log-file="$tmp/munge/munged.log"

mem=$(awk '/MemTotal/ {print int($2 / 1024 * 0.8)}' /proc/meminfo)
cpus=$(nproc)
mkdir -p "$tmp/state" "$tmp/spool"
cat > "$tmp/slurm.conf" <<CONF
ClusterName=retoken-test
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=16817
SlurmdPort=16818
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$tmp/munge/munge.socket
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/slurmctld.log
SlurmdLogFile=$tmp/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$tmp/slurm.conf"
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF" -N "$host"
for _ in $(seq 1 60); do
  sinfo -h -o %T 2>/dev/null | grep -q idle && break
  sleep 1
done
sinfo -h -o %T | grep -q idle || { echo "test-local.sh: the Slurm node did not come up" >&2; tail -20 "$tmp/slurmctld.log" "$tmp/slurmd.log" >&2; exit 1; }

export RETOKEN="node --import tsx $repo/src/cli/main.ts"
read -r -a retoken <<< "$RETOKEN"
declare -A train_jobs
for f in $formats; do
  if [ "$f" = parquet ]; then input="$repo/$corpus/parquet"; else input="$repo/$corpus/jsonl/*.jsonl.zst"; fi
  [[ "$corpus" = /* ]] && { if [ "$f" = parquet ]; then input="$corpus/parquet"; else input="$corpus/jsonl/*.jsonl.zst"; fi; }
  for m in $models; do
    work="$tmp/$f-$m"
    line=$(RETOKEN_WORK="$work" RETOKEN_SHARDS="$shards" RETOKEN_OPTIONS="--model $m --jsonl-field text" RETOKEN_TRAIN_OPTIONS="--vocab-size $vocab" \
      bash scripts/slurm/submit.sh "$input")
    echo "$f $m: $line" >&2
    train_jobs[$f-$m]=$(sed -E 's/.*merge \+ train ([0-9]+):.*/\1/' <<< "$line")
    if [ -z "$reference" ]; then "${retoken[@]}" train --model "$m" --vocab-size "$vocab" --jsonl-field text --no-progress --out "$work/one.json" "$input" 2>/dev/null; fi
  done
done
start=$(date +%s)
while [ -n "$(squeue -h -o %i 2>/dev/null)" ]; do
  if [ $(( $(date +%s) - start )) -gt "${TIMEOUT:-1800}" ]; then echo "test-local.sh: jobs still queued after ${TIMEOUT:-1800} s" >&2; squeue >&2; exit 1; fi
  sleep 2
done
echo "test-local.sh: all jobs left the queue after $(( $(date +%s) - start )) s" >&2
passed=0
failed=0
for key in "${!train_jobs[@]}"; do
  work="$tmp/$key"
  one="$work/one.json"
  [ -n "$reference" ] && one="$reference/$key/one.json"
  if [ -f "$work/tokenizer.json" ] && cmp -s "$one" "$work/tokenizer.json"; then
    echo "ok - Slurm array ($shards shards) + merge + train = one process: $key" >&2
    passed=$((passed + 1))
  else
    echo "not ok - Slurm array ($shards shards) + merge + train = one process: $key" >&2
    tail -5 "$work"/logs/*.log >&2 || true
    failed=$((failed + 1))
  fi
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
