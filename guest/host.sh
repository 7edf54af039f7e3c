#!/bin/sh
# patchcheck-host VERB DEVICE [ARG]: a scenario step asks the host to act on the machine and
# waits until it has (HostControl). The verbs: `unplug pfN` (the root port's attention button:
# pciehp removes the PF, QEMU deletes it), `plug pfN` (the same igb back on its root port),
# `aer pfN|rpN ERROR` (an AER error on the PF or its root port, by QEMU's name: DLP, SDN
# fatal; COMP_TIME, UNSUP non-fatal). pfN is the igb on the Nth root port, rpN that port.
# The request goes out on the control port (a virtio-serial port named
# org.patchcheck.control), with a number of its own; the answer comes back on it: "N done", or
# "N failed: why". Each request and answer is also on the console, for the record.
# Exit: 0 done, 1 failed, 77 (a KTAP SKIP) when the kernel has no control port.
# Under test on the host: PATCHCHECK_CONTROL_PORT names the port (a fifo pair, see GuestTests).
port=${PATCHCHECK_CONTROL_PORT:-}
if [ -z "$port" ]; then
  for f in /sys/class/virtio-ports/*/name; do
    [ "$(cat "$f" 2>/dev/null)" = org.patchcheck.control ] && port=/dev/$(basename "$(dirname "$f")")
  done
fi
if [ -z "$port" ] || [ ! -e "$port" ]; then
  echo "# patchcheck-host: this kernel has no control port (CONFIG_VIRTIO_CONSOLE): the host cannot be asked"
  exit 77
fi
limit=${PATCHCHECK_HOST_LIMIT:-120}
# One request at a time: the port has one reader.
while ! mkdir /tmp/patchcheck-host.lock 2>/dev/null; do sleep 0.1; done
trap 'rmdir /tmp/patchcheck-host.lock' EXIT
id=$$
say() { if { true >&3; } 2>/dev/null; then echo "$1" >&3; else echo "$1" > /dev/console; fi; }
say "patchcheck-host: request $id $*"
exec 4<>"$port"
echo "$id $*" >&4
# shellcheck disable=SC3045 # busybox ash has read -t
while read -r -t "$limit" n answer <&4; do
  [ "$n" = "$id" ] || continue
  say "patchcheck-host: answer $id $answer"
  echo "# host: $* -> $answer"
  [ "$answer" = "done" ]
  exit
done
say "patchcheck-host: answer $id none within $limit s"
echo "# host: $* -> no answer within $limit s"
exit 1
