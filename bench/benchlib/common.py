"""What every part of the bench shares: the checkout's paths, the cache folders (set by
cli.main()), the section names, the sampling rule, and the bench's voice on stderr."""

import datetime
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # bench/benchlib/common.py: the checkout
SHARED = Path(os.environ.get("PATCHCHECK_SHARED", ROOT.parent / "shared"))
SOURCE_HOME = Path.home() / ".cache" / "patchcheck"  # --source-home, set by cli.main()
HOME = None  # the bench's own cache folder, set by cli.main()
TOOL = ROOT / ".build" / "release" / "patchcheck"
FRAGMENTS = sorted((ROOT / "kernel-configs").glob("*.config"))
CHEAP = ["analyzer", "disk", "apply", "series", "worktree", "import"]
EXPENSIVE = ["warm", "switch", "hang", "review", "witness", "clock", "races", "tagstep", "fresh", "cold", "boot"]
SECTIONS = CHEAP + EXPENSIVE
ALL_SIX = "numvfs,pf-remove,unbind,vf-remove,race-numvfs-remove,race-unbind-remove"


def say(text):
    print(f"bench: {text}", file=sys.stderr, flush=True)


def git_out(*args):
    return subprocess.run(["git", "-C", ROOT, *args], text=True, capture_output=True).stdout.strip()


def now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def samples_wanted(first_seconds, args, cap=None):
    """At least 5 samples of what takes under a minute, 3 of what takes longer; `cap` (a
    section's --*-samples) may ask for fewer, which the page then says."""
    wanted = max(args.repeat or 0, 5 if first_seconds < 60 else 3)
    return min(wanted, cap) if cap else wanted
