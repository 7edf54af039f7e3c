"""The boot section: virtme-ng's boots (`vng -r`) of the kernel built with its config, bare and
with patchcheck's guest program as the script (the peer of the fresh section's boot)."""

import datetime
import re
import shutil
import statistics
import subprocess
from pathlib import Path

from .common import samples_wanted
from .process import run
from .vng import NO_VNG, VNG_SRC, vng, vng_available, vng_image


def output_tail(done):
    """The last two lines a finished child printed on stderr (on stdout when stderr is
    empty), for a one-line reason."""
    return " ".join((done.stderr or done.stdout or "").strip().splitlines()[-2:])[:300]


def bench_boot(results, args, tmp):
    """virtme-ng's boots of the kernel built with its config (the cold section's, kept in
    VNG_SRC, or --vng-tree): `vng -r bzImage -- true`, and the peer of the fresh machine's
    boot, `vng -r` with patchcheck's guest program (v10, all six scenarios) as the script."""
    tree = args.vng_tree or (VNG_SRC if vng_image(VNG_SRC).exists() else None)
    image = vng_image(tree) if tree else None
    if not vng_available():
        results.skip("boot-vng", NO_VNG, "boot")
        return results.skip("fresh-vng-run", NO_VNG, "fresh")
    if not image or not image.exists():
        why = f"no kernel built with vng's config in {VNG_SRC} (run the cold section first, or give --vng-tree)"
        results.skip("boot-vng", why, "boot")
        return results.skip("fresh-vng-run", why, "fresh")
    built = datetime.datetime.fromtimestamp(image.stat().st_mtime, datetime.timezone.utc).isoformat(timespec="minutes")
    samples, error, codes = [], None, set()
    while len(samples) < (samples_wanted(max(samples), args) if samples else 1):
        try:
            seconds, done = run([vng(), "-r", image, "--disable-kvm", "-v", "--", "true"], cwd=tree, check=False, timeout=600)
        except subprocess.TimeoutExpired:
            error = "vng -r did not finish in 600 s"
            break
        if done.returncode != 0 and VNG_SCRIPT_OK not in (done.stdout or "") + (done.stderr or ""):
            error = f"vng -r exited {done.returncode}: {output_tail(done)}"
            break
        codes.add(done.returncode)
        samples.append(seconds)
    if samples:
        results.add("boot-vng", samples, note=f"vng -r -v bzImage -- true (TCG), its config's kernel (built {built}){console_note(codes)}",
                    group="boot")
    else:
        results.skip("boot-vng", error or "no sample", "boot")
    bench_vng_guest(results, args, tmp, tree, image, built)


RUNNER_DONE = "patchcheck-runner: done"
# Without udev on the host, vng's guest has no /dev/virtio-ports links, runs the script on
# the console ("console fallback") and cannot hand its exit status back: vng returns 255.
# So vng runs with -v (the kernel's console shown, as patchcheck's boots show it) and a run
# counts by what the console says.
VNG_SCRIPT_OK = "virtme-ng-init: script exited with code 0"


def console_note(codes):
    return (f"; -v: the console shown, as patchcheck shows it, and read for the script's end "
            f"(vng's exit status: {', '.join(map(str, sorted(codes)))})")


