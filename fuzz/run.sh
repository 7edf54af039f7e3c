#!/usr/bin/env bash
# Coverage-guided fuzzing of the parsers that read untrusted text: the mbox/patch parser
# and the console analyzer (with KTAP). libFuzzer through swiftc -sanitize=fuzzer,address.
#
#   fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]     (default 600 s; targets: mbox console)
#
# Seeds: ../shared/patches and ../shared/console-corpus, plus the found inputs kept as test
# fixtures. A crash, a leak or an input slower than 10 s stops the target and is written to
# fuzz/findings/; turn it into a fixture under Tests/PatchCheckKitTests/Fixtures/fuzz/TARGET/
# (FuzzRegressionTests runs each one) once fixed. Results go to fuzz/results.tsv.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(mbox console)
shared="${PATCHCHECK_SHARED:-../shared}"
work=.build-fuzz
mkdir -p "$work" fuzz/findings

sources_mbox=(Sources/PatchCheckKit/Series/MailMessage.swift Sources/PatchCheckKit/Series/Series.swift
  Sources/PatchCheckKit/Series/Signature.swift Sources/PatchCheckKit/Apply/UnifiedDiff.swift
  Sources/PatchCheckKit/Series/SeriesParser+Exercise.swift Sources/PatchCheckKit/Base/PatchCheckError.swift
  fuzz/MboxTarget.swift)
sources_console=(Sources/PatchCheckKit/Console/*.swift Sources/PatchCheckKit/Base/PatchCheckError.swift
  fuzz/ConsoleTarget.swift)

for target in "${targets[@]}"; do
  case "$target" in
    mbox) sources=("${sources_mbox[@]}"); seeds=("$shared/patches") ;;
    console) sources=("${sources_console[@]}"); seeds=("$shared/console-corpus") ;;
    *) echo "fuzz/run.sh: unknown target $target (mbox, console)" >&2; exit 2 ;;
  esac
  echo "== $target: building"
  swiftc -O -sanitize=fuzzer,address -parse-as-library -module-name PatchCheckFuzz "${sources[@]}" \
    -o "$work/$target" 2> "$work/$target.build.log" || { cat "$work/$target.build.log" >&2; exit 1; }
  # Seeds: each file of the shared folders (logs in subfolders too), and earlier findings.
  seedDir="$work/seeds-$target"
  rm -rf "$seedDir" && mkdir -p "$seedDir"
  find "${seeds[@]}" -type f -size -512k | while read -r f; do cp "$f" "$seedDir/$(echo "$f" | md5sum | cut -c1-16)"; done
  if [ -d "Tests/PatchCheckKitTests/Fixtures/fuzz/$target" ]; then cp Tests/PatchCheckKitTests/Fixtures/fuzz/$target/* "$seedDir/" 2>/dev/null || true; fi
  corpus="$work/corpus-$target"
  mkdir -p "$corpus"
  echo "== $target: fuzzing for $seconds s with $(ls "$seedDir" | wc -l) seeds"
  start=$(date +%s)
  set +e
  # Leaks are checked after every input; at exit, LeakSanitizer also sees the Swift runtime's
  # once-per-process caches (compiled Regex programs), which fuzz/lsan.supp names.
  LSAN_OPTIONS="suppressions=$PWD/fuzz/lsan.supp:print_suppressions=0" \
  "$work/$target" "$corpus" "$seedDir" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 \
    -max_len=262144 -print_final_stats=1 -artifact_prefix="fuzz/findings/$target-" > "$work/$target.log" 2>&1
  rc=$?
  set -e
  elapsed=$(( $(date +%s) - start ))
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/$target.log" | tail -1 | grep -o '[0-9]*$' || echo 0)
  cov=$(grep -o 'cov: [0-9]*' "$work/$target.log" | tail -1 | grep -o '[0-9]*' || echo 0)
  findings=$(ls fuzz/findings 2>/dev/null | grep -c "^$target-" || true)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%F)" "$target" "$elapsed" "$runs" "$cov" "$rc" "$findings" >> fuzz/results.tsv
  echo "== $target: exit $rc after ${elapsed}s, $runs inputs, coverage $cov, findings $findings (log: $work/$target.log)"
  tail -3 "$work/$target.log"
  [ "$rc" -eq 0 ] || { echo "fuzz/run.sh: $target found a problem; see fuzz/findings/" >&2; exit 1; }
done
