"""The sections that build and boot with a warm cache folder: warm (start to verdict, by
phase), switch (the rebuild after switching series), hang (from a hang to its report), review,
witness (what the lock-order witness costs), races (the host-driven races, boot after boot)
and tagstep (ci over two adjacent tags)."""

import collections
import json
import re
from pathlib import Path

from .common import samples_wanted, say
from .tool import ALL_SIX, apply_and_boot, report_of, tool


PHASES = ["apply", "checkout", "configure", "build", "initramfs", "boot", "analysis", "total"]


def bench_warm(results, args, tmp):
    """Start to verdict with the build folder warm, all six scenarios, v9 (its race deadlocks:
    the FAIL path) and v10, by phase; patchcheck's and QEMU's peak RSS."""
    for label, series in (("v9", args.series), ("v10", args.series_v10)):
        say(f"warm-up run of {label} (builds what the folder lacks)")
        apply_and_boot(args, series, tmp / f"warm-up-{label}")
        phases = {p: [] for p in PHASES}
        rss, qemu, verdicts, to_runner = [], [], set(), []
        i = 0
        while i < (samples_wanted(max(phases["total"]), args) if phases["total"] else 1):
            watch, report = apply_and_boot(args, series, tmp / f"warm-{label}-{i}")
            verdicts.add(report["verdict"])
            for p in PHASES:
                if p in report.get("phases", {}):
                    phases[p].append(report["phases"][p])
            boot = report.get("boot") or {}
            if boot.get("secondsToRunner") is not None:
                to_runner.append(boot["secondsToRunner"])
            rss.append(watch.peak_mib)
            qemu.append(watch.qemu_mib or None)
            i += 1
        what = f"{Path(series).name}, all six scenarios, verdict {'/'.join(sorted(verdicts))}"
        for p in PHASES:
            results.add(f"warm-{label}-{p}", phases[p], note=what if p == "total" else "", group="warm")
        results.add(f"boot-to-first-scenario-{label}", to_runner, note="kernel start to the runner's first scenario", group="warm")
        results.add(f"peak-rss-warm-{label}", rss, unit="MiB", note="patchcheck's own VmHWM", group="memory")
        results.add(f"peak-rss-qemu-{label}", qemu, unit="MiB", note="QEMU's VmHWM (guest -m included as it is touched)",
                    group="memory")


def bench_switch(results, args, tmp):
    """A rebuild after switching series: v9 then v10 then v9 in the same build folder, each
    build phase timed (what make rebuilds for the other series' files)."""
    apply_and_boot(args, args.series, tmp / "switch-warm-up", scenarios="numvfs")
    to_v10, to_v9 = [], []
    i = 0
    while i < (samples_wanted(max(to_v10), args) if to_v10 else 1):
        _, report = apply_and_boot(args, args.series_v10, tmp / f"switch-v10-{i}", scenarios="numvfs")
        to_v10.append(report["phases"]["build"])
        objects = (report.get("build") or {}).get("objects")
        _, report = apply_and_boot(args, args.series, tmp / f"switch-v9-{i}", scenarios="numvfs")
        to_v9.append(report["phases"]["build"])
        i += 1
    results.add("switch-build-to-v10", to_v10, note=f"build phase, v9's build folder to v10: {objects} objects", group="switch")
    results.add("switch-build-to-v9", to_v9, note="and back", group="switch")


# The race scenarios print this, with the guest's uptime, as the second racer starts its
# write (RunnerScript.racerMarker): the moment a deadlock can begin.
RACER_MARKER = "patchcheck-runner: second racer writes at "


def hang_start_to_report(text):
    """Guest seconds from the second racer's start to the first hung-task report: the last
    racer marker before that report's line, and the report's printk time. None when either is
    missing."""
    report = re.search(r"^\[\s*(\d+\.\d+)\] INFO: task \S+ blocked for more than \d+ seconds", text, re.M)
    if not report:
        return None
    starts = re.findall(re.escape(RACER_MARKER) + r"(\d+(?:\.\d+)?)", text[:report.start()])
    if not starts:
        return None
    return float(report.group(1)) - float(starts[-1])


