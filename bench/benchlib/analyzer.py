"""The analyzer section: `patchcheck analyze` on a long console made of real ones, against one
grep pass and one read over the same bytes."""

import json
import re

from .common import ROOT, SHARED, TOOL, samples_wanted
from .process import run, run_cpu


def syzkaller_bodies(folder):
    """The console text of each file of a syzkaller corpus folder: its header (the expected
    parse) and REPORT sections stripped, as ../shared/tools/syzkaller-score does."""
    bodies = []
    for f in sorted(folder.iterdir(), key=lambda p: p.name):
        if f.name in ("README.md", "INDEX.tsv", "SOURCE") or not f.is_file():
            continue
        raw = f.read_bytes()
        _, body = (b"", raw[1:]) if raw.startswith(b"\n") else raw.split(b"\n\n", 1)
        body = re.split(rb"\n(?:REPORT|TAIL REPORTS):\n", body)[0]
        bodies.append(body if body.endswith(b"\n") else body + b"\n")
    return bodies


BOOTS = ["boot-v7.3.4-clean.log", "boot-v7.3.4-v10-all-scenarios.log", "boot-v7.3.4-clean.log",
         "boot-v7.3.4-v10-all-scenarios.log", "boot-v7.3.4-v9-no-reentrancy.log", "boot-v7.3.4-v9-race-numvfs-remove.log",
         "boot-v7.3.4-v9-no-reentrancy-guess-unwinder.log"]


def make_console(path, target_bytes):
    """A long console made of real ones (see bench/why.md): the test fixtures' QEMU boots of
    7.3.4 in turn (clean and v10 twice as often as the three with reports), each followed by
    one syzkaller console (both corpus halves, in name order), until target_bytes."""
    fixtures = ROOT / "Tests" / "PatchCheckKitTests" / "Fixtures"
    boots = [(fixtures / name).read_bytes() for name in BOOTS]
    corpus = SHARED / "console-corpus"
    reports = syzkaller_bodies(corpus / "syzkaller-train") + syzkaller_bodies(corpus / "syzkaller")
    size = blocks = 0
    with open(path, "wb") as out:
        while size < target_bytes:
            for part in (boots[blocks % len(boots)], reports[blocks % len(reports)]):
                out.write(part)
                size += len(part)
            blocks += 1
    return size, blocks, len(reports)


# Header literals common in consoles; one grep pass over the bytes for them is the floor of
# any analysis that must look at every byte.
GREP_LITERALS = ["BUG:", "WARNING:", "INFO:", "Oops", "cut here", "Kernel panic", "general protection fault",
                 "possible circular locking", "UBSAN:", "KASAN:", "Call Trace:", "KTAP version"]


def bench_analyzer(results, args, tmp):
    """patchcheck analyze (the whole command: read, reports, KTAP, JSON out) on a console of
    --console-mb MB made of real consoles; MB/s; the same on a tenth of it (is it linear?);
    one grep pass and one read over the same bytes as the floor."""
    logs = {}
    for label, mb in (("full", args.console_mb), ("tenth", args.console_mb / 10)):
        path = tmp / f"console-{mb:g}MB.log"
        size, blocks, corpus = make_console(path, int(mb * 1e6))
        logs[label] = (path, size, blocks)
    path, size, blocks = logs["full"]
    mb = size / 1e6

    cpu = []

    def measure(log):
        seconds, cpu_seconds, done = run_cpu([TOOL, "analyze", log, "--json"])
        if log == path:
            cpu.append(cpu_seconds)
        return seconds, json.loads(done.stdout)

    first, found = measure(path)
    samples = [first] + [measure(path)[0] for _ in range(samples_wanted(first, args) - 1)]
    splats = found.get("splats", [])
    reports = sum(s.get("count", 1) for s in splats)
    what = (f"{mb:.1f} MB: {blocks} fixture boots of 7.3.4 each followed by a syzkaller console ({corpus} files in turn); "
            f"{reports} reports under {len(splats)} titles, {len(found.get('scenarios', []))} KTAP scenarios")
    results.add("analyze-seconds", samples, note=what, group="analyzer")
    results.add("analyze-throughput", [mb / s for s in samples], unit="MB/s", note="the whole `patchcheck analyze --json` command",
                group="analyzer")
    results.add("analyze-cpu-throughput", [mb / c for c in cpu], unit="MB/s",
                note="the same per CPU second (user + system): what the code costs, whatever else the machine runs", group="analyzer")
    tenth, tenth_size, _ = logs["tenth"]
    t_first, _ = measure(tenth)
    t_samples = [t_first] + [measure(tenth)[0] for _ in range(samples_wanted(t_first, args) - 1)]
    results.add("analyze-throughput-tenth", [tenth_size / 1e6 / s for s in t_samples], unit="MB/s",
                note=(f"the same on the first {tenth_size / 1e6:.1f} MB, made the same way: its syzkaller consoles are the first "
                      "in name order, not the whole mix, so a difference is the mix as much as the length"), group="analyzer")
    # The same length of the clean boot alone (no kernel report; its KTAP results are read):
    # what the analyzer costs per byte, apart from what it costs per report.
    clean = tmp / "console-clean.log"
    boot = (ROOT / "Tests" / "PatchCheckKitTests" / "Fixtures" / "boot-v7.3.4-clean.log").read_bytes()
    clean.write_bytes(boot * (size // len(boot) + 1))
    c = [run_cpu([TOOL, "analyze", clean, "--json"]) for _ in range(5)]
    results.add("analyze-throughput-clean", [clean.stat().st_size / 1e6 / w for w, _, _ in c], unit="MB/s",
                note=f"the clean boot of 7.3.4 repeated to {clean.stat().st_size / 1e6:.0f} MB: no kernel report", group="analyzer")
    grep = ["grep", "-c", "-F", *sum((["-e", lit] for lit in GREP_LITERALS), []), path]
    g = [run(grep, check=False)[0] for _ in range(5)]
    results.add("grep-throughput", [mb / s for s in g], unit="MB/s",
                note=f"grep -c -F over the same file for {len(GREP_LITERALS)} header literals: one pass over the bytes", group="analyzer")
    r = [run(["sh", "-c", 'cat "$0" > /dev/null', path], check=False)[0] for _ in range(5)]
    results.add("read-throughput", [mb / s for s in r], unit="MB/s", note="cat of the same file (page cache)", group="analyzer")
