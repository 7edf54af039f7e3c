#!/bin/sh
# patchcheck's guest runner: the initramfs's /init (RunnerScript). It runs the scenarios the
# host wrote as data under $P (RunnerScript.files: a config file and, per scenario, its name,
# summary and step files), each step in the background with its own time limit, prints KTAP
# v1 on the console, names the kernel it booted, waits out any task stuck in D state at the
# end and powers off. The markers it prints are what the host reads (RunnerScript's
# constants); keep both sides together.
#
# Under test on the host (GuestTests, under busybox sh) the paths come from the environment:
# PATCHCHECK_HOST=1 (no mounts, no busybox --install, no poweroff), PATCHCHECK_DATA (the data
# folder), PATCHCHECK_PROC (/proc), PATCHCHECK_TRACING (tracefs), PATCHCHECK_TMP (scratch
# files), PATCHCHECK_KMSG (a file read instead of dmesg), PATCHCHECK_WITNESS_PORT (the lock
# witness's serial port, see witness.sh).
P=${PATCHCHECK_DATA:-/patchcheck}
PROC=${PATCHCHECK_PROC:-/proc}
# shellcheck disable=SC2034 # used by witness.sh and coverage.sh, sourced below
T=${PATCHCHECK_TRACING:-/sys/kernel/tracing}
W=${PATCHCHECK_TMP:-/tmp}
if [ -z "$PATCHCHECK_HOST" ]; then
  /bin/busybox --install -s /bin
  export PATH=/bin
  mount -t proc proc /proc
  mount -t sysfs sysfs /sys
  mount -t devtmpfs devtmpfs /dev 2>/dev/null
  mount -t tmpfs tmpfs /tmp
  # A step asks the host to act on the machine with `patchcheck-host VERB ...` (host.sh).
  cp "$P/host.sh" /bin/patchcheck-host && chmod 755 /bin/patchcheck-host
fi

# conf KEY: the value of KEY= in the host's config file.
conf() { sed -n "s/^$1=//p" "$P/config"; }
hung_timeout=$(conf hung_task_timeout)
skip_code=$(conf step_skip_code)
# The hung-task detector looks every second (docs/scenarios.md): a task blocked for the
# timeout is reported within a second of it, not up to a whole period later.
echo "$hung_timeout" > "$PROC/sys/kernel/hung_task_timeout_secs" 2>/dev/null
echo 1 > "$PROC/sys/kernel/hung_task_check_interval_secs" 2>/dev/null
echo 1 > "$PROC/sys/kernel/sysrq" 2>/dev/null
echo "patchcheck-runner: start"
echo "patchcheck-runner: kernel $(uname -r)"

# Hung-task reports in the kernel's log so far.
hung() {
  if [ -n "$PATCHCHECK_KMSG" ]; then cat "$PATCHCHECK_KMSG"; else dmesg 2>/dev/null; fi | grep -c 'blocked for more than'
}
# Tasks in uninterruptible sleep (state D), as NAME:PID.
dtasks() { cat "$PROC"/[0-9]*/stat 2>/dev/null | sed -n 's/^\([0-9]*\) (\(.*\)) D .*/\2:\1/p' | tr ' ' '_'; }

# step TIMEOUT FILE: runs the snippet in FILE in the background; waits for its exit code.
# Blocked: still running at TIMEOUT, or a hung-task report appeared while it ran (the kernel
# has then seen a task stuck for the whole hung-task timeout: no need to wait on). The step
# gets the console as fd 3 for markers that must be seen when they happen (a racer's start).
# The runner sleeps in `wait` until the step ends, so its end is seen when it happens, not at
# the next look (a step is a fraction of a second of work, often). A watchdog beside it
# counts the seconds and looks for hung-task reports every 2 s; when it finds the step
# blocked it writes why in a file and wakes the runner (SIGUSR1, which ends the `wait`).
trap : USR1
seq=0
step() {
  seq=$((seq + 1)); m=$W/rc.$seq; o=$W/out.$seq; why=$W/why.$seq; h0=$(hung)
  if [ -n "$witness" ]; then
    # The step's subshell names itself to tracefs before it forks the step (event-fork
    # traces a traced task's children from then on).
    ( if [ -z "$untraced" ]; then witness_trace_me; fi; sh "$2" 3>&1 > "$o" 2>&1; echo $? > "$m" ) &
  else
    ( sh "$2" 3>&1 > "$o" 2>&1; echo $? > "$m" ) &
  fi
  sp=$!
  ( t=0
    while [ $t -lt "$1" ]; do
      sleep 1; t=$((t + 1))
      if [ $((t % 2)) -eq 0 ] && [ "$(hung)" -gt "$h0" ]; then
        echo "$t" > "$why"; kill -USR1 $$; exit
      fi
    done
    echo timeout > "$why"; kill -USR1 $$ ) &
  wp=$!
  # `wait` also ends on a wake-up meant for an earlier step (its watchdog's, sent as that
  # step ended): then the step is still running, with no reason to stop, and is waited for again.
  # The code is in $m, and the reason in $why, once the file has a size: each is written with
  # one write().
  while [ ! -s "$m" ] && [ ! -s "$why" ]; do
    wait "$sp" 2>/dev/null
    kill -0 "$sp" 2>/dev/null || break
  done
  kill "$wp" 2>/dev/null
  if [ ! -s "$m" ] && [ -s "$why" ]; then
    sed 's/^/    /' "$o" 2>/dev/null
    if [ "$(cat "$why")" = timeout ]; then
      echo "    # step still running after $1 s: blocked"
    else
      echo "    # step blocked: the kernel reported a hung task after $(cat "$why") s"
      reported=1
    fi
    return 124
  fi
  sed 's/^/    /' "$o"
  return "$(cat "$m" 2>/dev/null || echo 1)"
}

