"""The run directory: create runs, record status and metrics, list and read them back.

A run directory is the whole truth about a run (see DESIGN.md, "The run directory"): the
dashboard may restart at any time and must find every run again from these files alone. So
every writer here keeps the files valid for a reader that looks at them at any moment: JSON
documents are replaced atomically, JSONL files are only appended to, and readers tolerate a
half-written last line.

Pure standard library on purpose: the dashboard and the CLI import this without torch.

CLI: `python -m engine.runs list|show ...`.
"""
from __future__ import annotations

import argparse
import json
import logging
import math
import os
import re
import secrets
import shutil
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from engine.config import shown

log = logging.getLogger(__name__)

RUNS_DIR_ENV = "DETOX_RUNS_DIR"
STATES = ("queued", "running", "finished", "failed", "stopped")

METRICS_FILE = "metrics.jsonl"
SAMPLES_FILE = "samples.jsonl"
STATUS_FILE = "status.json"
CONFIG_FILE = "config.json"
EVALUATION_FILE = "evaluation.json"
EVAL_FILE = "eval.jsonl"
"""Held-out toxicity during training: one row per evaluation (engine.evaluation.HeldOut)."""
LOG_FILE = "train.log"
CHECKPOINTS_DIR = "checkpoints"
FINAL_DIR = "final"
LOCK_FILE = ".train.lock"

# A checkpoint directory only counts once PEFT has written this file into it; a directory
# without it is a save in progress or a crashed one.
ADAPTER_CONFIG_FILE = "adapter_config.json"

_RUN_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_PRESET_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_CHECKPOINT_RE = re.compile(r"^(?:final|step-(\d+))$")
_RUN_TIME_FORMAT = "%Y%m%dT%H%M%SZ"
_RUN_TIME_RE = re.compile(r"^(\d{8}T\d{6}Z)-(.+)-[0-9a-f]{4}$")

_STATUS_KEYS = ("state", "step", "total_steps", "pid", "started_at", "updated_at", "error",
                "device")
# Someone creating the lock file has created it but not yet written it; give them this long
# before an empty or unreadable lock counts as abandoned.
_LOCK_GRACE_S = 10.0
# log_tail reads at most this much from the end, so one endless progress-bar line cannot make
# it load a huge file.
_LOG_TAIL_MAX_BYTES = 1 << 20
MIN_FREE_BYTES = 200 * 2**20
"""A run needs room for its log, metrics and a few checkpoints (a LoRA adapter and value head
are megabytes; a run with many checkpoints of a big model tens of them): below this much free
space a new run is refused rather than left to fail halfway with a full disk."""
PROBLEMS_SHOWN = 5
"""summarise_problems keeps this many messages and counts the rest."""


class RunError(Exception):
    """A problem the user must see, with a readable message."""


# --- small helpers ---------------------------------------------------------------------------

def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat()


def _reason(exc: OSError) -> str:
    """The readable part of an OSError ("No space left on device"), without errno noise."""
    return exc.strerror or str(exc)


def _write_json_atomic(path: Path, data: Any, indent: int | None = 2) -> None:
    """Write `data` as JSON so that a reader sees either the old file or the new one, whole.

    The temporary file lives in the same directory because os.replace is only atomic within
    one filesystem.
    """
    text = json.dumps(data, indent=indent, allow_nan=False) + "\n"
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def _jsonable(value: Any) -> Any:
    """`value` with non-finite floats replaced by None, so the line stays strict JSON.

    numpy and torch scalars (anything with `.item()`) are unwrapped first: their NaNs would
    otherwise slip past the float check.
    """
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (str, int, bool)) or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    item = getattr(value, "item", None)
    if callable(item):
        return _jsonable(item())
    return value  # json.dumps reports anything else with its own clear TypeError


