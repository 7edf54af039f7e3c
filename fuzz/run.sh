#!/usr/bin/env bash
# Coverage-guided fuzzing of the parsers that read untrusted text: the mbox/patch parser
# and the console analyzer (with KTAP). libFuzzer through swiftc -sanitize=fuzzer,address.
#
#   fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]     (default 120 s; targets: mbox console)
#   FUZZ_SEED=N     libFuzzer's -seed (default: the clock; recorded either way)
#   FUZZ_RUNS=N     stop after N inputs instead of after SECONDS (to replay a recorded row)
#
# Reproducible from the repository alone: the seeds are committed files only, the kept
# corpus fuzz/corpus/TARGET/ and the regression inputs Tests/PatchCheckKitTests/Fixtures/fuzz/
# TARGET/ (plus, for console, the real boot logs in Tests/PatchCheckKitTests/Fixtures/).
# Each run appends one row to fuzz/results.tsv: date, commit (with "-dirty" when the tree
# had changes), target, seed, seconds, inputs, coverage, exit, findings. The corpus the run
# grew is minimised (libFuzzer's set-cover merge over edges, inputs of at most 4 KB, nothing
# the committed fixtures already cover) and written back to fuzz/corpus/TARGET/ to commit.
# A crash, a leak or an input slower than 10 s stops the target and is written to
# fuzz/findings/; once fixed, turn it into a fixture under Tests/PatchCheckKitTests/Fixtures/
# fuzz/TARGET/ (FuzzRegressionTests runs each one, with a time bound).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-120}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(mbox console)
seed="${FUZZ_SEED:-$(date +%s)}"
commit="$(git rev-parse --short=12 HEAD)"
git diff --quiet HEAD -- Sources fuzz 2>/dev/null || commit="$commit-dirty"
work=.build-fuzz
mkdir -p "$work" fuzz/findings

sources_mbox=(Sources/PatchCheckKit/Series/MailMessage.swift Sources/PatchCheckKit/Series/MailEnvelope.swift
  Sources/PatchCheckKit/Series/Series.swift Sources/PatchCheckKit/Git/Signature.swift Sources/PatchCheckKit/Series/UnifiedDiff.swift
  Sources/PatchCheckKit/Series/SeriesParser+Exercise.swift Sources/PatchCheckKit/Base/PatchCheckError.swift
  Sources/PatchCheckKit/Series/MailThread.swift Sources/PatchCheckKit/Series/SubjectTags.swift
  Sources/PatchCheckKit/Base/VisibleText.swift fuzz/MboxTarget.swift)
