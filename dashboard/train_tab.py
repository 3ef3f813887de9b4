"""Train tab: settings, Start/Stop, live progress and charts, samples, log, run picker.

A `gr.Timer` calls `TrainHandlers.refresh` every two seconds. It is built to be cheap: the
storage reads only the lines appended since its last read, and every output that did not
change since this browser's last refresh is answered with `gr.skip()`, so an idle dashboard
sends almost nothing. It has its own function and no concurrency limit, so it never waits
behind a generation or an evaluation.
"""
from __future__ import annotations

import html
import json
from typing import Any, NamedTuple

import gradio as gr
import pandas as pd

from engine import runs, schema
from engine.config import OFFLINE_PRESET
from engine.data import dialogue_of

from dashboard import health, hub, pace, plots
from dashboard.access import Limits
from dashboard.context import AppContext, require_user
from dashboard.custom_run import CUSTOM_FIELDS, check_custom
from dashboard.display import banner, unless_shown, warn
from dashboard.errors import correctable_errors, user_errors
from dashboard.inputs import UserInputError
from dashboard.lru import LRU
from dashboard.presets import PRESET_CHOICES, preset_note
from dashboard.run_picker import legend_label, run_choices, short_label
from dashboard.runner import describe_exit
from dashboard.settings import (FIELDS, SETTING_KEYS, Field, check_gpu_processes, equivalent_command, gpu_count,
                                preset_settings, resolve_settings)

REFRESH_S = 2.0
SAMPLES_SHOWN = 8
LOG_LINES = 40
FAILURE_LOG_LINES = 8
"""The end of train.log shown with a failed run's error, so it is understood at a glance."""
MAX_OVERLAY = 6
CHART_CACHE_SIZE = 16
DEFAULT_EXTRAS = ["Toxicity"]
SAMPLE_COLUMNS = ["step", "reward", "response", "query"]



class TrainView(NamedTuple):
    """The refresh outputs, in the order of the components they go to."""
    progress: Any
    alerts: Any
    kl: Any
    reward: Any
    held_out: Any
    returns: Any
    extra: Any
    runs_table: Any
    samples: Any
    log: Any
    view: Any
    picker: Any
    start: Any
    stop: Any


# --- pure formatting -------------------------------------------------------------------------

def _failure_html(status: dict, exit_code: int | None, log_text: str) -> str:
    """Why a run failed: its error, how its process ended, and the end of its log."""
    error = str(status.get("error") or "unknown error")
    if exit_code not in (None, 0) and describe_exit(exit_code) not in error:
        error += f" ({describe_exit(exit_code)})"
    if not log_text:
        return f"{html.escape(error)}; train.log is empty"
    tail = "\n".join(log_text.split("\n")[-FAILURE_LOG_LINES:])
    return (f"{html.escape(error)}<div>the end of train.log (all of it in the Log panel below):</div>"
            f'<pre class="detox-failure-log" style="white-space:pre-wrap;max-height:12em;overflow:auto;'
            f'margin:4px 0 0 0;font-size:12px">{html.escape(tail)}</pre>')


def problems_html(problems: list[str]) -> str:
    """A warning listing what is wrong with the run's files (corrupt lines are skipped, not fatal)."""
    if not problems:
        return ""
    items = "".join(f"<li>{html.escape(p)}</li>" for p in problems)
    return (f'<div class="detox-progress-detail detox-file-problems" style="color:#92400e">⚠️ Some of this '
            f"run's files are damaged; the dashboard shows what it could read:<ul>{items}</ul></div>")


