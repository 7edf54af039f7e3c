#!/usr/bin/env bash
# Measures patchcheck's speed on this machine and appends the numbers to bench/results.tsv
# (date, machine, metric, seconds). No test asserts on these: they are for reading.
#   bench/run.sh            warm numbers (tree imported, build folder present)
#   bench/run.sh --cold     also a cold kernel build (fresh O= folder, ccache off) and a
#                           fresh import into a temporary PATCHCHECK_HOME
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release >/dev/null
pc=.build/release/patchcheck
out=bench/results.tsv
[ -f "$out" ] || printf 'date\tmachine\tmetric\tseconds\tnote\n' > "$out"
stamp=$(date -u +%Y-%m-%dT%H:%M:%SZ)
machine="$(nproc)cpu-$(awk '/MemTotal/ {printf "%dG", $2/1048576}' /proc/meminfo)"
record() { printf '%s\t%s\t%s\t%s\t%s\n' "$stamp" "$machine" "$1" "$2" "${3:-}" | tee -a "$out"; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

if [ "${1:-}" = "--cold" ]; then
  s=$(date +%s.%N)
  PATCHCHECK_HOME="$tmp/home" $pc tree import --debian 7.3 --json > "$tmp/import.json"
  record tree-import "$(echo "$(date +%s.%N) - $s" | bc)" "$(jq -r .files "$tmp/import.json") files, download+extract+import"
  record tree-import-objects "$(jq -r .seconds "$tmp/import.json")" "blobs and tree written with libgit2"
  rm -rf "$tmp/home"
  # Cold build: a fresh O= folder with ccache off, through the real pipeline.
  home=${PATCHCHECK_HOME:-$HOME/.cache/patchcheck}
  mkdir -p "$tmp/cold"
  mv "$home/build" "$tmp/cold/saved-build" 2>/dev/null || true
  CCACHE_DISABLE=1 $pc apply-and-boot --accel tcg --json --out "$tmp/r0" > "$tmp/r0.json" || true
  record cold-build "$(jq -r .phases.build "$tmp/r0.json")" "$(jq -r .build.objects "$tmp/r0.json") objects, no ccache"
  rm -rf "$home/build"; mv "$tmp/cold/saved-build" "$home/build" 2>/dev/null || true
fi

# Warm: v9, then v10 (pci-sysfs.c changes too, every scenario), then v9 again: each a
# rebuild of what changed. v9 runs the deterministic scenarios (its races deadlock).
quick=--scenarios=numvfs,pf-remove
$pc apply-and-boot --accel tcg --json $quick --out "$tmp/r1" > "$tmp/r1.json" || true
$pc apply-and-boot --accel tcg --json --series ../shared/patches/pci-iov-reentrant-v10.mbox --out "$tmp/r2" > "$tmp/r2.json" || true
$pc apply-and-boot --accel tcg --json $quick --out "$tmp/r3" > "$tmp/r3.json" || true
record rebuild-after-series "$(jq -r .phases.build "$tmp/r3.json")" "v10 -> v9: $(jq -r .build.objects "$tmp/r3.json") objects"
record boot-to-runner "$(jq -r .boot.secondsToRunner "$tmp/r3.json")" "$(jq -r .boot.accelerator "$tmp/r3.json")"
record boot-total "$(jq -r .phases.boot "$tmp/r3.json")" "numvfs + pf-remove"
record warm-apply-and-boot "$(jq -r .phases.total "$tmp/r3.json")" "v9, numvfs + pf-remove, verdict $(jq -r .verdict "$tmp/r3.json")"
record warm-apply-and-boot-all-scenarios "$(jq -r .phases.total "$tmp/r2.json")" "v10, 6 scenarios, races x5, verdict $(jq -r .verdict "$tmp/r2.json")"
record boot-all-scenarios "$(jq -r .phases.boot "$tmp/r2.json")" "v10, 6 scenarios, races x5"
record apply "$(jq -r .phases.apply "$tmp/r3.json")" "libgit2, 1 patch"

# The same apply by git (a peer): git am of the series onto a scratch clone's worktree.
home=${PATCHCHECK_HOME:-$HOME/.cache/patchcheck}
s=$(date +%s.%N)
$pc apply --check --json > /dev/null
record patchcheck-apply-check "$(echo "$(date +%s.%N) - $s" | bc)" "process start to finish"
if command -v git >/dev/null; then
  git -C "$home/linux.git" worktree add -q --detach "$tmp/gitwt" v7.3.4 >/dev/null 2>&1
  python3 - "$tmp/nocover.mbox" <<'PY'
import sys, mailbox
src = mailbox.mbox("../shared/patches/pci-iov-reentrant-v9.mbox")
dst = mailbox.mbox(sys.argv[1])
for m in src:
    if "0/1]" not in (m["Subject"] or ""):
        dst.add(m)
dst.flush()
PY
  s=$(date +%s.%N)
  git -C "$tmp/gitwt" -c user.name=b -c user.email=b@b am -q "$tmp/nocover.mbox"
  record git-am-peer "$(echo "$(date +%s.%N) - $s" | bc)" "git am of v9 (cover removed) in a worktree"
  git -C "$home/linux.git" worktree remove --force "$tmp/gitwt"
fi
