"""The sections that start from nothing: fresh (an empty cache folder to the first verdict)
and cold (cold builds, ccache off: patchcheck's config, virtme-ng's, x86_64_defconfig)."""

import json
import os
import shutil
import time
from pathlib import Path

from . import common
from .common import FRAGMENTS, samples_wanted
from .process import run
from .tool import apply_and_boot, tool
from .vng import NO_VNG, VNG_SRC, vng, vng_available


def bench_fresh(results, args, tmp):
    """The first verdict on a fresh machine, broken down: an empty cache folder (no tree, no
    .debs, no ccache), `tree import --debian X.Y` (download and import), then apply-and-boot
    of v10 with all six scenarios (checkout, configure, the cold build, boot, analysis).
    Installing the tools cannot be timed on a machine that has them: said so. The peer
    (virtme-ng: a checkout of the same tag, `vng --kconfig` with the same fragments, the
    build, `vng -r` with this section's guest program as the script) is built in the cold
    section and booted in the boot section, rather than building that kernel twice."""
    results.skip("fresh-setup", "the build tools, QEMU and busybox are installed here: apt-get install cannot be timed again "
                 "(bench/first-run timed it once, on a machine that had none of them: its own section below)", "fresh")
    parts = {k: [] for k in ["download-and-import", "import", "checkout", "configure", "build", "boot", "total"]}
    verdicts = set()
    i = 0
    while i < (samples_wanted(max(parts["total"]), args, cap=args.fresh_samples) if parts["total"] else 1):
        home = tmp / f"fresh-home-{i}"
        fetched, done = tool("tree", "import", "--debian", args.series_version, "--json", home=home)
        parts["download-and-import"].append(fetched)
        parts["import"].append(json.loads(done.stdout).get("seconds"))
        _, report = apply_and_boot(args, args.series_v10, tmp / f"fresh-run-{i}", home=home)
        verdicts.add(report["verdict"])
        # The guest program of this run (v10, all six) is the one virtme-ng's peer path runs.
        args.fresh_guest = args.fresh_guest or tmp / f"fresh-run-{i}" / "initramfs.cpio"
        for p in ["checkout", "configure", "build", "boot"]:
            parts[p].append(report["phases"].get(p))
        parts["total"].append(fetched + report["phases"]["total"])
        shutil.rmtree(home, ignore_errors=True)
        i += 1
    for p, samples in parts.items():
        note = f"empty cache folder to the verdict of {Path(args.series_v10).name} ({'/'.join(sorted(verdicts))})" if p == "total" else ""
        results.add(f"fresh-{p}", samples, note=note, group="fresh")


def make(args_list, cwd, env_extra=None):
    env = {"CCACHE_DISABLE": "1"}
    env.update(env_extra or {})
    return run(["make", *args_list], cwd=cwd, env=env)


def count_objects(folder):
    return sum(1 for _ in Path(folder).rglob("*.o"))


def bench_cold(results, args, tmp):
    """Cold builds of one tree, ccache off: patchcheck's config (its real pipeline, in a
    fresh cache folder sharing the imported repository), virtme-ng's, x86_64_defconfig;
    the last two with the same fragments."""
    jobs = str(os.cpu_count() or 2)
    parts = set(args.cold_parts.split(","))
    if "patchcheck" in parts:
        bench_cold_patchcheck(results, args, tmp)
    if "vng" in parts:
        bench_cold_vng(results, args, tmp, jobs)
    if "defconfig" in parts:
        bench_cold_defconfig(results, args, tmp, jobs)


def bench_cold_patchcheck(results, args, tmp):
    """1. patchcheck: a fresh home whose linux.git is the imported one, so worktree and
    build folder start empty."""
    home = tmp / "cold-home"
    home.mkdir()
    (home / "linux.git").symlink_to(common.HOME / "linux.git")
    out = tmp / "cold-patchcheck"
    watch, report = apply_and_boot(args, args.series, out, scenarios=args.scenarios, home=home, env={"CCACHE_DISABLE": "1"})
    peak = watch.peak_mib
    objects = (report.get("build") or {}).get("objects")
    results.add("cold-build-patchcheck", [report["phases"]["build"]],
                note=f"tinyconfig + {', '.join(f.name for f in FRAGMENTS)}: {objects} objects", group="cold")
    results.add("cold-config-patchcheck", [report["phases"]["configure"]], note="make tinyconfig, merge_config.sh, olddefconfig", group="cold")
    results.add("cold-apply-and-boot", [report["phases"]["total"]], note=f"whole cold run, verdict {report['verdict']}", group="cold")
    results.add("peak-rss-cold", [peak], unit="MiB", note="patchcheck's own VmHWM during a cold apply-and-boot", group="memory")
    shutil.rmtree(home / "worktrees", ignore_errors=True)
    shutil.rmtree(home / "build", ignore_errors=True)


def bench_cold_vng(results, args, tmp, jobs):
    """2. virtme-ng's config: vng --kconfig in a checkout of its own (it configures in-tree)
    at VNG_SRC, kept after the run so the boot section can boot that kernel again without
    building it (the build takes most of half an hour)."""
    if not vng_available():
        return results.skip("cold-build-vng", NO_VNG, "cold")
    source = VNG_SRC
    shutil.rmtree(source, ignore_errors=True)
    source.parent.mkdir(parents=True, exist_ok=True)
    tool("tree", "checkout", args.tag, source)
    config_seconds, _ = run([vng(), "--kconfig", *sum((["--config", f] for f in FRAGMENTS), [])], cwd=source)
    seconds, _ = make(["-j" + jobs, "bzImage"], cwd=source)
    results.add("cold-build-vng", [seconds], note=f"vng --kconfig --config <fragments>: {count_objects(source)} objects", group="cold")
    results.add("cold-config-vng", [config_seconds], note="vng --kconfig", group="cold")
    args.vng_tree = source


def bench_cold_defconfig(results, args, tmp, jobs):
    """3. x86_64_defconfig plus the same fragments, with the kernel's own tooling."""
    source = tmp / "defconfig-src"
    build = tmp / "defconfig-build"
    tool("tree", "checkout", args.tag, source)
    start = time.monotonic()
    make([f"O={build}", "x86_64_defconfig"], cwd=source)
    run([source / "scripts/kconfig/merge_config.sh", "-m", "-O", build, build / ".config", *FRAGMENTS], cwd=build)
    make([f"O={build}", "olddefconfig"], cwd=source)
    config_seconds = time.monotonic() - start
    seconds, _ = make([f"O={build}", "-j" + jobs, "bzImage"], cwd=source)
    results.add("cold-build-defconfig", [seconds], note=f"x86_64_defconfig + fragments: {count_objects(build)} objects", group="cold")
    results.add("cold-config-defconfig", [config_seconds], note="defconfig, merge_config.sh, olddefconfig", group="cold")
    shutil.rmtree(source, ignore_errors=True)
    shutil.rmtree(build, ignore_errors=True)