def progress_html(run_id: str, status: dict, rows: list[dict], checkpoints: list[str],
                  notes: dict, exit_code: int | None = None, log_text: str = "",
                  problems: list[str] | None = None) -> str:
    """The progress bar with step, total, speed and ETA, coloured by state; for a failed run its
    error with the end of `log_text`; `problems` with the run's files as a warning."""
    state = status.get("state") or "unknown"
    step = status.get("step") or (rows[-1].get("step") if rows else 0) or 0
    total = status.get("total_steps") or 0
    fraction = min(1.0, step / total) if total else 0.0
    per_step = pace.seconds_per_step(rows)
    parts = [f"step <b>{step}</b> / {total or '?'}"]
    if per_step:
        parts.append(f"{per_step:.2f} s/step")
    eta = pace.eta_seconds(state, step, total, rows)
    if eta is not None:
        parts.append(f"ETA <b>{pace.duration(eta)}</b>")
    elapsed = pace.elapsed(status)
    if elapsed is not None:
        parts.append(("elapsed " if state == "running" else "took ") + pace.duration(elapsed))
    if status.get("device"):
        parts.append(html.escape(str(status["device"])))
    headline = {
        "queued": "Starting: loading models and data…",
        "running": "Training",
        "finished": "Finished",
        "stopped": "Stopped",
        "failed": "Failed",
    }.get(state, state.capitalize())
    details = []
    if state in ("finished", "stopped") and checkpoints:
        details.append(f"checkpoints: {', '.join(checkpoints)} (open Compare to try them)")
    elif state == "stopped":
        details.append("no checkpoint: it stopped before its first step")
    auto = notes.get("auto_stopped")
    if isinstance(auto, dict):
        details.append(f"auto-stopped: {html.escape(str(auto.get('reason', '')))}")
    if state == "failed":
        details.append(_failure_html(status, exit_code, log_text))
    trackers = runs.tracker_warning(status)
    if trackers:
        details.append(f'<span class="detox-tracker-failed" style="color:#92400e">⚠️ {html.escape(trackers)}</span>')
    width = 100 * (1.0 if state == "finished" else fraction)
    indeterminate = " detox-indeterminate" if state == "queued" else ""
    detail_html = "".join(f'<div class="detox-progress-detail">{d}</div>' for d in details)
    return (f'<div class="detox-progress detox-state-{html.escape(state)}" data-state="{html.escape(state)}">'
            f'<div class="detox-progress-head"><span class="detox-progress-title">{headline}</span>'
            f'<span class="detox-progress-run">{html.escape(short_label(run_id))}</span></div>'
            f'<div class="detox-progress-track{indeterminate}"><div class="detox-progress-fill" '
            f'style="width:{width:.1f}%"></div></div>'
            f'<div class="detox-progress-text">{" · ".join(parts)}</div>{detail_html}'
            f'{problems_html(problems or [])}</div>')


COMMAND_MAX_LINES = 12
LOG_TO_END_JS = """() => { requestAnimationFrame(() => {
  for (const box of document.querySelectorAll('.detox-log textarea')) box.scrollTop = box.scrollHeight;
}); }"""


def _as_number(value: Any) -> Any:
    """The page's processes field as a number when it is one; anything else is left as it came,
    for settings.check_processes to name in its refusal."""
    if value is None or value == "":
        return 1
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def idle_progress_html(message: str) -> str:
    return (f'<div class="detox-progress detox-state-idle" data-state="idle">'
            f'<div class="detox-progress-text">{html.escape(message)}</div></div>')


def alerts_markdown(alerts: list[health.Alert]) -> str:
    if not alerts:
        return ""
    lines = "\n".join(f"- {'⛔' if a.level == 'error' else '⚠️'} {a.message}" for a in alerts)
    return banner("warn", f"**Health alerts**\n\n{lines}")


def samples_frame(samples: list[dict]) -> pd.DataFrame:
    newest = list(reversed(samples))
    rows = [{"step": s.get("step"),
             "reward": round(s["reward"], 3) if isinstance(s.get("reward"), (int, float)) else None,
             "response": s.get("response", ""),
             "query": dialogue_of(s.get("query", ""))} for s in newest]
    return pd.DataFrame(rows, columns=SAMPLE_COLUMNS)


def _legend(run_id: str, config: dict) -> str:
    """'demo-ceba · GRPO': run against run, the legend says which algorithm drew each line."""
    section = config.get("ppo")
    algorithm = section.get("algorithm") if isinstance(section, dict) else None
    return f"{legend_label(run_id)} · {algorithm.upper() if isinstance(algorithm, str) else 'PPO'}"


