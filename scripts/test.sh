#!/usr/bin/env bash
# The test command (README, .ci/run): sets up what is missing, imports Debian's 7.3 tree
# into the cache folder when it is not there yet, and runs the whole suite, including one
# real end-to-end run (v9 on v7.3.4: libgit2 apply, lockdep kernel build, QEMU/TCG boot).
# Caches under $PATCHCHECK_HOME (default ~/.cache/patchcheck) are reused when present.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --tests
# The Python peers (b4, kcidb-io, actionlint, check-jsonschema) are in setup.sh's virtual
# environment: first on PATH, so the tests find them (and its python3) before any other.
export PATH="${PATCHCHECK_HOME:-$HOME/.cache/patchcheck}/venv/bin:$PATH"
swift format lint --strict -r Sources Tests
swift build
.build/debug/patchcheck tree import --debian 7.3
# A second tree for the backport tests (v9 on 6.12.117, the release their hunk offsets were
# read on: "--debian 6.12" would take the newest, and Debian's security suite moves on), and
# 7.2.12, the base of the coverage test's series (cut from v7.2.12..v7.3.4). An import
# already done costs nothing.
.build/debug/patchcheck tree import --debian 6.12.117
.build/debug/patchcheck tree import --debian 7.2.12
# The suite's output is also kept in a file, and every failed expectation is printed again
# at the end, with the lines after it (the values it compared): a CI log cut to its head and
# tail still shows what failed and why.
log=$(mktemp /tmp/patchcheck-test-output.XXXXXX)
status=0
PATCHCHECK_E2E=1 swift test "$@" 2>&1 | tee "$log" || status=$?
if [ "$status" -ne 0 ]; then
  echo "== what failed (the whole output: $log) =="
  grep -A6 -E "recorded an issue|error: |Fatal error|Test .* failed" "$log" | head -c 20000 || true
fi
exit "$status"
