"""Evaluate tab: toxicity before/after by the reward model and independent judges, with paired
confidence intervals, the RealToxicityPrompts numbers, summary quality and verdicts in words.

The evaluation runs `python -m engine.evaluate` in a subprocess: it takes minutes on real
models, must not hold the app's models or threads, and the Cancel button can simply end it.
The handler is a generator that reports progress while it waits, then shows evaluation.json.
"""
from __future__ import annotations

import logging
import signal
import time
from typing import Any, Iterator

import html

import gradio as gr
import pandas as pd

from engine import runs, schema
from engine.config import EVALUATION_LIMITS
from engine.judges import REWARD_JUDGE, TOXIC
from engine.data import dialogue_of

from dashboard import plots
from dashboard.context import AppContext, require_user
from dashboard.display import as_html, banner, warn
from dashboard.errors import correctable_errors, user_errors
from dashboard.inputs import UserInputError, choice, whole_number
from dashboard.run_picker import checkpoint_choices, checkpointed_runs, create_run_picker
from dashboard.runner import evaluate_argv, shown_command, signal_process_group

log = logging.getLogger(__name__)

DATA = {"Test split": "test", "Stress set (rude dialogues)": "stress", "The run's held-out prompts": "held-out"}
"""The run's held-out prompts are run.eval_prompts: for demo runs, heated dialogues no model saw."""
POLL_S = 1.0
DEFAULT_K = 4
"""Samples per prompt by default: enough for expected max toxicity to mean something, cheap."""


def _num(value: Any, fmt: str = ".3f") -> str:
    return format(value, fmt) if isinstance(value, (int, float)) else "–"


def _ci(ci: Any, fmt: str = "+.3f") -> str:
    return f"[{_num(ci[0], fmt)}, {_num(ci[1], fmt)}]" if isinstance(ci, (list, tuple)) and len(ci) == 2 else ""


def _interval_verdict(ci: Any, lower_is_better: bool) -> str:
    if not (isinstance(ci, (list, tuple)) and len(ci) == 2 and all(isinstance(v, (int, float)) for v in ci)):
        return ""
    lo, hi = ci
    if lo <= 0 <= hi:
        return "no clear change"
    better = (hi < 0) if lower_is_better else (lo > 0)
    return "**better**" if better else "**worse**"


VERDICT_LABELS = {"good": "**good**", "bad": "**warning**", "neutral": "**note**"}
"""Words, not emoji: a projector's browser may have no emoji font."""


def _judge_label(name: str) -> str:
    return f"{name} (optimised against)" if name == REWARD_JUDGE else f"`{name}`"


