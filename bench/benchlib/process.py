"""Running the measured commands: wall time (`run`), CPU time (`run_cpu`), and a run of
patchcheck watched for its peak RSS, QEMU's, and when a line first reached its console
(`run_watching`)."""

import os
import resource
import subprocess
import tempfile
import time
from pathlib import Path


def run(cmd, cwd=None, env=None, check=True, quiet=True, timeout=None):
    """Runs cmd; returns (seconds, CompletedProcess)."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    start = time.monotonic()
    done = subprocess.run(
        [str(c) for c in cmd], cwd=cwd, env=full_env, text=True, timeout=timeout,
        stdout=subprocess.PIPE if quiet else None, stderr=subprocess.PIPE if quiet else None)
    seconds = time.monotonic() - start
    if check and done.returncode != 0:
        tail = ((done.stdout or "") + (done.stderr or ""))[-600:] if quiet else ""
        raise RuntimeError(f"{' '.join(map(str, cmd))} exited {done.returncode}: {tail}")
    return seconds, done


def run_cpu(cmd):
    """Runs cmd; returns (wall seconds, CPU seconds of the process and its children, result)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    seconds, done = run(cmd)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return seconds, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), done


def vm_hwm_kib(pid):
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def descendants_named(root_pid, prefix):
    """Pids of processes whose command starts with `prefix` and that descend from root_pid."""
    parents, names = {}, {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            names[int(entry.name)] = stat[stat.index("(") + 1:stat.rindex(")")]
            parents[int(entry.name)] = int(stat[stat.rindex(")") + 2:].split()[1])
        except (OSError, ValueError):
            continue
    found = []
    for pid, name in names.items():
        if not name.startswith(prefix):
            continue
        up, depth = parents.get(pid), 0
        while up and up != root_pid and depth < 8:
            up, depth = parents.get(up), depth + 1
        if up == root_pid:
            found.append(pid)
    return found


class Watch:
    """What a run of patchcheck left while it ran: its own peak RSS (VmHWM, read from /proc:
    GNU time's %M would report the largest child, QEMU or cc1), QEMU's peak RSS, and when
    a line holding `marker` first reached `console` (host clock, seconds after the start)."""

    def __init__(self):
        self.seconds = self.code = None
        self.stdout = ""
        self.peak_mib = self.qemu_mib = 0.0
        self.marker_at = None


def run_watching(cmd, env=None, console=None, marker=None):
    full_env = dict(os.environ)
    full_env.update(env or {})
    watch = Watch()
    start = time.monotonic()
    out = tempfile.TemporaryFile(mode="w+")
    process = subprocess.Popen([str(c) for c in cmd], env=full_env, stdout=out, stderr=subprocess.DEVNULL, text=True)
    peak, qemu, polls = 0, 0, 0
    while process.poll() is None:
        peak = max(peak, vm_hwm_kib(process.pid))
        if polls % 5 == 0:  # the /proc walk costs more than one status read
            for pid in descendants_named(process.pid, "qemu-system"):
                qemu = max(qemu, vm_hwm_kib(pid))
        if console and marker and watch.marker_at is None:
            try:
                if marker in Path(console).read_text(errors="replace"):
                    watch.marker_at = time.monotonic() - start
            except OSError:
                pass
        polls += 1
        time.sleep(0.2)
    out.seek(0)
    watch.seconds, watch.code, watch.stdout = time.monotonic() - start, process.returncode, out.read()
    watch.peak_mib, watch.qemu_mib = peak / 1024, qemu / 1024
    return watch
