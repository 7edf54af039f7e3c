"""The page: docs/performance.md written from one results file (`write_page`): the machine,
the versions, the goals of issue 16, every figure with its commit and what bounds it, the first
run on a fresh machine, and bench/why.md's reading."""

import json
import sys

from .common import ROOT, say
from .results import FIRST_RUN_CODE, current_at, staleness, tool_versions


GOALS = [
    # what, ours, theirs (None: an absolute bound), bound, kind, where bench/why.md reads it
    ("apply + checkout vs git am, both to a tree ready to build", "apply-to-tree-patchcheck", "apply-to-tree-git-am", 1.0, "ratio",
     "Apply, like for like"),
    ("import to a buildable tree vs tar + git add -A + commit", "import-to-tree-patchcheck", "import-to-tree-git", 1.0, "ratio",
     "Import, like for like"),
    ("first verdict on a fresh machine", "fresh-total", None, 900.0, "seconds", "Fresh machine"),
    ("warm run, all six scenarios, v10", "warm-v10-total", None, 60.0, "seconds", "Warm runs"),
    ("lock-order witness: v9's numvfs and pf-remove, boot with it vs without (issue 30)", "witness-boot-on", "witness-boot-off", 1.2,
     "ratio", "Lock-order witness"),
    ("warm review of v9, default budget (issue 13)", "review-v9-total", None, 600.0, "seconds", "Review"),
    ("warm review of v10, default budget (issue 13)", "review-v10-total", None, 900.0, "seconds", "Review"),
    ("analyzer throughput (the whole analyze command)", "analyze-throughput", None, 50.0, "at least", "Analyzer"),
    ("cold build vs virtme-ng's config", "cold-build-patchcheck", "cold-build-vng", 0.4, "ratio", "Cold build"),
    ("cold build vs x86_64_defconfig", "cold-build-patchcheck", "cold-build-defconfig", 0.25, "ratio", "Cold build"),
]

# What bounds each figure, and the figure of the same run that measures the bound (if any).
BOUNDS = {
    "apply-to-tree-patchcheck": ("any checkout's stat of the ~96,000 files against the index", "worktree-stat"),
    "apply-to-tree-git-am": ("the same stat", "worktree-stat"),
    "apply-checkout-patchcheck": ("the same stat", "worktree-stat"),
    "import-to-tree-patchcheck": ("unpacking the tarball and writing every file (tar -x)", "import-tar"),
    "import-to-tree-git": ("tar -x, which it includes", "import-tar"),
    "worktree-patchcheck": ("writing every file: tar -x writes the same files", "import-tar"),
    "worktree-git": ("the same", "import-tar"),
    "analyze-throughput": ("one pass over the bytes: grep -F for the header literals", "grep-throughput"),
    "grep-throughput": ("reading the bytes", "read-throughput"),
    "series-1-patchcheck": ("the stat of the worktree", "worktree-stat"),
    "series-10-patchcheck": ("the stat of the worktree", "worktree-stat"),
    "series-50-patchcheck": ("the stat of the worktree", "worktree-stat"),
    "fresh-total": ("the download, tar -x, the cold build (compile time per object x objects / 2 cores) and the TCG boot", None),
    "warm-v9-total": ("the TCG boot, the scenarios' own waits and the guest's hung-task period (the race's report)", None),
    "warm-v10-total": ("the TCG boot and the scenarios' own waits", "boot-to-first-scenario-v10"),
    "warm-v9-build": ("make's walk of an unchanged tree (no object to compile)", None),
    "warm-v10-build": ("make's walk of an unchanged tree (no object to compile)", None),
    "switch-build-to-v10": ("compile time per object of the files the series touch, and the relinks", None),
    "hang-to-report": ("the guest's hung-task period (hung_task_timeout_secs, checked every second)", "hang-kernel-period"),
    "cold-build-patchcheck": ("compile time per object x objects / 2 cores, plus objtool and three vmlinux links", None),
}

GROUPS = ["analyzer", "disk", "apply", "series", "worktree", "import", "warm", "switch", "hang", "review", "witness", "clock", "races",
          "tagstep", "fresh", "cold", "boot", "memory"]


def fmt(value, unit):
    if value is None:
        return "–"
    if unit == "s":
        return f"{value / 60:.1f} min" if value >= 120 else f"{value:.2f} s" if value < 10 else f"{value:.1f} s"
    if unit in ("MiB", "MB/s"):
        return f"{value:,.0f} {unit}" if value >= 10 else f"{value:.2f} {unit}"
    return f"{value:g} {unit}"


FIRST_RUN = ROOT / "bench" / "results" / "first-run"


