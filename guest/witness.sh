# The lock-order witness's guest half, sourced by the runner (LockWitnessProgram): lock
# events from tracefs, streamed into witness.awk; the reader's own tasks are not traced.
# Uses the runner's $P (data), $T (tracefs), $W (scratch) and conf.

witness_start() {
  [ -n "$PATCHCHECK_HOST" ] || mount -t tracefs nodev "$T" 2>/dev/null
  if [ ! -e "$T/events/lock/lock_acquire/enable" ]; then
    echo "patchcheck-witness: unavailable: this kernel has no lock events"
    return
  fi
  # awk reads trace_pipe itself: a cat into a pipe would splice, and splicing from trace_pipe
  # holds the pipe's lock while it waits for events (the reader hangs in D).
  awk -v focus="$P/witness-focus" -f "$P/witness.awk" < "$T/trace_pipe" > "$W/witness.out" 2>&1 &
  wa=$!
  # Only the steps' own tasks and their children (set_event_pid, set per step, events on
  # from the first step): the kernel paths a scenario drives, not every lock the whole guest
  # takes. Real addresses: lock instances are compared across steps.
  echo 1 > "$T/options/event-fork"
  echo 0 > "$T/options/hash-ptr"
  # At the source, leave out what cannot be a sleeping lock's order and would only flood the
  # buffer (LockWitnessProgram.acquireFilter, releaseFilter: the host writes them).
  cat "$P/witness-acquire-filter" > "$T/events/lock/lock_acquire/filter"
  cat "$P/witness-release-filter" > "$T/events/lock/lock_release/filter"
  echo 16384 > "$T/buffer_size_kb"
  # shellcheck disable=SC2034 # read by the runner, which sources this file
  witness=1
}

# Called in a step's subshell before it forks the step: traces this task and its children.
witness_trace_me() {
  read -r me rest < /proc/self/stat
  echo "$me" > "$T/set_event_pid"
  echo 1 > "$T/events/lock/lock_acquire/enable"
  echo 1 > "$T/events/lock/lock_release/enable"
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

witness_stop() {
  echo 0 > "$T/events/lock/lock_acquire/enable"
  echo 0 > "$T/events/lock/lock_release/enable"
  echo "patchcheck: end" > "$T/trace_marker"
  # awk is still reading what the steps left in the buffer (the sequential scenarios leave
  # 150,000-200,000 events, which a TCG vCPU reads at 1,500-2,000 a second): waited for by
  # the guest's clock (a loop of sleeps and greps runs slower than it counts under TCG) as
  # long as the backlog shrinks, up to the config's witness_drain_limit seconds, with a line
  # every 10 s so the host, which stops a guest silent for 150 s, knows it is alive. A
  # backlog that has not shrunk in 30 s is a reader that has stopped.
  limit=$(conf witness_drain_limit)
  s=$(cut -d. -f1 /proc/uptime); e=0; said=0; last=-1; still=0
  while ! grep -q '^done' "$W/witness.out" 2>/dev/null && [ $e -lt "$limit" ] && [ $still -lt 3 ]; do
    sleep 1; e=$(($(cut -d. -f1 /proc/uptime) - s))
    if [ $e -ge $((said + 10)) ]; then
      said=$e
      left=$(cat "$T"/per_cpu/cpu*/stats 2>/dev/null | sed -n 's/^entries: //p' | awk '{ n += $1 } END { print n + 0 }')
      if [ $last -ge 0 ] && [ "$left" -ge $last ]; then still=$((still + 1)); else still=0; fi
      last=$left
      echo "patchcheck-witness: still reading the trace ($e s, $left events left)"
    fi
  done
  kill "$wa" 2>/dev/null
  echo "patchcheck-witness: begin"
  [ -f "$P/witness-focus" ] && sed 's/^/focus\t/' "$P/witness-focus"
  cat "$W/witness.out"
  echo "overrun $(cat "$T"/per_cpu/cpu*/stats 2>/dev/null | sed -n 's/^overrun: //p' | tr '\n' ' ')"
  echo "patchcheck-witness: end"
}
