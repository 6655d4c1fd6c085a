#!/bin/sh
# Compiles the product (tsconfig.build.json) into dist/. It builds into a fresh folder
# and swaps it in only when tsc succeeded, so an interrupted build never leaves a toy
# or a gateway without its code, and nothing an earlier build emitted (a moved or
# removed file) survives. Writes dist/.built with the sources it was built from.
set -eu
cd "$(dirname "$0")/.."
rm -rf dist.new
npx --no-install tsc -p tsconfig.build.json --outDir dist.new
sh scripts/build-stamp.sh > dist.new/.built
rm -rf dist.old
if [ -d dist ]; then mv dist dist.old; fi
mv dist.new dist
rm -rf dist.old
