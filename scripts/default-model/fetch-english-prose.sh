#!/usr/bin/env bash
# General English prose for the default model (session 15), beside fetch-corpus.sh's technical Debian text: the World
# English Bible (SWORD module, exported to text with SWORD's own mod2imp, run from the unpacked packages), Freeciv's
# nation legends and help, WordNet's glosses and examples, the GNOME user help. All Debian packages; nothing installed.
# Usage: bash scripts/default-model/fetch-english-prose.sh [WORKDIR]   (default tmp/en-prose; needs apt-get, dpkg-deb)
# Then:  node --import tsx scripts/default-model/make-english-prose.ts WORKDIR CORPUS/en-prose.txt
set -euo pipefail
work="${1:-tmp/en-prose}"
mkdir -p "$work/debs" "$work/root"
packages=(sword-text-web libsword-utils libsword1.9.0 libclucene-core1v5 freeciv-data dict-wn gnome-user-docs)
(cd "$work/debs" && apt-get download "${packages[@]}")
for deb in "$work"/debs/*.deb; do dpkg-deb -x "$deb" "$work/root"; done
root="$(realpath "$work/root")"
# mod2imp finds modules through SWORD_PATH (mods.d/ and modules/ under it) and its libraries in the unpacked tree.
SWORD_PATH="$root/usr/share/sword" LD_LIBRARY_PATH="$root/usr/lib/x86_64-linux-gnu" \
  "$root/usr/bin/mod2imp" engWEB2015eb > "$work/web.imp.tmp"
mv "$work/web.imp.tmp" "$work/web.imp"
echo "unpacked ${#packages[@]} packages into $work/root; the Bible's text in $work/web.imp"
