#!/bin/sh
# patchcheck guest runner (generated). KTAP v1 on the console.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs tmpfs /tmp
echo 10 > /proc/sys/kernel/hung_task_timeout_secs 2>/dev/null
echo 1 > /proc/sys/kernel/sysrq 2>/dev/null
echo "patchcheck-runner: start"
echo "patchcheck-runner: kernel $(uname -r)"
seq=0
# step TIMEOUT FILE: runs the snippet in FILE in the background; waits for its marker.
# Blocked: still running at TIMEOUT, or a hung-task report appeared while it ran (the
# kernel has then seen a task stuck for the whole hung-task timeout: no need to wait on).
hung() { dmesg 2>/dev/null | grep -c 'blocked for more than'; }
# Tasks in uninterruptible sleep (state D), as NAME:PID.
dtasks() { cat /proc/[0-9]*/stat 2>/dev/null | sed -n 's/^\([0-9]*\) (\(.*\)) D .*/\2:\1/p' | tr ' ' '_'; }
step() {
  seq=$((seq+1)); m=/tmp/rc.$seq; o=/tmp/out.$seq; h0=$(hung)
  ( sh "$2" > "$o" 2>&1; echo $? > "$m" ) &
  t=0
  while [ ! -f "$m" ]; do
    if [ $t -ge $(($1*5)) ]; then
      cat "$o" 2>/dev/null | sed 's/^/    /'
      echo "    # step still running after $1 s: blocked"
      return 124
    fi
    if [ $((t % 10)) -eq 9 ] && [ "$(hung)" -gt "$h0" ]; then
      cat "$o" 2>/dev/null | sed 's/^/    /'
      echo "    # step blocked: the kernel reported a hung task after $((t/5)) s"
      reported=1
      return 124
    fi
    sleep 0.2; t=$((t+1))
  done
  sed 's/^/    /' "$o"
  return $(cat "$m")
}
echo 'KTAP version 1'
echo '1..1'
if [ -n "$blocked" ]; then echo 'ok 1 race-unbind-remove # SKIP a blocked step wedged the device'; else
echo '    KTAP version 1'
echo '    # scenario race-unbind-remove: unbind the PF'\''s driver and write its remove concurrently (VFs enabled), 3 times'
echo '    1..5'
failed=0; skipped=''
cat > /tmp/step-1-1.sh <<'PATCHCHECK_STEP'
for i in $(seq 1 50); do
  for d in /sys/bus/pci/devices/*; do
    [ -f "$d/sriov_totalvfs" ] || continue
    [ "$(cat "$d/sriov_totalvfs")" -gt 0 ] || continue
    [ -e "$d/driver" ] || continue
    echo "$d" > /tmp/pf
    echo "# PF $(basename "$d") driver $(basename "$(readlink "$d/driver")") totalvfs $(cat "$d/sriov_totalvfs")"
    exit 0
  done
  sleep 0.2
done
echo "# no PCI device with sriov_totalvfs > 0 and a bound driver"
exit 1
PATCHCHECK_STEP
if [ $failed -ne 0 ]; then echo '    ok 1 find SR-IOV PF # SKIP an earlier step failed'
else
  step 30 /tmp/step-1-1.sh; rc=$?
  if [ $rc -eq 0 ]; then echo '    ok 1 find SR-IOV PF'
  elif [ $rc -eq 77 ]; then echo '    ok 1 find SR-IOV PF # SKIP not supported by this kernel'; skipped='find SR-IOV PF'
  elif [ $rc -eq 124 ]; then echo '    not ok 1 find SR-IOV PF # TIMEOUT'; failed=1; blocked=1
  else echo '    not ok 1 find SR-IOV PF # exit '"$rc"; failed=1; fi
fi
cat > /tmp/step-1-2.sh <<'PATCHCHECK_STEP'
pf=$(cat /tmp/pf)
readlink -f "$pf/driver" > /tmp/pfdrv
echo "# driver $(cat /tmp/pfdrv)"
PATCHCHECK_STEP
if [ $failed -ne 0 ]; then echo '    ok 2 remember the PF'\''s driver # SKIP an earlier step failed'
else
  step 10 /tmp/step-1-2.sh; rc=$?
  if [ $rc -eq 0 ]; then echo '    ok 2 remember the PF'\''s driver'
  elif [ $rc -eq 77 ]; then echo '    ok 2 remember the PF'\''s driver # SKIP not supported by this kernel'; skipped='remember the PF'\''s driver'
  elif [ $rc -eq 124 ]; then echo '    not ok 2 remember the PF'\''s driver # TIMEOUT'; failed=1; blocked=1
  else echo '    not ok 2 remember the PF'\''s driver # exit '"$rc"; failed=1; fi
fi
cat > /tmp/step-1-3.sh <<'PATCHCHECK_STEP'
pf=$(cat /tmp/pf)
[ -e "$pf" ] || echo 1 > /sys/bus/pci/rescan
for i in $(seq 1 100); do [ -e "$pf/driver" ] && break; sleep 0.1; done
if [ ! -e "$pf/driver" ] && [ -f /tmp/pfdrv ]; then
  echo "$(basename "$pf")" > "$(cat /tmp/pfdrv)/bind" 2>/dev/null
  for i in $(seq 1 100); do [ -e "$pf/driver" ] && break; sleep 0.1; done
fi
[ -e "$pf/driver" ] || { echo "# $pf has no driver after rescan and bind"; exit 1; }
[ "$(cat "$pf/sriov_numvfs")" -eq 0 ] || echo 0 > "$pf/sriov_numvfs"
echo 2 > "$pf/sriov_numvfs"
rm -f /tmp/race.a /tmp/race.b
( echo "$(basename "$pf")" > "$(cat /tmp/pfdrv)/unbind" 2>/dev/null; echo "$?" > /tmp/race.a ) &
( sleep 0; echo 1 > "$pf/remove"; echo "$?" > /tmp/race.b ) &
wait
echo "# side a exit $(cat /tmp/race.a), side b exit $(cat /tmp/race.b)"
pf=$(cat /tmp/pf)
[ -e "$pf" ] || echo 1 > /sys/bus/pci/rescan
for i in $(seq 1 100); do [ -e "$pf/driver" ] && break; sleep 0.1; done
if [ ! -e "$pf/driver" ] && [ -f /tmp/pfdrv ]; then
  echo "$(basename "$pf")" > "$(cat /tmp/pfdrv)/bind" 2>/dev/null
  for i in $(seq 1 100); do [ -e "$pf/driver" ] && break; sleep 0.1; done
fi
[ -e "$pf/driver" ] || { echo "# $pf has no driver after rescan and bind"; exit 1; }
[ "$(cat "$pf/sriov_numvfs")" -eq 0 ] || echo 0 > "$pf/sriov_numvfs"
echo "# PF back with $(basename "$(readlink "$pf/driver")")"
PATCHCHECK_STEP
if [ $failed -ne 0 ]; then echo '    ok 3 iteration 1 (delay 0 s) # SKIP an earlier step failed'
else
  step 40 /tmp/step-1-3.sh; rc=$?
  if [ $rc -eq 0 ]; then echo '    ok 3 iteration 1 (delay 0 s)'
  elif [ $rc -eq 77 ]; then echo '    ok 3 iteration 1 (delay 0 s) # SKIP not supported by this kernel'; skipped='iteration 1 (delay 0 s)'
  elif [ $rc -eq 124 ]; then echo '    not ok 3 iteration 1 (delay 0 s) # TIMEOUT'; failed=1; blocked=1
  else echo '    not ok 3 iteration 1 (delay 0 s) # exit '"$rc"; failed=1; fi
fi
cat > /tmp/step-1-4.sh <<'PATCHCHECK_STEP'
pf=$(cat /tmp/pf)
[ -e "$pf" ] || echo 1 > /sys/bus/pci/rescan
for i in $(seq 1 100); do [ -e "$pf/driver" ] && break; sleep 0.1; done
if [ ! -e "$pf/driver" ] && [ -f /tmp/pfdrv ]; then
  echo "$(basename "$pf")" > "$(cat /tmp/pfdrv)/bind" 2>/dev/null
  for i in $(seq 1 100); do [ -e "$pf/driver" ] && break; sleep 0.1; done
fi
[ -e "$pf/driver" ] || { echo "# $pf has no driver after rescan and bind"; exit 1; }
[ "$(cat "$pf/sriov_numvfs")" -eq 0 ] || echo 0 > "$pf/sriov_numvfs"
echo 1 > "$pf/sriov_numvfs"
rm -f /tmp/race.a /tmp/race.b
( echo "$(basename "$pf")" > "$(cat /tmp/pfdrv)/unbind" 2>/dev/null; echo "$?" > /tmp/race.a ) &
( sleep 0.01; echo 1 > "$pf/remove"; echo "$?" > /tmp/race.b ) &
wait
echo "# side a exit $(cat /tmp/race.a), side b exit $(cat /tmp/race.b)"
pf=$(cat /tmp/pf)
[ -e "$pf" ] || echo 1 > /sys/bus/pci/rescan
for i in $(seq 1 100); do [ -e "$pf/driver" ] && break; sleep 0.1; done
if [ ! -e "$pf/driver" ] && [ -f /tmp/pfdrv ]; then
  echo "$(basename "$pf")" > "$(cat /tmp/pfdrv)/bind" 2>/dev/null
  for i in $(seq 1 100); do [ -e "$pf/driver" ] && break; sleep 0.1; done
fi
[ -e "$pf/driver" ] || { echo "# $pf has no driver after rescan and bind"; exit 1; }
[ "$(cat "$pf/sriov_numvfs")" -eq 0 ] || echo 0 > "$pf/sriov_numvfs"
echo "# PF back with $(basename "$(readlink "$pf/driver")")"
PATCHCHECK_STEP
if [ $failed -ne 0 ]; then echo '    ok 4 iteration 2 (delay 0.01 s) # SKIP an earlier step failed'
else
  step 40 /tmp/step-1-4.sh; rc=$?
  if [ $rc -eq 0 ]; then echo '    ok 4 iteration 2 (delay 0.01 s)'
  elif [ $rc -eq 77 ]; then echo '    ok 4 iteration 2 (delay 0.01 s) # SKIP not supported by this kernel'; skipped='iteration 2 (delay 0.01 s)'
  elif [ $rc -eq 124 ]; then echo '    not ok 4 iteration 2 (delay 0.01 s) # TIMEOUT'; failed=1; blocked=1
  else echo '    not ok 4 iteration 2 (delay 0.01 s) # exit '"$rc"; failed=1; fi
fi
cat > /tmp/step-1-5.sh <<'PATCHCHECK_STEP'
pf=$(cat /tmp/pf)
[ -e "$pf" ] || echo 1 > /sys/bus/pci/rescan
for i in $(seq 1 100); do [ -e "$pf/driver" ] && break; sleep 0.1; done
if [ ! -e "$pf/driver" ] && [ -f /tmp/pfdrv ]; then
  echo "$(basename "$pf")" > "$(cat /tmp/pfdrv)/bind" 2>/dev/null
  for i in $(seq 1 100); do [ -e "$pf/driver" ] && break; sleep 0.1; done
fi
[ -e "$pf/driver" ] || { echo "# $pf has no driver after rescan and bind"; exit 1; }
[ "$(cat "$pf/sriov_numvfs")" -eq 0 ] || echo 0 > "$pf/sriov_numvfs"
echo 2 > "$pf/sriov_numvfs"
rm -f /tmp/race.a /tmp/race.b
( echo "$(basename "$pf")" > "$(cat /tmp/pfdrv)/unbind" 2>/dev/null; echo "$?" > /tmp/race.a ) &
( sleep 0.05; echo 1 > "$pf/remove"; echo "$?" > /tmp/race.b ) &
wait
echo "# side a exit $(cat /tmp/race.a), side b exit $(cat /tmp/race.b)"
pf=$(cat /tmp/pf)
[ -e "$pf" ] || echo 1 > /sys/bus/pci/rescan
for i in $(seq 1 100); do [ -e "$pf/driver" ] && break; sleep 0.1; done
if [ ! -e "$pf/driver" ] && [ -f /tmp/pfdrv ]; then
  echo "$(basename "$pf")" > "$(cat /tmp/pfdrv)/bind" 2>/dev/null
  for i in $(seq 1 100); do [ -e "$pf/driver" ] && break; sleep 0.1; done
fi
[ -e "$pf/driver" ] || { echo "# $pf has no driver after rescan and bind"; exit 1; }
[ "$(cat "$pf/sriov_numvfs")" -eq 0 ] || echo 0 > "$pf/sriov_numvfs"
echo "# PF back with $(basename "$(readlink "$pf/driver")")"
PATCHCHECK_STEP
if [ $failed -ne 0 ]; then echo '    ok 5 iteration 3 (delay 0.05 s) # SKIP an earlier step failed'
else
  step 40 /tmp/step-1-5.sh; rc=$?
  if [ $rc -eq 0 ]; then echo '    ok 5 iteration 3 (delay 0.05 s)'
  elif [ $rc -eq 77 ]; then echo '    ok 5 iteration 3 (delay 0.05 s) # SKIP not supported by this kernel'; skipped='iteration 3 (delay 0.05 s)'
  elif [ $rc -eq 124 ]; then echo '    not ok 5 iteration 3 (delay 0.05 s) # TIMEOUT'; failed=1; blocked=1
  else echo '    not ok 5 iteration 3 (delay 0.05 s) # exit '"$rc"; failed=1; fi
fi
if [ $failed -ne 0 ]; then echo 'not ok 1 race-unbind-remove'
elif [ -n "$skipped" ]; then echo "ok 1 race-unbind-remove # SKIP step '$skipped' is not supported by this kernel"
else echo 'ok 1 race-unbind-remove'; fi
fi
# The end: a task still in D state (a background writer that deadlocked without
# blocking a step, or one a blocked step left behind) gets the hung-task detector's
# full period; what is still stuck then is named, with every blocked task's stack
# (sysrq w) and every lock held (sysrq d).
stuck=$(dtasks)
if [ -n "$stuck" ] && [ -z "$reported" ]; then
  w=0
  while [ -n "$stuck" ] && [ $w -lt 13 ]; do sleep 1; w=$((w+1)); stuck=$(dtasks); done
fi
if [ -n "$stuck" ]; then
  for t in $stuck; do echo "patchcheck-runner: task stuck in D state: $t"; done
  echo w > /proc/sysrq-trigger 2>/dev/null; echo d > /proc/sysrq-trigger 2>/dev/null; sleep 1
fi

echo "patchcheck-runner: done"
poweroff -f
