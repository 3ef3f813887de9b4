"""Evaluate tab: toxicity before/after with a paired confidence interval, and ROUGE.

The evaluation runs `python -m engine.evaluate` in a subprocess: it takes minutes on real
models, must not hold the app's models or threads, and the Cancel button can simply end it.
The handler is a generator that reports progress while it waits, then shows evaluation.json.
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Iterator

import gradio as gr

from engine import runs
from engine.evaluate import MAX_SAMPLES

from dashboard import plots
from dashboard.common import (AppContext, as_html, banner, checkpointed_runs, correctable_errors,
                              require_user, user_errors, warn)
from dashboard.compare_tab import SEEDS, choice, whole_number
from dashboard.runner import ROOT, RunnerError

DATA = {"Test split": "test", "Stress set (rude dialogues)": "stress"}
POLL_S = 1.0
TAIL_CHARS = 2000


def evaluate_command(runs_dir: Path, run_id: str, checkpoint: str | None, data: str, samples: int,
                     seed: int) -> list[str]:
    command = [sys.executable, "-m", "engine.evaluate", run_id, "--runs-dir", str(runs_dir),
               "--samples", str(samples), "--data", data, "--seed", str(seed), "--json"]
    return command + (["--checkpoint", checkpoint] if checkpoint else [])


def _num(value: Any, fmt: str = ".4f") -> str:
    return format(value, fmt) if isinstance(value, (int, float)) else "–"


def _verdict(lo: Any, hi: Any, lower_is_better: bool) -> str:
    if not isinstance(lo, (int, float)) or not isinstance(hi, (int, float)):
        return ""
    if lo <= 0 <= hi:
        return "the interval contains 0: no clear change at this sample size"
    better = (hi < 0) if lower_is_better else (lo > 0)
    return "a clear improvement" if better else "a clear change for the worse"


def result_markdown(result: dict, run_id: str) -> str:
    t, r = result.get("toxicity") or {}, result.get("reward") or {}
    t_ci, r_ci = t.get("diff_ci95") or [None, None], r.get("diff_ci95") or [None, None]
    lines = [
        f"**{result.get('samples')} paired dialogues** ({result.get('data', 'test')} data), checkpoint "
        f"`{result.get('checkpoint')}`, seed {result.get('seed')}: both models summarise the same "
        "dialogues with the same sampling seed.",
        "",
        "| | toxicity mean | toxicity std | reward mean | reward std |",
        "|---|---:|---:|---:|---:|",
        f"| **before** (reference) | {_num(t.get('before_mean'))} | {_num(t.get('before_std'))} | "
        f"{_num(r.get('before_mean'), '.3f')} | {_num(r.get('before_std'), '.3f')} |",
        f"| **after** (tuned) | {_num(t.get('after_mean'))} | {_num(t.get('after_std'))} | "
        f"{_num(r.get('after_mean'), '.3f')} | {_num(r.get('after_std'), '.3f')} |",
        "",
        f"- **Toxicity improvement** (the notebook's (before − after) / before): mean "
        f"{_num(t.get('mean_improvement_pct'), '.2f')} %, std {_num(t.get('std_improvement_pct'), '.2f')} %",
        f"- **Toxicity change** after − before: {_num(t.get('diff_mean'), '+.4f')}, paired bootstrap 95 % CI "
        f"[{_num(t_ci[0], '+.4f')}, {_num(t_ci[1], '+.4f')}]: {_verdict(t_ci[0], t_ci[1], True)}",
        f"- **Reward change** after − before: {_num(r.get('diff_mean'), '+.3f')}, 95 % CI "
        f"[{_num(r_ci[0], '+.3f')}, {_num(r_ci[1], '+.3f')}]: {_verdict(r_ci[0], r_ci[1], False)}",
    ]
    rouge = result.get("rouge") or {}
    if rouge.get("before") or rouge.get("after"):
        keys = ["rouge1", "rouge2", "rougeL"]
        lines += ["", "**ROUGE** F1 against the reference summaries (does the tuned model still summarise?)",
                  "", "| | " + " | ".join(keys) + " |", "|---|" + "---:|" * len(keys)]
        for when in ("before", "after"):
            scores = rouge.get(when) or {}
            lines.append(f"| {when} | " + " | ".join(_num(scores.get(k)) for k in keys) + " |")
    lines += ["", f"Saved in the run: `{run_id}/{runs.EVALUATION_FILE}`."]
    return "\n".join(lines)


class EvaluateHandlers:
    def __init__(self, ctx: AppContext):
        self.ctx = ctx

    def runs_refresh(self, run_id: str | None):
        return checkpointed_runs(self.ctx, run_id)

    def tab_opened(self, run_id: str | None, request: gr.Request = None):
        """The runs with a checkpoint, and Evaluate greyed out for viewers (the handler refuses
        them anyway; the grey button says so first)."""
        return self.runs_refresh(run_id), gr.update(interactive=self.ctx.access.user(request) is not None)

    def run_changed(self, run_id: str | None):
        """Checkpoints of the run, and its saved evaluation if it has one."""
        if not run_id:
            return gr.update(choices=[], value=None), "", None
        with user_errors("read the run"):
            checkpoints = list(reversed(self.ctx.storage.checkpoints(run_id)))
            saved = self.ctx.storage.evaluation(run_id)
        if saved:
            shown, chart = ("*Saved evaluation:*\n\n" + result_markdown(saved, run_id),
                            plots.toxicity_bars_figure(saved))
        else:
            shown, chart = "This run has not been evaluated yet.", None
        return gr.update(choices=checkpoints, value=checkpoints[0] if checkpoints else None), shown, chart

    def evaluate(self, run_id, checkpoint, data, samples, seed, request: gr.Request = None) -> Iterator[tuple]:
        """Run engine.evaluate; yield (status, results, chart) while it works and when done."""
        require_user(self.ctx, request, "evaluate runs")
        try:
            command = self._command(run_id, checkpoint, data, samples, seed)
        except correctable_errors() as exc:
            yield warn(f"Cannot evaluate: {exc}"), gr.skip(), gr.skip()
            return
        yield banner("info", "Starting the evaluation…"), gr.skip(), gr.skip()
        with tempfile.TemporaryFile() as err:
            proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=err, cwd=ROOT, start_new_session=True)
            began = time.monotonic()
            try:
                while proc.poll() is None:
                    time.sleep(POLL_S)
                    yield (banner("info", f"Evaluating {samples} dialogues with both models… "
                                          f"{time.monotonic() - began:.0f} s"), gr.skip(), gr.skip())
            finally:
                if proc.poll() is None:  # cancelled, or the page went away: do not leave it running
                    proc.terminate()
                    proc.wait()
            err.seek(0)
            stderr = err.read().decode("utf-8", errors="replace")
        took = time.monotonic() - began
        if proc.returncode != 0:
            raise gr.Error(as_html(f"The evaluation failed (exit code {proc.returncode}):\n"
                                   f"{_error_lines(stderr)}"), title="Cannot evaluate",
                           print_exception=False)
        result = self.ctx.storage.evaluation(run_id) or {}
        yield (banner("ok", f"Evaluation finished in {took:.0f} s."), result_markdown(result, run_id),
               plots.toxicity_bars_figure(result))

    def _command(self, run_id, checkpoint, data, samples, seed) -> list[str]:
        if not run_id:
            raise RunnerError("pick a run first (runs appear here once they have a checkpoint)")
        run_dir = self.ctx.storage.run_dir(run_id)  # validates the id: never a path
        name = runs.resolve_checkpoint(run_dir, checkpoint or None).name
        samples = whole_number(samples, "samples", 1, MAX_SAMPLES)
        seed = whole_number(0 if seed in (None, "") else seed, "the sampling seed", 0, SEEDS - 1)
        return evaluate_command(self.ctx.runs_dir, run_id, name, choice(data, DATA, "data"), samples, seed)


def _error_lines(stderr: str) -> str:
    """The lines that say what went wrong ("error: ..."), else the end of stderr."""
    errors = [line for line in stderr.splitlines() if line.startswith("error:")]
    return "\n".join(errors) if errors else stderr[-TAIL_CHARS:]


def create_evaluate_tab(ctx: AppContext, tab: gr.Tab) -> EvaluateHandlers:
    h = EvaluateHandlers(ctx)
    gr.Markdown("Toxicity before and after on held-out dialogues: the notebook's numbers, but "
                "**paired** (same dialogues, same seed), with a 95 % confidence interval, on as many "
                "samples as you like, plus ROUGE against the reference summaries. It runs "
                "`python -m engine.evaluate` in the background and saves `evaluation.json` in the run.")
    with gr.Row(equal_height=True):
        run = gr.Dropdown([], label="Run", scale=3, elem_id="evaluate-run")
        checkpoint = gr.Dropdown([], label="Checkpoint", scale=1)
        refresh = gr.Button("↻ Runs", scale=0, min_width=90, size="sm")
    with gr.Row(equal_height=True):
        data = gr.Radio(list(DATA), value="Test split", label="Dialogues", scale=2)
        samples = gr.Slider(1, 500, value=32, step=1, label="Samples", scale=2,
                            info="the notebook used 10; more gives a tighter interval")
        seed = gr.Number(0, label="Sampling seed", precision=0, scale=1)
    with gr.Row():
        go = gr.Button("Evaluate", variant="primary", elem_id="evaluate-btn")
        cancel = gr.Button("Cancel", variant="secondary")
    status = gr.Markdown(elem_id="evaluate-status")
    with gr.Row(equal_height=False):
        with gr.Column(scale=3):
            results = gr.Markdown(elem_id="evaluate-results")
        with gr.Column(scale=2):
            chart = gr.Plot(show_label=False)
    event = go.click(h.evaluate, [run, checkpoint, data, samples, seed], [status, results, chart],
                     api_name="evaluate_run", api_visibility="undocumented", concurrency_limit=1)
    cancel.click(lambda: banner("info", "Evaluation cancelled."), None, [status], cancels=[event],
                 api_name="evaluate_cancel", api_visibility="undocumented")
    run.change(h.run_changed, [run], [checkpoint, results, chart], api_name="evaluate_run_changed",
               api_visibility="undocumented")
    refresh.click(h.runs_refresh, [run], [run], api_name="evaluate_list_runs", api_visibility="undocumented")
    tab.select(h.tab_opened, [run], [run, go], api_name="evaluate_tab_opened", api_visibility="undocumented",
               show_progress="hidden")
    return h
