"""status.json: read, write and normalise it, its timestamps, and whether its process lives.

A 'running' status is only true while its process lives: a process killed without a word
(kill -9, the out-of-memory killer, a reboot) leaves it behind, so readers apply liveness and
`reconcile_status` records the verdict.
"""
from __future__ import annotations

import json
import logging
import os
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from engine.runs.files import _jsonable, _reason, read_text, write_json_atomic
from engine.runs.layout import LOG_FILE, STATUS_FILE, _low_free_space, _megabytes

log = logging.getLogger(__package__)  # "engine.runs", as before the package split

STATES = ("queued", "running", "finished", "failed", "stopped")

_STATUS_KEYS = ("state", "step", "total_steps", "pid", "started_at", "updated_at", "error",
                "device")

TRACKERS_FAILED_KEY = "trackers_failed"
"""status.json's {tracker name: why} for each tracker of run.report_to that could not start or
was switched off mid-run (absent when none failed)."""


def tracker_warning(status: dict) -> str | None:
    """The failed trackers of a run, in words, or None."""
    failed = status.get(TRACKERS_FAILED_KEY)
    if not isinstance(failed, dict) or not failed:
        return None
    said = "; ".join(f"{name} {why}" for name, why in failed.items())
    return (f"tracker {said}. Training went on without it; the run directory has every row "
            f"(see {LOG_FILE} for the traceback)")


# --- timestamps ------------------------------------------------------------------------------

def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat()


def parse_time(text: Any) -> datetime | None:
    """An ISO timestamp as an aware datetime, a naive one taken as UTC; None if it is not one."""
    if not isinstance(text, str):
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


# --- status.json -----------------------------------------------------------------------------

def read_status_file(run_dir: Path) -> dict:
    """status.json as stored, without the liveness verdict of read_status; state 'unknown'
    with an error when missing or unreadable (a link, never followed, is unreadable)."""
    path = Path(run_dir) / STATUS_FILE
    try:
        text = read_text(path)
    except FileNotFoundError:
        return {"state": "unknown", "error": f"{STATUS_FILE} is missing"}
    except OSError as exc:
        return {"state": "unknown", "error": f"{STATUS_FILE} cannot be read: {_reason(exc)}"}
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        return {"state": "unknown", "error": f"{STATUS_FILE} is corrupt: {exc}"}
    if not isinstance(data, dict):
        return {"state": "unknown",
                "error": f"{STATUS_FILE} is corrupt: expected an object, got {type(data).__name__}"}
    if data.get("state") not in STATES:
        return {**data, "state": "unknown",
                "error": f"{STATUS_FILE} has an unknown state {data.get('state')!r}"}
    return data


def _normalised(status: dict) -> dict:
    """Every documented key present, so callers can index without guarding."""
    return {**{key: None for key in _STATUS_KEYS}, **status}


def write_status(run_dir: Path, **fields: Any) -> dict:
    """Merge `fields` into status.json, stamp updated_at, replace the file atomically.

    A missing or corrupt file is started over rather than refused: the writer is the one
    process that knows the truth. So is a link, which is replaced, never written through.
    """
    state = fields.get("state")
    if state is not None and state not in STATES:
        raise ValueError(f"unknown run state {state!r}; expected one of {', '.join(STATES)}")
    path = Path(run_dir) / STATUS_FILE
    current = read_status_file(run_dir)
    if current.get("state") == "unknown":
        current = {k: v for k, v in current.items() if k not in ("state", "error")}
    status = {**current, **_jsonable(fields), "updated_at": utc_now()}
    write_json_atomic(path, status)
    return status


def status_problem(run_dir: Path) -> str | None:
    """What is wrong with status.json as a file (missing, unreadable, corrupt), or None."""
    stored = read_status_file(run_dir)
    return stored.get("error") if stored["state"] == "unknown" else None


# --- liveness --------------------------------------------------------------------------------

def _waits_on_process(status: dict) -> bool:
    """Whether the status is only true while its pid lives."""
    pid = status.get("pid")
    if not isinstance(pid, int) or isinstance(pid, bool):
        return False
    return status.get("state") == "running" or (status.get("state") == "queued" and pid > 0)


def gone_error(pid: int) -> str:
    """What is known of a process that died without recording its end: not how it died (only
    its parent learns the exit signal, and the parent may be an app that is gone)."""
    return (f"the training process (pid {pid}) is gone without recording how it ended: it was "
            "killed (by kill -9 or the out-of-memory killer, for example) or the machine "
            f"restarted; see {LOG_FILE}")


def disk_note(run_dir: Path) -> str:
    """Why a run may have died unheard: on a full disk its last words cannot be written either.
    Asked now (little free space) and of the past (its log says the disk was full), because
    space may be back by the time anyone looks."""
    from engine.runs.disk import log_mentions_full_disk

    free = _low_free_space(run_dir)
    if free is not None:
        return (f". The disk holding it has only {_megabytes(free)} free: it most likely filled up, "
                "which stops a run before it can record why")
    if log_mentions_full_disk(run_dir):
        return (f". Its {LOG_FILE} says the disk was full (No space left on device): that is most "
                "likely what stopped it")
    return ""


