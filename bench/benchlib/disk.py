"""The disk section: du of each part of a cache folder as runs left it."""

import subprocess


def du_bytes(path):
    # Disk used (blocks), not the files' lengths: a tree of 96,000 small files uses far more.
    done = subprocess.run(["du", "-s", "--block-size=1", str(path)], text=True, capture_output=True)
    try:
        return int(done.stdout.split()[0])
    except (IndexError, ValueError):
        return None


def bench_disk(results, args, tmp):
    """du of each part of a cache folder as runs left it (--disk-home, default the source
    home, only read): the tree repository (loose objects and packs apart), each worktree,
    each build folder, ccache, the downloaded .debs, everything else."""
    home = args.disk_home
    if not home.exists():
        return results.skip("disk-total", f"no cache folder at {home}", "disk")
    mib = 1024 * 1024
    tags = subprocess.run(["git", "-C", home / "linux.git", "tag"], text=True, capture_output=True).stdout.split()
    where = f"{home} ({len(tags)} imported tags: {' '.join(tags)})"
    total = du_bytes(home)
    results.add("disk-total", [total / mib], unit="MiB", note=where, group="disk", state=True)
    parts = [("disk-tree-repository", home / "linux.git", "linux.git: every imported tag, applied series, ...")]
    parts += [(f"disk-worktree-{p.name}", p, "a build worktree (a checked-out tree)") for p in sorted((home / "worktrees").glob("*"))
              if p.is_dir()]
    parts += [(f"disk-build-{p.name}", p, "an O= build folder") for p in sorted((home / "build").glob("*")) if p.is_dir()]
    parts += [("disk-ccache", home / "ccache", "ccache"), ("disk-debs", home / "debs", "downloaded linux-source .debs")]
    counted = 0
    for name, path, what in parts:
        if path.exists():
            size = du_bytes(path)
            counted += size or 0
            results.add(name, [size / mib], unit="MiB", note=what, group="disk", state=True)
        else:
            results.skip(name, f"{path} does not exist", "disk")
    results.add("disk-other", [(total - counted) / mib], unit="MiB", note="everything else (results, guest files, locks)",
                group="disk", state=True)
    objects = subprocess.run(["git", "-C", home / "linux.git", "count-objects", "-v"], text=True, capture_output=True).stdout
    facts = dict(line.split(": ", 1) for line in objects.splitlines() if ": " in line)
    results.add("disk-loose-objects", [int(facts.get("size", 0)) / 1024], unit="MiB",
                note=f"{facts.get('count')} loose objects in linux.git (packs: {int(facts.get('size-pack', 0)) / 1024:.0f} MiB)",
                group="disk", state=True)
