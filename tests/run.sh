#!/bin/sh
# tests/run.sh - run the test programs of the given folders and print one closing line.
#
# Usage: MLSB=build/mlsysbench BUILD=build sh tests/run.sh loadgen sut e2e ...
# Unit tests are cmocka programs under $BUILD/tests/<folder>/; end-to-end tests are
# shell scripts tests/e2e/test_*.sh that drive $MLSB and print cmocka-style lines.
# A test that needs something this machine lacks prints "SKIP: reason" and exits 77.
set -u
: "${MLSB:?MLSB must name the mlsysbench binary}"
: "${BUILD:=build}"
export MLSB BUILD
passed=0; failed=0; skipped=0; failures=""
log=$(mktemp)
trap 'rm -f "$log"' EXIT

count() { # add the cmocka counts found in $log
  p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
  f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
  s=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + ${s:-0}))
}

run_one() { # name, command...
  name=$1; shift
  "$@" >"$log" 2>&1
  rc=$?
  cat "$log"
  if [ $rc -eq 77 ]; then
    skipped=$((skipped + 1)); echo "SKIP $name"; return
  fi
  count
  if [ $rc -ne 0 ]; then
    if ! grep -q '^\[  FAILED  \]' "$log"; then failed=$((failed + 1)); fi
    failures="$failures $name"
  fi
}

for d in "$@"; do
  if [ "$d" = e2e ]; then
    for t in tests/e2e/test_*.sh; do
      [ -f "$t" ] && run_one "$t" sh "$t"
    done
  else
    for t in "$BUILD"/tests/"$d"/test_*; do
      case "$t" in *.d|*.o) continue ;; esac
      [ -x "$t" ] && run_one "$t" "$t"
    done
  fi
done

echo
[ -n "$failures" ] && echo "failing programs:$failures"
echo "tests: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ -z "$failures" ]
