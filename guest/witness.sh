# The lock-order witness's guest half, sourced by the runner (LockWitnessProgram): the lock
# events, filtered at the source, leave the guest raw over a port of their own (the
# virtio-serial port org.patchcheck.witness; on a kernel without a virtio console, ttyS1),
# which QEMU writes to a file beside the console; the host reads them (LockTrace).
# No reader here: the guest only copies. At the end the trace's own loss counters go on the
# console, so nothing is dropped silently. Uses the runner's $P (data), $T (tracefs), conf,
# and PATCHCHECK_WITNESS_PORT (the port; a file under test).
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
  # dd reads trace_pipe and writes the port with read() and write(): cat might splice, and
  # splicing from trace_pipe into a pipe holds the pipe's lock while it waits for events (the
  # reader hangs in D). The copier is the runner's child, not a step's: never traced. A read
  # gives at most 8 KB (a trace_seq), 18 events on average in a v9 boot; the port is written
  # 256 KB at a time (obs), so 25 writes instead of 3,300 (a third of dd's time in the kernel,
  # docs/lock-witness.md). What it holds is written when the trace ends (EOF, witness_stop).
  dd if="$T/trace_pipe" of="$port" ibs=65536 obs=262144 2>/dev/null &
  wd=$!
  # Only the steps' own tasks and their children (set_event_pid, set per step, events on from
  # the first step): the kernel paths a scenario drives, not every lock the whole guest takes.
  # Real addresses: lock instances are compared across steps.
  echo 1 > "$T/options/event-fork"
  echo 0 > "$T/options/hash-ptr"
  # At the source, leave out what cannot be a sleeping lock's order and would only flood the
  # buffer (LockWitnessProgram.acquireFilter, releaseFilter: the host writes them).
  cat "$P/witness-acquire-filter" > "$T/events/lock/lock_acquire/filter"
  cat "$P/witness-release-filter" > "$T/events/lock/lock_release/filter"
  # 4 MB a CPU: the copier empties it as the steps fill it (a two-scenario boot's whole stream
  # is under 4 MB of the buffer's own format); an overrun would be counted and said.
  echo 4096 > "$T/buffer_size_kb"
  # shellcheck disable=SC2034 # read by the runner, which sources this file
  witness=1
}

# Called in a step's subshell before it forks the step: traces this task and its children.
witness_trace_me() {
  read -r me rest < /proc/self/stat
  echo "$me" > "$T/set_event_pid"
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
  # The stream's end: the host takes a stream without it as cut short.
  echo "patchcheck: end" > "$T/trace_marker"
  # With the trace off, trace_pipe ends (EOF) for a reader that has read everything in it
  # (the kernel's tracing_wait_pipe): the copier writes what it read last and exits by itself,
  # the end marker the last thing it copies. Whether the buffer is empty cannot tell that: the
  # kernel counts events gone while read() still holds them, before they are written.
  echo 0 > "$T/tracing_on"
  # Waited for by the guest's clock (a loop of sleeps runs slower than it counts under TCG) up
  # to the config's witness_drain_limit seconds, with a line every 10 s so the host, which
  # stops a guest silent for 150 s, knows it is alive. A copier already asleep in read() when
  # the trace went off is not woken by it: once the buffer is empty, a stop and a continue
  # make its read start again, and see the end.
  limit=$(conf witness_drain_limit)
  s=$(cut -d. -f1 /proc/uptime); e=0; said=0
  while witness_copying && [ $e -lt "$limit" ]; do
    left=$(witness_left)
    if [ "$left" -eq 0 ]; then kill -STOP "$wd" 2>/dev/null; kill -CONT "$wd" 2>/dev/null; fi
    sleep 0.1; e=$(($(cut -d. -f1 /proc/uptime) - s))
    if [ $e -ge $((said + 10)) ]; then
      said=$e
      echo "patchcheck-witness: still streaming the trace ($e s, $left events left)"
    fi
  done
  # Past the limit it is stopped where it is, what it holds unwritten (up to 256 KB) lost with
  # what it had not read: the stream then lacks its end, and the host says the witness did not
  # get the whole trace.
  kill "$wd" 2>/dev/null
  wait "$wd" 2>/dev/null
  # What the kernel lost, per CPU: overwritten before they were read (overrun), or dropped
  # with the buffer full (dropped events). The host says so in the report and the verdict.
  echo "patchcheck-witness: begin"
  [ -f "$P/witness-focus" ] && sed 's/^/focus\t/' "$P/witness-focus"
  echo "overrun $(cat "$T"/per_cpu/cpu*/stats 2>/dev/null | sed -n 's/^overrun: //p' | tr '\n' ' ')"
  echo "dropped $(cat "$T"/per_cpu/cpu*/stats 2>/dev/null | sed -n 's/^dropped events: //p' | tr '\n' ' ')"
  echo "patchcheck-witness: end"
}
