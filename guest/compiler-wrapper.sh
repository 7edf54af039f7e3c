#!/bin/sh
# patchcheck's compiler wrapper (KernelBuilder.writeCompilerWrapper copies it to the cache's
# bin/patchcheck-cc; it runs on the host, in kernel builds, and lives here with the other shell
# programs so shellcheck checks it). $1 is the compiler: `ccache gcc`, or plain `gcc` for a
# source that says `.incbin` (KernelBuilder.makeBase says why).
cc=$1
shift
for arg; do
  case $arg in
  *.c | *.S)
    if [ -f "$arg" ] && grep -q '[.]incbin' "$arg"; then exec "$cc" "$@"; fi
    ;;
  esac
done
exec ccache "$cc" "$@"
