"""The facts of the machine a run measures on: CPUs, memory, OS, host kernel, KVM, load, and
the tools' versions (see results.same_machine for which of them must match)."""

import os
import platform
import subprocess
from pathlib import Path

from . import common
from .common import git_out
from .results import code_changed
from .vng import vng


def first_line(cmd):
    try:
        return subprocess.run(cmd, text=True, capture_output=True).stdout.strip().splitlines()[0]
    except (OSError, IndexError):
        return "absent"


def machine_facts():
    cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                if l.startswith("model name")), platform.processor())
    mem = next(int(l.split()[1]) for l in Path("/proc/meminfo").read_text().splitlines() if l.startswith("MemTotal"))
    osname = next((l.split("=", 1)[1].strip('"') for l in Path("/etc/os-release").read_text().splitlines()
                   if l.startswith("PRETTY_NAME=")), "?")
    # Whether guests can use it is patchcheck's probe's call (--accel auto): see the boot figures.
    kvm = "/dev/kvm present" if os.path.exists("/dev/kvm") else "no /dev/kvm"
    probes = sorted(common.SOURCE_HOME.glob("kvm-probe-qemu-*"))
    if probes:
        kvm += f"; patchcheck's KVM probe (remembered per QEMU version): {' '.join(probes[-1].read_text().split())}"
    load = os.getloadavg()
    return {
        "cpus": os.cpu_count(), "cpu": cpu, "memory_gib": round(mem / 1048576, 1), "os": osname,
        "host_kernel": platform.release(), "kvm": kvm,
        "dirty": code_changed([".", ":(exclude)bench/results", ":(exclude)docs/performance.md"]),
        "load_at_start": f"{load[0]:.1f} {load[1]:.1f} {load[2]:.1f}",
        "versions": {
            "patchcheck": git_out("rev-parse", "--short", "HEAD"), "swift": first_line(["swift", "--version"]),
            "qemu": first_line(["qemu-system-x86_64", "--version"]),
            "libgit2": first_line(["pkg-config", "--modversion", "libgit2"]), "git": first_line(["git", "--version"]),
            "gcc": first_line(["gcc", "--version"]), "virtme-ng": first_line([vng() or "vng", "--version"]),
        },
    }
