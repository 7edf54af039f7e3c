# Coverage of the series' changed functions (CoverageProgram), sourced by the runner: the
# function profiler, filtered to them, around each scenario. Uses the runner's $P (data), $T
# (tracefs) and $W (scratch). Its records ("patchcheck-coverage: ...", thousands of lines in
# a reach boot) leave the guest on a port of their own (the virtio-serial port
# org.patchcheck.coverage, which QEMU writes to a file beside the console); a kernel without
# a virtio console prints them on the console. Only the lines that tell the host the guest
# is alive stay on the console.
#
# coverage_start, once before the scenarios. A name is traceable when
# available_filter_functions lists it (the count says how many functions of that name the
# kernel has: static functions of other files share names, and ftrace filters by name). With
# no traceable name the profiler is never enabled: an empty filter would profile every
# function of the kernel.
coverage_start() {
  [ -e "$T/available_filter_functions" ] || [ -n "$PATCHCHECK_HOST" ] || mount -t tracefs nodev "$T" 2>/dev/null
  cport=''
  for f in /sys/class/virtio-ports/*/name; do
    [ "$(cat "$f" 2>/dev/null)" = org.patchcheck.coverage ] && cport=/dev/$(basename "$(dirname "$f")")
  done
  if [ -n "$cport" ]; then exec 5>"$cport"; else exec 5>&1; fi
  [ -s "$P/coverage-functions" ] || return
  if [ ! -e "$T"/function_profile_enabled ]; then echo "patchcheck-coverage: unavailable: this kernel has no function profiler" >&5; return; fi
  grep -Fx -f "$P/coverage-functions" "$T"/available_filter_functions | sort | uniq -c > "$W"/coverage.t
  while read -r n f; do echo "patchcheck-coverage: traceable $f $n"; done < "$W"/coverage.t >&5
  sed 's/^ *[0-9]* //' "$W"/coverage.t > "$W"/coverage.names
  grep -Fxv -f "$W"/coverage.names "$P/coverage-functions" | while read -r f; do echo "patchcheck-coverage: untraceable $f"; done >&5
  [ -s "$W"/coverage.names ] || return
  # Patching hundreds of call sites under TCG can take minutes: the work runs in the
  # background, waited for as it ends, and the console hears from a ticker every 10 s
  # meanwhile (a guest silent for 150 s is stopped).
  rm -f "$W"/coverage.state
  ( if cat "$W"/coverage.names > "$T"/set_ftrace_filter; then
      if echo 1 > "$T"/function_profile_enabled; then s=on; else s=enable; fi
    else s=filter; fi
    echo $s > "$W"/coverage.state ) &
  cw=$!
  ( n=0; while sleep 10; do n=$((n + 10)); echo "patchcheck-coverage: starting the profiler on $(wc -l < "$W"/coverage.names) functions ($n s)"; done ) &
  ct=$!
  while kill -0 "$cw" 2>/dev/null; do wait "$cw"; done
  kill "$ct" 2>/dev/null
  case "$(cat "$W"/coverage.state)" in
    on) coverage=1 ;;
    filter) echo "patchcheck-coverage: unavailable: set_ftrace_filter refused the names" >&5 ;;
    *) echo "patchcheck-coverage: unavailable: the profiler did not start" >&5 ;;
  esac
}
# coverage_end N, after scenario N: its line counts are totals since the start.
coverage_end() {
  [ -n "$coverage" ] || return
  cat "$T"/trace_stat/function[0-9]* 2>/dev/null | awk -v s="$1" '$2 ~ /^[0-9]+$/ { h[$1] += $2 } END { for (f in h) print "patchcheck-coverage: total " s " " f " " h[f] }' >&5
  echo "patchcheck-coverage: scenario $1 read" >&5
}