def bench_hang(results, args, tmp):
    """From a hang to its report: v9's race-numvfs-remove deadlocks. The kernel's part is
    timed in the guest, from the second racer's start (the runner's marker, with the guest's
    uptime) to the hung-task report's printk time; the host's part is from that line reaching
    console.log to patchcheck's exit with the verdict."""
    kernel, host, total, period, misses = [], [], [], [], []
    i = 0
    # The race is not won every time: a run without a hung-task report is counted, not timed,
    # and the runs go on until enough have a report (at most twice the samples wanted).
    while len(total) < (samples_wanted(max(total), args) if total else 1) and i < 2 * max(samples_wanted(0, args), 3):
        out = tmp / f"hang-{i}"
        watch, report = apply_and_boot(args, args.series, out, scenarios="race-numvfs-remove", marker="INFO: task ")
        text = (out / "console.log").read_text(errors="replace")
        blocked = re.search(r"INFO: task \S+ blocked for more than (\d+) seconds", text)
        started = hang_start_to_report(text)
        i += 1
        if not blocked or watch.marker_at is None or started is None:
            misses.append(f"run {i}: verdict {report.get('verdict')}" + ("" if started is not None or not blocked else ", no racer marker"))
            continue
        kernel.append(started)
        period.append(float(blocked.group(1)))
        host.append(watch.seconds - watch.marker_at)
        total.append(kernel[-1] + host[-1])
    if not total:
        return results.skip("hang-to-report", f"no hung-task report in {i} runs ({'; '.join(misses)})", "hang")
    seen = f"a report in {len(total)} of {i} runs" + (f" ({'; '.join(misses)})" if misses else "")
    results.add("hang-to-report", total, note=f"v9, race-numvfs-remove: the second racer's start to the verdict; {seen}", group="hang")
    results.add("hang-kernel-part", kernel, note="guest time from the second racer's start to the hung-task report", group="hang")
    results.add("hang-kernel-period", period, note="the report's 'blocked for more than N seconds'", group="hang")
    results.add("hang-report-to-verdict", host, note="the report's line in console.log to patchcheck's exit", group="hang")


def bench_review(results, args, tmp):
    """A warm `patchcheck review` of v9 and of v10 with the default budget (base, each prefix,
    every scenario in a boot of its own, races repeated until clear or the budget is spent):
    the whole command, its boots, and what it found. Warm: the bench's cache folder as left
    by the sections before (a --home that has built these kernels has their objects in
    ccache). A review takes 10-20 minutes, so --review-samples (default 1) caps the samples,
    and the page says n."""
    for name, series in (("v9", args.series), ("v10", args.series_v10)):
        seconds, boots, notes = [], [], []
        i = 0
        while i < samples_wanted(max(seconds) if seconds else 0, args, cap=args.review_samples):
            out = tmp / f"review-{name}-{i}"
            extra = ["--max-boots", str(args.review_boots)] if args.review_boots else []
            s, _ = tool("review", "--series", series, "--accel", "auto", *extra, "--out", out, "--json", check=False)
            review = json.loads((Path(out) / "review.json").read_text())
            seconds.append(s)
            count = sum(len(run.get("boots", [])) for run in review.get("runs", []))
            boots.append(count)
            labels = collections.Counter(f["label"] for f in review.get("findings", []))
            notes.append(f"{count} boots, stopped: {review.get('stopped', '?')}, findings: "
                         + (", ".join(f"{n} {label}" for label, n in sorted(labels.items())) or "none"))
            i += 1
        results.add(f"review-{name}-total", seconds, note=f"warm review of {Path(series).name}, default budget; " + "; ".join(notes),
                    group="review")
        results.add(f"review-{name}-per-boot", [s / max(b, 1) for s, b in zip(seconds, boots)], note=f"boots: {boots}",
                    group="review")