def _parse_time(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


# --- ids and folders -------------------------------------------------------------------------

def default_runs_dir() -> Path:
    """$DETOX_RUNS_DIR, else ./runs; absolute so it survives a subprocess with another cwd."""
    configured = os.environ.get(RUNS_DIR_ENV, "").strip()
    return Path(configured or "runs").expanduser().absolute()


def validate_run_id(run_id: str) -> str:
    """Return `run_id` if it is safe to use as a folder name inside the runs folder."""
    if not isinstance(run_id, str):
        raise RunError(f"invalid run id {shown(repr(run_id))}: it must be text")
    text = shown(run_id)
    if not run_id:
        raise RunError("invalid run id '': it is empty")
    if len(run_id) > 128:
        raise RunError(f"invalid run id '{text}': it is longer than 128 characters")
    if ".." in run_id:
        raise RunError(f"invalid run id '{text}': it must not contain '..'")
    if not run_id[0].isascii() or not run_id[0].isalnum():
        raise RunError(f"invalid run id '{text}': it must start with a letter or a digit")
    if not _RUN_ID_RE.match(run_id):
        raise RunError(f"invalid run id '{text}': only letters, digits, '.', '_' and '-' "
                       "are allowed")
    return run_id


def new_run_id(preset: str, now: datetime | None = None) -> str:
    """A fresh id `<UTC time>-<preset>-<4 hex>`; ids sort by creation time."""
    if not isinstance(preset, str) or not _PRESET_RE.match(preset):
        raise RunError(f"invalid preset name '{shown(preset)}' for a run id: use "
                       "letters, digits, '.', '_' or '-'")
    moment = now or datetime.now(timezone.utc)
    # A naive time is taken as UTC rather than local time: the id promises UTC.
    moment = moment.astimezone(timezone.utc) if moment.tzinfo else moment
    run_id = f"{moment.strftime(_RUN_TIME_FORMAT)}-{preset}-{secrets.token_hex(2)}"
    return validate_run_id(run_id)


def _megabytes(n_bytes: int) -> str:
    return f"{n_bytes / 2**20:,.0f} MB"


def check_writable(runs_dir: Path) -> None:
    """Make sure runs can be written to `runs_dir` (created if needed), else raise RunError.

    A real write with fsync is the only reliable test: permissions, read-only mounts, quotas
    and a full disk all show up here instead of in the middle of a training run. A disk with
    less than MIN_FREE_BYTES free is refused too: the write would pass, the run would not.
    """
    runs_dir = Path(runs_dir)
    if runs_dir.exists() and not runs_dir.is_dir():
        raise RunError(f"runs folder {runs_dir} is not writable: it is a file, not a folder")
    try:
        runs_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=runs_dir, prefix=".write-test-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(b"x" * 4096)
                f.flush()
                os.fsync(f.fileno())
        finally:
            Path(tmp_name).unlink(missing_ok=True)
    except OSError as exc:
        raise RunError(f"runs folder {runs_dir} is not writable: {_reason(exc)}") from exc
    _check_free_space(runs_dir)


def _low_free_space(path: Path) -> int | None:
    """The free bytes of `path`'s disk when below MIN_FREE_BYTES, else None (also when unknown)."""
    try:
        free = shutil.disk_usage(path).free
    except OSError as exc:
        log.warning("cannot tell the free space of %s: %s", path, _reason(exc))
        return None
    return free if free < MIN_FREE_BYTES else None


def _check_free_space(runs_dir: Path) -> None:
    free = _low_free_space(runs_dir)
    if free is not None:
        raise RunError(f"runs folder {runs_dir} is almost full: {_megabytes(free)} free, and a "
                       f"run needs at least {_megabytes(MIN_FREE_BYTES)} for its checkpoints and "
                       "logs; free some space or choose another folder (--runs-dir or "
                       f"${RUNS_DIR_ENV})")


def _is_run_dir(path: Path) -> bool:
    return path.is_dir() and ((path / CONFIG_FILE).is_file() or (path / STATUS_FILE).is_file())


def _nested(config: dict, *keys: str) -> Any:
    """config[k1][k2]..., or None when any level is missing or not a dict."""
    value: Any = config
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def create_run(runs_dir: Path, config: dict, preset: str, run_id: str | None = None) -> Path:
    """Create a new run folder with config.json and a queued status.json; return its path."""
    runs_dir = Path(runs_dir)
    run_id = validate_run_id(run_id) if run_id is not None else new_run_id(preset)
    try:
        # Serialise before touching the disk so a bad config leaves no half-made run behind.
        config_text = json.dumps(config, indent=2, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise RunError(f"the config of run {run_id} cannot be saved as JSON: {exc}") from exc
    check_writable(runs_dir)
    run_dir = runs_dir / run_id
    try:
        run_dir.mkdir()
    except FileExistsError as exc:
        raise RunError(f"run {run_id} already exists in {runs_dir}") from exc
    except OSError as exc:
        raise RunError(f"cannot create run folder {run_dir}: {_reason(exc)}") from exc
    total_steps = _nested(config, "ppo", "steps")
    try:
        _write_json_atomic(run_dir / CONFIG_FILE, json.loads(config_text))
        write_status(run_dir, state="queued", step=0, total_steps=total_steps, pid=None,
                     started_at=None, error=None, device=None)
    except OSError as exc:
        _remove_partial_run(run_dir)
        raise RunError(f"cannot write run {run_id} in {runs_dir}: {_reason(exc)}") from exc
    return run_dir


def _remove_partial_run(run_dir: Path) -> None:
    """Undo a create_run that failed halfway, touching only what create_run writes."""
    for name in (CONFIG_FILE, STATUS_FILE):
        (run_dir / name).unlink(missing_ok=True)
    for leftover in run_dir.glob(".*.tmp"):
        leftover.unlink(missing_ok=True)
    try:
        run_dir.rmdir()
    except OSError as exc:
        log.warning("could not remove the incomplete run folder %s: %s", run_dir, _reason(exc))


def resolve_run(runs_dir: Path, run: str, allow_paths: bool = True) -> Path:
    """The folder of `run`: a run id inside `runs_dir`, or (if `allow_paths`) a path to a run.

    Anything with a path separator is taken as a path. A web UI that passes user input should
    set `allow_paths=False` so only ids inside `runs_dir` can be reached.
    """
    runs_dir = Path(runs_dir)
    if not isinstance(run, str) or not run.strip():
        raise RunError("no run given: pass a run id or the path of a run folder")
    looks_like_path = any(sep in run for sep in ("/", os.sep, os.altsep) if sep)
    if allow_paths and looks_like_path:
        path = Path(run).expanduser()
        if not path.exists():
            raise RunError(f"no run folder at '{shown(run, 200)}'")
        if not _is_run_dir(path):
            raise RunError(f"'{shown(run, 200)}' ({path.resolve()}) is not a run folder: it has "
                           f"no {CONFIG_FILE} or {STATUS_FILE}")
        return path.resolve()
    run_dir = runs_dir / validate_run_id(run)
    if not _is_run_dir(run_dir):
        raise RunError(f"no run '{run}' in {runs_dir}")
    return run_dir


# --- status ----------------------------------------------------------------------------------

def read_status_file(run_dir: Path) -> dict:
    """status.json as stored, without the liveness verdict of read_status; state 'unknown'
    with an error when missing or unreadable."""
    path = Path(run_dir) / STATUS_FILE
    try:
        text = path.read_text(encoding="utf-8")
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
    """Why a run may have died unheard: on a full disk its last words cannot be written either."""
    free = _low_free_space(run_dir)
    if free is None:
        return ""
    return (f". The disk holding it has only {_megabytes(free)} free: it most likely filled up, "
            "which stops a run before it can record why")


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


def write_status(run_dir: Path, **fields: Any) -> dict:
    """Merge `fields` into status.json, stamp updated_at, replace the file atomically.

    A missing or corrupt file is started over rather than refused: the writer is the one
    process that knows the truth.
    """
    state = fields.get("state")
    if state is not None and state not in STATES:
        raise ValueError(f"unknown run state {state!r}; expected one of {', '.join(STATES)}")
    path = Path(run_dir) / STATUS_FILE
    current = read_status_file(run_dir)
    if current.get("state") == "unknown":
        current = {k: v for k, v in current.items() if k not in ("state", "error")}
    status = {**current, **_jsonable(fields), "updated_at": utc_now()}
    _write_json_atomic(path, status)
    return status


# --- processes -------------------------------------------------------------------------------

def _proc_stat_fields(pid: int) -> list[str]:
    """Fields of /proc/<pid>/stat after the command name (field 3, the state, comes first).

    The name is in parentheses and may itself contain spaces or ')', hence the rsplit.
    """
    text = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8", errors="replace")
    return text.rsplit(")", 1)[1].split()


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


# --- JSONL -----------------------------------------------------------------------------------

def append_jsonl(path: Path, row: dict) -> None:
    """Append `row` as one JSON line; NaN and infinities become null so every line parses.

    If an earlier writer died mid-line, a newline is added first so the torn line stays a
    single bad line instead of swallowing this good one.
    """
    line = json.dumps(_jsonable(row), ensure_ascii=False, allow_nan=False) + "\n"
    with open(path, "a+b") as f:
        if f.tell() > 0:
            f.seek(-1, os.SEEK_END)
            if f.read(1) != b"\n":
                line = "\n" + line
        # One write call per row so a concurrent reader never sees two rows interleaved.
        f.write(line.encode("utf-8"))
        f.flush()


def read_jsonl(path: Path, offset: int = 0) -> tuple[list[dict], int, list[str]]:
    """Rows appended since byte `offset`: (rows, new_offset, problems).

    A last line without its newline is still being written: it is left for the next call
    (new_offset stops before it). A complete line that is not a JSON object is skipped and
    described in `problems`. If the file shrank below `offset` it was replaced: reading
    restarts at 0, which the caller sees as new_offset < offset.
    """
    path = Path(path)
    problems: list[str] = []
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if offset > size:
                problems.append(f"{path.name} is shorter than before ({size} < {offset} bytes): "
                                "it was replaced; reading it from the start")
                offset = 0
            f.seek(offset)
            data = f.read()
    except FileNotFoundError:
        return [], offset, []
    rows: list[dict] = []
    position = offset
    # Split on "\n" only: bytes.splitlines would also split on a stray "\r".
    *complete, _torn = data.split(b"\n")  # _torn: b"" or a line still being written
    for raw in complete:
        problem = _parse_jsonl_line(raw, rows)
        if problem:
            problems.append(f"{path.name} line at byte {position} is corrupt: {problem}")
        position += len(raw) + 1
    return rows, position, problems


def _parse_jsonl_line(raw: bytes, rows: list[dict]) -> str | None:
    """Append the object on `raw` to `rows`; return what is wrong with it, if anything."""
    if not raw.strip():
        return None
    try:
        value = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        return str(exc)
    if not isinstance(value, dict):
        return f"expected an object, got {type(value).__name__}"
    rows.append(value)
    return None


def status_problem(run_dir: Path) -> str | None:
    """What is wrong with status.json as a file (missing, unreadable, corrupt), or None."""
    stored = read_status_file(run_dir)
    return stored.get("error") if stored["state"] == "unknown" else None


def summarise_problems(problems: list[str], limit: int = PROBLEMS_SHOWN, total: int | None = None) -> list[str]:
    """At most `limit` messages, the rest counted: a file full of garbage must not flood a page.
    `total`: how many problems there are when `problems` holds only the first of them."""
    total = len(problems) if total is None else total
    if total <= limit:
        return list(problems)
    return [*problems[:limit - 1], f"... and {total - limit + 1} more problems like these"]


def run_problems(run_dir: Path) -> list[str]:
    """Everything wrong with a run's files that readers worked around: a corrupt status.json
    or config.json, corrupt lines in metrics.jsonl, samples.jsonl or eval.jsonl. Empty for a sound run."""
    run_dir = Path(run_dir)
    problems = [p for p in [status_problem(run_dir)] if p]
    try:
        read_config(run_dir)
    except RunError as exc:
        problems.append(str(exc))
    for name in (METRICS_FILE, SAMPLES_FILE, EVAL_FILE):
        problems += read_jsonl(run_dir / name)[2]
    return problems


def _read_whole_jsonl(path: Path) -> list[dict]:
    rows, _, problems = read_jsonl(path)
    for problem in problems:
        log.warning("%s", problem)
    return rows


def read_metrics(run_dir: Path) -> list[dict]:
    """All metric rows of a run (one per PPO step); bad lines are logged and skipped."""
    return _read_whole_jsonl(Path(run_dir) / METRICS_FILE)


def read_samples(run_dir: Path) -> list[dict]:
    """All sample rows of a run ({step, query, response, reward}); bad lines skipped."""
    return _read_whole_jsonl(Path(run_dir) / SAMPLES_FILE)


def read_eval(run_dir: Path) -> list[dict]:
    """All held-out evaluation rows of a run ({step, toxicity, samples, ...}); bad lines skipped."""
    return _read_whole_jsonl(Path(run_dir) / EVAL_FILE)


def read_config(run_dir: Path) -> dict:
    """config.json of a run; RunError when it is missing or not a JSON object."""
    run_dir = Path(run_dir)
    try:
        text = (run_dir / CONFIG_FILE).read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise RunError(f"run {run_dir.name} has no {CONFIG_FILE}") from exc
    except OSError as exc:
        raise RunError(f"cannot read {CONFIG_FILE} of run {run_dir.name}: {_reason(exc)}") from exc
    try:
        config = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise RunError(f"{CONFIG_FILE} of run {run_dir.name} is corrupt: {exc}") from exc
    if not isinstance(config, dict):
        raise RunError(f"{CONFIG_FILE} of run {run_dir.name} is corrupt: expected an object")
    return config


# --- checkpoints -----------------------------------------------------------------------------

def checkpoint_dir(run_dir: Path, step: int | None) -> Path:
    """Where the checkpoint after `step` goes; None means the final one."""
    if step is None:
        return Path(run_dir) / FINAL_DIR
    if not isinstance(step, int) or isinstance(step, bool) or step < 0:
        raise ValueError(f"checkpoint step must be a non-negative integer, got {step!r}")
    return Path(run_dir) / CHECKPOINTS_DIR / f"step-{step}"


def list_checkpoints(run_dir: Path) -> list[str]:
    """Complete checkpoints, oldest first: 'step-N' in numeric order, then 'final'."""
    run_dir = Path(run_dir)
    steps: list[tuple[int, str]] = []
    parent = run_dir / CHECKPOINTS_DIR
    if parent.is_dir():
        for child in parent.iterdir():
            match = _CHECKPOINT_RE.match(child.name)
            if match and match.group(1) and (child / ADAPTER_CONFIG_FILE).is_file():
                steps.append((int(match.group(1)), child.name))
    names = [name for _, name in sorted(steps)]
    if (run_dir / FINAL_DIR / ADAPTER_CONFIG_FILE).is_file():
        names.append(FINAL_DIR)
    return names


def resolve_checkpoint(run_dir: Path, name: str | None) -> Path:
    """The folder of checkpoint `name`; None picks 'final', else the latest step."""
    run_dir = Path(run_dir)
    available = list_checkpoints(run_dir)
    if name is None:
        if not available:
            raise RunError(f"run {run_dir.name} has no checkpoints yet")
        name = FINAL_DIR if FINAL_DIR in available else available[-1]
    elif not isinstance(name, str) or not _CHECKPOINT_RE.match(name):
        raise RunError(f"invalid checkpoint name '{shown(name)}': use 'final' or "
                       "'step-N'")
    if name not in available:
        has = ", ".join(available) if available else "none yet"
        raise RunError(f"run {run_dir.name} has no checkpoint '{name}'; it has: {has}")
    return run_dir / FINAL_DIR if name == FINAL_DIR else run_dir / CHECKPOINTS_DIR / name


# --- log -------------------------------------------------------------------------------------

def _read_tail_bytes(path: Path, lines: int) -> tuple[bytes, bool]:
    """The end of `path` holding at least `lines` newlines; and whether it is the whole file."""
    block = 64 * 1024
    with open(path, "rb") as f:
        end = f.seek(0, os.SEEK_END)
        start = end
        data = b""
        while start > 0 and data.count(b"\n") <= lines and end - start < _LOG_TAIL_MAX_BYTES:
            start = max(0, start - block)
            f.seek(start)
            data = f.read(end - start)
    return data, start == 0


def log_tail(run_dir: Path, lines: int = 40) -> str:
    """The last `lines` lines of train.log as a terminal would show them; "" if absent.

    Progress bars redraw a line with carriage returns; only each line's last redraw is kept,
    so one bar does not fill the whole tail.
    """
    if lines <= 0:
        return ""
    try:
        data, whole = _read_tail_bytes(Path(run_dir) / LOG_FILE, lines)
    except FileNotFoundError:
        return ""
    text_lines = data.decode("utf-8", errors="replace").split("\n")
    if not whole:
        text_lines = text_lines[1:]  # starts mid-line
    if text_lines and text_lines[-1] == "":
        text_lines.pop()  # the file's final newline
    visible = [line.rstrip("\r").rsplit("\r", 1)[-1] for line in text_lines]
    return "\n".join(visible[-lines:])


# --- listing ---------------------------------------------------------------------------------

def _preset_of(run_id: str, config: dict) -> str | None:
    preset = config.get("preset")
    if isinstance(preset, str):
        return preset
    match = _RUN_TIME_RE.match(run_id)  # ids made by new_run_id carry the preset
    return match.group(2) if match else None


def _created_at(run_dir: Path, status: dict) -> tuple[datetime, float]:
    """Sort key for when a run was made: its id's time if it has our format, else its status.

    config.json is written once, at creation, so its mtime orders runs made in one second.
    """
    match = _RUN_TIME_RE.match(run_dir.name)
    moment: datetime | None
    if match:
        moment = datetime.strptime(match.group(1), _RUN_TIME_FORMAT).replace(tzinfo=timezone.utc)
    else:
        moment = _parse_time(status.get("started_at")) or _parse_time(status.get("updated_at"))
    try:
        written = (run_dir / CONFIG_FILE).stat().st_mtime
    except OSError:
        written = 0.0
    return moment or datetime.min.replace(tzinfo=timezone.utc), written


def _summarise_run(run_dir: Path, reconcile: bool) -> dict:
    status = reconcile_status(run_dir) if reconcile else read_status(run_dir)
    error = status.get("error")
    try:
        config = read_config(run_dir)
    except RunError as exc:
        config = {}
        error = error or str(exc)
    return {
        "run_id": run_dir.name,
        "path": str(run_dir),
        "preset": _preset_of(run_dir.name, config),
        "state": status.get("state"),
        "step": status.get("step"),
        "total_steps": status.get("total_steps"),
        "started_at": status.get("started_at"),
        "updated_at": status.get("updated_at"),
        "error": error,
        "device": status.get("device"),
        "checkpoints": list_checkpoints(run_dir),
    }


def _run_dirs(runs_dir: Path) -> Iterator[Path]:
    try:
        children = list(Path(runs_dir).iterdir())
    except FileNotFoundError:
        return
    except OSError as exc:
        raise RunError(f"cannot read runs folder {runs_dir}: {_reason(exc)}") from exc
    for child in children:
        if not child.name.startswith(".") and _is_run_dir(child):
            yield child


def list_runs(runs_dir: Path, reconcile: bool = False) -> list[dict]:
    """One summary per run, newest first; a broken run is listed with its error.

    With `reconcile`, runs whose process is gone are also recorded as failed on disk.
    """
    summaries: list[tuple[tuple[datetime, float], dict]] = []
    for run_dir in _run_dirs(Path(runs_dir)):
        try:
            summary = _summarise_run(run_dir, reconcile)
        except OSError as exc:
            # One unreadable run must not hide the others.
            summary = {"run_id": run_dir.name, "path": str(run_dir), "preset": None,
                       "state": "unknown", "step": None, "total_steps": None,
                       "started_at": None, "updated_at": None, "device": None,
                       "error": f"cannot read run: {_reason(exc)}", "checkpoints": []}
        summaries.append((_created_at(run_dir, summary), summary))
    summaries.sort(key=lambda item: (item[0], item[1]["run_id"]), reverse=True)
    return [summary for _, summary in summaries]


# --- the training lock -----------------------------------------------------------------------

def _read_lock(path: Path) -> tuple[dict | None, float]:
    """(lock contents or None when unreadable, age in seconds); FileNotFoundError if absent."""
    age = time.time() - path.stat().st_mtime
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
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


class TrainingLock:
    """One training run at a time per machine: the file `<runs_dir>/.train.lock`.

    It holds {"pid", "run_id", "proc_start"} of the holder; a lock whose process is gone is
    stale and taken over. Acquire it in one process per run (rank 0 under accelerate).
    """

    def __init__(self, runs_dir: Path, run_id: str):
        self.runs_dir = Path(runs_dir)
        self.run_id = run_id
        self.path = self.runs_dir / LOCK_FILE
        self._held = False

    def _try_create(self) -> bool:
        try:
            fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return False
        info = {"pid": os.getpid(), "run_id": self.run_id,
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
                    log.warning("training lock %s was contended while being taken over",
                                self.path)
                raise _in_progress_error(info)
        finally:
            aside.unlink(missing_ok=True)

    def acquire(self) -> None:
        """Take the lock, or raise RunError naming the run that holds it."""
        check_writable(self.runs_dir)
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
                    raise _in_progress_error(info)
                log.warning("taking over a stale training lock (%s)",
                            info if info else "unreadable")
                self._take_over_stale()
            if self._try_create():
                self._held = True
                return
            info, _ = _read_lock(self.path)
            raise _in_progress_error(info)
        except OSError as exc:
            raise RunError(f"cannot take the training lock {self.path}: {_reason(exc)}") from exc

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


# --- CLI -------------------------------------------------------------------------------------

def _fmt_step(step: Any, total: Any) -> str:
    step_text = "-" if step is None else str(step)
    return step_text if total is None else f"{step_text}/{total}"


def _fmt_time(text: Any) -> str:
    parsed = _parse_time(text)
    return parsed.strftime("%Y-%m-%d %H:%M:%S") if parsed else "-"


def _print_table(runs: list[dict]) -> None:
    header = ("RUN ID", "STATE", "STEP", "STARTED (UTC)", "ERROR")
    rows = [(r["run_id"], str(r["state"]), _fmt_step(r["step"], r["total_steps"]),
             _fmt_time(r["started_at"]), shown(r["error"] or "", 60)) for r in runs]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header) - 1)]
    for row in [header, *rows]:
        cells = [cell.ljust(width) for cell, width in zip(row, widths)]
        print("  ".join([*cells, row[-1]]).rstrip())


