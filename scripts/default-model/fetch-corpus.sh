#!/usr/bin/env bash
# The default model's training text, all freely licensed Debian material plus npm package sources: translated man
# pages, fortune collections, debian-reference / FAQ / maintainer guides and the Debian Handbook in their translations,
# info manuals, gettext translation catalogues (*-l10n packages) and the package descriptions of the archive in every
# language apt offers (Translation-* indexes). FLORES stays held out for evaluation.
# Usage: bash scripts/default-model/fetch-corpus.sh [WORKDIR]   (default tmp/corpus; needs apt-get, dpkg-deb and lz4)
# Then:  node --import tsx scripts/default-model/make-corpus.ts WORKDIR/root WORKDIR/text
set -euo pipefail
work="${1:-tmp/corpus}"
mkdir -p "$work/debs" "$work/root" "$work/apt-lists/partial"
packages=(manpages manpages-dev manpages-de manpages-fr manpages-es manpages-ru manpages-pl manpages-uk manpages-vi
  manpages-ja manpages-zh manpages-it manpages-nl manpages-pt-br manpages-pt manpages-cs manpages-fi manpages-tr
  manpages-id manpages-hu manpages-sv manpages-da manpages-el manpages-mk manpages-nb manpages-ro manpages-sr
  manpages-de-dev manpages-fr-dev manpages-es-dev manpages-ru-dev manpages-pl-dev manpages-it-dev manpages-ja-dev
  manpages-cs-dev manpages-nl-dev manpages-pt-br-dev manpages-uk-dev manpages-da-dev
  fortunes fortunes-min fortunes-de fortunes-es fortunes-it fortunes-pl fortunes-ru fortunes-zh fortunes-bg fortunes-cs
  fortunes-eo fortunes-ga fortunes-br fortunes-debian-hints
  debian-reference-en debian-reference-de debian-reference-es debian-reference-fr debian-reference-id
  debian-reference-it debian-reference-ja debian-reference-pt debian-reference-pt-br debian-reference-zh-cn
  debian-reference-zh-tw
  debian-faq debian-faq-de debian-faq-fr debian-faq-it debian-faq-ja debian-faq-ko debian-faq-nl debian-faq-pt
  debian-faq-ru debian-faq-zh-cn
  maint-guide maint-guide-de maint-guide-es maint-guide-fr maint-guide-it maint-guide-ja maint-guide-ru maint-guide-vi
  maint-guide-zh-cn maint-guide-zh-tw
  developers-reference developers-reference-de developers-reference-fr developers-reference-it developers-reference-ja
  developers-reference-ru debian-history debian-handbook
  coreutils grep sed tar findutils gawk bash-doc gettext-doc
  libc-l10n e2fsprogs-l10n gnupg-l10n libgpg-error-l10n gdbm-l10n cflow-l10n)
# Package descriptions: apt's Translation-* indexes, fetched into a private lists directory (the system's stays as is).
langs="ar,bg,ca,cs,da,de,el,eo,es,et,eu,fa,fi,fr,gl,he,hi,hr,hu,id,it,ja,ka,km,ko,lt,nb,nl,pl,pt,pt_BR,ro,ru,sk,sl,sq,sr,sv,ta,th,tr,uk,vi,zh_CN,zh_TW"
apt-get update -qq -o Dir::State::Lists="$(realpath "$work/apt-lists")" -o Acquire::Languages="$langs" \
  -o Acquire::IndexTargets::deb::Packages::DefaultEnabled=false
mkdir -p "$work/root/translations"
for f in "$work"/apt-lists/*_i18n_Translation-*; do
  name="${f##*_i18n_}"; name="${name%.lz4}"; name="${name%.xz}"; name="${name%.gz}"
  case "$f" in *.lz4) lz4 -dcq "$f" ;; *.xz) xz -dc "$f" ;; *.gz) gzip -dc "$f" ;; *) cat "$f" ;; esac \
    > "$work/root/translations/$name.txt.tmp"
  mv "$work/root/translations/$name.txt.tmp" "$work/root/translations/$name.txt"
done
(cd "$work/debs" && apt-get download "${packages[@]}")
for deb in "$work"/debs/*.deb; do dpkg-deb -x "$deb" "$work/root"; done
echo "unpacked ${#packages[@]} packages and $(ls "$work/root/translations" | wc -l) description indexes into $work/root"
