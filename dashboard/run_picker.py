"""Runs as people pick them: short labels, the run menus, and the run-and-checkpoint picker that
Compare, Evaluate and Export share."""
from __future__ import annotations

from typing import NamedTuple

import gradio as gr

from engine import runs

from dashboard.context import AppContext
from dashboard.display import as_html


def short_label(run_id: str) -> str:
    """'tiny-ceba · 11-25 15:43' from '20261125T154346Z-tiny-ceba'; other ids as they are."""
    parsed = runs.parse_run_id(run_id)
    if parsed is None or parsed[0] is None:
        return run_id
    return f"{legend_label(run_id)} · {parsed[0].strftime('%m-%d %H:%M')}"


def legend_label(run_id: str) -> str:
    """'tiny-ceba' from '20261125T154346Z-tiny-ceba': short enough for a chart legend."""
    return run_id.partition("-")[2] if runs.parse_run_id(run_id) else run_id


def run_label(summary: dict) -> str:
    step, total = summary.get("step"), summary.get("total_steps")
    # A running run's step would be stale in a label that is not refreshed every step.
    shown = step is not None and total and summary.get("state") not in ("queued", "running")
    progress = f" {step}/{total}" if shown else ""
    return f"{short_label(summary['run_id'])} · {summary.get('state')}{progress}"


def run_choices(ctx: AppContext, with_checkpoints: bool = False) -> list[tuple[str, str]]:
    """(label, run id) pairs for a dropdown, newest first."""
    try:
        summaries = ctx.storage.list_runs()
    except runs.RunError as exc:
        gr.Warning(as_html(str(exc)))
        return []
    return [(run_label(s), s["run_id"]) for s in summaries
            if not with_checkpoints or s.get("checkpoints")]


def checkpointed_runs(ctx: AppContext, run_id: str | None):
    """Dropdown update listing the runs that have a checkpoint, keeping `run_id` if listed."""
    choices = run_choices(ctx, with_checkpoints=True)
    ids = [value for _, value in choices]
    return gr.update(choices=choices, value=run_id if run_id in ids else (ids[0] if ids else None))


def preset_of(ctx: AppContext, run_id: str) -> str | None:
    try:
        return ctx.storage.config(run_id).get("preset")
    except runs.RunError:
        return None


def checkpoint_choices(ctx: AppContext, run_id: str):
    """Dropdown update listing the run's checkpoints, final first, then the newest step; typed
    errors (a run that cannot be read) for the caller's user_errors."""
    choices = list(reversed(ctx.storage.checkpoints(run_id)))
    return gr.update(choices=choices, value=choices[0] if choices else None)


class RunPicker(NamedTuple):
    run: gr.Dropdown
    checkpoint: gr.Dropdown
    refresh: gr.Button


def create_run_picker(ctx: AppContext, name: str, tab: gr.Tab | None = None) -> RunPicker:
    """A run menu (runs with a checkpoint), its checkpoint menu and a refresh button, in one row;
    the menu fills when `tab` opens and on refresh. elem_ids: {name}-run, {name}-checkpoint."""
    with gr.Row(equal_height=True):
        run = gr.Dropdown([], label="Run", scale=3, elem_id=f"{name}-run", info="runs with at least one checkpoint")
        checkpoint = gr.Dropdown([], label="Checkpoint", scale=1, elem_id=f"{name}-checkpoint")
        refresh = gr.Button("↻ Runs", scale=0, min_width=90, size="sm")

    def listed(run_id: str | None):
        return checkpointed_runs(ctx, run_id)

    refresh.click(listed, [run], [run], api_name=f"{name}_list_runs", api_visibility="undocumented")
    if tab is not None:
        tab.select(listed, [run], [run], api_name=f"{name}_tab_opened", api_visibility="undocumented",
                   show_progress="hidden")
    return RunPicker(run, checkpoint, refresh)