def _cmd_list(args: argparse.Namespace) -> int:
    runs = list_runs(args.runs_dir, reconcile=True)
    if args.json:
        print(json.dumps(runs, indent=2))
    elif not runs:
        print(f"no runs in {args.runs_dir}")
    else:
        _print_table(runs)
    return 0


_MAIN_METRICS = ("objective/kl", "env/reward_mean", "env/toxicity_mean")


def _run_report(run_dir: Path) -> dict:
    """Everything `show` prints, as one JSON-ready dict."""
    status = reconcile_status(run_dir)
    try:
        config = read_config(run_dir)
        config_error = None
    except RunError as exc:
        config, config_error = {}, str(exc)
    metrics = read_jsonl(run_dir / METRICS_FILE)[0]  # problems are reported below, not logged
    last = metrics[-1] if metrics else {}
    held_out = read_jsonl(run_dir / EVAL_FILE)[0]
    return {
        "run_id": run_dir.name,
        "path": str(run_dir),
        "status": status,
        "config": {"preset": _preset_of(run_dir.name, config),
                   "steps": _nested(config, "ppo", "steps"),
                   "batch_size": _nested(config, "ppo", "batch_size"),
                   "learning_rate": _nested(config, "ppo", "learning_rate"),
                   "error": config_error},
        "metric_rows": len(metrics),
        "last_metrics": {key: last[key] for key in ("step", *_MAIN_METRICS) if key in last},
        "held_out": [{"step": row.get("step"), "toxicity": row.get("toxicity")} for row in held_out],
        "checkpoints": list_checkpoints(run_dir),
        "log_tail": log_tail(run_dir, 10),
        "problems": run_problems(run_dir),
    }


