#!/usr/bin/env bash
# Writes test/fixtures/compressed/: one small tokenizer.json compressed by each real tool (gzip, zstd, bzip2, xz, zip),
# for the tests that every non-corpus reader sniffs content and refuses compressed input.
set -euo pipefail
cd "$(dirname "$0")/.."
out=test/fixtures/compressed
mkdir -p "$out"
src="$out/tokenizer.json"
printf '%s\n' '{"version":"1.0","model":{"type":"WordLevel","vocab":{"[UNK]":0,"hello":1},"unk_token":"[UNK]"},"pre_tokenizer":{"type":"Whitespace"}}' > "$src"
gzip -9 -n -c "$src" > "$out/tokenizer.json.gz"
zstd -q -19 -c "$src" > "$out/tokenizer.json.zst"
bzip2 -9 -c "$src" > "$out/tokenizer.json.bz2"
xz -9 -c "$src" > "$out/tokenizer.json.xz"
rm -f "$out/tokenizer.json.zip" && (cd "$out" && zip -q -X tokenizer.json.zip tokenizer.json)
ls -l "$out"