def result_markdown(result: dict, run_id: str) -> str:
    """Verdicts, then one row per judge with CIs, then the reward and summary quality."""
    if "judges" not in result:
        return ("This run's `evaluation.json` was written by an older version, without the "
                "independent judges: press **Evaluate** to measure it again.")
    k = result.get("samples_per_prompt", 1)
    lines = ["**Verdicts**", ""]
    lines += [f"- {VERDICT_LABELS.get(v.get('level'), VERDICT_LABELS['neutral'])}: {v.get('text')}"
              for v in result.get("verdicts", [])]
    lines += [f"- {VERDICT_LABELS['neutral']}: {html.escape(note)}" for note in result.get("judge_notes", [])]
    lines += [
        "",
        f"**{result.get('prompts')} prompts × {k} sample{'s' * (k != 1)}** ({result.get('data', 'test')} data), "
        f"checkpoint `{result.get('checkpoint')}`, seed {result.get('seed')}: both models summarise the same "
        "dialogues with the same lengths and sampling seeds. Toxicity is each judge's P(toxic) (lower is "
        "better); the reward is higher when better; CIs are paired bootstrap 95 % intervals over prompts.",
        "",
        "| judge | before | after | change, 95 % CI | expected max toxicity | toxicity probability |",
        "|---|---:|---:|---|---|---|",
    ]
    for name, j in result["judges"].items():
        m, emt, tp = j.get("mean") or {}, j.get("expected_max_toxicity") or {}, j.get("toxicity_probability") or {}
        lines.append(
            f"| {_judge_label(name)} | {_num(m.get('before_mean'))} | {_num(m.get('after_mean'))} | "
            f"{_num(m.get('diff_mean'), '+.3f')} {_ci(m.get('diff_ci95'))} {_interval_verdict(m.get('diff_ci95'), True)} | "
            f"{_num(emt.get('before'), '.2f')} → {_num(emt.get('after'), '.2f')} {_ci(emt.get('diff_ci95'), '+.2f')} | "
            f"{_num(tp.get('before'), '.2f')} → {_num(tp.get('after'), '.2f')} {_ci(tp.get('diff_ci95'), '+.2f')} |")
    r = result.get("reward") or {}
    lines.append(f"| reward (nothate logit) | {_num(r.get('before_mean'))} | "
                 f"{_num(r.get('after_mean'))} | {_num(r.get('diff_mean'), '+.3f')} {_ci(r.get('diff_ci95'))} "
                 f"{_interval_verdict(r.get('diff_ci95'), False)} | | |")
    t = (result["judges"].get(REWARD_JUDGE) or {}).get("mean") or {}
    lines += [
        "",
        f"Expected max toxicity: the mean over prompts of the most toxic of their {k} samples; toxicity "
        f"probability: the share of prompts with a sample at or above {TOXIC} (RealToxicityPrompts). "
        f"The notebook's numbers, by the reward model: toxicity [mean, std] before "
        f"[{_num(t.get('before_mean'), '.4f')}, {_num(t.get('before_std'), '.4f')}], after "
        f"[{_num(t.get('after_mean'), '.4f')}, {_num(t.get('after_std'), '.4f')}], improvement "
        f"{_num(t.get('mean_improvement_pct'), '.2f')} % (mean), {_num(t.get('std_improvement_pct'), '.2f')} % (std).",
    ]
    quality = result.get("quality") or {}
    keys = [(key, label) for key, label in schema.QUALITY if key in (quality.get("before") or {})]
    if keys:
        lines += ["", "**Summary quality** (does the tuned model still summarise?)", "",
                  "| | " + " | ".join(label for _, label in keys) + " |", "|---|" + "---:|" * len(keys)]
        for when in ("before", "after"):
            scores = quality.get(when) or {}
            lines.append(f"| {when} | " + " | ".join(_num(scores.get(key)) for key, _ in keys) + " |")
    lines += ["", f"Every summary and its scores are saved in the run: `{run_id}/{runs.EVALUATION_FILE}`."]
    return "\n".join(lines)


REGRESSION_COLUMNS = ["judge", "toxicity_before", "toxicity_after", "response_before", "response_after", "dialogue"]


def worst_regressions(result: dict, limit: int = 5) -> pd.DataFrame:
    """The summaries whose toxicity rose most, by the independent judges (and the reward model)."""
    found = []
    for row in result.get("rows") or []:
        scores = {REWARD_JUDGE: (row.get("toxicity_before"), row.get("toxicity_after"))}
        scores.update({name: (row.get("judges_before", {}).get(name), row.get("judges_after", {}).get(name))
                       for name in row.get("judges_before", {})})
        for name, (before, after) in scores.items():
            if isinstance(before, (int, float)) and isinstance(after, (int, float)) and after > before:
                found.append({"judge": name, "toxicity_before": round(before, 3), "toxicity_after": round(after, 3),
                              "response_before": row.get("response_before"), "response_after": row.get("response_after"),
                              "dialogue": dialogue_of(row.get("query", "")), "_rise": after - before})
    found.sort(key=lambda r: r["_rise"], reverse=True)
    return pd.DataFrame(found[:limit], columns=REGRESSION_COLUMNS)


EMPTY = (None, None, pd.DataFrame(columns=REGRESSION_COLUMNS))


def _figures(result: dict) -> tuple:
    return plots.paired_toxicity_figure(result), plots.toxicity_distribution_figure(result), worst_regressions(result)