def _print_report(report: dict) -> None:
    status, config = report["status"], report["config"]
    print(f"run        {report['run_id']}  ({report['path']})")
    print(f"state      {status['state']}  step {_fmt_step(status['step'], status['total_steps'])}"
          f"  device {status['device'] or '-'}")
    print(f"started    {_fmt_time(status['started_at'])}   updated "
          f"{_fmt_time(status['updated_at'])} (UTC)")
    if status["error"]:
        print(f"error      {status['error']}")
    if config["error"]:
        print(f"config     {config['error']}")
    else:
        shown = {k: "-" if v is None else v for k, v in config.items()}
        print(f"config     preset {shown['preset']}, steps {shown['steps']}, "
              f"batch {shown['batch_size']}, lr {shown['learning_rate']}")
    last = ", ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}"
                     for k, v in report["last_metrics"].items())
    print(f"metrics    {report['metric_rows']} rows" + (f"; last: {last}" if last else ""))
    held_out = [row for row in report["held_out"] if isinstance(row["toxicity"], dict)]
    if held_out:
        first, now = held_out[0], held_out[-1]
        print("held-out   mean toxicity " + "; ".join(
            f"{name} {value:.3f} at step {first['step']} -> {now['toxicity'].get(name, float('nan')):.3f} "
            f"at step {now['step']}" for name, value in first["toxicity"].items()
            if isinstance(value, (int, float))))
    print(f"checkpoints {', '.join(report['checkpoints']) or 'none'}")
    printed = (status["error"], config["error"])
    for problem in summarise_problems([p for p in report["problems"] if p not in printed]):
        print(f"warning    {problem}")
    if report["log_tail"]:
        print("log (last 10 lines):")
        for line in report["log_tail"].split("\n"):
            print(f"  {line}")


def _cmd_show(args: argparse.Namespace) -> int:
    report = _run_report(resolve_run(args.runs_dir, args.run))
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        _print_report(report)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m engine.runs",
                                     description="List and inspect detox training runs.")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--runs-dir", type=Path, default=None,
                        help=f"runs folder (default: ${RUNS_DIR_ENV} or ./runs)")
    common.add_argument("--json", action="store_true", help="print JSON instead of text")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", parents=[common], help="list runs, newest first")
    show = commands.add_parser("show", parents=[common], help="show one run in detail")
    show.add_argument("run", help="run id, or the path of a run folder")
    return parser


def main(argv: list[str] | None = None) -> int:
    """CLI entry point; user errors print 'error: ...' and return 2."""
    logging.basicConfig(level=logging.WARNING, format="warning: %(message)s")
    args = _parser().parse_args(argv)
    args.runs_dir = args.runs_dir if args.runs_dir is not None else default_runs_dir()
    handlers = {"list": _cmd_list, "show": _cmd_show}
    try:
        return handlers[args.command](args)
    except RunError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
