"""The result store: bench/results/<date>.json (`Results`), the code each section measures
(`CODE`), whether a figure's code changed since it was measured (`staleness`), and whether two
runs are of the same code and machine, so one may add to the other's file."""

import datetime
import functools
import json
import statistics
import subprocess

from .common import EXPENSIVE, ROOT, git_out, now, say


# The code each section measures. A figure is stale when any of these paths differs between
# the commit it was measured at and the checkout writing the page (committed or not).
# Package.swift is in every list: it sets the optimisation and the libraries linked.
# No list names bench/ itself: a figure measures patchcheck's code, not the bench's. So the
# split of the one-file bench/run into this package (issue 29) left every figure's staleness,
# and the page written from an existing results file, as they were.
_GIT = ["Sources/PatchCheckKit/Git", "Package.swift"]
_APPLY = ["Sources/PatchCheckKit/Apply", "Sources/PatchCheckKit/Series", "Sources/PatchCheckKit/Pipeline/BackportMatrix.swift",
          "Sources/PatchCheckKit/Pipeline/BackportMatrix+Text.swift", "Sources/patchcheck/Subcommands/ApplyCommand.swift",
          "Sources/PatchCheckKit/Tree/TreeCheckout.swift", "Sources/patchcheck/Subcommands/TreeCommand.swift"] + _GIT
_PIPELINE = ["Sources", "Package.swift", "kernel-configs", "scenarios", "patches", "guest"]
CODE = {
    "analyzer": ["Sources/PatchCheckKit/Console", "Sources/PatchCheckKit/Base/VisibleText.swift",
                 "Sources/PatchCheckKit/Guest/RunnerScript.swift", "Sources/PatchCheckKit/Guest/LockWitnessProgram.swift",
                 "Sources/patchcheck/Subcommands/AnalyzeCommand.swift", "Package.swift"],
    "disk": ["Sources/PatchCheckKit/Tree", "Sources/PatchCheckKit/Kernel", "kernel-configs"] + _GIT,
    "apply": _APPLY,
    "series": _APPLY,
    "worktree": ["Sources/PatchCheckKit/Tree/TreeCheckout.swift", "Sources/patchcheck/Subcommands/TreeCommand.swift"] + _GIT,
    "import": ["Sources/PatchCheckKit/Tree", "Sources/patchcheck/Subcommands/TreeCommand.swift"] + _GIT,
}
# The ci and bisect commands' own code runs only in the tag step (ci); the other pipeline
# sections run apply-and-boot and review, so a change there does not make their figures stale.
_NOT_CI = [":(exclude)Sources/patchcheck/Subcommands/CICommand.swift", ":(exclude)Sources/patchcheck/Subcommands/BisectCommand.swift",
           ":(exclude)Sources/PatchCheckKit/CI/CIRunner.swift", ":(exclude)Sources/PatchCheckKit/CI/WorkflowEmitter.swift"]
for _section in EXPENSIVE:
    CODE[_section] = _PIPELINE if _section == "tagstep" else _PIPELINE + _NOT_CI
CODE["memory"] = _PIPELINE + _NOT_CI  # the peak RSS of apply-and-boot, measured by warm and cold
# The races boot with --no-lock-witness: the witness's own code is not what they measure.
CODE["races"] = CODE["races"] + [":(exclude)guest/witness.sh", ":(exclude)Sources/PatchCheckKit/Guest/LockWitnessProgram.swift",
                                 ":(exclude)Sources/PatchCheckKit/Console/LockWitness.swift"]


# What bench/first-run times: the pipeline, and the scripts a fresh machine runs first.
FIRST_RUN_CODE = _PIPELINE + _NOT_CI + ["scripts/setup.sh", "scripts/run.sh"]  # scripts/run.sh runs no ci or bisect


def code_changed(paths, since=None):
    """Whether `paths` differ between `since` (default HEAD) and the working tree."""
    return subprocess.run(["git", "-C", ROOT, "diff", "--quiet", since or "HEAD", "--", *paths]).returncode != 0


def run_files(results_dir):
    """bench/run's results files, oldest first: those named by their date (real-series.json,
    bench/real-series's, sits beside them and is not one)."""
    return sorted(results_dir.glob("[0-9][0-9][0-9][0-9]-*.json"))


def code_of(group):
    """The paths a figure of `group` measures (a group with no entry: the whole pipeline)."""
    return CODE.get(group, _PIPELINE)


@functools.lru_cache(maxsize=None)
def same_section_code(a, b, group):
    """Whether commits a and b hold the same code for a figure of `group` (its CODE paths)."""
    paths = code_of(group)
    return bool(a and b) and subprocess.run(["git", "-C", ROOT, "diff", "--quiet", a, b, "--", *paths]).returncode == 0


def current_at(data, commit):
    """Whether every figure in a results file is measured on the code `commit` holds for its
    section: then a run at `commit` may add to the file, and a page from it is of one code
    state per section."""
    return all(same_section_code(f.get("commit"), commit, f.get("group") or "") for f in data.get("figures", {}).values())


MACHINE_KEYS = ("cpus", "cpu", "memory_gib", "os", "host_kernel")


def tool_versions(machine):
    """The tools' versions of a run's machine facts: all but patchcheck's, which is the code."""
    return {k: v for k, v in (machine.get("versions") or {}).items() if k != "patchcheck"}


