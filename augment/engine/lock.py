"""One process per run folder: a lock file holding the owner's pid and start time.

Two ``augment run`` on one folder would each pay for every call. The second one
fails with :class:`~augment.errors.RunLocked` (exit code 2) naming the holder; a
lock left by a dead process (its pid no longer runs) is taken over with a warning.
Taking the lock is atomic (``O_CREAT | O_EXCL``, or ``os.replace`` of a stale one
under an ``fcntl`` lock), so two starting processes cannot both win.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from augment.engine.ledger import pid_alive
from augment.errors import ConfigError, RunLocked

__all__ = ["FolderLock", "LOCK_NAME"]

log = logging.getLogger("augment.engine")

LOCK_NAME = "run.lock"


@contextlib.contextmanager
def _guard(folder: Path) -> Iterator[None]:
    """Serialise lock takers of one folder (held for microseconds)."""
    with open(folder / (LOCK_NAME + ".guard"), "a+") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


class FolderLock:
    """``with FolderLock(run_dir): ...`` holds the folder for this process."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.path = self.folder / LOCK_NAME
        self._held = False

    def holder(self) -> dict[str, object] | None:
        """The lock file's content (pid, host, started_at), or None when unlocked."""
        try:
            return dict(json.loads(self.path.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            return None

    def acquire(self) -> None:
        """Take the lock, or raise :class:`RunLocked` if a live process holds it."""
        if self.folder.exists() and not self.folder.is_dir():
            raise ConfigError("the run folder is a file, not a folder; use another output "
                              "dir (output.dir or --out)", file=str(self.folder))
        self.folder.mkdir(parents=True, exist_ok=True)
        me = {"pid": os.getpid(), "host": socket.gethostname(),
              "started_at": datetime.now(UTC).isoformat(timespec="seconds")}
        with _guard(self.folder):
            old = self.holder()
            if old is not None and self.path.exists():
                pid = int(str(old.get("pid", 0)) or 0)
                same_host = old.get("host") in (None, me["host"])
                if pid == os.getpid():
                    pass  # re-entrant within one process
                elif not same_host or pid_alive(pid):
                    raise RunLocked(
                        f"run folder {self.folder} is in use by process {pid} on "
                        f"{old.get('host')} (started {old.get('started_at')}); wait for it to "
                        f"finish, or stop it, then run again (if that process is gone, delete "
                        f"{self.path})", pid=pid, started_at=str(old.get("started_at")))
                else:
                    log.warning("run folder %s: taking over the lock of process %s (started %s), "
                                "which is no longer running", self.folder, pid,
                                old.get("started_at"))
            tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(me), encoding="utf-8")
            os.replace(tmp, self.path)
        self._held = True

    def release(self) -> None:
        """Give the lock back (only if this process holds it)."""
        if not self._held:
            return
        self._held = False
        with _guard(self.folder):
            held = self.holder()
            if held is not None and held.get("pid") == os.getpid():
                self.path.unlink(missing_ok=True)

    def __enter__(self) -> FolderLock:
        self.acquire()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()