def run_facts(label: str, config: dict, metrics: list[dict], eval_rows: list[dict],
              evaluation: dict | None) -> dict:
    """One row of the "Compare runs" table: what a run did and what it reached, from its files."""
    section = config.get("ppo") if isinstance(config.get("ppo"), dict) else {}
    algorithm = section.get("algorithm", "ppo") if isinstance(section.get("algorithm"), str) else "ppo"
    batch, k = section.get("batch_size"), section.get("samples_per_prompt")
    per_step = batch if algorithm == "ppo" else (batch // k if isinstance(batch, int) and isinstance(k, int) and k
                                                 else None)
    steps = len(metrics)
    kl = [v for v in (schema.value(r, schema.KL) for r in metrics[-3:]) if v is not None]
    seconds = [v for v in (schema.value(r, schema.STEP_SECONDS) for r in metrics) if v is not None]
    memory = [v for v in (schema.value(r, schema.PEAK_MEMORY) for r in metrics) if v is not None]
    last_eval = eval_rows[-1] if eval_rows else {}
    rouge = ((evaluation or {}).get("quality") or {}).get("after", {}).get("rougeL")
    row = {"run": label, "algorithm": algorithm.upper(), "steps": steps,
           "prompts seen": steps * per_step if isinstance(per_step, int) else None,
           "training time": f"{sum(seconds) / 60:.1f} min" if seconds else None,
           "KL (last 3 steps)": round(sum(kl) / len(kl), 2) if kl else None,
           "held-out on-topic": round(last_eval["on_topic"], 2) if isinstance(last_eval.get("on_topic"), float) else None,
           "ROUGE-L (Evaluate tab)": round(rouge, 3) if isinstance(rouge, float) else None,
           "peak memory": f"{max(memory):,.0f} MiB" if memory else None}
    for judge, value in (last_eval.get("toxicity") or {}).items():
        row[f"held-out toxicity: {judge}"] = round(value, 3) if isinstance(value, float) else None
    return row


def runs_frame(rows: list[dict]) -> pd.DataFrame:
    """The "Compare runs" table: a column for every fact any run has, blank where one lacks it."""
    columns = list(dict.fromkeys(key for row in rows for key in row))
    return pd.DataFrame(rows, columns=columns)


# --- handlers --------------------------------------------------------------------------------