def guest_program(args, tmp):
    """patchcheck's guest program for virtme-ng, as a folder: --vng-guest (a run's
    initramfs.cpio or the folder it unpacks to), else the fresh section's first run of this
    invocation. Its two absolute paths (the witness's focus list, the coverage list) are
    rewritten to the folder: vng's guest has the host's root, not the initramfs. Returns
    (folder, what it is, its scenario count: the KTAP plan it prints) or (None, why not, 0)."""
    given = Path(args.vng_guest) if args.vng_guest else args.fresh_guest
    if given is None or not given.exists():
        return None, ("no patchcheck guest program: run the fresh section in the same invocation, or give --vng-guest "
                      "(a run's initramfs.cpio)"), 0
    guest = tmp / "vng-guest"
    shutil.rmtree(guest, ignore_errors=True)
    if given.is_dir():
        # Only its top-level files (init and the lists): the initramfs's dev/ holds device
        # nodes, which a copy would read, and vng's guest uses the host's root anyway.
        guest.mkdir()
        for f in given.iterdir():
            if f.is_file() and not f.is_symlink():
                shutil.copy2(f, guest / f.name)
    else:
        guest.mkdir()
        run(["sh", "-c", f"cpio -id --quiet < {given}"], cwd=guest)
    init = guest / "init"
    text = init.read_text()
    for name in ("witness-focus", "patchcheck-coverage-functions"):
        text = text.replace(f"/{name}", f"{guest}/{name}")
    init.write_text(text)
    plan = re.search(r"^echo '1\.\.(\d+)'$", text, re.M)
    scenarios = int(plan.group(1)) if plan else 0
    what = (f"{given}, {scenarios} scenarios" if args.vng_guest
            else f"the fresh section's first run: {Path(args.series_v10).name}, {scenarios} scenarios")
    return guest, what, scenarios


def bench_vng_guest(results, args, tmp, tree, image, built):
    """`vng -r` of virtme-ng's kernel with patchcheck's guest program as the script (TCG,
    an igb NIC on a PCIe root port, as patchcheck boots it). The program ends with
    `poweroff -f`, so vng cannot read the script's exit status (it returns 255 for that):
    a run counts when the console has the runner's last line, and the note says how many
    of the program's scenarios printed a result."""
    guest, what, scenarios = guest_program(args, tmp)
    if guest is None:
        return results.skip("fresh-vng-run", what, "fresh")
    # Joined to its option: vng's argparse takes a separate value starting with "-" for an option.
    qemu = "-device pcie-root-port,id=rp1,chassis=1,slot=1 -device igb,bus=rp1"
    samples, error, counts, codes = [], None, [], set()
    while len(samples) < (samples_wanted(max(samples), args) if samples else 1):
        try:
            seconds, done = run([vng(), "-r", image, "--disable-kvm", "-v", f"--qemu-opts={qemu}", "--", "sh", guest / "init"],
                                cwd=tree, check=False, timeout=1800)
        except subprocess.TimeoutExpired:
            error = "vng -r with the guest program did not finish in 1800 s"
            break
        console = (done.stdout or "") + (done.stderr or "")
        if RUNNER_DONE not in console:
            (VNG_SRC.parent / "vng-guest-failed.log").write_text(console)
            error = f"vng -r exited {done.returncode} before the runner's last line: {output_tail(done)}"
            break
        counts.append(len(re.findall(r"^(?:\[[ 0-9.]+\] )?(?:not )?ok \d+ ", console, re.M)))
        codes.add(done.returncode)
        samples.append(seconds)
    if not samples:
        return results.skip("fresh-vng-run", error or "no sample", "fresh")
    results.add("fresh-vng-run", samples,
                note=f"vng -r with patchcheck's guest program as the script (TCG, igb), the guest of {what}; "
                     f"scenarios with a result: {'/'.join(map(str, counts))} of {scenarios}; kernel built {built}{console_note(codes)}",
                group="fresh")
    parts = [results.get("worktree-patchcheck"), results.get("cold-config-vng"), results.get("cold-build-vng")]
    if None in parts:
        return results.skip("fresh-vng-total", "needs worktree-patchcheck (the worktree section), cold-config-vng and "
                            "cold-build-vng (the cold section) in the same results file", "fresh")
    results.add("fresh-vng-total", [sum(parts) + statistics.median(samples)],
                note="medians of: patchcheck tree checkout of the tag (worktree-patchcheck), vng --kconfig, make bzImage "
                     "(ccache off), this vng -r; no download or import (vng has none: it builds the tree it is given)",
                group="fresh")
