"""bench/run's command line: the sections in turn, each adding its figures to the results
file and writing the page after it; or, with --page-only, the page alone from a results file."""

import argparse
import json
import sys
import tempfile
from pathlib import Path

from . import common
from .analyzer import bench_analyzer
from .apply import Trees, bench_apply, bench_series, bench_worktree
from .boot import bench_boot
from .common import ROOT, SECTIONS, SHARED, git_out, say
from .disk import bench_disk
from .fresh_cold import bench_cold, bench_fresh
from .imports import bench_import
from .machine import machine_facts
from .page import write_page
from .pipeline import bench_clock, bench_hang, bench_races, bench_review, bench_switch, bench_tagstep, bench_warm, bench_witness
from .process import run
from .results import Results, run_files
from .tool import prepare_home
from .vng import VNG_SRC

# Each section's function, by the name --only gives it.
BENCH = {
    "analyzer": bench_analyzer, "disk": bench_disk, "apply": bench_apply, "series": bench_series, "worktree": bench_worktree,
    "import": bench_import, "warm": bench_warm, "switch": bench_switch, "hang": bench_hang, "review": bench_review,
    "witness": bench_witness, "clock": bench_clock, "races": bench_races, "tagstep": bench_tagstep, "fresh": bench_fresh, "cold": bench_cold, "boot": bench_boot,
}
assert set(BENCH) == set(SECTIONS)


def main(doc):
    """bench/run's command line; `doc` is bench/run's docstring, whose first line is --help's description."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--only", default=",".join(SECTIONS), help="comma-separated sections: " + ", ".join(SECTIONS))
    parser.add_argument("--repeat", type=int, default=0, help="at least this many samples (the rule's 5 or 3 otherwise)")
    parser.add_argument("--series", default=str(SHARED / "patches" / "pci-iov-reentrant-v9.mbox"))
    parser.add_argument("--series-v10", default=str(SHARED / "patches" / "pci-iov-reentrant-v10.mbox"))
    parser.add_argument("--tag", default="v7.3.4", help="the tree the series is applied to")
    parser.add_argument("--tag-pair", default="v7.2.11,v7.2.12", help="two adjacent tags for the tag step")
    parser.add_argument("--sizes", default="1,10,50", help="series sizes for the series section")
    parser.add_argument("--size-pairs", default="v7.2.11,v7.2.12 v6.12.117,v7.3.4",
                        help="tag pairs to cut series from, in order of preference (the first with enough changed files)")
    parser.add_argument("--scenarios", default="numvfs,pf-remove", help="scenarios of the witness and cold sections")
    parser.add_argument("--race-boots", type=int, default=10, help="boots of each host-driven race in the races section")
    parser.add_argument("--console-mb", type=float, default=100.0, help="size of the analyzer's console in MB (10^6 bytes)")
    parser.add_argument("--import-samples", type=int,
                        help="at most this many import samples (one takes minutes when the disk is shared)")
    parser.add_argument("--review-boots", type=int, default=0, help="--max-boots of the review section (default: review's own)")
    parser.add_argument("--review-samples", type=int, default=1, help="samples of each review (each takes 10-20 minutes)")
    parser.add_argument("--fresh-samples", type=int, help="at most this many fresh-machine samples (each takes about 20 minutes)")
    parser.add_argument("--cold-parts", default="patchcheck,vng,defconfig",
                        help="the cold section's builds: patchcheck's config, virtme-ng's (kept for the boot section), x86_64_defconfig")
    parser.add_argument("--vng-tree", type=Path,
                        help=f"a tree built with virtme-ng's config for the boot section (default: the cold section's, {VNG_SRC})")
    parser.add_argument("--vng-guest",
                        help="patchcheck's guest program for the vng boot: a run's initramfs.cpio or its unpacked folder "
                             "(default: the fresh section's, same invocation)")
    parser.add_argument("--home", help="the bench's cache folder (default: a temporary one, removed after)")
    parser.add_argument("--source-home", default=str(common.SOURCE_HOME), help="where the imported tree and .debs are (only read)")
    parser.add_argument("--disk-home", help="the cache folder the disk section measures (default: --source-home)")
    parser.add_argument("--page-only", nargs="?", const="", metavar="RESULTS",
                        help="rewrite docs/performance.md from RESULTS (default: the newest results file)")
    args = parser.parse_args()
    args.series_version = ".".join(args.tag.lstrip("v").split(".")[:2])
    args.fresh_guest = None
    common.SOURCE_HOME = Path(args.source_home)
    args.disk_home = Path(args.disk_home or common.SOURCE_HOME)

    results_dir = ROOT / "bench" / "results"
    if args.page_only is not None:
        chosen = Path(args.page_only) if args.page_only else run_files(results_dir)[-1]
        data = json.loads(chosen.read_text())
        if "commit" not in data:
            sys.exit(f"bench/run: {chosen.name} was written before figures carried their commit: run the bench again")
        results = Results.__new__(Results)
        results.path, results.data, results.commit = chosen, data, data["commit"]
        return write_page(results, ROOT / "docs" / "performance.md", ROOT / "bench" / "why.md")

    chosen = [s for s in args.only.split(",") if s]
    unknown = set(chosen) - set(SECTIONS)
    if unknown:
        sys.exit(f"bench/run: unknown section(s) {', '.join(sorted(unknown))}; known: {', '.join(SECTIONS)}")
    say("building patchcheck (release)")
    run(["swift", "build", "-c", "release"], cwd=ROOT)
    commit = git_out("rev-parse", "HEAD")
    results = Results(results_dir, machine_facts(), commit)
    with tempfile.TemporaryDirectory(prefix="patchcheck-bench-") as tmp_name:
        tmp = Path(tmp_name)
        common.HOME = Path(args.home) if args.home else tmp / "home"
        prepare_home(common.HOME)
        args.trees = Trees(tmp)
        # Boot of virtme-ng's kernel needs the cold section's vng build: run cold before boot.
        # In the order --only names them (the default: cheap first), so a run that may be cut
        # short measures what matters most first.
        order = [s for s in chosen if s != "boot"] + (["boot"] if "boot" in chosen else [])
        try:
            for section in order:
                say(f"== {section}")
                try:
                    BENCH[section](results, args, tmp)
                except Exception as error:  # one section failing must not lose the others
                    say(f"{section} failed: {error}")
                    results.skip(f"{section}-error", str(error)[:300], section)
                write_page(results, ROOT / "docs" / "performance.md", ROOT / "bench" / "why.md")
        finally:
            args.trees.drop()
            run(["git", "-C", common.HOME / "linux.git", "worktree", "prune"], check=False)

