"""bench/run's code, one module per group of sections and the parts they share (issue 29).

    common      the checkout's paths, the cache folders, the section names, the sampling rule
    process     running and watching the measured commands (run, run_cpu, run_watching)
    machine     the machine's facts (machine_facts)
    results     the result store (Results), the code each section measures (CODE), staleness,
                and whether two runs are of the same code and machine
    tool        patchcheck and git on the bench's cache folder, apply-and-boot watched
    page        docs/performance.md (write_page)
    cli         the command line (main)

    analyzer    analyzer                      disk        disk
    apply       apply, series, worktree       imports     import
    pipeline    warm, switch, hang, review, witness, clock, races, tagstep
    fresh_cold  fresh, cold                   vng, boot   virtme-ng and its boots (boot)
"""

from .cli import main

__all__ = ["main"]
