"""Names and places: what the files of a run are called, run ids, and the runs folder.

The bottom of engine.runs that knows about runs: it reads no run's files, so every other
module can build on it.
"""
from __future__ import annotations

import logging
import os
import re
import secrets
import shutil
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Mapping

from engine.config import shown
from engine.runs.files import _reason, is_real_dir, is_regular_file

log = logging.getLogger(__package__)  # "engine.runs", as before the package split

RUNS_DIR_ENV = "DETOX_RUNS_DIR"

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
EVALUATE_LOCK_FILE = ".evaluate.lock"
"""In a run directory while `python -m engine.evaluate` works on it (runs.EvaluationLock)."""

ADAPTER_CONFIG_FILE = "adapter_config.json"
ADAPTER_WEIGHTS_FILE = "adapter_model.safetensors"
VALUE_HEAD_FILE = "value_head.safetensors"
CHECKPOINT_FILES = (ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE, VALUE_HEAD_FILE)
"""A PPO checkpoint folder counts only with all of these: it is written whole under another name
and renamed into place (rundir.staged_folder), and one saved by an older version that was killed
between its two saves lacks one."""


def checkpoint_files(algorithm: str) -> tuple[str, ...]:
    """The files a complete checkpoint of a run of `algorithm` holds: RLOO and GRPO train no value
    head, so theirs is the adapter alone."""
    return CHECKPOINT_FILES if algorithm == "ppo" else (ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE)

_RUN_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_PRESET_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_RUN_TIME_FORMAT = "%Y%m%dT%H%M%SZ"
_RUN_TIME_RE = re.compile(r"^(\d{8}T\d{6}Z)-(.+)-[0-9a-f]{4}$")

MIN_FREE_BYTES = 200 * 2**20
"""A run needs room for its log, metrics and a few checkpoints (a LoRA adapter and value head
are megabytes; a run with many checkpoints of a big model tens of them): below this much free
space a new run is refused rather than left to fail halfway with a full disk."""


class RunError(Exception):
    """A problem the user must see, with a readable message."""


# --- ids -------------------------------------------------------------------------------------

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


def parse_run_id(run_id: str) -> tuple[datetime | None, str] | None:
    """(UTC creation time, preset) of an id in new_run_id's format, else None.

    The time is None when the id has the format but its stamp is no real moment.
    """
    match = _RUN_TIME_RE.match(run_id)
    if not match:
        return None
    try:
        moment = datetime.strptime(match.group(1), _RUN_TIME_FORMAT).replace(tzinfo=timezone.utc)
    except ValueError:
        moment = None
    return moment, match.group(2)


# --- the runs folder -------------------------------------------------------------------------

SPACES_DATA = Path("/data")
"""A Hugging Face Space's persistent storage, when its owner added some; all else is lost on restart."""


def on_spaces(env: Mapping[str, str] = os.environ) -> bool:
    return env.get("SYSTEM") == "spaces" or bool(env.get("SPACE_ID"))


def persistent_storage(env: Mapping[str, str] = os.environ, data: Path = SPACES_DATA) -> Path | None:
    """/data on a Space that has persistent storage, else None."""
    if on_spaces(env) and data.is_dir() and os.access(data, os.W_OK):
        return data
    return None


def default_runs_dir(env: Mapping[str, str] = os.environ, data: Path = SPACES_DATA) -> Path:
    """The one answer for the app, the trainer and the CLI: $DETOX_RUNS_DIR, else <persistent
    storage>/runs on a Space that has some, else ./runs; absolute so that it survives a
    subprocess with another working directory."""
    configured = env.get(RUNS_DIR_ENV, "").strip()
    storage = persistent_storage(env, data)
    if configured:
        return Path(configured).expanduser().absolute()
    return storage / "runs" if storage else Path("runs").absolute()


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
    """A folder (not a link to one) with a config.json or a status.json. Those may be links
    themselves: such a run is still listed, its readers name the links as problems."""
    return is_real_dir(path) and any(is_regular_file(path / name) or (path / name).is_symlink()
                                     for name in (CONFIG_FILE, STATUS_FILE))
