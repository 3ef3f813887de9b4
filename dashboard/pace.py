"""How fast a run goes, in words: seconds per step, elapsed time, ETA, durations.

Shared by the Train tab's progress bar and the presenter page's status line, so both say the
same ETA for the same run. Pure: no gradio.
"""
from __future__ import annotations

from datetime import datetime, timezone

from engine import runs

RECENT_STEPS = 5
"""Seconds per step is the mean of this many newest steps: the first ones include warm-up."""


def duration(seconds: float) -> str:
    """'42 s', '3 min 07 s', '2 h 05 min'."""
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds} s"
    minutes, s = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {s:02d} s"
    hours, m = divmod(minutes, 60)
    return f"{hours} h {m:02d} min"


def elapsed(status: dict) -> float | None:
    """Seconds since the run started; for an ended run, until its last status update."""
    begin = runs.parse_time(status.get("started_at"))
    if begin is None:
        return None
    end = None
    if status.get("state") not in ("running", "queued"):
        end = runs.parse_time(status.get("updated_at"))
    return ((end or datetime.now(timezone.utc)) - begin).total_seconds()


def seconds_per_step(rows: list[dict]) -> float | None:
    recent = [r["time/step"] for r in rows[-RECENT_STEPS:] if isinstance(r.get("time/step"), (int, float))]
    return sum(recent) / len(recent) if recent else None


def eta_seconds(state: str | None, step: int, total: int, rows: list[dict]) -> float | None:
    """Seconds left for a running run at its recent pace; None when unknown or not running."""
    per_step = seconds_per_step(rows)
    if state != "running" or not per_step or not total:
        return None
    return per_step * max(0, total - step)
