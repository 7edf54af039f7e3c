"""The import section: `patchcheck tree import --tarball` plus `tree checkout` against tar -x,
git init, git add -A -f and git commit, from the same .tar.xz."""

import json
import shutil
import time

from . import common
from .common import samples_wanted
from .process import run
from .tool import tool


def bench_import(results, args, tmp):
    """To a buildable checked-out tree on both sides, from the same .tar.xz: patchcheck tree
    import --tarball then tree checkout, against tar -x, git init, git add -A -f, git commit."""
    debs = sorted((common.SOURCE_HOME / "debs").glob(f"linux-source-{args.series_version}_*.deb"))
    if not debs:
        return results.skip("import-to-tree-patchcheck", f"no linux-source-{args.series_version} .deb in {common.SOURCE_HOME}/debs", "import")
    unpacked = tmp / "deb"
    run(["dpkg-deb", "-x", debs[-1], unpacked])
    tarball = next(unpacked.glob("usr/src/linux-source-*.tar.*"))
    imports, checkouts, theirs, tars, files = [], [], [], [], None
    i = 0
    while i < (samples_wanted(max(imports[0] + checkouts[0], theirs[0]), args, args.import_samples) if imports else 1):
        home = tmp / f"import-home-{i}"
        seconds, done = tool("tree", "import", "--tarball", tarball, "--json", home=home)
        made = json.loads(done.stdout)
        files = made["files"]
        imports.append(seconds)
        seconds, _ = tool("tree", "checkout", made["tag"], tmp / f"import-tree-{i}", home=home)
        checkouts.append(seconds)
        shutil.rmtree(home)
        shutil.rmtree(tmp / f"import-tree-{i}")
        peer = tmp / f"import-git-{i}"
        peer.mkdir()
        start = time.monotonic()
        run(["tar", "-xf", tarball, "-C", peer])
        tars.append(time.monotonic() - start)
        source = next(peer.iterdir())
        run(["git", "init", "-q", source])
        # -f: Debian's tarball carries a .gitignore that ignores every file; patchcheck
        # imports them all, so git must add them all too.
        run(["git", "-C", source, "add", "-A", "-f"])
        run(["git", "-C", source, "-c", "user.name=bench", "-c", "user.email=bench@localhost", "commit", "-q", "-m", "import"])
        theirs.append(time.monotonic() - start)
        shutil.rmtree(peer)
        i += 1
    note = f"{tarball.name}: {files} files; import + tree checkout, two processes"
    results.add("import-to-tree-patchcheck", [a + b for a, b in zip(imports, checkouts)], note=note, group="import")
    results.add("import-to-tree-git", theirs, note="tar -x, git init, git add -A -f, git commit: a checked-out tree with its index",
                group="import")
    results.add("import-patchcheck", imports, note="tree import alone: a bare repository, no files", group="import")
    results.add("import-checkout-patchcheck", checkouts, note="tree checkout of the imported tag", group="import")
    results.add("import-tar", tars, note="tar -x alone: the decompression and the file writes both sides must do", group="import")