def bench_witness(results, args, tmp):
    """What the lock-order witness costs: the same warm run with and without it, interleaved
    (same build, same scenarios), boot phase and the scenarios' own time."""
    common = ["apply-and-boot", "--series", args.series, "--scenarios", args.scenarios, "--accel", "auto", "--json"]
    tool(*common, "--out", tmp / "witness-warm-up", check=False)
    sides = {"on": [], "off": []}
    scen = {"on": [], "off": []}
    i = 0
    while i < (samples_wanted(max([s for s in sides["on"] + sides["off"] if s] or [0]), args) if sides["on"] else 1):
        for side, extra in (("on", []), ("off", ["--no-lock-witness"])):
            out = tmp / f"witness-{side}-{i}"
            tool(*common, *extra, "--out", out, check=False)
            report = report_of(out)
            boot = report.get("boot") or {}
            sides[side].append(report.get("phases", {}).get("boot"))
            if boot.get("secondsToRunner") is not None:
                scen[side].append(report["phases"]["boot"] - boot["secondsToRunner"])
        i += 1
    what = f"{Path(args.series).name}, {args.scenarios}"
    results.add("witness-boot-on", sides["on"], note=f"boot phase with the lock-order witness, {what}", group="witness")
    results.add("witness-boot-off", sides["off"], note="the same with --no-lock-witness", group="witness")
    results.add("witness-scenarios-on", scen["on"], note="runner start to QEMU exit, witness on", group="witness")
    results.add("witness-scenarios-off", scen["off"], note="runner start to QEMU exit, witness off", group="witness")
    # The two runs of each round side by side: the machine's speed drifts over a run of ten
    # boots (a whole boot's time moved by 30% on 2026-12-06), each round's ratio less so.
    pairs = [on / off for on, off in zip(sides["on"], sides["off"]) if on and off]
    results.add("witness-boot-ratio", pairs, unit="x", note="each round's boot phase with the witness over the one without",
                group="witness")


def bench_clock(results, args, tmp):
    """The guest's clock under TCG side by side: virtual (the default, QEMU's icount with idle
    time skipped; the vCPUs take turns on one thread) and host (multi-threaded TCG, the host's
    time), interleaved on the same builds: v10 with all six scenarios (the kernel's own waits
    and the races) and v9's two witness scenarios with the witness on (what computes). Boot
    phase of each run, and each run's verdict."""
    cases = (("v10-six", args.series_v10, ALL_SIX), ("v9-witness", args.series, args.scenarios))
    for label, series, scenarios in cases:
        common = ["apply-and-boot", "--series", series, "--scenarios", scenarios, "--accel", "auto", "--json"]
        tool(*common, "--out", tmp / f"clock-{label}-warm-up", check=False)
        sides = {"virtual": [], "host": []}
        verdicts = {"virtual": set(), "host": set()}
        i = 0
        while i < (samples_wanted(max([s for s in sides["host"] if s] or [0]), args) if sides["host"] else 1):
            for side in sides:
                out = tmp / f"clock-{label}-{side}-{i}"
                tool(*common, "--guest-clock", side, "--out", out, check=False)
                report = report_of(out)
                sides[side].append(report.get("phases", {}).get("boot"))
                verdicts[side].add(report.get("verdict"))
            i += 1
        for side, values in sides.items():
            results.add(f"clock-{label}-{side}", values,
                        note=f"boot phase, --guest-clock {side}: {Path(series).name}, {scenarios}, "
                             f"verdict {'/'.join(sorted(v for v in verdicts[side] if v))}",
                        group="clock")


