"""An exclusive lock on a file, so two kernels (or threads) never fetch the same model at once.

The operating system releases the lock when its holder exits, even after a crash, so a lock
file left behind never blocks anyone. Each ``FileLock`` opens the file anew, so two threads
of one process exclude each other too.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

if sys.platform == "win32":
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)

POLL_S = 0.1


class FileLock:
    """``with FileLock(path, on_wait, timeout_s):`` holds ``path`` locked; ``on_wait`` is
    called once if another holder makes it wait, and TimeoutError is raised after waiting
    ``timeout_s`` seconds."""

    def __init__(self, path: Path, on_wait: Callable[[], None] = lambda: None,
                 timeout_s: float = 3600.0) -> None:
        self.path = path
        self._on_wait = on_wait
        self._timeout_s = timeout_s
        self._fd: int | None = None

    def __enter__(self) -> "FileLock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        if not _try_lock(fd):
            self._on_wait()
            deadline = time.monotonic() + self._timeout_s
            while not _try_lock(fd):
                if time.monotonic() > deadline:
                    os.close(fd)
                    raise TimeoutError(f"{self.path} stayed locked for {self._timeout_s:.0f} s")
                time.sleep(POLL_S)
        self._fd = fd
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self._fd is not None:
            _unlock(self._fd)
            os.close(self._fd)
            self._fd = None
