"""A full disk, told truly: a run whose disk fills up must still record that this is why it stopped.

On a full disk the trainer's last words (status.json, train.log) cannot be written either, and
whoever looks later, once space is back, would see a process that vanished and guess kill -9.
So the trainer sets a little space aside when it starts (`RESERVE_FILE`), and gives it back
just before it records a failure caused by the disk; readers that find a silent death look for
the disk in the log tail and in the free space.
"""
from __future__ import annotations

import errno
import logging
import os
from pathlib import Path

from engine.runs.files import open_regular, read_jsonl, read_tail
from engine.runs.layout import LOG_FILE, METRICS_FILE

log = logging.getLogger("engine.runs")

RESERVE_FILE = ".disk-reserve"
RESERVE_BYTES = 256 * 1024
"""Enough for status.json and a few log lines, many times over."""
DISK_ERRNOS = (errno.ENOSPC, errno.EDQUOT)
DISK_WORDS = ("No space left on device", "Disk quota exceeded")


def make_reserve(run_dir: Path) -> None:
    """Set RESERVE_BYTES aside in the run directory (written, not sparse, so it really holds space)."""
    try:
        fd = open_regular(Path(run_dir) / RESERVE_FILE, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        with os.fdopen(fd, "wb") as f:
            f.write(b"\0" * RESERVE_BYTES)
            f.flush()
            os.fsync(f.fileno())
    except OSError as exc:  # the disk is already nearly full: the run may still start; say so
        log.warning("could not set %d KiB aside for recording a full disk: %s", RESERVE_BYTES // 1024, exc)
        release_reserve(run_dir)


def release_reserve(run_dir: Path) -> bool:
    """Give the reserved space back; True when there was some."""
    try:
        os.unlink(Path(run_dir) / RESERVE_FILE)
        return True
    except FileNotFoundError:
        return False


def disk_full(exc: BaseException | None) -> bool:
    """Whether `exc`, or an exception it was raised from or while handling, is a full disk."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno in DISK_ERRNOS:
            return True
        if any(words in str(exc) for words in DISK_WORDS):  # wrapped, e.g. by safetensors
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def disk_full_error(exc: BaseException, step: int | None = None) -> str:
    """The error a run records when its disk filled up; `step` is the last step whose metrics
    were kept (see kept_step)."""
    at = f" after step {step}" if step else ""
    words = exc.strerror if isinstance(exc, OSError) and exc.strerror else DISK_WORDS[0]
    return (f"the disk holding the run filled up{at} ({words}): "
            "free some space and start the run again; its checkpoints and metrics so far are kept")


def kept_step(run_dir: Path) -> int | None:
    """The newest step metrics.jsonl kept, else status.json's: a full disk may fail the status
    write right after a step's row went in, so status.json says one step fewer than is kept."""
    from engine.runs.status import read_status_file  # status imports this module

    rows = read_jsonl(Path(run_dir) / METRICS_FILE)[0]
    steps = [r["step"] for r in rows if isinstance(r.get("step"), int) and not isinstance(r.get("step"), bool)]
    return max(steps, default=None) or read_status_file(run_dir).get("step")


def log_mentions_full_disk(run_dir: Path, lines: int = 200) -> bool:
    """Whether the end of train.log says the disk was full (a trainer that could log but not
    write its status, or whose parent logged the failure)."""
    try:
        tail = read_tail(Path(run_dir) / LOG_FILE, lines)  # never through a link
    except OSError:
        return False
    return any(words in tail for words in DISK_WORDS)