def bench_races(results, args, tmp):
    """The host-driven races on the tree, --race-boots boots each of v10 (ten iterations a
    boot, no witness, --strict: the verdict is what the boot shows): a fatal AER error on the
    PF's root port during the PF's remove, and the PF's hot-removal through pciehp during
    sriov_numvfs writes. Each boot's seconds, its verdict and how its race ended."""
    for race in ("aer-race", "hotplug-race"):
        seconds, verdicts, ends = [], collections.Counter(), collections.Counter()
        for i in range(args.race_boots):
            out = tmp / f"{race}-{i}"
            tool("apply-and-boot", "--series", args.series_v10, "--base", args.tag, "--scenarios", race, "--iterations", "10",
                 "--no-lock-witness", "--strict", "--accel", "auto", "--json", "--out", out, check=False)
            report = report_of(out)
            verdicts[report["verdict"]] += 1
            seconds.append(report.get("phases", {}).get("boot"))
            ends[race_end(report)] += 1
        tally = ", ".join(f"{n} {v}" for v, n in sorted(verdicts.items()))
        how = "; ".join(f"{n}x {end}" for end, n in ends.most_common())
        results.add(f"race-{race}-boot", seconds, note=f"{args.race_boots} boots of v10 on {args.tag}: {tally}; {how}",
                    group="races")


def race_end(report):
    """How a race's boot ended: the iteration that did not pass (blocked: a deadlock the runner
    saw, or failed) and the kernel's hang reports, or every iteration passed."""
    scenario = (report.get("scenarios") or [{}])[0]
    steps = [s for s in scenario.get("steps", []) if s.get("name", "").startswith("iteration ")]
    hangs = " and ".join(sorted({s["title"] for s in report.get("splats", []) if s.get("kind") == "hung-task"}))
    if not steps:
        return f"no iteration ran ({report.get('verdict')}: {report.get('reason', '')[:80]})"
    stuck = next((i for i, s in enumerate(steps, 1) if s.get("result") != "pass"), None)
    if stuck is None:
        return f"all {len(steps)} iterations passed" + (f", then {hangs}" if hangs else "")
    result = steps[stuck - 1].get("result", "?")
    how = "blocked" if result == "timeout" else result
    return f"{how} in iteration {stuck}" + (f": {hangs}" if hangs else ", no hang report")


def bench_tagstep(results, args, tmp):
    """ci over two adjacent tags: the build folder at the first, then a step to the second
    with ccache off (what a new tag costs: nothing of it is in ccache yet), then back with
    ccache on (every object of the first tag is in ccache). Each step records into a
    database of its own, so none is answered from an earlier step's record: at e0e400e
    `ci --force` did not reach the runner, and the way back returned the warm-up's record."""
    first, second = args.tag_pair.split(",")
    steps = {}
    for label, tag, env in [("warm-up", first, {}), ("step", second, {"CCACHE_DISABLE": "1"}), ("back", first, {})]:
        _, done = tool("ci", "--tags", tag, "--series", args.series, "--scenarios", "numvfs", "--accel", "auto",
                       "--db", tmp / f"tagstep-{label}.sqlite", "--out", tmp / f"ci-{label}", "--force", "--json", env=env,
                       check=False)
        outcomes = json.loads(done.stdout) if done.stdout.strip() else []
        if not outcomes or outcomes[0].get("filesChanged") is None:
            raise RuntimeError(f"ci on {tag} gave no outcome: {(done.stderr or '')[-300:]}")
        if outcomes[0].get("recorded"):
            raise RuntimeError(f"ci on {tag} answered from its database instead of running: {outcomes[0]}")
        steps[label] = outcomes[0]
    step, back = steps["step"], steps["back"]
    pair = f"{first} -> {second}"
    results.add("tagstep-files", [step["filesChanged"]], unit="files", note=f"{pair}: files the checkout rewrote", group="tagstep")
    results.add("tagstep-objects", [step.get("objects") or 0], unit="objects", note="objects make rebuilt", group="tagstep")
    results.add("tagstep-build", [step.get("buildSeconds") or 0], note="incremental build, ccache off", group="tagstep")
    results.add("tagstep-total", [step.get("seconds") or 0], note=f"apply, build, boot, judge on {second}, verdict {step['verdict']}", group="tagstep")
    results.add("tagstep-back-build", [back.get("buildSeconds") or 0],
                note=f"{second} -> {first} with ccache holding {first}: {back.get('objects')} objects", group="tagstep")
