"""The apply, series and worktree sections: `patchcheck apply` plus `tree checkout --move`
against `git am`, over series of 1 to 50 patches, and `tree checkout` against `git worktree add`.
Also the two trees the apply and series sections work in (`Trees`)."""

import json
import mailbox
import shutil
import subprocess
from pathlib import Path

from . import common
from .common import samples_wanted, say
from .process import run
from .tool import drop_git_worktree, git_am, git_worktree, tool, tree_of


def series_without_cover(mbox, to):
    """git am refuses a cover letter (no diff); b4 would drop it too."""
    out = mailbox.mbox(str(to))
    for message in mailbox.mbox(str(mbox)):
        body = message.get_payload(decode=True) or b""
        if b"\ndiff --git " in body or body.startswith(b"diff --git "):
            out.add(message)
    out.flush()


class Trees:
    """The two checked-out trees the apply and series sections work in, made once a run: a
    `patchcheck tree checkout` folder and a `git worktree add` folder of the same commit."""

    def __init__(self, tmp):
        self.ours = tmp / "tree-patchcheck"
        self.theirs = tmp / "tree-git"
        self.made = False

    def at(self, rev):
        if not self.made:
            say(f"checking {rev} out twice (patchcheck tree checkout, git worktree add): about a minute each")
            tool("tree", "checkout", rev, self.ours)
            git_worktree(self.theirs, rev)
            self.made = True
        self.reset(rev)

    def reset(self, rev):
        tool("tree", "checkout", "--move", rev, self.ours)
        run(["git", "-C", self.theirs, "am", "--abort"], check=False)
        run(["git", "-C", self.theirs, "checkout", "-q", "-f", "--detach", rev])

    def drop(self):
        if self.made:
            drop_git_worktree(self.theirs)
            shutil.rmtree(self.ours, ignore_errors=True)
            run(["git", "-C", common.HOME / "linux.git", "worktree", "prune"], check=False)


def apply_pair(trees, mbox, plain, base, series_arg=None):
    """One sample of each side, both ending with a tree ready to build: patchcheck apply then
    tree checkout --move onto its branch; git am in a worktree at the same base. Returns
    (apply, move, git am, whether both trees are the same)."""
    trees.reset(base)
    apply_s, done = tool("apply", "--series", series_arg or mbox, "--base", base, "--json")
    branch = applied_branch(done.stdout)
    move_s, _ = tool("tree", "checkout", "--move", branch, trees.ours)
    am_s, _ = git_am(trees.theirs, plain)
    same = tree_of(common.HOME / "linux.git", branch) == tree_of(trees.theirs, "HEAD")
    return apply_s, move_s, am_s, same


def applied_branch(stdout):
    rows = json.loads(stdout)
    row = rows[0] if isinstance(rows, list) else rows
    branch = (row.get("outcome") or {}).get("branch") or row.get("branch")
    if not branch:
        raise RuntimeError(f"patchcheck apply --json named no branch: {stdout[:300]}")
    return branch


def bench_apply(results, args, tmp):
    """To a tree ready to build on both sides: `patchcheck apply` plus `patchcheck tree
    checkout --move` of a checkout folder onto the applied branch, against `git am` in a git
    worktree of the same commit (which updates the index and the files as it goes)."""
    plain = tmp / "series.mbox"
    series_without_cover(args.series, plain)
    args.trees.at(args.tag)
    samples = [apply_pair(args.trees, args.series, plain, args.tag)]
    for _ in range(samples_wanted(max(samples[0][:3]), args) - 1):
        samples.append(apply_pair(args.trees, args.series, plain, args.tag))
    # The bound: what any tool must do to know which files of a 96,000-file worktree to write.
    stat = [run(["git", "-C", args.trees.theirs, "status", "--porcelain", "-uno"])[0] for _ in range(5)]
    same = "the same tree on both sides" if all(s[3] for s in samples) else "THE TREES DIFFER"
    name = Path(args.series).name
    results.add("apply-to-tree-patchcheck", [a + m for a, m, _, _ in samples],
                note=f"{name} onto {args.tag}: apply + tree checkout --move, two processes; {same}", group="apply")
    results.add("apply-to-tree-git-am", [g for _, _, g, _ in samples], note="git am of the same patches (cover dropped) in a worktree",
                group="apply")
    results.add("apply-patchcheck", [a for a, _, _, _ in samples], note="patchcheck apply alone: objects and a branch, no files",
                group="apply")
    results.add("apply-checkout-patchcheck", [m for _, m, _, _ in samples],
                note="tree checkout --move onto the applied branch: the files that differ written", group="apply")
    results.add("worktree-stat", stat, note="git status -uno in the worktree: stat of every file against the index", group="apply")


