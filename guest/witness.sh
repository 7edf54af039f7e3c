# The lock-order witness's guest half, sourced by the runner (LockWitnessProgram): the lock
# events, filtered at the source, leave the guest as the ring buffer holds them (tracefs's
# per-CPU trace_pipe_raw pages) over a port of their own (the virtio-serial port
# org.patchcheck.witness; on a kernel without a virtio console, ttyS1), which QEMU writes to a
# file beside the console; the host decodes and reads them (LockTracePages, LockTrace).
# No reader and no formatting here: the guest only copies pages. At the end the trace's own
# loss counters go on the console, so nothing is dropped silently. Uses the runner's $P
# (data), $T (tracefs), $W (scratch), conf, and PATCHCHECK_WITNESS_PORT (the port; a file
# under test).
port=${PATCHCHECK_WITNESS_PORT:-}
if [ -z "$port" ]; then
  port=/dev/ttyS1
  for f in /sys/class/virtio-ports/*/name; do
    [ "$(cat "$f" 2>/dev/null)" = org.patchcheck.witness ] && port=/dev/$(basename "$(dirname "$f")")
  done
fi

witness_start() {
  [ -n "$PATCHCHECK_HOST" ] || mount -t tracefs nodev "$T" 2>/dev/null
  if [ ! -e "$T/events/lock/lock_acquire/enable" ]; then
    echo "patchcheck-witness: unavailable: this kernel has no lock events"
    return
  fi
  # Bytes as they are: no newline translation, no echo (a UART's; a virtio port has none).
  case $port in /dev/ttyS*) stty -F "$port" raw -echo 115200 2>/dev/null ;; esac
  echo "patchcheck-witness: streaming to $port"
  # Only the steps' own tasks and their children (set_event_pid, set per step, events on from
  # the first step): the kernel paths a scenario drives, not every lock the whole guest takes.
  echo 1 > "$T/options/event-fork"
  # At the source, leave out what cannot be a sleeping lock's order and would only flood the
  # buffer (LockWitnessProgram.acquireFilter, releaseFilter: the host writes them).
  cat "$P/witness-acquire-filter" > "$T/events/lock/lock_acquire/filter"
  cat "$P/witness-release-filter" > "$T/events/lock/lock_release/filter"
  # 4 MB a CPU, emptied every witness_period seconds of the guest's time (witness_copier): a
  # two-scenario boot's whole stream is under 3 MB of pages; an overrun would be counted and said.
  echo 4096 > "$T/buffer_size_kb"
  # The names of the tasks the events name by pid (the trailer sends them).
  echo 1024 > "$T/saved_cmdlines_size" 2>/dev/null
  page=$(($(cat "$T/buffer_subbuf_size_kb" 2>/dev/null || echo 4) * 1024))
  # The stream's header: what the host needs to decode the pages (the page's and the event
  # header's layout, the three events' ids and fields), as tracefs describes them, each line
  # after its file's name.
  echo "patchcheck-witness pages $page" > "$W/witness.head"
  (cd "$T/events" && grep -H '' header_page header_event lock/lock_acquire/format lock/lock_release/format ftrace/print/format) >> "$W/witness.head"
  witness_copier &
  wd=$!
  # shellcheck disable=SC2034 # read by the runner, which sources this file
  witness=1
}

# Every CPU's pages, read until the buffer is empty. Closing the shell's own descriptor of
# trace_pipe_raw (the kernel's tracing_buffers_flush) marks the reader done: dd's read then
# gives EOF once it has read everything, instead of waiting for more.
witness_pages() {
  for c in "$T"/per_cpu/cpu*; do
    # (A failed redirection of exec would end this shell.)
    [ -r "$c/trace_pipe_raw" ] || continue
    exec 5< "$c/trace_pipe_raw"
    dd ibs="$page" obs=262144 <&5 >&4 2>/dev/null &
    exec 5<&-
    d=$!
    while kill -0 "$d" 2>/dev/null; do wait "$d"; done
  done
}

# The copier: the header, then every CPU's pages every witness_period seconds of the guest's
# time until the stop (SIGUSR1), then the rest and the trailer (the task names, then the end:
# every CPU read to its end). Its own descriptor of the port: a virtio port opens once. Its
# reads run beside the steps, on no step's task: never traced.
witness_copier() {
  stop=''
  trap 'stop=1' USR1
  : > "$W/witness.ready"
  exec 4> "$port"
  dd if="$W/witness.head" bs="$page" conv=sync >&4 2>/dev/null
  period=$(conf witness_period)
  until [ -n "$stop" ]; do
    sleep "$period" &
    wait $!
    kill $! 2>/dev/null
    [ -n "$stop" ] || witness_pages
  done
  witness_pages
  { echo "patchcheck-witness end"; cat "$T/saved_cmdlines" 2>/dev/null; } > "$W/witness.tail"
  dd if="$W/witness.tail" bs="$page" conv=sync >&4 2>/dev/null
}

# Called in a step's subshell before it forks the step: traces this task and its children.
# Added to the list (>>), not put in its place: emptying it (a write that truncates) takes the
# kernel's pid-filter probes off and puts them back, a change of the kernel's code each step.
witness_trace_me() {
  read -r me rest < /proc/self/stat
  echo "$me" >> "$T/set_event_pid"
  # Releases first: an acquisition traced while releases are not (this echo's own file-table
  # lock) would look held for the rest of the task, and every lock it took after, an order.
  echo 1 > "$T/events/lock/lock_release/enable"
  echo 1 > "$T/events/lock/lock_acquire/enable"
}

# A race scenario is not traced (Scenario.race): the events go off until the next traced step
# turns them on again for its own task.
witness_pause() {
  echo 0 > "$T/events/lock/lock_acquire/enable"
  echo 0 > "$T/events/lock/lock_release/enable"
  echo "    # the lock-order witness does not trace race scenario $1"
}

# Each step's name in the trace, before its events.
witness_mark() { echo "patchcheck: $1" > "$T/trace_marker"; }

# Events the ring buffer still holds, unread, on every CPU.
witness_left() { cat "$T"/per_cpu/cpu*/stats 2>/dev/null | sed -n 's/^entries: //p' | awk '{ n += $1 } END { print n + 0 }'; }

