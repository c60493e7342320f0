#!/usr/bin/env bash
# Installs everything retoken needs on a Debian/Ubuntu machine, from nothing: the system packages (Node.js ≥ 20 when
# missing, OpenBLAS for the fast CPU language-model path), then the npm dependencies and the build.
#   bash scripts/setup.sh          what `npx retoken …` needs
#   bash scripts/setup.sh --dev    also what `npm test` uses (spm_encode, chromium, zstd, numpy); .ci/run calls this
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

dev=0
for arg in "$@"; do
  case "$arg" in
    --dev) dev=1 ;;
    *) echo "setup.sh: unknown argument $arg (use --dev for the test tools)" >&2; exit 2 ;;
  esac
done

node_ok() { command -v node >/dev/null 2>&1 && node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)'; }

need=()
# Node.js ≥ 20 and npm (Debian 13 "trixie" and later ship Node 20+; older releases need nodejs.org or NodeSource).
node_ok && command -v npm >/dev/null 2>&1 || need+=(nodejs npm)
# OpenBLAS: matrix products of the CPU language-model path (src/node/openblas.ts); without it LMs run ~4× slower.
ldconfig -p 2>/dev/null | grep -q 'libopenblas\.so\.0' || need+=(libopenblas0-pthread)
if [ "$dev" = 1 ]; then
  # spm_encode: the reference for SentencePiece .model parity tests; chromium: the HTML report test draws its charts.
  command -v spm_encode >/dev/null 2>&1 || need+=(sentencepiece)
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
  # zstd writes the compressed test corpora (retoken reads .zst with fzstd; Node's zlib has no zstd).
  command -v zstd >/dev/null 2>&1 || need+=(zstd)
  # numpy: the safetensors interop test reads the files retoken writes with Python.
  python3 -c 'import numpy' >/dev/null 2>&1 || need+=(python3-numpy)
fi

if [ ${#need[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup.sh: missing ${need[*]} and no apt-get here; install them with your package manager" >&2
    exit 1
  fi
  sudo=()
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "setup.sh: installing ${need[*]} needs root (run as root or install sudo)" >&2; exit 1; }
    sudo=(sudo)
  fi
  echo "setup.sh: installing Debian packages: ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

if ! node_ok; then
  echo "setup.sh: retoken needs Node.js 20 or later; this system's is $(node --version 2>/dev/null || echo 'missing')." >&2
  echo "  Install it from https://nodejs.org/ or NodeSource (https://github.com/nodesource/distributions), then run this again." >&2
  exit 1
fi

# npm ci installs the locked dependencies and builds dist/ (the `prepare` script); when they are current, only a stale
# build is redone.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
elif [ ! -f dist/cli/main.js ] || [ -n "$(find src package.json tsconfig.json -newer dist/cli/main.js -print -quit)" ]; then
  npm run build
fi
echo "setup.sh: ready (node $(node --version), OpenBLAS $(ldconfig -p 2>/dev/null | grep -q 'libopenblas\.so\.0' && echo yes || echo no))" >&2
