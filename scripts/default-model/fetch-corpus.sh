#!/usr/bin/env bash
# The default model's training text: Debian's translated man pages, fortune collections and the source of npm
# packages in node_modules (all freely licensed). FLORES stays held out for evaluation.
# Usage: bash scripts/default-model/fetch-corpus.sh [WORKDIR]   (default tmp/corpus; needs apt-get and dpkg-deb)
# Then:  node --import tsx scripts/default-model/make-corpus.ts WORKDIR/root WORKDIR/text
set -euo pipefail
work="${1:-tmp/corpus}"
mkdir -p "$work/debs" "$work/root"
packages=(manpages manpages-dev manpages-de manpages-fr manpages-es manpages-ru manpages-pl manpages-uk manpages-vi
  manpages-ja manpages-zh manpages-it manpages-nl manpages-pt-br manpages-cs manpages-fi manpages-tr manpages-id
  manpages-hu manpages-sv fortunes-de fortunes-es fortunes-it fortunes-pl fortunes-ru fortunes-min)
[ -n "$(ls /var/lib/apt/lists 2>/dev/null | grep -v lock)" ] || apt-get update -qq
(cd "$work/debs" && apt-get download "${packages[@]}")
for deb in "$work"/debs/*.deb; do dpkg-deb -x "$deb" "$work/root"; done
echo "unpacked ${#packages[@]} packages into $work/root"
