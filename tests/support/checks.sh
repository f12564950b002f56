# What the shell tests share: a scratch directory $work (removed at exit; kept and shown with
# KEEP_WORK=1), check NAME COMMAND... (counts a pass or prints "FAIL: NAME" and goes on, so one
# run reports everything that is wrong) and finish (the closing tally; its status is the test's).
# Source it: . "$(dirname "$0")/../support/checks.sh"
work=$(mktemp -d)
if [ -n "${KEEP_WORK:-}" ]; then echo "work dir $work"; else trap 'rm -rf "$work"' EXIT; fi
failures=0 passes=0
check() {  # check NAME CONDITION-COMMAND...
  local name=$1
  shift
  if "$@"; then passes=$((passes + 1)); else echo "FAIL: $name"; failures=$((failures + 1)); fi
}
finish() {
  echo "$passes passed, $failures failed"
  [ "$failures" -eq 0 ]
}
