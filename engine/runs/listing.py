"""Runs as a whole: the list of runs in a runs folder, newest first, and one run's report."""
from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from engine import schema
from engine.runs.files import _reason, read_jsonl
from engine.runs.layout import CONFIG_FILE, EVAL_FILE, METRICS_FILE, RunError, _is_run_dir, parse_run_id
from engine.runs.rundir import _nested, list_checkpoints, log_tail, read_config, run_problems
from engine.runs.status import (parse_time, read_status, reconcile_status, stall_seconds, stall_warning,
                                tracker_warning)

_MAIN_METRICS = (schema.KL, schema.REWARD_MEAN, schema.TOXICITY_MEAN)
_MAIN_GROUP_METRICS = tuple(schema.GROUP_NAMES[key] for key in _MAIN_METRICS)  # the same, as RLOO and GRPO name them


def _preset_of(run_id: str, config: dict) -> str | None:
    preset = config.get("preset")
    if isinstance(preset, str):
        return preset
    parsed = parse_run_id(run_id)  # ids made by new_run_id carry the preset
    return parsed[1] if parsed else None


def _created_at(run_dir: Path, status: dict) -> tuple[datetime, float]:
    """Sort key for when a run was made: its id's time if it has our format, else its status.

    config.json is written once, at creation, so its mtime orders runs made in one second.
    """
    parsed = parse_run_id(run_dir.name)
    moment = parsed[0] if parsed else None
    if moment is None:
        moment = parse_time(status.get("started_at")) or parse_time(status.get("updated_at"))
    try:
        written = os.lstat(run_dir / CONFIG_FILE).st_mtime
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
        "algorithm": _nested(config, "ppo", "algorithm") or "ppo",
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


def run_report(run_dir: Path) -> dict:
    """Everything `python -m engine.runs show` prints, as one JSON-ready dict."""
    status = reconcile_status(run_dir)
    try:
        config = read_config(run_dir)
        config_error = None
    except RunError as exc:
        config, config_error = {}, str(exc)
    metrics = read_jsonl(run_dir / METRICS_FILE)[0]  # problems are reported below, not logged
    last = metrics[-1] if metrics else {}
    held_out = read_jsonl(run_dir / EVAL_FILE)[0]
    quiet = stall_seconds(status, metrics)
    return {
        "run_id": run_dir.name,
        "path": str(run_dir),
        "status": status,
        "config": {"preset": _preset_of(run_dir.name, config),
                   "algorithm": _nested(config, "ppo", "algorithm") or "ppo",
                   "steps": _nested(config, "ppo", "steps"),
                   "batch_size": _nested(config, "ppo", "batch_size"),
                   "learning_rate": _nested(config, "ppo", "learning_rate"),
                   "error": config_error},
        "metric_rows": len(metrics),
        "last_metrics": {name: last[name] for name in ("step", *_MAIN_METRICS, *_MAIN_GROUP_METRICS) if name in last},
        "held_out": [{"step": row.get("step"), "toxicity": row.get("toxicity")} for row in held_out],
        "checkpoints": list_checkpoints(run_dir),
        "log_tail": log_tail(run_dir, 10),
        "problems": run_problems(run_dir),
        "stalled": stall_warning(quiet, metrics) if quiet is not None else None,
        "trackers": tracker_warning(status),
    }