# Whether the copier is still there (not gone, not a zombie waiting to be reaped).
witness_copying() {
  st=''
  { read -r _ _ st _ < "/proc/$wd/stat"; } 2>/dev/null
  [ -n "$st" ] && [ "$st" != Z ]
}

witness_stop() {
  echo 0 > "$T/events/lock/lock_acquire/enable"
  echo 0 > "$T/events/lock/lock_release/enable"
  echo "patchcheck: end" > "$T/trace_marker"
  echo 0 > "$T/tracing_on"
  # The copier reads every CPU to its end once more, sends the trailer and exits. (Its signal
  # waits for its trap: a subshell starts with the signal's default, which would end it.)
  while [ ! -e "$W/witness.ready" ] && witness_copying; do sleep 0.1; done
  kill -USR1 "$wd" 2>/dev/null
  # Waited for by the guest's clock up to the config's witness_drain_limit seconds, with a
  # line every 10 s so the host, which stops a guest silent for 150 s, knows it is alive.
  limit=$(conf witness_drain_limit)
  s=$(cut -d. -f1 /proc/uptime); e=0; said=0
  while witness_copying && [ $e -lt "$limit" ]; do
    sleep 0.1; e=$(($(cut -d. -f1 /proc/uptime) - s))
    if [ $e -ge $((said + 10)) ]; then
      said=$e
      echo "patchcheck-witness: still streaming the trace ($e s, $(witness_left) events left)"
    fi
  done
  # Past the limit the copier is stopped where it is: the stream then lacks its trailer, and
  # the host says the witness did not get the whole trace. Stopped before its reader is
  # killed: a copier whose dd ended would go on to send the trailer, calling a part whole.
  if witness_copying; then
    kill -STOP "$wd" 2>/dev/null; pkill -P "$wd" 2>/dev/null; kill -KILL "$wd" 2>/dev/null
  fi
  wait "$wd" 2>/dev/null
  echo "patchcheck-witness: begin"
  [ -f "$P/witness-focus" ] && sed 's/^/focus\t/' "$P/witness-focus"
  echo "overrun $(cat "$T"/per_cpu/cpu*/stats 2>/dev/null | sed -n 's/^overrun: //p' | tr '\n' ' ')"
  echo "dropped $(cat "$T"/per_cpu/cpu*/stats 2>/dev/null | sed -n 's/^dropped events: //p' | tr '\n' ' ')"
  echo "patchcheck-witness: end"
}
