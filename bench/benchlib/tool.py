"""patchcheck and git on the bench's cache folder (common.HOME): a patchcheck command, its
report, git worktrees and `git am` in them, the cache folder itself, and apply-and-boot watched."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

from . import common
from .common import ALL_SIX, TOOL
from .process import run, run_watching


def tool(*args, home=None, env=None, check=True):
    extra = dict(env or {})
    extra["PATCHCHECK_HOME"] = str(home or common.HOME)
    return run([TOOL, *args], env=extra, check=check)


def report_of(folder):
    return json.loads((Path(folder) / "report.json").read_text())


def git_worktree(path, rev):
    run(["git", "-C", common.HOME / "linux.git", "worktree", "add", "-q", "--detach", path, rev])


def drop_git_worktree(path):
    run(["git", "-C", common.HOME / "linux.git", "worktree", "remove", "--force", path], check=False)
    shutil.rmtree(path, ignore_errors=True)


def git_am(worktree, mbox):
    return run(["git", "-C", worktree, "-c", "user.name=bench", "-c", "user.email=bench@localhost", "am", "-q", mbox])


def prepare_home(home):
    """The bench's cache folder: linux.git a shared clone of the source home's (objects read
    through alternates, never written there)."""
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "linux.git").exists():
        source = common.SOURCE_HOME / "linux.git"
        if not source.exists():
            sys.exit(f"bench/run: no imported tree at {source}; run `patchcheck tree import --debian 7.3` first")
        run(["git", "clone", "-q", "--bare", "--shared", source, home / "linux.git"])
    else:  # tags imported into the source since
        run(["git", "-C", home / "linux.git", "fetch", "-q", common.SOURCE_HOME / "linux.git", "refs/tags/*:refs/tags/*"], check=False)


def tree_of(repo, rev):
    return subprocess.run(["git", "-C", repo, "rev-parse", f"{rev}^{{tree}}"], text=True, capture_output=True).stdout.strip()


def apply_and_boot(args, series, out, scenarios=ALL_SIX, extra=(), env=None, home=None, marker=None):
    cmd = [TOOL, "apply-and-boot", "--series", series, "--scenarios", scenarios, "--accel", "auto", "--json", "--out", out, *extra]
    environment = {"PATCHCHECK_HOME": str(home or common.HOME), **(env or {})}
    watch = run_watching(cmd, env=environment, console=Path(out) / "console.log", marker=marker)
    return watch, report_of(out)
