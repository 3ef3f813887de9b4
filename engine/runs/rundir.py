"""One run's folder: create and find it, read its config, records, checkpoints and log, and
say what is wrong with its files."""
from __future__ import annotations

import json
import logging
import os
import re
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from engine.config import shown
from engine.runs.files import (NotRegularFileError, _reason, entry_problem, is_real_dir,
                               is_regular_file, read_jsonl, read_tail, read_text,
                               write_json_atomic)
from engine.runs.layout import (CHECKPOINTS_DIR, CONFIG_FILE, EVAL_FILE, checkpoint_files,
                                EVALUATION_FILE, FINAL_DIR, LOG_FILE, METRICS_FILE, SAMPLES_FILE, STATUS_FILE,
                                RunError, _is_run_dir, check_writable, new_run_id,
                                validate_run_id)
from engine.runs.status import status_problem, write_status

log = logging.getLogger(__package__)  # "engine.runs", as before the package split

_CHECKPOINT_RE = re.compile(r"^(?:final|step-(\d+))$")
PROBLEMS_SHOWN = 5
"""summarise_problems keeps this many messages and counts the rest."""


def _nested(config: dict, *keys: str) -> Any:
    """config[k1][k2]..., or None when any level is missing or not a dict."""
    value: Any = config
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


# --- create and find -------------------------------------------------------------------------

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
        write_json_atomic(run_dir / CONFIG_FILE, json.loads(config_text))
        write_status(run_dir, state="queued", step=0, total_steps=total_steps, pid=None,
                     started_at=None, error=None, device=None)
    except OSError as exc:
        remove_unstarted_run(run_dir)
        raise RunError(f"cannot write run {run_id} in {runs_dir}: {_reason(exc)}") from exc
    return run_dir