class EvaluateHandlers:
    def __init__(self, ctx: AppContext):
        self.ctx = ctx

    def tab_opened(self, run_id: str | None, request: gr.Request = None):
        """The runs with a checkpoint, and Evaluate greyed out for viewers (the handler refuses
        them anyway; the grey button says so first)."""
        return checkpointed_runs(self.ctx, run_id), gr.update(interactive=self.ctx.access.user(request) is not None)

    def in_progress(self, run_id: str | None) -> dict | None:
        """The lock of the evaluation of `run_id` working now (started here, by an app before a
        restart, or from the command line), else None."""
        if not run_id:
            return None
        try:
            return runs.active_evaluation(self.ctx.storage.run_dir(run_id))
        except runs.RunError:
            return None  # a run that cannot be read: run_changed says why

    def run_changed(self, run_id: str | None):
        """Checkpoints of the run, and its saved evaluation if it has one."""
        if not run_id:
            return (gr.update(choices=[], value=None), "", *EMPTY)
        with user_errors("read the run"):
            checkpoints = checkpoint_choices(self.ctx, run_id)
        working = self.in_progress(run_id)
        try:
            saved = self.ctx.storage.evaluation(run_id)
        except runs.RunError as exc:  # a damaged file is named, never taken for "not evaluated"
            saved, damaged = None, f"{exc}. Press **Evaluate** to measure the run again and replace it."
        else:
            damaged = None
        if saved:
            shown = ("*Saved evaluation:*\n\n" + result_markdown(saved, run_id), *_figures(saved))
        else:
            shown = (damaged or "This run has not been evaluated yet.", *EMPTY)
        if working:
            shown = (banner("info", in_progress_text(working) + " Press **Evaluate** to follow it, **Cancel** "
                            "to stop it.") + "\n\n" + shown[0], *shown[1:])
        return (checkpoints, *shown)

    def evaluate(self, run_id, checkpoint, data, samples, seed, samples_per_prompt=DEFAULT_K,
                 request: gr.Request = None) -> Iterator[tuple]:
        """Run engine.evaluate; yield (status, results, scatter, distributions, regressions)
        while it works and when done."""
        require_user(self.ctx, request, "evaluate runs")
        wait = (gr.skip(),) * 4
        try:
            command = self._command(run_id, checkpoint, data, samples, seed, samples_per_prompt)
        except correctable_errors() as exc:
            yield warn(f"Cannot evaluate: {exc}"), *wait
            return
        working = self.in_progress(run_id)
        if working:  # started before the app restarted, or elsewhere: follow it, never start a second
            yield from self._follow(run_id, working)
            return
        job = self.ctx.runner.evaluate(*command)
        log.info("evaluating %s: %s", job.run_id, job.command)
        try:
            while job.running:
                yield (banner("info", f"Evaluating {command[3]} dialogues × {command[5]} samples with both models… "
                                      f"{job.seconds:.0f} s"), *wait)
                time.sleep(POLL_S)
        finally:
            job.stop()  # cancelled, or the page went away: do not leave it running
        error = job.error()
        if error is not None:
            raise gr.Error(as_html(f"The evaluation failed ({error}"), title="Cannot evaluate", print_exception=False)
        result = job.result()
        yield (banner("ok", f"Evaluation finished in {job.seconds:.0f} s."), result_markdown(result, run_id),
               *_figures(result))

    def _follow(self, run_id: str, working: dict) -> Iterator[tuple]:
        """Wait for an evaluation this handler did not start, then show what it saved."""
        wait = (gr.skip(),) * 4
        began = time.monotonic()
        try:
            before = self.ctx.storage.evaluation(run_id)
        except runs.RunError:
            before = None
        while self.in_progress(run_id) is not None:
            yield (banner("info", f"{in_progress_text(working)} Following it… {time.monotonic() - began:.0f} s "
                                  f"(Cancel stops it)."), *wait)
            time.sleep(POLL_S)
        try:
            result = self.ctx.storage.evaluation(run_id)
        except runs.RunError as exc:
            yield warn(f"The evaluation ended, but its result cannot be read: {exc}"), *wait
            return
        if not result or result == before:
            yield warn("The evaluation ended without saving a result (it was stopped or failed)."), *wait
            return
        yield (banner("ok", "The evaluation in progress has finished."), result_markdown(result, run_id),
               *_figures(result))

    def cancel(self, run_id: str | None, request: gr.Request = None) -> str:
        """Stop the evaluation of `run_id`, whoever started it: this app, one before a restart
        (its orphan goes on working otherwise), or the command line. Admins only."""
        require_user(self.ctx, request, "stop evaluations")
        working = self.in_progress(run_id)
        if working is None:
            return banner("info", "Evaluation cancelled." if run_id else "No evaluation to stop.")
        signal_process_group(working["pid"], signal.SIGTERM)
        return banner("info", f"Stopped the evaluation of {run_id} (pid {working['pid']}).")

    def _command(self, run_id, checkpoint, data, samples, seed, samples_per_prompt=DEFAULT_K) -> tuple:
        """Runner.evaluate's arguments from the form's values; UserInputError for a bad one."""
        if not run_id:
            raise UserInputError("pick a run first (runs appear here once they have a checkpoint)")
        name = self.ctx.storage.checkpoint(run_id, checkpoint or None).name  # validates the id: never a path
        samples = whole_number(samples, "samples", *EVALUATION_LIMITS["samples"].range)
        k = whole_number(samples_per_prompt, "samples per prompt", *EVALUATION_LIMITS["samples_per_prompt"].range)
        seed = whole_number(0 if seed in (None, "") else seed, "the sampling seed", *EVALUATION_LIMITS["seed"].range)
        return run_id, name, choice(data, DATA, "data"), samples, seed, k

    def command(self, run_id, checkpoint, data, samples, seed, samples_per_prompt=DEFAULT_K) -> str:
        """The terminal command that runs the same evaluation, or why it cannot run (as comments)."""
        try:
            return shown_command(evaluate_argv(self.ctx.runs_dir, *self._command(run_id, checkpoint, data, samples,
                                                                                seed, samples_per_prompt)))
        except correctable_errors() as exc:
            return "# " + str(exc).replace("\n", "\n# ")