class TrainHandlers:
    def __init__(self, ctx: AppContext):
        self.ctx = ctx
        self._chart_cache: LRU[tuple] = LRU(CHART_CACHE_SIZE)

    # settings

    def preset_changed(self, preset: str) -> list[Any]:
        """Fill the fields with the preset's values; notes for the toy presets and for an unreachable Hub."""
        with user_errors("load the preset"):
            values = preset_settings(preset)
        notes = [preset_note(preset),
                 banner("warn", hub.hub_banner(preset))]
        return [values[key] for key in SETTING_KEYS] + notes + [
            gr.update(visible=bool(notes[1]))]

    def command(self, preset: str, settings: dict[str, Any]) -> str:
        """The CLI line for these settings, or the reasons they are invalid (as comments)."""
        try:
            resolve_settings(preset, settings)
            return equivalent_command(preset, settings, self.ctx.runs_dir)
        except UserInputError as exc:
            return "# " + str(exc).replace("\n", "\n# ")

    def custom_checked(self, preset: str, on: bool, values: dict[str, Any], request: gr.Request = None) -> list[Any]:
        """The custom run's fields checked as they are filled: each field's verdict under it, the
        reward model's labels offered for the rule, and Start greyed until every check passes."""
        fields = [gr.update(info=what) for _, _, what in CUSTOM_FIELDS]
        if not on:  # nothing else changes: the refresh owns Start while no custom run is being filled
            return [gr.update(visible=False), *(gr.skip() for _ in CUSTOM_FIELDS), "", gr.skip()]
        if self.ctx.access.why_not(request, "name models and data"):
            return [gr.update(visible=True), *fields, banner("warn", "Only admins may name models and data on "
                                                                     "this app."), gr.update(interactive=False)]
        check = check_custom(preset, values, self.ctx.runner.sources)
        for i, (key, _, what) in enumerate(CUSTOM_FIELDS):
            update: dict[str, Any] = {"info": check.notes.get(key, what)}
            if key == "model.reward_label" and check.labels:  # offered by name, as the classifier has them
                update["choices"] = check.labels + [f"-{label}" for label in check.labels]
            fields[i] = gr.update(**update)
        summary = (banner("ok", "Every check passed: Start runs these models and data.") if check.ok else
                   banner("warn", "Start is greyed until these are fixed:\n\n" +
                          "\n".join(f"- {html.escape(p)}" for p in check.problems)))
        return [gr.update(visible=True), *fields, summary, gr.update(interactive=check.ok)]

    # start and stop

    def start(self, preset: str, settings: dict[str, Any], auto_stop: bool = False,
              kl_max: float | None = None, request: gr.Request = None, processes: Any = 1):
        """Start a run; `processes` as the page or an API caller sent it (checked here, where a
        bad value becomes a warning: converted by the caller it raised outside, and an API
        caller got {"error": null})."""
        require_user(self.ctx, request, "start runs")
        try:
            thresholds = health.Thresholds.with_kl_max(kl_max)
        except ValueError as exc:
            return warn(f"Cannot start the run: {exc}"), gr.skip(), gr.skip()
        with user_errors("start the run"):
            try:
                processes = _as_number(processes)
                check_gpu_processes(processes)
                started = self.ctx.runner.start(preset, settings, auto_stop, thresholds, processes)
            except correctable_errors() as exc:
                return warn(f"Cannot start the run: {exc}"), gr.skip(), gr.skip()
        message = banner("ok", f"Started run **{started.run_id}**. The same run from a terminal:\n\n"
                               f"`{started.command}`")
        picker = gr.update(choices=run_choices(self.ctx), value=started.run_id)
        return message, picker, {}

    def stop(self, run_id: str | None, request: gr.Request = None) -> str:
        require_user(self.ctx, request, "stop runs")
        target = self.ctx.runner.in_progress() or run_id
        try:
            message = self.ctx.runner.stop(target)
        except correctable_errors() as exc:
            return warn(f"Cannot stop: {exc}")
        return banner("info", message)

    # the run picker

    def runs_changed(self, run_id: str | None, overlay: list[str] | None):
        choices = run_choices(self.ctx)
        ids = {value for _, value in choices}
        picked = run_id if isinstance(run_id, str) and run_id in ids else None
        value = picked or self.ctx.runner.in_progress() or (choices[0][1] if choices else None)
        kept = [o for o in overlay if isinstance(o, str) and o in ids] if isinstance(overlay, list) else []
        return gr.update(choices=choices, value=value), gr.update(choices=choices, value=kept)

    def page_loaded(self, request: gr.Request = None):
        """Pick the preset and the run to show when a page opens (or re-opens after a restart)."""
        self.ctx.runner.adopt()
        preset = hub.default_preset(self.ctx.preset)
        asked = self.ctx.preset
        runs_dir_note = self._runs_dir_note()
        notes = [runs_dir_note]
        if asked and asked != preset:
            notes.append(banner("warn", f"Preset **{asked}** needs the Hugging Face Hub, which cannot be "
                                        f"reached from here; the dashboard switched to **{preset}**."))
        picker, overlay = self.runs_changed(None, [])
        gpus = gpu_count()
        processes = gr.update(visible=gpus > 1, maximum=max(gpus, 1),
                              info=f"data-parallel processes, 1 to {gpus} (Accelerate)")
        # Greyed out under the banner at once; the refreshes keep it so while the folder is unusable.
        start = gr.update(interactive=False) if runs_dir_note else gr.skip()
        return gr.update(value=preset), "\n\n".join(n for n in notes if n), picker, overlay, processes, start

    def _runs_dir_note(self) -> str:
        """A warning when no run could start here: the runs folder is unwritable or full. The
        app still opens, to show the runs already there."""
        problem = self.ctx.storage.runs_dir_problem()
        if problem:
            return banner("warn", f"**Training cannot start here**: {html.escape(problem)}. Start the app "
                                  "with `--runs-dir` (or `DETOX_RUNS_DIR`) set to a writable folder "
                                  "with free space.")
        return ""

    # refresh

    def show(self, run_id, overlay, extras, view, request: gr.Request = None) -> TrainView:
        """A run was picked: redraw everything."""
        return self.refresh(run_id, overlay, extras, {}, request)

    def refresh(self, run_id: str | None, overlay: list[str] | None, extras: list[str] | None,
                view: dict | None, request: gr.Request = None) -> TrainView:
        view = dict(view or {})
        # Viewers (not signed in, or not allowed) watch: Start and Stop stay greyed out for them.
        view["may_act"] = self.ctx.access.user(request) is not None
        skip = gr.skip()
        picker: Any = skip
        in_progress = self.ctx.runner.in_progress()
        if not run_id and in_progress:
            # A run started elsewhere (the API, another tab, before a restart): show it.
            run_id = in_progress
            picker = gr.update(choices=run_choices(self.ctx), value=run_id)
        if not run_id:
            return self._idle(view, picker, "No run yet: pick a preset and press Start.", in_progress)
        try:
            snap = self.ctx.storage.snapshot(run_id, samples=SAMPLES_SHOWN, log_lines=LOG_LINES)
            shown_ids = [o for o in (overlay or [])[:MAX_OVERLAY] if o != run_id]
            others = {o: (self.ctx.storage.metrics(o), self.ctx.storage.eval_rows(o)) for o in shown_ids}
        except runs.RunError as exc:
            return self._idle(view, picker, str(exc), in_progress)
        out: dict[str, Any] = {}
        status = snap.status
        data_key = [run_id, len(snap.metrics), len(snap.held_out),
                    sorted((k, len(m), len(e)) for k, (m, e) in others.items()), sorted(extras or []),
                    snap.thresholds.to_dict()]
        if data_key != view.get("data"):
            view["data"] = data_key
            charts = self._charts(data_key, snap, others, extras or [])
            out.update(kl=charts[0], reward=charts[1], returns=charts[2], extra=charts[3], held_out=charts[4])
            out["runs_table"] = runs_frame([
                run_facts(_legend(run_id, snap.config), snap.config, snap.metrics, snap.held_out, snap.evaluation),
                *[self._facts(o, m, e) for o, (m, e) in others.items()]])
        # every tick, not with the charts: a frozen trainer writes no rows, and that is the news
        out["alerts"] = unless_shown(view, "alerts", alerts_markdown(snap.alerts))
        if status.get("state") != view.get("state") and picker is skip:
            # The run's label in the picker shows its state: refresh the labels when it changes.
            picker = gr.update(choices=run_choices(self.ctx))
        view["state"] = status.get("state")
        checkpoints = snap.checkpoints if status.get("state") in ("finished", "stopped") else []
        out["progress"] = unless_shown(view, "progress", progress_html(
            run_id, status, snap.metrics, checkpoints, snap.notes, snap.exit_code, snap.log_tail, snap.problems))
        sample_key = [run_id, snap.samples[-1].get("step") if snap.samples else None, len(snap.samples)]
        out["samples"] = samples_frame(snap.samples) if sample_key != view.get("samples") else skip
        view["samples"] = sample_key
        out["log"] = unless_shown(view, "log", snap.log_tail)
        return self._view(view, out, picker, in_progress)

    def _charts(self, key: list, snap, others: dict[str, tuple[list[dict], list[dict]]],
                extras: list[str]) -> tuple:
        """The figures for this data (`others`: (metric rows, held-out rows) of each overlaid
        run); built once per new step, however many browsers watch (a figure costs
        tens of milliseconds, a dashboard may have a room full)."""
        def build() -> tuple:
            both = {_legend(snap.run_id, snap.config): (snap.metrics, snap.held_out),
                    **{_legend(k, self._config(k)): v for k, v in others.items()}}
            series = {label: metric_rows for label, (metric_rows, _) in both.items()}
            held_out = {label: eval_rows for label, (_, eval_rows) in both.items()}
            return (plots.kl_figure(series), plots.reward_figure(series), plots.returns_figure(series),
                    plots.extra_figure(series, extras), plots.held_out_figure(held_out))

        # When a new step lands, the ticks of a whole room miss the cache at once: the LRU makes
        # the first build the figures and the others wait for it (30 browsers: 1 build, not 30).
        return self._chart_cache.get_or_make(json.dumps(key), build)

    def _facts(self, run_id: str, metrics: list[dict], eval_rows: list[dict]) -> dict:
        """An overlaid run's row of the "Compare runs" table."""
        config = self._config(run_id)
        try:
            evaluation = self.ctx.storage.evaluation(run_id)
        except runs.RunError:  # a corrupt evaluation.json: the Evaluate tab says so
            evaluation = None
        return run_facts(_legend(run_id, config), config, metrics, eval_rows, evaluation)

    def _config(self, run_id: str) -> dict:
        try:
            return self.ctx.storage.config(run_id)
        except runs.RunError:  # the run's banner says why; its line and row keep their name
            return {}

    def _idle(self, view: dict, picker: Any, message: str, in_progress: str | None) -> TrainView:
        out: dict[str, Any] = {"progress": unless_shown(view, "progress", idle_progress_html(message))}
        if view.get("data") != "idle":
            view["data"] = "idle"
            out.update(kl=plots.empty_figure("KL divergence from the reference", "No run selected"),
                       reward=plots.empty_figure("Reward (nothate logit), mean ± std", "No run selected"),
                       held_out=plots.empty_figure(plots.HELD_OUT_TITLE, "No run selected"),
                       returns=plots.empty_figure("Returns", "No run selected"),
                       extra=plots.empty_figure("More charts", "No run selected"), runs_table=runs_frame([]),
                       samples=pd.DataFrame(columns=SAMPLE_COLUMNS), alerts="")
            view["samples"] = None
        out["log"] = unless_shown(view, "log", "")
        return self._view(view, out, picker, in_progress)

    def _view(self, view: dict, out: dict, picker: Any, in_progress: str | None) -> TrainView:
        may_act = view.get("may_act", True)
        # Start is live only where a press could work: the runner would refuse it in a runs
        # folder that is unwritable or full (the banner says why). Asked last: the check costs a write.
        may_start = may_act and in_progress is None and self.ctx.storage.runs_dir_problem() is None
        buttons = [may_start, may_act and in_progress is not None]
        if buttons != view.get("buttons"):
            view["buttons"] = buttons
            start, stop = gr.update(interactive=buttons[0]), gr.update(interactive=buttons[1])
        else:
            start = stop = gr.skip()
        fields = {name: out.get(name, gr.skip()) for name in TrainView._fields
                  if name not in ("view", "picker", "start", "stop")}
        return TrainView(**fields, view=view, picker=picker, start=start, stop=stop)


