"""Every file Apothem writes (proofs, bundles, CSVs, reports, audit evidence, VNN-COMP result
files) goes through this module, so that one set of rules holds everywhere:

- the target is checked before any work starts (`check_target`, `check_directory`): a name
  that is empty, a directory, a FIFO, a symlink or a device is refused, and so is a folder
  that does not exist or cannot be written. A run of hours must not end in "cannot write".
  Symlinks and devices are refused, not followed: `--proof /dev/stdout` or a link into another
  tree would otherwise be replaced by a regular file, or written through, by surprise;
- the data goes to a temporary `.apothem-*.part` file in the target's own folder, is flushed
  and fsync'ed, and is renamed over the target (atomic on POSIX): a reader sees the old file
  or the whole new one, never half of it;
- the temporary file is removed on every exit path: an exception (the context manager), and
  SIGTERM, SIGINT and SIGHUP (`install_signal_handlers`), which would otherwise end the process
  without unwinding. The handler removes this process's registered temporaries at once
  (prover/temporaries.py, which also removes what a SIGKILL left), then raises `Interrupted`
  so that the caller unwinds (reaping its children, printing its answer).

Run as `python -m prover.outfile check PATH...` (refuse bad targets; exit 73) or
`python -m prover.outfile write PATH` (stdin to PATH atomically): the VNN-COMP shell scripts
use the same rules that way.
"""
from __future__ import annotations

import os
import signal
import stat
import sys
import tempfile
import threading

from .temporaries import LIVE, remove, remove_own_temporaries, tag

EXIT_CANTCREAT = 73  # sysexits.h EX_CANTCREAT: an output file cannot be created


class OutputError(Exception):
    """An output target that Apothem refuses or cannot write; the message names it."""


class Interrupted(BaseException):
    """SIGTERM/SIGINT/SIGHUP. A BaseException, so that `except Exception` blocks (one bad input
    must not stop a batch) do not swallow it."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum
        self.exit_code = 128 + signum

    def __str__(self) -> str:
        return f"interrupted by {signal.Signals(self.signum).name}"


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISLNK, "a symbolic link"), (stat.S_ISFIFO, "a FIFO"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def _writable_folder(folder: str, what: str, path) -> None:
    if not os.path.isdir(folder):
        raise OutputError(f"{what} {path!s}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"{what} {path!s}: the folder {folder} is not writable")


def check_target(path, what: str = "output file") -> str:
    """The absolute path of a file Apothem may replace, or OutputError saying why not."""
    path = os.fspath(path)
    if not path or path.endswith(os.sep):
        raise OutputError(f"{what} {path!r}: not a file name")
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None and not stat.S_ISREG(mode):
        raise OutputError(f"{what} {path}: exists and is {_kind(mode)}; refusing to replace it")
    full = os.path.abspath(path)
    _writable_folder(os.path.dirname(full), what, path)
    return full


def check_directory(path, what: str = "output folder") -> str:
    """The absolute path of a folder Apothem may write into (made if missing, with its parents
    when they can be made), or OutputError saying why not."""
    path = os.fspath(path)
    if not path:
        raise OutputError(f"{what} '': not a folder name")
    full = os.path.abspath(path)
    if os.path.lexists(full) and not os.path.isdir(full):
        raise OutputError(f"{what} {path}: exists and is not a folder")
    try:
        os.makedirs(full, exist_ok=True)
    except OSError as err:
        raise OutputError(f"{what} {path}: cannot be made: {err.strerror}") from None
    _writable_folder(full, what, path)
    return full


class AtomicFile:
    """A file written to a temporary beside the target and renamed over it by `commit()`.

    As a context manager: committed when the block ends normally, discarded otherwise."""

    def __init__(self, path, mode: str = "w", what: str = "output file"):
        self.path = check_target(path, what)
        self.what = what
        fd, self.temp = tempfile.mkstemp(prefix=f".apothem-{tag()}", suffix=".part", dir=os.path.dirname(self.path))
        LIVE[self.temp] = (os.getpid(), False)
        self.file = os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": "utf-8", "newline": ""}))

    def write(self, data):
        return self.file.write(data)

    def commit(self) -> None:
        try:
            self.file.flush()
            os.fsync(self.file.fileno())
            self.file.close()
            check_target(self.path, self.what)  # the target may have changed during a long run
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(self.temp, 0o666 & ~umask)  # mkstemp's 0600 would hide a proof from its readers
            os.replace(self.temp, self.path)
            LIVE.pop(self.temp, None)
            _fsync_folder(os.path.dirname(self.path))
        except BaseException:
            self.discard()
            raise

    def discard(self) -> None:
        if not self.file.closed:
            try:
                self.file.close()
            except OSError:
                pass  # e.g. ENOSPC flushing a buffer we are throwing away
        remove(self.temp)

    def __enter__(self):
        return self

    def __exit__(self, kind, value, tb):
        if kind is None:
            self.commit()
        else:
            self.discard()


def _fsync_folder(folder: str) -> None:
    """Make the rename itself durable (POSIX: the directory entry lives in the folder)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems refuse fsync on a directory; the data itself is synced
    finally:
        os.close(fd)


def write_bytes(path, data: bytes, what: str = "output file") -> int:
    with AtomicFile(path, "wb", what) as f:
        f.write(data)
    return len(data)


def write_text(path, text: str, what: str = "output file") -> int:
    return write_bytes(path, text.encode("utf-8"), what)


SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def install_signal_handlers(unwind: bool = True) -> dict:
    """On SIGTERM/SIGINT/SIGHUP remove this process's temporaries, then raise `Interrupted`
    (`unwind`) or exit at once with 128 + the signal number (worker processes, whose pool
    would otherwise print the exception's traceback). A second signal during the unwinding
    exits at once: cleanup code must not be interrupted halfway by a second exception.
    Returns the handlers replaced, for `restore_signal_handlers`; outside the main thread
    (where Python allows no handler) it does nothing and returns {}."""
    if threading.current_thread() is not threading.main_thread():
        return {}

    def second(signum, frame):
        remove_own_temporaries()
        os._exit(128 + signum)

    def first(signum, frame):
        remove_own_temporaries()
        if not unwind:
            os._exit(128 + signum)
        for s in SIGNALS:
            signal.signal(s, second)
        raise Interrupted(signum)

    return {s: signal.signal(s, first) for s in SIGNALS}


def restore_signal_handlers(previous: dict) -> None:
    for s, handler in previous.items():
        signal.signal(s, handler)


def _main(argv: list[str]) -> int:
    """`check PATH...` or `write PATH` (see the module docstring)."""
    if len(argv) < 2 or argv[0] not in ("check", "write") or (argv[0] == "write" and len(argv) != 2):
        print("usage: python -m prover.outfile check PATH... | write PATH", file=sys.stderr)
        return 64
    install_signal_handlers(unwind=False)
    try:
        if argv[0] == "check":
            for path in argv[1:]:
                check_target(path)
        else:
            write_bytes(argv[1], sys.stdin.buffer.read())
    except (OutputError, OSError) as err:
        print(f"apothem: error: OUTPUT: {err}", file=sys.stderr)
        return EXIT_CANTCREAT
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