def cut_series(repo, a, b, count, to):
    """`count` patches, one file each, from the files that differ between tags a and b
    (modified text files of 1 to 400 changed lines, spread evenly over the list by path).
    Written to `to` as an mbox at bench time; nothing of it is kept. None when too few."""
    numstat = run(["git", "-C", repo, "diff", "--numstat", "--no-renames", "--diff-filter=M", a, b])[1].stdout
    files = []
    for line in numstat.splitlines():
        added, removed, path = line.split("\t", 2)
        if added != "-" and 1 <= int(added) + int(removed) <= 400:
            files.append(path)
    if len(files) < count:
        return None
    chosen = [files[i * len(files) // count] for i in range(count)]
    with open(to, "w") as out:
        for i, path in enumerate(chosen, 1):
            diff = run(["git", "-C", repo, "diff", "--full-index", "--no-renames", a, b, "--", path])[1].stdout
            out.write(f"From {'0' * 40} Mon Sep 17 00:00:00 2001\n"
                      f"From: patchcheck bench <bench@localhost>\n"
                      f"Date: Tue, 1 Dec 2026 00:00:00 +0000\n"
                      f"Subject: [PATCH {i}/{count}] {path}: as in {b}\n\n"
                      f"Cut by bench/run from git diff {a} {b} -- {path}.\n---\n{diff}-- \nbench\n\n")
    return len(files)


def bench_series(results, args, tmp):
    """Apply to a tree ready to build against series size: 1, 10 and 50 one-file patches cut
    from two imported point releases (--size-pairs: the first pair with enough changed files)."""
    repo = common.HOME / "linux.git"
    tags = set(subprocess.run(["git", "-C", repo, "tag"], text=True, capture_output=True).stdout.split())
    pairs = [p.split(",") for p in args.size_pairs.split()]
    for count in (int(c) for c in args.sizes.split(",")):
        mbox = tmp / f"series-{count}.mbox"
        used = None
        for a, b in pairs:
            if a in tags and b in tags:
                available = cut_series(repo, a, b, count, mbox)
                if available is not None:
                    used = (a, b, available)
                    break
        name = f"series-{count}"
        if not used:
            results.skip(f"{name}-patchcheck", f"no pair of {args.size_pairs} is imported with {count} changed files", "series")
            continue
        a, b, available = used
        args.trees.at(a)
        samples = [apply_pair(args.trees, mbox, mbox, a)]
        for _ in range(samples_wanted(max(samples[0][:3]), args) - 1):
            samples.append(apply_pair(args.trees, mbox, mbox, a))
        same = "the same tree on both sides" if all(s[3] for s in samples) else "THE TREES DIFFER"
        what = f"{count} one-file patches of {a}..{b} ({available} modified files to cut from) onto {a}"
        results.add(f"{name}-patchcheck", [x + m for x, m, _, _ in samples], note=f"{what}: apply + checkout --move; {same}",
                    group="series")
        results.add(f"{name}-apply-patchcheck", [x for x, _, _, _ in samples], note="patchcheck apply alone", group="series")
        results.add(f"{name}-git-am", [g for _, _, g, _ in samples], note="git am of the same mbox in a worktree", group="series")


def bench_worktree(results, args, tmp):
    """patchcheck tree checkout (a libgit2 worktree) vs git worktree add, same commit."""
    ours, theirs = [], []
    i = 0
    while i < (samples_wanted(max(ours + theirs), args) if ours else 1):
        mine = tmp / f"checkout-{i}"
        seconds, _ = tool("tree", "checkout", args.tag, mine)
        ours.append(seconds)
        shutil.rmtree(mine)
        theirs_path = tmp / f"git-worktree-{i}"
        seconds, _ = run(["git", "-C", common.HOME / "linux.git", "worktree", "add", "-q", "--detach", theirs_path, args.tag])
        theirs.append(seconds)
        drop_git_worktree(theirs_path)
        i += 1
    run(["git", "-C", common.HOME / "linux.git", "worktree", "prune"], check=False)
    results.add("worktree-patchcheck", ours, note=f"tree checkout {args.tag}: every file written", group="worktree")
    results.add("worktree-git", theirs, note="git worktree add --detach", group="worktree")