sources_console=(Sources/PatchCheckKit/Console/*.swift Sources/PatchCheckKit/Guest/LockWitnessProgram.swift Sources/PatchCheckKit/Guest/CoverageProgram.swift
  Sources/PatchCheckKit/Base/ProcessRunner.swift Sources/PatchCheckKit/Git/Git.swift Sources/PatchCheckKit/Git/Signature.swift Sources/PatchCheckKit/Base/PatchCheckError.swift
  fuzz/RunnerScriptMarkers.swift
  Sources/PatchCheckKit/Base/VisibleText.swift fuzz/ConsoleTarget.swift)

# The library is several modules (one per group of stages); a fuzz target is one module made
# of the files it needs, so their imports of the library's own modules are dropped in a copy.
flatten() {
  local out="$work/flat-$1"; shift
  rm -rf "$out" && mkdir -p "$out"
  local file
  for file in "$@"; do
    sed '/^import PatchCheck[A-Za-z]*$/d' "$file" > "$out/$(basename "$file")"
    printf '%s\n' "$out/$(basename "$file")"
  done
}
mapfile -t sources_mbox < <(flatten mbox "${sources_mbox[@]}")
mapfile -t sources_console < <(flatten console "${sources_console[@]}")

# fuzz/run.sh --typecheck: only type-check each target's sources (FuzzRegressionTests does,
# so a moved file or a missing symbol fails a test instead of the next fuzz run).
if [ "$seconds" = "--typecheck" ]; then
  swiftc -typecheck -suppress-warnings -parse-as-library -module-name PatchCheckFuzz -package-name PatchCheck -I Sources/CGit2 "${sources_mbox[@]}"
  swiftc -typecheck -suppress-warnings -parse-as-library -module-name PatchCheckFuzz -package-name PatchCheck -I Sources/CGit2 "${sources_console[@]}"
  exit 0
fi

[ -s fuzz/results.tsv ] || printf 'date\tcommit\ttarget\tseed\tseconds\tinputs\tcoverage\texit\tfindings\n' > fuzz/results.tsv

for target in "${targets[@]}"; do
  case "$target" in
    mbox) sources=("${sources_mbox[@]}"); extra=() ;;
    console) sources=("${sources_console[@]}"); extra=(Tests/PatchCheckKitTests/Fixtures/*.log) ;;
    *) echo "fuzz/run.sh: unknown target $target (mbox, console)" >&2; exit 2 ;;
  esac
  echo "== $target: building"
  swiftc -O -sanitize=fuzzer,address -parse-as-library -module-name PatchCheckFuzz -package-name PatchCheck -I Sources/CGit2 -lgit2 "${sources[@]}" \
    -o "$work/$target" 2> "$work/$target.build.log" || { cat "$work/$target.build.log" >&2; exit 1; }
  kept="fuzz/corpus/$target"
  mkdir -p "$kept"
  seedDir="$work/seeds-$target"
  rm -rf "$seedDir" && mkdir -p "$seedDir"
  for f in "Tests/PatchCheckKitTests/Fixtures/fuzz/$target"/* "${extra[@]}"; do
    [ -f "$f" ] && cp "$f" "$seedDir/"
  done
  grown="$work/grown-$target"
  rm -rf "$grown" && mkdir -p "$grown"
  cp "$kept"/* "$grown/" 2>/dev/null || true
  if [ -n "${FUZZ_RUNS:-}" ]; then limit=(-runs="$FUZZ_RUNS"); else limit=(-max_total_time="$seconds"); fi
  echo "== $target: fuzzing (${limit[*]}, seed $seed, commit $commit) from $(ls "$grown" | wc -l) kept and $(ls "$seedDir" | wc -l) fixed inputs"
  start=$(date +%s)
  set +e
  # Leaks are checked after every input and at exit; fuzz/lsan.supp names the one
  # once-per-process allocation of the Swift runtime that LeakSanitizer reports at exit.
  LSAN_OPTIONS="suppressions=$PWD/fuzz/lsan.supp:print_suppressions=1" \
  "$work/$target" "$grown" "$seedDir" "${limit[@]}" -seed="$seed" -timeout=10 -rss_limit_mb=4096 \
    -max_len=262144 -print_final_stats=1 -artifact_prefix="fuzz/findings/$target-" > "$work/$target.log" 2>&1
  rc=$?
  set -e
  elapsed=$(( $(date +%s) - start ))
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/$target.log" | tail -1 | grep -o '[0-9]*$' || echo 0)
  cov=$(grep -o 'cov: [0-9]*' "$work/$target.log" | tail -1 | grep -o '[0-9]*' || echo 0)
  findings=$(ls fuzz/findings 2>/dev/null | grep -c "^$target-" || true)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%F)" "$commit" "$target" "$seed" "$elapsed" "$runs" "$cov" "$rc" \
    "$findings" >> fuzz/results.tsv
  echo "== $target: exit $rc after ${elapsed}s, $runs inputs, coverage $cov, findings $findings (log: $work/$target.log)"
  tail -3 "$work/$target.log"
  # Keep what the run grew: the smallest set of inputs of at most 4 KB that covers the edges
  # the committed inputs do not (libFuzzer's set-cover merge over edges, not hit counts).
  small="$work/small-$target"
  rm -rf "$small" && mkdir -p "$small"
  find "$grown" -type f -size -4097c -exec cp {} "$small/" \;
  merged="$work/merged-$target"
  rm -rf "$merged" && mkdir -p "$merged"
  cp "$seedDir"/* "$merged/"
  LSAN_OPTIONS="suppressions=$PWD/fuzz/lsan.supp" \
    "$work/$target" -set_cover_merge=1 -use_counters=0 -max_len=4096 "$merged" "$small" > "$work/$target.merge.log" 2>&1 || true
  for f in "$seedDir"/*; do rm -f "$merged/$(basename "$f")"; done
  if [ -n "$(ls "$merged")" ]; then
    rm -f "$kept"/* && cp "$merged"/* "$kept/"
  fi
  echo "== $target: kept corpus $(ls "$kept" | wc -l) inputs, $(du -sk "$kept" | cut -f1) KB in $kept"
  [ "$rc" -eq 0 ] || { echo "fuzz/run.sh: $target found a problem; see fuzz/findings/" >&2; exit 1; }
done