def other_machine(a, b):
    """What differs between two runs' machine facts: CPUs, memory, OS and the running kernel
    (a session's machine is a new virtual machine, whose kernel build differs) and the tools'
    versions; empty when they name the same machine."""
    facts = [f"{k} {a.get(k)} against {b.get(k)}" for k in MACHINE_KEYS if a.get(k) != b.get(k)]
    va, vb = tool_versions(a), tool_versions(b)
    facts += [f"{k} {va.get(k)} against {vb.get(k)}" for k in sorted(set(va) | set(vb)) if va.get(k) != vb.get(k)]
    return ", ".join(facts)


def same_machine(a, b):
    return not other_machine(a, b)


class Results:
    """bench/results/<date>.json, rewritten after every figure. Each figure carries the
    commit it was measured at and whether its section's code had uncommitted changes.

    A run adds to the newest results file when every figure in it was measured on the code
    this checkout holds for the figure's section (no CODE path of it differs, nothing
    uncommitted) and the file was written on the same machine (`same_machine`): the sections may be measured in turn, by
    runs of the same code on the machine, as long as they all fit on it. Any other run starts
    bench/results/<today>.json afresh: a working session's machine is new each time, and the
    same code measured on two of them differed by 2.3x (the cold build of 1,268 objects into
    an empty ccache, 460 s on 2026-12-03 and 197 s on 2026-12-04), so figures of two machines
    on one page would not compare like with like."""

    def __init__(self, results_dir, machine, commit):
        self.commit = commit
        self.path = results_dir / f"{datetime.date.today().isoformat()}.json"
        self.data = {"machine": machine, "commit": commit, "started": now(), "figures": {}, "runs": []}
        files = run_files(results_dir)
        if files:
            old_path = files[-1]
            old = json.loads(old_path.read_text())
            other = not same_machine(old.get("machine") or {}, machine)
            dirty_figures = any(f.get("dirty") for f in old.get("figures", {}).values())
            if old.get("commit") and current_at(old, commit) and not machine.get("dirty") and not dirty_figures and not other:
                self.path = old_path
                self.data = old
                self.data.setdefault("runs", [{"commit": old.get("commit"), "started": old.get("started")}])
                # Every figure in it holds for this commit's code: the page names this one.
                self.data["commit"] = commit
                say(f"adding to {old_path.name}: every figure in it was measured on the code this commit holds for its section, "
                    "same machine, clean tree")
            else:
                if self.path.exists():
                    # Today's file holds another code state's figures: keep it, and sort after it.
                    self.path = results_dir / f"{datetime.datetime.now().strftime('%Y-%m-%dT%H%M')}.json"
                why = ("this checkout has uncommitted changes" if machine.get("dirty")
                       else "some of its figures were measured with uncommitted changes" if dirty_figures
                       else f"it was written on another machine ({other_machine(old.get('machine') or {}, machine)})" if other
                       else f"{commit[:12]}'s code differs for some of its figures")
                say(f"starting {self.path.name}: not adding to {old_path.name} (last run at {str(old.get('commit'))[:12]}): {why}")
        self.data["runs"].append({"commit": commit, "started": now(), "load_at_start": machine.get("load_at_start")})
        self.save()

    def _stamp(self, section):
        return {"commit": self.commit, "dirty": code_changed(code_of(section)), "measured": now()}

    def add(self, name, samples, unit="s", note="", group="", state=False):
        samples = [round(s, 3) for s in samples if s is not None]
        if not samples:
            return
        figure = {"unit": unit, "samples": samples, "min": min(samples), "max": max(samples),
                  "median": statistics.median(samples), "n": len(samples), "note": note, "group": group}
        if state:
            figure["state"] = True  # a reading, not a timing: one sample is the figure
        figure.update(self._stamp(group))
        self.data["figures"][name] = figure
        self.save()
        say(f"{name}: median {figure['median']} {unit} (n={len(samples)}, min {figure['min']}) {note}")

    def skip(self, name, why, group=""):
        if self.get(name) is not None:
            # A run that could not measure it again (a missing input, say) keeps what an
            # earlier run of the same measured code did measure.
            return say(f"{name}: not measured again ({' '.join(why.split())}); keeping the figure measured "
                       f"{self.data['figures'][name].get('measured')}")
        figure = {"unit": "", "samples": [], "n": 0, "note": " ".join(why.split()), "group": group, "skipped": True}
        figure.update(self._stamp(group))
        self.data["figures"][name] = figure
        self.save()
        say(f"{name}: skipped: {why}")

    def get(self, name, key="median"):
        figure = self.data["figures"].get(name)
        return figure.get(key) if figure and figure.get("n") else None

    def save(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.data, indent=2) + "\n")
        tmp.replace(self.path)


def staleness(figure, group, paths=None):
    """'' when the figure's code (`paths`, default its group's) is as it was measured; else why not."""
    paths = paths or code_of(group)
    commit = figure.get("commit")
    notes = []
    if figure.get("dirty"):
        notes.append("measured with uncommitted changes to its code")
    if commit and code_changed(paths, commit):
        since = git_out("log", "--format=%h", f"{commit}..HEAD", "--", *paths).split()
        if since:
            notes.append(f"stale: its code changed since, in {', '.join(since[:3])}{' …' if len(since) > 3 else ''}")
        if code_changed(paths):
            notes.append("stale: its code has uncommitted changes")
    return "; ".join(notes)
