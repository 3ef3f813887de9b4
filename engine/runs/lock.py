"""The training lock: one training run at a time per machine, and which run holds it; the
evaluation lock: one evaluation of a run at a time, and which process runs it (so that an app
restarted while one works finds it, can stop it, and never starts a second beside it)."""
from __future__ import annotations

import json
import logging
import os
import secrets
import time
from pathlib import Path

from engine.runs.files import NotRegularFileError, _reason, read_text
from engine.runs.layout import EVALUATE_LOCK_FILE, LOCK_FILE, RunError, check_writable
from engine.runs.status import _proc_stat_fields, _process_exists, _process_start_ticks

log = logging.getLogger(__package__)  # "engine.runs", as before the package split

# Someone creating the lock file has created it but not yet written it; give them this long
# before an empty or unreadable lock counts as abandoned.
_LOCK_GRACE_S = 10.0


def _read_lock(path: Path) -> tuple[dict | None, float]:
    """(lock contents or None when unreadable, age in seconds); FileNotFoundError if absent.
    A link is unreadable (never followed): it ages like a lock that was never written."""
    age = time.time() - os.lstat(path).st_mtime
    try:
        info = json.loads(read_text(path))
    except (ValueError, UnicodeDecodeError, NotRegularFileError):
        return None, age
    if not isinstance(info, dict) or not isinstance(info.get("pid"), int):
        return None, age
    return info, age


def _lock_is_held(info: dict | None, age: float) -> bool:
    """Whether a lock with these contents still belongs to a live process.

    Unlike pid_alive this does not ask for "engine" in the command line (the holder may be
    any program that trains in-process); pid reuse is caught by the recorded start time.
    """
    if info is None:
        return age < _LOCK_GRACE_S  # being written right now, or abandoned long ago
    pid = info["pid"]
    if not _process_exists(pid):
        return False
    try:
        if _proc_stat_fields(pid)[0] == "Z":
            return False
    except (OSError, IndexError):
        return True
    recorded = info.get("proc_start")
    return recorded is None or recorded == _process_start_ticks(pid)


def _in_progress_error(info: dict | None) -> RunError:
    if info is None:
        return RunError("a run is already in progress: another run is starting right now")
    return RunError(f"a run is already in progress: {info.get('run_id')} (pid {info['pid']})")


def _evaluating_error(info: dict | None) -> RunError:
    if info is None:
        return RunError("an evaluation of this run is starting right now: wait for it, or stop it")
    return RunError(f"an evaluation of run {info.get('run_id')} is already in progress (pid {info['pid']}, "
                    f"started {info.get('started_at') or '?'}): wait for it, or stop it (Cancel in the "
                    f"Evaluate tab, or kill {info['pid']})")


class TrainingLock:
    """One training run at a time per machine: the file `<runs_dir>/.train.lock`.

    It holds {"pid", "run_id", "proc_start"} of the holder; a lock whose process is gone is
    stale and taken over. Acquire it in one process per run (rank 0 under accelerate).
    """

    file_name = LOCK_FILE
    busy_error = staticmethod(_in_progress_error)
    what = "training lock"

    def __init__(self, runs_dir: Path, run_id: str, **details: object):
        self.runs_dir = Path(runs_dir)
        self.run_id = run_id
        self.path = self.runs_dir / self.file_name
        self.details = details
        self._held = False

    def _try_create(self) -> bool:
        try:
            fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return False
        info = {**self.details, "pid": os.getpid(), "run_id": self.run_id,
                "proc_start": _process_start_ticks(os.getpid())}
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(json.dumps(info))
        return True

    def _take_over_stale(self) -> None:
        """Move a stale lock out of the way, unless someone took it over meanwhile.

        Renaming (rather than deleting) lets us check what we actually moved: if another
        process replaced the stale lock between our read and the rename, we put theirs back.
        """
        aside = self.path.with_name(f"{LOCK_FILE}.stale-{os.getpid()}-{secrets.token_hex(4)}")
        try:
            os.rename(self.path, aside)
        except FileNotFoundError:
            return  # someone else already cleared it
        try:
            info, age = _read_lock(aside)
            if _lock_is_held(info, age):
                try:
                    os.link(aside, self.path)
                except FileExistsError:
                    log.warning("%s %s was contended while being taken over", self.what, self.path)
                raise self.busy_error(info)
        finally:
            aside.unlink(missing_ok=True)

    def acquire(self) -> None:
        """Take the lock, or raise RunError naming the run that holds it."""
        self._check_folder()
        try:
            if self._try_create():
                self._held = True
                return
            try:
                info, age = _read_lock(self.path)
            except FileNotFoundError:
                info, age = None, 0.0  # released just now; the retry below will get it
            else:
                if _lock_is_held(info, age):
                    raise self.busy_error(info)
                log.warning("taking over a stale %s (%s)", self.what, info if info else "unreadable")
                self._take_over_stale()
            if self._try_create():
                self._held = True
                return
            info, _ = _read_lock(self.path)
            raise self.busy_error(info)
        except OSError as exc:
            raise RunError(f"cannot take the {self.what} {self.path}: {_reason(exc)}") from exc

    def _check_folder(self) -> None:
        check_writable(self.runs_dir)  # a run can be written there, not only the lock

    def release(self) -> None:
        """Remove the lock file if it is still ours; a no-op otherwise."""
        if not self._held:
            return
        self._held = False
        try:
            info, _ = _read_lock(self.path)
        except FileNotFoundError:
            return
        if info and info.get("pid") == os.getpid() and info.get("run_id") == self.run_id:
            self.path.unlink(missing_ok=True)

    def __enter__(self) -> TrainingLock:
        self.acquire()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()


def active_run(runs_dir: Path) -> str | None:
    """The id of the run holding a live training lock, else None."""
    try:
        info, age = _read_lock(Path(runs_dir) / LOCK_FILE)
    except FileNotFoundError:
        return None
    except OSError as exc:
        # A runs folder that is a file, or unreadable: nothing can train there (check_writable
        # refuses to start), and a viewer must still open rather than crash on every refresh.
        log.debug("cannot read the training lock in %s: %s", runs_dir, _reason(exc))
        return None
    if info is None or not _lock_is_held(info, age):
        return None
    run_id = info.get("run_id")
    return run_id if isinstance(run_id, str) else None


class EvaluationLock(TrainingLock):
    """One evaluation of a run at a time: the file `<run dir>/.evaluate.lock`, held by
    `python -m engine.evaluate` while it works, with what it evaluates (`details`: checkpoint,
    data, prompts, started_at). Stale when its process is gone, like the training lock."""

    file_name = EVALUATE_LOCK_FILE
    busy_error = staticmethod(_evaluating_error)
    what = "evaluation lock"

    def __init__(self, run_dir: Path, **details: object):
        super().__init__(Path(run_dir), Path(run_dir).name, **details)

    def _check_folder(self) -> None:
        """Nothing beyond the lock's own creation: evaluation.json is written atomically, and a
        run folder that cannot take the lock is named by acquire's error."""


def active_evaluation(run_dir: Path) -> dict | None:
    """The lock of the evaluation of this run in progress ({pid, run_id, proc_start, checkpoint,
    data, prompts, started_at}), else None (none, or its process is gone)."""
    try:
        info, age = _read_lock(Path(run_dir) / EVALUATE_LOCK_FILE)
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.debug("cannot read the evaluation lock of %s: %s", run_dir, _reason(exc))
        return None
    if info is None or not _lock_is_held(info, age):
        return None
    return info