FIRST_RUN_STEPS = {
    "setup": "scripts/setup.sh: the backports suites, QEMU, libgit2, the build tools, busybox (apt)",
    "swift-build": "swift build -c release, from a checkout with no .build folder",
    "import": "tree import --debian 7.3 into an empty ~/.cache/patchcheck (download and import)",
    "apply-and-boot": "apply-and-boot: checkout, configure, the cold build, boot, analysis",
}


def first_run_lines():
    """The README's main job on a machine that had none of it (bench/first-run): one reading,
    shown with its own commit and whether its code changed since; never merged into the
    figures above, which come from one results file."""
    head = ["## The first run on a fresh machine (bench/first-run)", ""]
    found = sorted(FIRST_RUN.glob("*.json"))
    if not found:
        return head + ["Not measured: `bench/first-run` times it on a machine with none of patchcheck's tools yet.", ""]
    r = json.loads(found[-1].read_text())
    stale = staleness(r, "first-run", FIRST_RUN_CODE)
    m = r.get("machine", {})
    lines = head + [
        f"`bench/results/first-run/{found[-1].name}`, measured {r.get('measured')} at `{r['commit']}`"
        f"{' (' + stale + ')' if stale else ''}, on {m.get('cpus')} CPUs, {m.get('memory_gib')} GiB, "
        f"{m.get('kvm')}. One reading: only a machine that has none of it can give it, once. The steps of "
        f"`scripts/run.sh`, with {r.get('series')} and the scenarios {r.get('scenarios')} (the fresh section's).",
        "", "| step | time | what |", "|---|---|---|"]
    for step, seconds in r.get("steps_seconds", {}).items():
        code = r.get("exits", {}).get(step)
        exit_note = "" if code in (0, None) else f" (exit {code}: the verdict)" if step == "apply-and-boot" else f" (exit {code})"
        lines.append(f"| {step} | {fmt(seconds, 's')}{exit_note} | {FIRST_RUN_STEPS.get(step, '')} |")
    for phase, seconds in (r.get("phases") or {}).items():
        if phase != "total":
            lines.append(f"| · {phase} | {fmt(seconds, 's')} | apply-and-boot's own phase |")
    total = r.get("total_seconds")
    lines.append(f"| **total** | **{fmt(total, 's')}** | to the verdict {r.get('verdict')} |")
    if total is not None:
        tools_first = sum(v for k, v in r.get("steps_seconds", {}).items() if k in ("setup", "swift-build"))
        lines += ["", f"Against the 15-minute goal: {fmt(total, 's')} counting the tools' installation and patchcheck's "
                      f"build, {fmt(total - tools_first, 's')} from an installed patchcheck (the fresh section's starting "
                      "point)."]
    return lines + [""]


def runs_on_page(data):
    """The runs a results file's figures come from, oldest first, each with how many figures
    it gave; a run whose figures were all measured again by a later run gave none and is left
    out (the count of those is returned with them). A figure belongs to the last run started
    at or before it was measured."""
    runs = [dict(r) for r in (data.get("runs") or [{"commit": data.get("commit"), "started": data.get("started")}])]
    for run in runs:
        run["figures"] = 0
    for figure in data["figures"].values():
        if figure.get("skipped"):
            continue  # "not measured", not a figure of the run
        owner = runs[0]
        for run in runs:
            if str(run.get("started") or "") <= str(figure.get("measured") or ""):
                owner = run
        owner["figures"] += 1
    kept = [r for r in runs if r["figures"]] or runs[:1]
    return kept, len(runs) - len(kept)


