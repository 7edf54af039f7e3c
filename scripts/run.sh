#!/usr/bin/env bash
# The main job (README): set up what is missing, build patchcheck, import Debian's 7.3 tree
# when absent, then `patchcheck apply-and-boot` on the default series (v9) — or with the
# arguments given, e.g. scripts/run.sh --series ../shared/patches/pci-iov-reentrant-v10.mbox
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build -c release
.build/release/patchcheck tree import --debian 7.3
exec .build/release/patchcheck apply-and-boot "$@"
