"""Child processes die with their parent: a killed `nav index` or walkthrough leaves nothing running.

On Linux the kernel does it (prctl PR_SET_PDEATHSIG): when the parent dies, even by kill -9, the
child gets SIGKILL. Elsewhere this is a no-op; the callers still stop their children on a clean exit.
"""
from __future__ import annotations

import os
import signal
import sys

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def die_with_parent(parent_pid: int) -> None:
    """Call in the child right after fork: SIGKILL when `parent_pid` dies (or has died already)."""
    child_setup(parent_pid)()


def child_setup(parent_pid: int | None = None):
    """A `preexec_fn` for subprocess, prepared in the parent so the forked child only makes the
    system call (no imports after fork in a threaded parent)."""
    parent_pid = os.getpid() if parent_pid is None else parent_pid
    if not sys.platform.startswith("linux"):
        return lambda: None
    import ctypes

    prctl = ctypes.CDLL(None, use_errno=True).prctl

    def setup() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent_pid:  # the parent died between fork and prctl
            os._exit(1)

    return setup


def nav_python_env(**extra: str) -> dict[str, str]:
    """The environment for a `python -c`/`-m` child that must import this same nav (a checkout run
    from its tree, a test's PYTHONPATH): nav's directory first on PYTHONPATH, then the caller's."""
    nav_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    paths = [nav_root, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths), **extra}
