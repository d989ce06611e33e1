"""Upload bytes on local disk: ``<data>/uploads/upload-<random>`` (plus
``upload-<random>.thumb.webp`` for a thumbnail), received through ``<data>/uploads/tmp/``.

* A file is written to a temp file, ``fsync``-ed, then renamed into place (atomic) and the
  directory ``fsync``-ed: a crash leaves either no file or a whole one, never a partial one
  under a final name.  Temp files a crash leaves behind are removed by housekeeping.
* Names are random (128 bits) and checked against :data:`KEY_RE` before any path is built, so
  nothing a client sends can reach the filesystem.
* Every blocking call runs in a worker thread (``trio.to_thread``), never on the event loop.
* Disk full (``ENOSPC``/``EDQUOT``) is reported as :class:`DiskFull`; the partial file is removed.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import time
from pathlib import Path

import trio

KEY_RE = re.compile(r"^upload-[0-9a-f]{32}(?:\.thumb\.webp)?$")
THUMB_SUFFIX = ".thumb.webp"
_DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})


class DiskFull(OSError):
    """The disk (or the user's disk quota) is full; nothing was kept."""


def is_disk_full(exc: BaseException) -> bool:
    return isinstance(exc, DiskFull) or (isinstance(exc, OSError) and exc.errno in _DISK_FULL)


def new_key() -> str:
    return "upload-" + secrets.token_hex(16)


class Storage:
    """The uploads directory of one data directory."""

    def __init__(self, data_dir: Path) -> None:
        self.root = data_dir / "uploads"
        self.tmp = self.root / "tmp"

    def ensure_dirs(self) -> None:
        self.tmp.mkdir(parents=True, exist_ok=True, mode=0o700)

    def path(self, key: str) -> Path:
        """The file for a storage key; ValueError for anything that is not one of ours."""
        if not KEY_RE.fullmatch(key):
            raise ValueError(f"not an upload storage key: {key!r}")
        return self.root / key

    # --- housekeeping (worker threads) ------------------------------------------------------
    def remove(self, keys: list[str]) -> dict[str, str]:
        """Unlink the files of ``keys`` (a missing file is fine); {key: error} for failures."""
        failed: dict[str, str] = {}
        for key in keys:
            try:
                self.path(key).unlink(missing_ok=True)
            except (OSError, ValueError) as exc:
                failed[key] = repr(exc)[:200]
        return failed

    def old_files(self, older_than_s: float) -> tuple[list[str], list[Path]]:
        """(storage keys, temp files) last modified more than ``older_than_s`` seconds ago."""
        cutoff = time.time() - older_than_s
        keys: list[str] = []
        temps: list[Path] = []
        for directory, into in ((self.root, keys), (self.tmp, temps)):
            try:
                entries = list(os.scandir(directory))
            except FileNotFoundError:
                continue
            for entry in entries:
                try:
                    if not entry.is_file(follow_symlinks=False):
                        continue
                    if entry.stat(follow_symlinks=False).st_mtime >= cutoff:
                        continue
                except OSError:
                    continue
                if into is keys and KEY_RE.fullmatch(entry.name):
                    keys.append(entry.name)
                elif into is temps:
                    temps.append(Path(entry.path))
        return keys, temps


def _write_all(fd: int, data: bytes | bytearray | memoryview) -> None:
    """Write every byte (``os.write`` may write fewer)."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class TempFile:
    """One file being received.  ``write`` appends (in a worker thread); ``commit`` makes it
    durable under a new random key and returns the key; ``discard`` removes whatever exists.
    Use as ``async with``: leaving without ``commit`` discards."""

    def __init__(self, storage: Storage) -> None:
        self._storage = storage
        self.key = new_key()
        self.temp_path = storage.tmp / f"{self.key}.part"
        self.final_path = storage.root / self.key
        self._fd: int | None = None
        self.size = 0
        self.committed = False

    async def __aenter__(self) -> TempFile:
        await trio.to_thread.run_sync(self._open)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if not self.committed:
            self.discard()

    def _open(self) -> None:
        self._storage.ensure_dirs()
        self._fd = os.open(self.temp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC,
                           0o600)

    async def write(self, data: bytes | bytearray) -> None:
        assert self._fd is not None
        try:
            await trio.to_thread.run_sync(_write_all, self._fd, data)
        except OSError as exc:
            self.discard()
            if is_disk_full(exc):
                raise DiskFull(exc.errno, "disk full while writing an upload") from exc
            raise
        self.size += len(data)

    def _commit(self) -> None:
        assert self._fd is not None
        fd, self._fd = self._fd, None
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(self.temp_path, self.final_path)
        self.committed = True
        _fsync_dir(self._storage.root)

    async def commit(self) -> str:
        try:
            await trio.to_thread.run_sync(self._commit)
        except OSError as exc:
            self.discard()
            if is_disk_full(exc):
                raise DiskFull(exc.errno, "disk full while saving an upload") from exc
            raise
        return self.key

    def discard(self) -> None:
        """Close and remove the temp file and the committed file, if any.  Quick, synchronous
        (also called while being cancelled)."""
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None
        for path in (self.temp_path, self.final_path):
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)
        self.committed = False
