#!/bin/sh
# Runs the whole test suite (tap through tsx) and ends with the line "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT
npx --no-install tap --disable-coverage --reporter=tap "$@" 2>&1 | tee "$log"
status=$?
# tap's closing summary: "# { total: N, pass: N, fail: N, skip: N }"
summary=$(grep -E '^# \{ total: ' "$log" | tail -n 1)
num() { printf '%s' "$summary" | sed -n "s/.*$1: \([0-9]*\).*/\1/p"; }
pass=$(num pass); fail=$(num fail); skip=$(num skip)
total=$(num total)
[ -n "$pass" ] || pass=0
[ -n "$fail" ] || fail=0
if [ -z "$total" ]; then
  echo "no test summary found: the run did not finish" >&2
  fail=$((fail + 1))
  status=1
fi
# The pipe's status is tee's, not tap's: decide from the counts.
[ "$fail" = 0 ] || status=1
if [ -n "$skip" ] && [ "$skip" != 0 ]; then
  echo "$pass passed, $fail failed, $skip skipped"
else
  echo "$pass passed, $fail failed"
fi
exit $status
