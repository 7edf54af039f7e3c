"""virtme-ng, the peer the cold and boot sections measure: where its `vng` is (installed into a
virtual environment of the bench's own if need be), and where the cold section's vng build is kept."""

import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path

from .common import say


VNG_VENV = Path.home() / ".cache" / "patchcheck-bench" / "vng-venv"
VNG_SRC = Path.home() / ".cache" / "patchcheck-bench" / "vng-src"  # the cold section's vng build, kept for boot


@functools.cache
def vng():
    """virtme-ng's `vng`: the one on PATH, else the bench's own virtual environment, made
    with pip the first time (a peer the bench measures; patchcheck never uses it). None when
    neither can be had. Looked for once a run: a failed install is not tried again by every
    section that asks."""
    found = shutil.which("vng")
    if found:
        return found
    local = VNG_VENV / "bin" / "vng"
    if not local.exists():
        say(f"installing virtme-ng into {VNG_VENV} (pip)")
        made = subprocess.run([sys.executable, "-m", "venv", VNG_VENV], capture_output=True)
        if made.returncode == 0:
            subprocess.run([VNG_VENV / "bin" / "pip", "install", "-q", "virtme-ng"], capture_output=True)
    if not local.exists():
        return None
    # vng runs its helpers (virtme-configkernel, virtme-run) from PATH: the environment's
    # bin folder must be on it, as an activated virtual environment would have it.
    os.environ["PATH"] = f"{VNG_VENV / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"
    return str(local)


def vng_available():
    return vng() is not None


NO_VNG = f"virtme-ng is neither on PATH nor installable into {VNG_VENV} (pip install virtme-ng)"


def vng_image(tree):
    return tree / "arch" / "x86" / "boot" / "bzImage"