# --- layout ----------------------------------------------------------------------------------

def _component(field: Field, value: Any, caps: Limits):
    limits = field.caption(caps)
    elem_id = "setting-" + field.key.replace(".", "-").replace("_", "-")  # e.g. setting-ppo-steps
    if field.kind == "switch":
        return gr.Checkbox(value=value, label=field.label, info=limits, elem_id=elem_id)
    if field.kind == "choice":
        # the values as they are, in capitals where they are an algorithm's name (PPO, not ppo)
        names = [(c.upper() if field.key == "ppo.algorithm" else c, c) for c in field.choices]
        return gr.Radio(names, value=value, label=field.label, info=limits, elem_id=elem_id)
    return gr.Number(value=value, label=field.label, info=limits, precision=0 if field.kind == "whole" else None,
                     elem_id=elem_id)


def _lay_out(fields: list[Field], initial: dict[str, Any], caps: Limits) -> dict[str, Any]:
    """Numbers two to a row, switches and choices on a row of their own, in the table's order."""
    made: dict[str, Any] = {}
    pending: list[Field] = []

    def flush() -> None:
        if pending:
            with gr.Row():
                for field in pending:
                    made[field.key] = _component(field, initial[field.key], caps)
            pending.clear()

    for field in fields:
        if field.kind in ("number", "whole"):
            pending.append(field)
            if len(pending) == 2:
                flush()
        else:
            flush()
            made[field.key] = _component(field, initial[field.key], caps)
    flush()
    return made


