"""Files users download (CSVs, zips): a private temporary folder per app, and the clean-up of the
folders of apps that were killed."""
from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
import time
import weakref
from pathlib import Path

from engine import runs

log = logging.getLogger(__name__)


DOWNLOADS = re.compile(r"^detox-[a-z]+-pid(?P<pid>[0-9]+)-")
"""A Downloads folder's name in the temp folder: its app's process id inside, so that a later
app can tell the folders of an app that was killed (kill -9 runs no clean-up) from a live one's."""


def remove_stale_downloads(temp_dir: Path | None = None) -> list[Path]:
    """Remove the Downloads folders (zips, CSVs, half-built exports that may hold a whole
    model.safetensors) of apps whose process is gone; called when the app starts. One that
    cannot be removed is logged and left."""
    removed = []
    folder = Path(temp_dir or tempfile.gettempdir())
    try:
        entries = list(folder.iterdir())
    except OSError as exc:
        log.warning("could not look for stale download folders in %s: %s", folder, exc)
        return removed
    for entry in entries:
        match = DOWNLOADS.match(entry.name)
        if match is None or entry.is_symlink() or not entry.is_dir() or runs.process_exists(int(match["pid"])):
            continue
        try:
            shutil.rmtree(entry)
        except OSError as exc:
            log.warning("could not remove %s, left by an app that was killed: %s", entry, exc)
            continue
        log.info("removed %s, left by an app that was killed", entry)
        removed.append(entry)
    return removed


class Downloads:
    """A private temporary folder for files users download (CSVs, zips): made on first use,
    removed with its owner, files older than `max_age_s` pruned on each new one. Its name holds
    the app's pid (DOWNLOADS): the next app removes it if this one is killed."""

    def __init__(self, prefix: str, max_age_s: float = 3600):
        self.prefix, self.max_age_s = prefix, max_age_s
        self._dir: Path | None = None

    def folder(self) -> Path:
        if self._dir is None:
            self._dir = Path(tempfile.mkdtemp(prefix=f"detox-{self.prefix}-pid{os.getpid()}-"))
            weakref.finalize(self, shutil.rmtree, self._dir, ignore_errors=True)
        now = time.time()
        for old in self._dir.iterdir():
            if now - old.stat().st_mtime > self.max_age_s:
                shutil.rmtree(old) if old.is_dir() else old.unlink(missing_ok=True)
        return self._dir

    def new_folder(self) -> Path:
        """A fresh, unique, empty folder inside, for files that keep their own names."""
        return Path(tempfile.mkdtemp(dir=self.folder()))

    def new_path(self, stem: str, suffix: str) -> Path:
        """A fresh, unique file path in the folder (the file exists, empty)."""
        fd, name = tempfile.mkstemp(prefix=f"{stem}-", suffix=suffix, dir=self.folder())
        os.close(fd)
        return Path(name)