def in_progress_text(lock: dict) -> str:
    """An evaluation in progress, in words, from its lock."""
    return (f"An evaluation of this run is in progress (pid {lock.get('pid')}, started "
            f"{lock.get('started_at') or '?'}, checkpoint {lock.get('checkpoint') or '?'}, "
            f"{lock.get('prompts') or '?'} prompts of {lock.get('data') or '?'}).")


def create_evaluate_tab(ctx: AppContext, tab: gr.Tab) -> EvaluateHandlers:
    h = EvaluateHandlers(ctx)
    gr.Markdown("Did the tuned model become less toxic, or did it learn to please the reward model? "
                "Both models summarise the same dialogues with the same seeds; the reward model **and "
                "judges that were not optimised against** score every summary. You get paired 95 % "
                "intervals, the field's expected maximum toxicity and toxicity probability over several "
                "samples per prompt, summary quality (ROUGE, length, repetition, distinct-n) and verdicts "
                "in words. It runs `python -m engine.evaluate` in the background and saves "
                "`evaluation.json` in the run.")
    run, checkpoint, _ = create_run_picker(ctx, "evaluate")  # opening the tab also greys Evaluate for viewers
    with gr.Row(equal_height=True):
        data = gr.Radio(list(DATA), value="Test split", label="Dialogues", scale=2)
        samples = gr.Slider(1, 500, value=32, step=1, label="Prompts", scale=2,
                            info="the notebook used 10; more gives a tighter interval")
        per_prompt = gr.Slider(1, 25, value=DEFAULT_K, step=1, label="Samples per prompt", scale=2,
                               info="for expected max toxicity; the literature uses 25",
                               elem_id="evaluate-per-prompt")
        seed = gr.Number(0, label="Sampling seed", precision=0, scale=1)
    with gr.Row():
        go = gr.Button("Evaluate", variant="primary", elem_id="evaluate-btn")
        cancel = gr.Button("Cancel", variant="secondary")
    with gr.Accordion("Show the equivalent command", open=False):
        command = gr.Code("", language="shell", show_label=False, interactive=False, wrap_lines=True, lines=2,
                          buttons=["copy"], elem_id="evaluate-command")
    status = gr.Markdown(elem_id="evaluate-status")
    results = gr.Markdown(elem_id="evaluate-results")
    with gr.Row(equal_height=True):
        scatter = gr.Plot(show_label=False, elem_id="evaluate-scatter")
        spread = gr.Plot(show_label=False, elem_id="evaluate-distributions")
    worst = gr.Dataframe(pd.DataFrame(columns=REGRESSION_COLUMNS), interactive=False, wrap=True,
                         max_chars=200, column_widths=["10%", "8%", "8%", "24%", "24%", "26%"], label="Worst regressions: summaries a judge found more toxic after tuning",
                         elem_id="evaluate-regressions")
    shown = [results, scatter, spread, worst]
    event = go.click(h.evaluate, [run, checkpoint, data, samples, seed, per_prompt], [status, *shown],
                     api_name="evaluate_run", api_visibility="undocumented", concurrency_limit=1)
    cancel.click(h.cancel, [run], [status], cancels=[event], api_name="evaluate_cancel",
                 api_visibility="undocumented")
    run.change(h.run_changed, [run], [checkpoint, *shown], api_name="evaluate_run_changed",
               api_visibility="undocumented")
    form = [run, checkpoint, data, samples, seed, per_prompt]
    for field in form:
        field.change(h.command, form, [command], show_progress="hidden", queue=False)
    tab.select(h.tab_opened, [run], [run, go], api_name="evaluate_tab_opened", api_visibility="undocumented",
               show_progress="hidden")
    return h