def create_train_tab(ctx: AppContext, demo: gr.Blocks) -> dict[str, Any]:
    h = TrainHandlers(ctx)
    initial = preset_settings(OFFLINE_PRESET)
    caps = ctx.runner.limits
    with gr.Row(equal_height=False):
        with gr.Column(scale=1, min_width=330, elem_classes=["detox-settings"]):
            preset = gr.Dropdown(PRESET_CHOICES, value=OFFLINE_PRESET, label="Preset")
            preset_info = gr.Markdown(preset_note(OFFLINE_PRESET))
            custom = gr.Checkbox(False, label="Custom: my own models and data, with this preset's numbers",
                                 elem_id="custom-toggle")
            with gr.Group(visible=False) as custom_box:
                custom_fields = {}
                for key, label, what in CUSTOM_FIELDS:
                    elem_id = "custom-" + key.replace(".", "-").replace("_", "-")
                    if key == "model.reward_label":  # offered from the classifier's own labels once it is found
                        custom_fields[key] = gr.Dropdown([], value=None, label=label, info=what, allow_custom_value=True,
                                                         elem_id=elem_id)
                    else:
                        custom_fields[key] = gr.Textbox(label=label, info=what, elem_id=elem_id, max_lines=1)
                custom_note = gr.Markdown(elem_id="custom-check")
            with gr.Group(visible=False) as hub_box:
                hub_note = gr.Markdown()
                use_offline = gr.Button(f"Use the offline {OFFLINE_PRESET} preset", size="sm", variant="primary")
            f = _lay_out([field for field in FIELDS if not field.advanced], initial, caps)
            with gr.Accordion("KL penalty, generation, reward, checkpoints", open=False):
                f.update(_lay_out([field for field in FIELDS if field.advanced], initial, caps))
            with gr.Accordion("Health alerts", open=False):
                kl_max = gr.Number(value=health.Thresholds.kl_max, label="Alert when KL is above",
                                   info="nats, for the runs you start here; alerts also fire on negative KL, collapsing reward, "
                                        "entropy or summaries, and a reward that rises "
                                        "while held-out toxicity by a judge does not fall")
                auto_stop = gr.Checkbox(value=False, label="Stop the run automatically on an alert")
            # Shown by page_loaded on a machine with several GPUs (counting them imports torch).
            processes = gr.Number(value=1, precision=0, minimum=1, visible=False, label="GPUs")
            with gr.Row():
                start = gr.Button("▶ Start", variant="primary", elem_id="start-btn")
                stop = gr.Button("■ Stop", variant="stop", elem_id="stop-btn", interactive=False)
            message = gr.Markdown(elem_id="train-message")
            with gr.Accordion("Show the equivalent command", open=False):
                # Grows with the command (a fixed two lines cut it off); one copy button, and room
                # kept for it on the right (the css) so that it never sits on the command's text.
                command = gr.Code(h.command(OFFLINE_PRESET, initial), language="shell", show_label=False,
                                  interactive=False, wrap_lines=True, lines=2, max_lines=COMMAND_MAX_LINES,
                                  buttons=["copy"], elem_id="train-command")
        with gr.Column(scale=3, min_width=520):
            with gr.Row(equal_height=False):
                picker = gr.Dropdown([], label="Run", scale=4, elem_id="run-picker",
                                     info="any run in the runs folder; the one in progress is picked "
                                          "up again after a page reload or an app restart")
                overlay = gr.Dropdown([], multiselect=True, max_choices=MAX_OVERLAY, scale=4,
                                      label="Overlay other runs", info="compare their curves")
                refresh_runs = gr.Button("↻ Runs", scale=0, min_width=90, size="sm")
            progress = gr.HTML(idle_progress_html("Loading…"), elem_id="train-progress")
            alerts = gr.Markdown(elem_id="train-alerts")
            with gr.Row(equal_height=True):
                reward_plot = gr.Plot(label="Reward", show_label=False, elem_id="reward-plot")
                held_out_plot = gr.Plot(label="Held-out toxicity", show_label=False, elem_id="held-out-plot")
            with gr.Row(equal_height=True):
                kl_plot = gr.Plot(label="KL", show_label=False, elem_id="kl-plot")
                returns_plot = gr.Plot(label="Returns", show_label=False, elem_id="returns-plot")
            extra_plot = gr.Plot(label="More charts", show_label=False, elem_id="extra-plot")
            extras = gr.CheckboxGroup(list(plots.EXTRA_METRICS), value=DEFAULT_EXTRAS,
                                      label="More charts", elem_id="extra-metrics")
            with gr.Accordion("Compare runs (this run and the overlaid ones)", open=True):
                runs_table = gr.Dataframe(runs_frame([]), interactive=False, wrap=True, elem_id="runs-table")
            with gr.Accordion("Newest samples (the policy's summaries and their rewards)", open=True):
                samples = gr.Dataframe(pd.DataFrame(columns=SAMPLE_COLUMNS), interactive=False,
                                       wrap=True, max_height=340, max_chars=200,
                                       column_widths=["7%", "9%", "34%", "50%"],
                                       elem_id="samples-table")
            with gr.Accordion("Log (train.log)", open=False) as log_panel:
                log_box = gr.Textbox(show_label=False, lines=14, max_lines=14, autoscroll=True,
                                     interactive=False, elem_classes=["detox-log"],
                                     buttons=["copy"])
            # autoscroll follows new lines, but a closed panel's box opens scrolled to wherever it
            # was: at its end is where a log is read
            log_panel.expand(None, None, None, js=LOG_TO_END_JS, api_visibility="undocumented")
    view = gr.State({})
    timer = gr.Timer(REFRESH_S, active=True)

    fields = [f[key] for key in SETTING_KEYS]
    refresh_inputs = [picker, overlay, extras, view]
    refresh_outputs = [progress, alerts, kl_plot, reward_plot, held_out_plot, returns_plot, extra_plot, runs_table,
                       samples, log_box, view, picker, start, stop]
    preset_outputs = fields + [preset_info, hub_note, hub_box]

    def refresh_tick(run_id, overlay_ids, extra_names, state, request: gr.Request):
        # Its own function object: its own concurrency group, never queued behind other events.
        return h.refresh(run_id, overlay_ids, extra_names, state, request)

    timer.tick(refresh_tick, refresh_inputs, refresh_outputs, concurrency_limit=None,
               show_progress="hidden", api_name="train_refresh", api_visibility="undocumented")
    picker.change(h.show, refresh_inputs, refresh_outputs, concurrency_limit=None,
                  show_progress="hidden", api_name="train_show_run", api_visibility="undocumented")
    gr.on([overlay.change, extras.change], h.show, refresh_inputs, refresh_outputs,
          concurrency_limit=None, show_progress="hidden", api_name="train_redraw",
          api_visibility="undocumented")
    preset.change(h.preset_changed, [preset], preset_outputs, api_name="train_preset",
                  api_visibility="undocumented")
    use_offline.click(lambda: OFFLINE_PRESET, None, [preset], api_name="train_use_offline",
                      api_visibility="undocumented")
    by_key = dict(zip(SETTING_KEYS, fields))

    def settings_of(values: dict) -> dict[str, Any]:
        chosen = {key: values[component] for key, component in by_key.items()}
        if values.get(custom):  # the custom run's fields, only while it is switched on
            chosen.update({key: values[component] for key, component in custom_fields.items()})
        return chosen

    def custom_changed(values: dict, request: gr.Request) -> list[Any]:
        return h.custom_checked(values[preset], values[custom],
                                {key: values[component] for key, component in custom_fields.items()}, request)

    # Not on preset.change: at page load that would queue one more event before the preset fills
    # the form; a base preset changed under a filled form is checked again by the runner at Start.
    gr.on([custom.change] + [c.change for c in custom_fields.values()], custom_changed,
          {preset, custom, *custom_fields.values()},
          [custom_box, *custom_fields.values(), custom_note, start],
          show_progress="hidden", api_name="train_custom_check", api_visibility="undocumented")

    def custom_switched_off(on: bool):
        """Start as the refresh would have it, once a custom run that failed its checks is given up."""
        return gr.skip() if on else gr.update(interactive=ctx.runner.in_progress() is None)

    custom.input(custom_switched_off, [custom], [start], show_progress="hidden", api_visibility="undocumented")

    # A set of inputs hands the function one {component: value} dict: no long positional lists.
    def command_changed(values: dict) -> str:
        return h.command(values[preset], settings_of(values))

    def start_clicked(values: dict, request: gr.Request) -> tuple:
        return h.start(values[preset], settings_of(values), values[auto_stop], values[kl_max], request,
                       values[processes])

    gr.on([preset.change, custom.change] + [c.change for c in fields + list(custom_fields.values())], command_changed,
          {preset, custom, *fields, *custom_fields.values()}, [command],
          concurrency_limit=None, show_progress="hidden", api_name="train_command",
          api_visibility="undocumented", trigger_mode="always_last")  # a change during a slow answer is never dropped
    start.click(start_clicked, {preset, auto_stop, kl_max, processes, custom, *fields, *custom_fields.values()},
                [message, picker, view],
                api_name="train_start", api_visibility="undocumented", concurrency_limit=1)
    stop.click(h.stop, [picker], [message], api_name="train_stop", api_visibility="undocumented")
    refresh_runs.click(h.runs_changed, [picker, overlay], [picker, overlay], api_name="train_list_runs",
                       api_visibility="undocumented")
    demo.load(h.page_loaded, None, [preset, message, picker, overlay, processes, start], api_name="train_page_load",
              api_visibility="undocumented")
    return {"handlers": h, "picker": picker, "preset": preset, "timer": timer, "start": start,
            "stop": stop, "progress": progress}