[ "$(conf witness)" = 1 ] && . "$P/witness.sh" && witness_start
[ "$(conf coverage)" = 1 ] && . "$P/coverage.sh" && coverage_start

scenarios=$(conf scenarios)
echo 'KTAP version 1'
echo "1..$scenarios"
i=0
while [ $i -lt "$scenarios" ]; do
  i=$((i + 1)); d=$P/scenario-$i; name=$(cat "$d/name")
  # A blocked step leaves tasks stuck on the device's locks: later scenarios would only time
  # out behind them.
  if [ -n "$blocked" ]; then
    printf 'ok %s %s # SKIP a blocked step wedged the device\n' "$i" "$name"
    continue
  fi
  echo '    KTAP version 1'
  printf '    # scenario %s: %s\n' "$name" "$(cat "$d/summary")"
  steps=$(cat "$d/steps")
  echo "    1..$steps"
  untraced=''
  if [ -f "$d/race" ]; then
    untraced=1
    [ -n "$witness" ] && witness_pause "$name"
  fi
  failed=0; skipped=''
  s=0
  while [ $s -lt "$steps" ]; do
    s=$((s + 1)); sname=$(cat "$d/$s.name")
    if [ $failed -ne 0 ]; then printf '    ok %s %s # SKIP an earlier step failed\n' "$s" "$sname"; continue; fi
    [ -n "$witness" ] && witness_mark "$name: $sname"
    step "$(cat "$d/$s.timeout")" "$d/$s.sh"; rc=$?
    if [ $rc -eq 0 ]; then printf '    ok %s %s\n' "$s" "$sname"
    elif [ $rc -eq "$skip_code" ]; then printf '    ok %s %s # SKIP not supported by this kernel\n' "$s" "$sname"; skipped=$sname
    elif [ $rc -eq 124 ]; then printf '    not ok %s %s # TIMEOUT\n' "$s" "$sname"; failed=1; blocked=1
    else printf '    not ok %s %s # exit %s\n' "$s" "$sname" "$rc"; failed=1; fi
  done
  if [ $failed -ne 0 ]; then printf 'not ok %s %s\n' "$i" "$name"
  elif [ -n "$skipped" ]; then printf "ok %s %s # SKIP step '%s' is not supported by this kernel\n" "$i" "$name" "$skipped"
  else printf 'ok %s %s\n' "$i" "$name"; fi
  [ -n "$coverage" ] && coverage_end $i
done
[ -n "$witness" ] && witness_stop

# The end: a task still in D state (a background writer that deadlocked without blocking a
# step, or one a blocked step left behind) gets the hung-task detector's full period; what is
# still stuck then is named, with every blocked task's stack (sysrq w) and every lock held
# (sysrq d).
stuck=$(dtasks)
if [ -n "$stuck" ] && [ -z "$reported" ]; then
  w=0
  while [ -n "$stuck" ] && [ $w -lt $((hung_timeout + 3)) ]; do sleep 1; w=$((w + 1)); stuck=$(dtasks); done
fi
if [ -n "$stuck" ]; then
  for t in $stuck; do echo "patchcheck-runner: task stuck in D state: $t"; done
  echo w > "$PROC/sysrq-trigger" 2>/dev/null; echo d > "$PROC/sysrq-trigger" 2>/dev/null; sleep 1
fi

echo "patchcheck-runner: done"
[ -n "$PATCHCHECK_HOST" ] || poweroff -f
