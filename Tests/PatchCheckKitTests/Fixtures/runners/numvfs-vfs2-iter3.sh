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
if [ -n "$blocked" ]; then echo 'ok 1 numvfs # SKIP a blocked step wedged the device'; else
echo '    KTAP version 1'
echo '    # scenario numvfs: enable 2 VFs on the PF through sriov_numvfs, check they appear and bind, disable them'
echo '    1..4'
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
echo 2 > "$pf/sriov_numvfs" || exit 1
n=$(ls -d "$pf"/virtfn* 2>/dev/null | wc -l)
echo "# sriov_numvfs=$(cat "$pf/sriov_numvfs") virtfn links=$n"
[ "$n" -eq 2 ]
PATCHCHECK_STEP
if [ $failed -ne 0 ]; then echo '    ok 2 enable 2 VFs # SKIP an earlier step failed'
else
  step 90 /tmp/step-1-2.sh; rc=$?
  if [ $rc -eq 0 ]; then echo '    ok 2 enable 2 VFs'
  elif [ $rc -eq 77 ]; then echo '    ok 2 enable 2 VFs # SKIP not supported by this kernel'; skipped='enable 2 VFs'
  elif [ $rc -eq 124 ]; then echo '    not ok 2 enable 2 VFs # TIMEOUT'; failed=1; blocked=1
  else echo '    not ok 2 enable 2 VFs # exit '"$rc"; failed=1; fi
fi
cat > /tmp/step-1-3.sh <<'PATCHCHECK_STEP'
pf=$(cat /tmp/pf)
for i in $(seq 1 100); do
  missing=0
  for v in "$pf"/virtfn*; do [ -e "$v/driver" ] || missing=$((missing+1)); done
  [ $missing -eq 0 ] && break
  sleep 0.2
done
for v in "$pf"/virtfn*; do
  echo "# $(basename "$(readlink "$v")") driver $(basename "$(readlink "$v/driver" 2>/dev/null)" 2>/dev/null)"
done
[ $missing -eq 0 ]
PATCHCHECK_STEP
if [ $failed -ne 0 ]; then echo '    ok 3 VFs bound to a driver # SKIP an earlier step failed'
else
  step 60 /tmp/step-1-3.sh; rc=$?
  if [ $rc -eq 0 ]; then echo '    ok 3 VFs bound to a driver'
  elif [ $rc -eq 77 ]; then echo '    ok 3 VFs bound to a driver # SKIP not supported by this kernel'; skipped='VFs bound to a driver'
  elif [ $rc -eq 124 ]; then echo '    not ok 3 VFs bound to a driver # TIMEOUT'; failed=1; blocked=1
  else echo '    not ok 3 VFs bound to a driver # exit '"$rc"; failed=1; fi
fi
cat > /tmp/step-1-4.sh <<'PATCHCHECK_STEP'
pf=$(cat /tmp/pf)
echo 0 > "$pf/sriov_numvfs" || exit 1
n=$(ls -d "$pf"/virtfn* 2>/dev/null | wc -l)
echo "# sriov_numvfs=$(cat "$pf/sriov_numvfs") virtfn links=$n"
[ "$n" -eq 0 ]
PATCHCHECK_STEP
if [ $failed -ne 0 ]; then echo '    ok 4 disable VFs # SKIP an earlier step failed'
else
  step 90 /tmp/step-1-4.sh; rc=$?
  if [ $rc -eq 0 ]; then echo '    ok 4 disable VFs'
  elif [ $rc -eq 77 ]; then echo '    ok 4 disable VFs # SKIP not supported by this kernel'; skipped='disable VFs'
  elif [ $rc -eq 124 ]; then echo '    not ok 4 disable VFs # TIMEOUT'; failed=1; blocked=1
  else echo '    not ok 4 disable VFs # exit '"$rc"; failed=1; fi
fi
if [ $failed -ne 0 ]; then echo 'not ok 1 numvfs'
elif [ -n "$skipped" ]; then echo "ok 1 numvfs # SKIP step '$skipped' is not supported by this kernel"
else echo 'ok 1 numvfs'; fi
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
