#!/bin/sh
# Prints what a product build depends on: the list of its sources (so a removed file
# counts as a change) and the locked packages (so a compiler upgrade does too).
set -eu
cd "$(dirname "$0")/.."
{
  find protocol log audio hardware device cloud cli -name '*.ts' 2>/dev/null | LC_ALL=C sort
  cat tsconfig.json tsconfig.build.json package-lock.json 2>/dev/null
} | cksum
