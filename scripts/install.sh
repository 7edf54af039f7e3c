#!/usr/bin/env bash
# Installs patchcheck under a prefix: a release build as PREFIX/bin/patchcheck, and the data
# it reads at run time as PREFIX/share/patchcheck (kernel-configs/, scenarios/, patches/, guest/, and
# BUILD: the binary's own --version line, which the installed binary prints as its commit).
# The installed binary finds its data there, beside its bin/ (symlinks resolved), so it runs
# with the checkout gone; PATCHCHECK_DATA still overrides.
#
# Everything is staged beside its final place first and checked (the new binary reads the new
# scenarios); only then are the data folder and the binary renamed into place, so a build,
# copy or check that fails leaves the previous installation as it was.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: scripts/install.sh [--binary FILE] [PREFIX]

Builds patchcheck (swift build -c release) and installs it as PREFIX/bin/patchcheck, with the
data it reads at run time in PREFIX/share/patchcheck. PREFIX defaults to /usr/local.

  --binary FILE  install FILE, a patchcheck built from this checkout, instead of building
                 (one build for several prefixes; the tests pass theirs)
  -h, --help     this text

Run it as yourself: the build never runs as root. When PREFIX is not writable by you, the
copying (only) is done with sudo, and the script says so. The previous installation keeps
working until the new one is complete and checked. Remove an installation with
rm -r PREFIX/bin/patchcheck PREFIX/share/patchcheck.
EOF
}

say() { echo "install: $*"; }
die() {
  echo "install: error: $*" >&2
  exit 1
}

prefix=""
binary=""
while [ $# -gt 0 ]; do
  case "$1" in
    -h | --help)
      usage
      exit 0
      ;;
    --binary)
      [ $# -ge 2 ] || die "--binary needs a file (see --help)"
      binary=$2
      shift 2
      ;;
    --binary=*)
      binary=${1#--binary=}
      shift
      ;;
    -*) die "unknown option $1 (see --help)" ;;
    *)
      [ -z "$prefix" ] || die "one PREFIX only (see --help)"
      prefix=$1
      shift
      ;;
  esac
done
prefix=${prefix:-/usr/local}
case "$prefix" in
  /*) ;;
  *) prefix="$PWD/$prefix" ;;
esac
prefix=${prefix%/}

checkout=$(cd "$(dirname "$0")/.." && pwd)
for folder in kernel-configs scenarios patches guest; do
  [ -d "$checkout/$folder" ] || die "$checkout/$folder is missing: run this script from a patchcheck checkout"
done

if [ -z "$binary" ]; then
  # Hundreds of lines of compiler output: kept in a file, shown (the end) only on failure.
  log=$(mktemp "${TMPDIR:-/tmp}/patchcheck-install-build.XXXXXX")
  say "building: swift build -c release (about 5 minutes on 2 cores the first time; log $log)"
  if ! (cd "$checkout" && swift build -c release) >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    die "swift build -c release failed (the whole log: $log); nothing was installed"
  fi
  binary="$(cd "$checkout" && swift build -c release --show-bin-path)/patchcheck"
  rm -f "$log"
  say "built $binary"
fi
[ -x "$binary" ] || die "$binary is not an executable file"

# What the binary says it is, where it was built (PATCHCHECK_DATA does not change the commit,
# but is left out so that nothing of the caller's reaches the check below).
version=$(env -u PATCHCHECK_DATA "$binary" --version) || die "$binary --version failed"
case "$version" in
  "patchcheck "*) ;;
  *) die "$binary --version printed '$version', not a patchcheck version line" ;;
esac

# sudo only for what needs it: the nearest existing folder of PREFIX/bin and PREFIX/share
# must be writable (and the installed binary and data folder replaceable).
SUDO=""
writable() {
  local path=$1
  while [ ! -e "$path" ]; do path=$(dirname "$path"); done
  [ -w "$path" ]
}
if ! writable "$prefix/bin" || ! writable "$prefix/share"; then
  command -v sudo >/dev/null || die "$prefix is not writable by $(id -un) and there is no sudo: choose a PREFIX you can write to"
  SUDO=sudo
  say "$prefix is not writable by $(id -un): copying with sudo"
fi

$SUDO mkdir -p "$prefix/bin" "$prefix/share"
stage=$($SUDO mktemp -d "$prefix/share/.patchcheck-new.XXXXXX")
new_binary="$prefix/bin/.patchcheck-new.$$"
old=""
cleanup() {
  $SUDO rm -rf "$stage" "$new_binary"
}
trap cleanup EXIT

$SUDO cp -R "$checkout/kernel-configs" "$checkout/scenarios" "$checkout/patches" "$checkout/guest" "$stage/"
printf '%s\n' "$version" | $SUDO tee "$stage/BUILD" >/dev/null
$SUDO chmod -R u=rwX,go=rX "$stage"
$SUDO install -m 755 "$binary" "$new_binary"

# The new binary must read the new data before either replaces anything.
PATCHCHECK_DATA="$stage" "$new_binary" scenarios --json >/dev/null ||
  die "the new binary cannot read its scenarios from $stage: nothing was replaced"

restore() {
  $SUDO rm -rf "$prefix/share/patchcheck"
  if [ -n "$old" ]; then $SUDO mv "$old" "$prefix/share/patchcheck"; fi
}
previous=""
if [ -e "$prefix/share/patchcheck" ] || [ -L "$prefix/share/patchcheck" ]; then
  [ -f "$prefix/share/patchcheck/BUILD" ] && previous=$(head -1 "$prefix/share/patchcheck/BUILD")
  old="$prefix/share/.patchcheck-old.$$"
  $SUDO mv "$prefix/share/patchcheck" "$old"
fi
$SUDO mv "$stage" "$prefix/share/patchcheck" || {
  restore
  die "could not move the new data into $prefix/share/patchcheck: the previous installation is back"
}
$SUDO mv -f "$new_binary" "$prefix/bin/patchcheck" || {
  restore
  die "could not replace $prefix/bin/patchcheck: the previous installation is back"
}
if [ -n "$old" ]; then $SUDO rm -rf "$old" || say "installed, but the previous data is left in $old: remove it"; fi

count() { find "$prefix/share/patchcheck/$1" -type f | wc -l; }
say "$prefix/bin/patchcheck"
say "$prefix/share/patchcheck: kernel-configs/ ($(count kernel-configs) files), scenarios/ ($(count scenarios)), patches/ ($(count patches)), guest/ ($(count guest))"
say "$prefix/share/patchcheck/BUILD: $version"
[ -z "$previous" ] || say "replaced $previous"
case ":$PATH:" in
  *":$prefix/bin:"*) ;;
  *) say "$prefix/bin is not on PATH: add it, or run $prefix/bin/patchcheck" ;;
esac