def _status_with_liveness(run_dir: Path) -> tuple[dict, bool]:
    """(status, whether it was turned to 'failed' because its process is gone)."""
    raw = read_status_file(run_dir)
    if not _waits_on_process(raw) or pid_alive(raw["pid"]):
        return _normalised(raw), False
    # The process may have written its final state just before exiting; now that it is
    # dead it cannot write again, so a second read is the final word.
    again = read_status_file(run_dir)
    if _waits_on_process(again) and again.get("pid") == raw["pid"]:
        error = gone_error(raw["pid"]) + disk_note(run_dir)
        return _normalised({**again, "state": "failed", "error": error}), True
    return _normalised(again), False


def read_status(run_dir: Path) -> dict:
    """status.json with liveness applied: a 'running' run whose process is gone reads 'failed'.

    Never raises for a missing or corrupt file (state 'unknown' with an error instead) and
    never writes; `reconcile_status` persists the verdict.
    """
    return _status_with_liveness(Path(run_dir))[0]


def reconcile_status(run_dir: Path) -> dict:
    """Like read_status, and write the 'failed' verdict into status.json when the process died.

    A read-only runs folder (someone watching another machine's runs) still gets the
    verdict, just not persisted.
    """
    status, process_gone = _status_with_liveness(Path(run_dir))
    if process_gone:
        try:
            return _normalised(write_status(Path(run_dir), state="failed", error=status["error"]))
        except OSError as exc:
            log.warning("could not record that run %s failed: %s", Path(run_dir).name,
                        _reason(exc))
    return status


# --- processes -------------------------------------------------------------------------------

def _proc_stat_fields(pid: int) -> list[str]:
    """Fields of /proc/<pid>/stat after the command name (field 3, the state, comes first).

    The name is in parentheses and may itself contain spaces or ')', hence the rsplit.
    """
    text = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8", errors="replace")
    return text.rsplit(")", 1)[1].split()


def process_exists(pid: int) -> bool:
    """Whether any process `pid` exists (not only a trainer, unlike pid_alive): the owner of
    an export's staging folder or of an app's download folder."""
    return _process_exists(pid)


def _process_exists(pid: int) -> bool:
    """Signal 0: checks existence without touching the process."""
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return False  # 0 and negatives address process groups, never one process
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    except OSError:
        return False
    return True


def _process_start_ticks(pid: int) -> int | None:
    """When the process started (clock ticks since boot), or None where /proc can't say."""
    try:
        return int(_proc_stat_fields(pid)[19])
    except (OSError, IndexError, ValueError):
        return None


def pid_alive(pid: int) -> bool:
    """Whether `pid` is a live training process.

    A zombie (exited, not yet reaped by its parent) is dead. After a reboot the pid may
    belong to an unrelated process, so on Linux a process whose command line lacks
    "engine" (as in `python -m engine.train`, also under `accelerate launch`) counts as dead.
    Where /proc cannot be read, existence alone decides.
    """
    if not _process_exists(pid):
        return False
    try:
        state = _proc_stat_fields(pid)[0]
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, IndexError):
        return True
    return state != "Z" and b"engine" in cmdline


# --- a frozen trainer ------------------------------------------------------------------------

STALL_ENV = "DETOX_STALL_S"


def _stall_min_s() -> float:
    raw = os.environ.get(STALL_ENV, "").strip()
    try:
        value = float(raw) if raw else 120.0
    except ValueError:
        value = -1.0
    if not 0 < value < float("inf"):
        log.warning("ignoring %s=%r: expected a positive number of seconds", STALL_ENV, raw)
        return 120.0
    return value


STALL_MIN_S = _stall_min_s()
"""A running run that wrote nothing for this long (and for STALL_FACTOR of its steps) is stalled
(default 120 s; $DETOX_STALL_S sets it for the app, the trainer's readers and the CLI)."""
STALL_FACTOR = 10.0
"""... measured against the run's own step times: a slow machine's long steps are no stall."""


def typical_step_s(rows: list[dict]) -> float | None:
    """The median of the last 20 steps' time/step, or None before the first step."""
    times = sorted(r["time/step"] for r in rows[-20:] if isinstance(r.get("time/step"), (int, float)))
    return times[len(times) // 2] if times else None


def stall_seconds(status: dict, rows: list[dict], now: float | None = None, min_s: float = STALL_MIN_S,
                  factor: float = STALL_FACTOR) -> float | None:
    """How long a running run has shown no sign of life (no status update) when that is far
    longer than its steps take: a frozen trainer (SIGSTOP, a hung GPU, a machine swapping).
    None for a run that is fine, not running, or has not finished a step yet."""
    if status.get("state") != "running" or not status.get("step"):
        return None
    last = parse_time(status.get("updated_at"))
    if last is None:
        return None
    quiet = (now if now is not None else time.time()) - last.timestamp()
    limit = max(min_s, factor * (typical_step_s(rows) or 0.0))
    return quiet if quiet > limit else None


def stall_warning(quiet: float, rows: list[dict]) -> str:
    step = typical_step_s(rows)
    usual = f" (its steps take {step:.1f} s)" if step else ""
    return (f"no sign of life for {quiet / 60:.1f} min{usual}: the trainer looks frozen (stopped with "
            "SIGSTOP, a hung GPU, a machine out of memory and swapping). Stop it: if it does not "
            "answer, it is killed after a grace period")