def write_page(results, page, why_file):
    data = results.data
    m = data["machine"]
    figures = data["figures"]
    commits = {f.get("commit") for f in figures.values()}
    commit = data["commit"]
    if None in commits or not current_at(data, commit):
        sys.exit(f"bench/run: {results.path.name} holds figures of {len(commits)} commits ({', '.join(str(c)[:12] for c in commits)}) "
                 "whose measured code differs: a page is written from one code state only")
    dirty = " with uncommitted changes" if m.get("dirty") else ""
    runs, replaced = runs_on_page(data)
    if len(runs) == 1:
        origin = f"one run, at commit `{str(runs[0].get('commit'))[:12]}`{dirty}, started {runs[0].get('started', '?')} (load {runs[0].get('load_at_start', '?')})"
    else:
        origin = (f"{len(runs)} runs, each figure's section code the same at every run's commit: "
                  + "; ".join(f"`{str(r.get('commit'))[:12]}` started {r.get('started', '?')} (load {r.get('load_at_start', '?')}, "
                              f"{r['figures']} figure{'' if r['figures'] == 1 else 's'})" for r in runs))
    if replaced:
        origin += (f"; {replaced} other run{'s' if replaced > 1 else ''} into this file, none of whose figures is left, "
                   "not listed")
    lines = [
        "# Performance",
        "",
        f"Written by `bench/run` from `bench/results/{results.path.name}`: {origin}. Do not edit by hand (the reading below "
        "the tables is `bench/why.md`). A figure no run measured says so; none is carried over from other code.",
        "",
        f"Machine: {m['cpus']} × {m['cpu']}, {m['memory_gib']} GiB, {m['os']}, host kernel {m['host_kernel']}, {m['kvm']}. "
        "Load average at each run's start: above (the machine is shared: another engineer's builds and boots "
        "may run at the same time, so the spread between samples is part of the figure).",
        "",
        "| tool | version |",
        "|---|---|",
    ]
    # patchcheck's own commit is each run's, named above.
    lines += [f"| {k} | {v} |" for k, v in tool_versions(m).items()]
    lines += ["", "## Goals (issue 16)", "", "| goal | patchcheck | peer | ratio | goal | result |", "|---|---|---|---|---|---|"]
    for what, ours, theirs, bound, kind, reading in GOALS:
        a = results.get(ours)
        b = results.get(theirs) if theirs else None
        unit = figures.get(ours, {}).get("unit", "s")
        shown_bound = f"≤ {bound:g}x" if kind == "ratio" else f"≥ {bound:g} MB/s" if kind == "at least" else f"≤ {fmt(bound, 's')}"
        if a is None or (theirs and b is None):
            lines.append(f"| {what} | {fmt(a, unit)} | {fmt(b, 's')} | – | {shown_bound} | not measured in this run |")
            continue
        stale = staleness(figures[ours], figures[ours].get("group", "")) or (
            staleness(figures[theirs], figures[theirs].get("group", "")) if theirs else "")
        if kind == "ratio":
            value = a / b
            met = value <= bound
            result = "met" if met else f"missed: {value / bound:.2f}x the goal"
        elif kind == "at least":
            value, met = a, a >= bound
            result = "met" if met else f"missed: {a / bound:.2f}x the goal"
        else:
            value, met = a, a <= bound
            result = "met" if met else f"missed by {fmt(a - bound, 's')}"
        if not met:
            result += f": the reason measured is under **{reading}** below"
        if stale:
            result += f" ({stale})"
        shown = f"{value:.2f}x" if kind == "ratio" else "–"
        lines.append(f"| {what} | {fmt(a, unit)} | {fmt(b, 's') if theirs else '–'} | {shown} | {shown_bound} | {result} |")
    lines += ["", "Medians. A ratio is patchcheck's median over the peer's, both from this run, both ending in the same state.", ""]

    groups = {}
    for name, figure in figures.items():
        groups.setdefault(figure.get("group") or "other", []).append((name, figure))
    lines += first_run_lines()
    lines += ["## Every figure", "",
              "| figure | median | min – max | n | state | what | bounded by |", "|---|---|---|---|---|---|---|"]
    for group in GROUPS + sorted(set(groups) - set(GROUPS)):
        items = groups.get(group, [])
        if not items:
            if group != "memory":
                lines.append(f"| **{group}** | – | – | 0 | not measured in this run | `bench/run --only {group}` | |")
            continue
        for name, f in items:
            if f.get("skipped"):
                lines.append(f"| {name} | – | – | 0 | not measured: {f['note']} | | |")
                continue
            state = staleness(f, group) or f"measured at `{str(f.get('commit'))[:12]}`"
            if not f.get("state") and f["n"] < 3 or (f["n"] < 5 and f["median"] < 60 and f["unit"] == "s"):
                state += f"; n={f['n']}, fewer than the rule asks"
            bound, ref = BOUNDS.get(name, ("", None))
            if ref and results.get(ref) is not None and f.get("median"):
                ratio = f["median"] / results.get(ref)
                bound += f" ({ref}: {fmt(results.get(ref), figures[ref]['unit'])}; this is {ratio:.2f}x it)"
            spread = f"{fmt(f['min'], f['unit'])} – {fmt(f['max'], f['unit'])}" if f.get("max") is not None else fmt(f["min"], f["unit"])
            lines.append(f"| {name} | {fmt(f['median'], f['unit'])} | {spread} | {f['n']} | {state} | {f['note']} | {bound} |")
    lines.append("")
    if why_file.exists():
        lines += [why_file.read_text().rstrip(), ""]
    page.write_text("\n".join(lines))
    say(f"wrote {page}")