def remove_unstarted_run(run_dir: Path) -> None:
    """Undo a create_run (one that failed halfway, or whose run never started), touching only
    what create_run writes: a folder holding anything else is left, with a warning."""
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
    set `allow_paths=False` so only ids inside `runs_dir` can be reached. A run folder that is
    a symbolic link is refused either way: it could point anywhere.
    """
    runs_dir = Path(runs_dir)
    if not isinstance(run, str) or not run.strip():
        raise RunError("no run given: pass a run id or the path of a run folder")
    looks_like_path = any(sep in run for sep in ("/", os.sep, os.altsep) if sep)
    if allow_paths and looks_like_path:
        path = Path(run).expanduser()
        if path.is_symlink():
            raise RunError(f"'{shown(run, 200)}' is a symbolic link; runs are never read through links")
        if not path.exists():
            raise RunError(f"no run folder at '{shown(run, 200)}'")
        if not _is_run_dir(path):
            raise RunError(f"'{shown(run, 200)}' ({path.resolve()}) is not a run folder: it has "
                           f"no {CONFIG_FILE} or {STATUS_FILE}")
        return path.resolve()
    run_dir = runs_dir / validate_run_id(run)
    if run_dir.is_symlink():
        raise RunError(f"run '{run}' in {runs_dir} is a symbolic link; runs are never read "
                       "through links")
    if not _is_run_dir(run_dir):
        raise RunError(f"no run '{run}' in {runs_dir}")
    return run_dir


# --- problems --------------------------------------------------------------------------------

def summarise_problems(problems: list[str], limit: int = PROBLEMS_SHOWN, total: int | None = None) -> list[str]:
    """At most `limit` messages, the rest counted: a file full of garbage must not flood a page.
    `total`: how many problems there are when `problems` holds only the first of them."""
    total = len(problems) if total is None else total
    if total <= limit:
        return list(problems)
    return [*problems[:limit - 1], f"... and {total - limit + 1} more problems like these"]


def run_problems(run_dir: Path) -> list[str]:
    """Everything wrong with a run's files that readers worked around: a corrupt status.json
    or config.json, corrupt lines in metrics.jsonl, samples.jsonl or eval.jsonl, any of these
    or train.log a link (never followed). Empty for a sound run."""
    run_dir = Path(run_dir)
    problems = [p for p in [status_problem(run_dir)] if p]
    try:
        read_config(run_dir)
    except RunError as exc:
        problems.append(str(exc))
    for name in (METRICS_FILE, SAMPLES_FILE, EVAL_FILE):
        problems += read_jsonl(run_dir / name)[2]
    return problems + [p for p in [log_problem(run_dir)] if p]


# --- records ---------------------------------------------------------------------------------

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


def _read_json_object(run_dir: Path, name: str) -> dict:
    """A run's JSON object file `name`; FileNotFoundError when absent, RunError when it is
    unreadable, corrupt or not an object (NaN is allowed, as Python's json writes it)."""
    try:
        text = read_text(run_dir / name)
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise RunError(f"cannot read {name} of run {run_dir.name}: {_reason(exc)}") from exc
    try:
        value = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise RunError(f"{name} of run {run_dir.name} is corrupt: {exc}") from exc
    if not isinstance(value, dict):
        raise RunError(f"{name} of run {run_dir.name} is corrupt: expected an object")
    return value


def read_evaluation(run_dir: Path) -> dict | None:
    """evaluation.json of a run (NaN allowed: an improvement over a zero mean is NaN); None when
    the run was never evaluated; RunError when it is unreadable or corrupt."""
    try:
        return _read_json_object(Path(run_dir), EVALUATION_FILE)
    except FileNotFoundError:
        return None


def read_config(run_dir: Path) -> dict:
    """config.json of a run; RunError when it is missing or not a JSON object."""
    run_dir = Path(run_dir)
    try:
        return _read_json_object(run_dir, CONFIG_FILE)
    except FileNotFoundError as exc:
        raise RunError(f"run {run_dir.name} has no {CONFIG_FILE}") from exc


# --- checkpoints -----------------------------------------------------------------------------

def checkpoint_dir(run_dir: Path, step: int | None) -> Path:
    """Where the checkpoint after `step` goes; None means the final one."""
    if step is None:
        return Path(run_dir) / FINAL_DIR
    if not isinstance(step, int) or isinstance(step, bool) or step < 0:
        raise ValueError(f"checkpoint step must be a non-negative integer, got {step!r}")
    return Path(run_dir) / CHECKPOINTS_DIR / f"step-{step}"


def list_checkpoints(run_dir: Path) -> list[str]:
    """Complete checkpoints, oldest first: 'step-N' in numeric order, then 'final'. A link
    (checkpoints/, a checkpoint's folder or its adapter_config.json) is no checkpoint."""
    run_dir = Path(run_dir)
    files = checkpoint_files(run_algorithm(run_dir))
    steps: list[tuple[int, str]] = []
    parent = run_dir / CHECKPOINTS_DIR
    if is_real_dir(parent):
        for child in parent.iterdir():
            match = _CHECKPOINT_RE.match(child.name)
            if match and match.group(1) and _is_checkpoint(child, files):
                steps.append((int(match.group(1)), child.name))
    names = [name for _, name in sorted(steps)]
    if _is_checkpoint(run_dir / FINAL_DIR, files):
        names.append(FINAL_DIR)
    return names


def _is_checkpoint(folder: Path, files: tuple[str, ...]) -> bool:
    return is_real_dir(folder) and all(is_regular_file(folder / name) for name in files)


def run_algorithm(run_dir: Path) -> str:
    """The run's ppo.algorithm; "ppo" for runs from before there was a choice, and for a run
    whose config cannot be read (its problems are reported where they are looked for)."""
    try:
        algorithm = _nested(read_config(run_dir), "ppo", "algorithm")
    except RunError:
        return "ppo"
    return algorithm if isinstance(algorithm, str) else "ppo"


@contextmanager
def staged_folder(folder: Path) -> Iterator[Path]:
    """Write a folder whole or not at all: yields an empty staging folder beside `folder`
    (`.NAME.partial-PID`), renamed to `folder` when the block ends without an exception and
    removed when it raises. A kill in the block leaves only the staging folder, which no reader
    takes for `folder`. An existing `folder` is replaced (a checkpoint saved again)."""
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = folder.parent / f".{folder.name}.partial-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)  # an earlier attempt of this process that was cut short
    staging.mkdir()
    try:
        yield staging
        if os.path.lexists(folder):
            old = folder.parent / f".{folder.name}.old-{os.getpid()}"
            os.replace(folder, old)
            os.replace(staging, folder)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


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

def log_tail(run_dir: Path, lines: int = 40) -> str:
    """The last `lines` lines of train.log as a terminal would show them; "" if absent.

    Progress bars redraw a line with carriage returns; only each line's last redraw is kept,
    so one bar does not fill the whole tail. "" too when train.log is a link (never followed):
    log_problem names it.
    """
    try:
        return read_tail(Path(run_dir) / LOG_FILE, lines)
    except NotRegularFileError:
        return ""


def log_problem(run_dir: Path) -> str | None:
    """Why train.log is not shown (it is a link, or not a regular file), or None."""
    why = entry_problem(Path(run_dir) / LOG_FILE)
    return f"{LOG_FILE} cannot be read: {why}" if why else None
