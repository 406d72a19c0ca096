"""Every temporary Apothem makes (a `.part` file beside an output, a scratch folder), and how it
goes on every exit. A process that unwinds removes its own (prover/outfile.py: the context
managers, and the signal handlers through `remove_own_temporaries`). SIGKILL (the kernel's
out-of-memory killer, the `--timeout` watchdog, a cluster ending a worker) cannot be caught, so
every temporary carries its owner's pid in its name (`tag`), and `remove_orphans` removes those
whose owner is dead: the parent that saw a child die calls it, and so does every `temp_dir`.
"""
from __future__ import annotations

import os
import re
import shutil
import stat
import tempfile

# the names `tempfile` gives our temporaries (8 random characters), with the owner's pid (`tag`)
_PART = re.compile(r"\.apothem-(?:replay-)?p(\d+)-[a-z0-9_]{8}\.part")
_SCRATCH = re.compile(r"apothem-[a-z]+-p(\d+)-[a-z0-9_]{8}")
# temporaries to remove if a signal ends the process: path -> (owner pid, is a directory).
# The owner pid matters after fork: a child must not remove its parent's files.
LIVE: dict[str, tuple[int, bool]] = {}


def tag() -> str:
    """Part of every temporary's name: its owner's pid, by which `remove_orphans` tells, after a
    SIGKILL, the temporaries of a dead process from those of a running one."""
    return f"p{os.getpid()}-"


def temp_dir(prefix: str = "apothem-") -> str:
    """A scratch folder removed by `remove` or by the signal handler (and, once its owner
    is dead, by `remove_orphans`, which runs here first: what a killed worker left goes when the
    next task starts)."""
    remove_orphans()
    path = tempfile.mkdtemp(prefix=prefix + tag())
    LIVE[path] = (os.getpid(), True)
    return path


def remove(path: str) -> None:
    """Remove a temporary file or scratch folder and forget it."""
    entry = LIVE.pop(path, None)
    try:
        if entry is not None and entry[1]:
            shutil.rmtree(path, ignore_errors=True)
        else:
            os.unlink(path)
    except FileNotFoundError:
        pass


def _dead(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # another user's process
    return False  # running, or a zombie not yet reaped: its temporaries wait for a later sweep


def remove_orphans(killed: int | None = None, beside=()) -> None:
    """Remove the temporaries that dead processes of this user left (killed by SIGKILL, they could
    not unwind): in the system's temporary folder, the `.apothem-*.part` files and `apothem-*`
    scratch folders of every dead process; in `beside` (the folders of output files, which
    another host may share, where a pid says nothing) only the `.part` files of `killed`, the
    child the caller itself saw die. A temporary is known by its whole name, which carries its
    owner's pid (`tag`); a pid that no process has is dead. (This assumes that the temporary
    folder is not shared with another pid namespace.)"""
    tmp = tempfile.gettempdir()
    for folder in {*(os.path.abspath(f) for f in beside), tmp}:
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            match = _PART.fullmatch(name) or (folder == tmp and _SCRATCH.fullmatch(name))
            if not match or not (_dead(int(match.group(1))) if folder == tmp else int(match.group(1)) == killed):
                continue
            path = os.path.join(folder, name)
            try:
                st = os.lstat(path)
                if st.st_uid != os.getuid():
                    continue
                if stat.S_ISDIR(st.st_mode) and match.re is _SCRATCH:
                    shutil.rmtree(path, ignore_errors=True)
                elif stat.S_ISREG(st.st_mode) and match.re is _PART:
                    os.unlink(path)
            except FileNotFoundError:
                pass


def remove_own_temporaries() -> None:
    me = os.getpid()
    for path, (owner, _) in list(LIVE.items()):
        if owner == me:
            remove(path)
