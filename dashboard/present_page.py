"""The presenter page, /present: one 1920x1080 screen where a room watches a heated dialogue's
summary lose its rudeness as PPO trains, live or replayed from a run recorded earlier.

What it shows comes from dashboard.presenter (pure); this module only reads runs through
dashboard.storage, keeps each browser's choices and replay clock on the server (keyed by an
id in its gr.State) and wires the events. A
`gr.Timer` redraws the page every second; outputs that did not change for this browser are
answered with gr.skip(), figures are built once per step for a whole room.

    /present                          the run in progress (else the newest run), live
    /present?replay=demo&speed=4      the shipped recording (assets/replay), 4 PPO steps a second
    /present?replay=<run id>          any finished or stopped run of the runs folder
    &versus=<run id>                  a second recorded run side by side (PPO against GRPO, say): its
                                      summaries of the same dialogues beside the first's, both on the charts
    &dialogues=0,3,5                  which held-out dialogues (default: the 3 most toxic at first;
                                      DETOX_PRESENT_DIALOGUES sets the app's default)

Keys (a script in the page's head; never while typing in a field): space pauses or resumes a
replay, left and right arrows go to the previous or next held-out step, up and down change the
speed. The drawer on the right (closed at first) holds the same choices as menus.
"""
from __future__ import annotations

import html
import json
import logging
import os
import threading
import time
import uuid
from dataclasses import replace
from typing import Any, Callable, NamedTuple

import gradio as gr

from engine import runs
from engine.config import preset as preset_config

from dashboard import hub, pace, plots, presenter
from dashboard.context import AppContext, require_user
from dashboard.display import unless_shown
from dashboard.errors import correctable_errors, user_errors
from dashboard.lru import LRU
from dashboard.presenter import PresenterError, ReplayClock
from dashboard.run_picker import legend_label, preset_of, run_label
from dashboard.storage import RECORDINGS_DIR, RunSnapshot, Storage

log = logging.getLogger(__name__)

PATH = "present"
REFRESH_S = 1.0
CHART_HEIGHT = 306
"""Three charts stacked beside the dialogues fill the height of a 1080-pixel screen."""
CHART_CACHE_SIZE = 32
MAX_SESSIONS = 512
"""Browsers whose choices are kept; beyond this the least recently seen is forgotten (it then
watches live until it reloads)."""
LIVE = "live"
RECORDED = "recording:"
FOLDER = "run:"
NEW_SESSION = {"source": LIVE, "speed": presenter.DEFAULT_SPEED, "dialogues": None, "clock": None,
               "may_act": False, "versus": None}
"""A browser's choices before its URL is read: live, as a viewer."""
DEMO_ALIAS = "demo"
"""?replay=demo: the newest shipped recording."""
START_EVAL_PARTS = 10
"""A preset without held-out rows (run.eval_every 0) gets one every tenth of its steps when
started here: this page has nothing to show without them."""

KEYS_JS = """
<script>
(() => {
  // The presenter page's keys, bound once per document; they act only on that page, and never
  // while the focus is in a field (typing a space in a menu must stay a space).
  if (window.detoxPresenterKeys) return;
  window.detoxPresenterKeys = true;
  const buttons = {" ": "present-toggle", "ArrowLeft": "present-prev", "ArrowRight": "present-next",
                   "ArrowUp": "present-faster", "ArrowDown": "present-slower"};
  document.addEventListener("keydown", (event) => {
    const id = buttons[event.key];
    if (!id || event.ctrlKey || event.metaKey || event.altKey || !document.getElementById("detox-present")) return;
    const target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
    // A focused button (Start, after a click) would take the space as a second click.
    if (target && target.tagName === "BUTTON") target.blur();
    event.preventDefault();  // no scrolling either
    const button = document.getElementById(id);
    if (button) button.click();
  });
})();
</script>
"""

CSS = """
body:has(#detox-present) { overflow: hidden !important; }
body:has(#detox-present) footer, .gradio-container:has(#detox-present) .nav-holder { display: none !important; }
.gradio-container:has(#detox-present) { max-width: none !important; padding: 0 !important; margin: 0 !important; }
.gradio-container:has(#detox-present) main, .gradio-container:has(#detox-present) .main,
.gradio-container:has(#detox-present) .wrap.app { padding: 0 !important; margin: 0 !important;
                                                  max-width: none !important; }
#detox-present { height: 100vh; box-sizing: border-box; padding: 10px 16px; gap: 8px !important;
                 overflow: hidden; background: #ffffff; color: #0b1220; flex-wrap: nowrap !important; }
#pp-top { flex: 0 0 auto; align-items: center !important; gap: 12px !important; flex-wrap: nowrap !important;
          padding-right: 56px; }  /* the drawer's toggle sits at the top right: never over Stop */
#pp-top button { font-size: 24px !important; min-height: 52px; padding: 6px 22px !important; white-space: nowrap; }
#pp-status { flex: 1 1 auto; min-width: 0; }
#present-start:not(:disabled) { background: #0f5132 !important; color: #ffffff !important; }
#pp-main { flex: 1 1 auto; min-height: 0; gap: 14px !important; flex-wrap: nowrap !important; overflow: hidden; }
#pp-left, #pp-charts { min-height: 0; overflow: hidden; gap: 4px !important; }
#pp-charts { flex: 0 0 560px !important; }
#pp-charts .plot-container, #pp-charts > div { min-height: 0 !important; }
#pp-keys { display: none !important; }
/* The drawer open takes ~300 px from the page: narrower charts and smaller summaries, so that no
   summary is cut mid-line and the gauges still show every judge. */
.gradio-container:has(#pp-drawer.open) #pp-charts { flex: 0 0 400px !important; }
.gradio-container:has(#pp-drawer.open) .pp-text { font-size: 23px; }
.gradio-container:has(#pp-drawer.open) .pp-gauges { font-size: 16px; gap: 8px; }
.gradio-container:has(#pp-drawer.open) .pp-gauge-bar { width: 40px; }
.gradio-container:has(#pp-drawer.open) .pp-gauges-title { display: none; }
.pp-status { display: flex; align-items: baseline; gap: 24px; white-space: nowrap; overflow: hidden; }
.pp-title { font-size: 30px; font-weight: 800; color: #0f5132; }
.pp-facts { font-size: 24px; color: #0b1220; overflow: hidden; text-overflow: ellipsis; min-width: 0; }
.pp-facts span + span::before { content: "  ·  "; color: #64748b; white-space: pre; }
.pp-cards { display: flex; flex-direction: column; gap: 10px; height: calc(100vh - 110px); }
.pp-empty { justify-content: center; align-items: center; }
.pp-note { font-size: 30px; color: #334155; max-width: 80%; text-align: center; }
.pp-card { flex: 1 1 0; min-height: 0; display: flex; flex-direction: column; border: 2px solid #cbd5e1;
           border-radius: 12px; padding: 8px 14px; overflow: hidden; background: #f8fafc; }
.pp-context { font-size: 22px; color: #1e293b; white-space: nowrap; overflow: hidden; text-overflow: ellipsis;
              margin-bottom: 4px; }
.pp-context b { color: #0b1220; margin-right: 8px; }
.pp-pair { display: flex; gap: 14px; flex: 1 1 auto; min-height: 0; }
/* side by side (?versus=): three summaries a card, in smaller type */
.pp-pair:has(.pp-versus) .pp-text { font-size: 21px; -webkit-line-clamp: 7; }
.pp-pair:has(.pp-versus) .pp-gauges { font-size: 15px; gap: 6px; }
.pp-pair:has(.pp-versus) .pp-gauge-bar { width: 32px; }
.pp-pair:has(.pp-versus) .pp-gauges-title { display: none; }
.pp-pair:has(.pp-versus) .pp-label { font-size: 16px; }
.pp-side { flex: 1 1 0; min-width: 0; display: flex; flex-direction: column; min-height: 0; }
.pp-label { font-size: 20px; font-weight: 700; text-transform: uppercase; letter-spacing: 0.03em; color: #475569; }
.pp-after .pp-label { color: #0f5132; }
.pp-text { font-size: 28px; line-height: 1.25; color: #0b1220; flex: 1 1 auto; min-height: 0; overflow: hidden;
           display: -webkit-box; -webkit-box-orient: vertical; -webkit-line-clamp: 6; }
.pp-text del { background: #fecaca; color: #7f1d1d; text-decoration: line-through; text-decoration-thickness: 2px;
               border-radius: 4px; padding: 0 3px; }
.pp-text mark { background: #bbf7d0; color: #052e16; border-radius: 4px; padding: 0 3px; }
.pp-gauges { display: flex; gap: 12px; align-items: center; margin-top: 4px; font-size: 20px; flex: 0 0 auto;
             white-space: nowrap; overflow: hidden; }
.pp-gauges-title { color: #475569; }
.pp-gauge { display: flex; align-items: center; gap: 5px; }
.pp-gauge-name { color: #1e293b; }
.pp-gauge-bar { width: 56px; height: 16px; border-radius: 8px; background: #e2e8f0; overflow: hidden;
                border: 1px solid #94a3b8; display: inline-block; }
.pp-gauge-fill { display: block; height: 100%; }
.pp-clean .pp-gauge-fill { background: #15803d; }
.pp-toxic .pp-gauge-fill { background: #b91c1c; }
.pp-gauge-value { font-weight: 700; font-variant-numeric: tabular-nums; min-width: 3ch; }
.pp-toxic .pp-gauge-value { color: #b91c1c; }
.pp-clean .pp-gauge-value { color: #15803d; }
"""


class PresentView(NamedTuple):
    """The redraw outputs, in the order of the components they go to."""
    status: Any
    cards: Any
    reward: Any
    kl: Any
    toxicity: Any
    start: Any
    stop: Any


def start_settings(preset: str) -> dict[str, int]:
    """What a Start on this page changes in `preset`'s defaults: nothing, unless the preset writes
    no held-out rows, which the page needs."""
    cfg = preset_config(preset)
    if cfg.run.eval_every:
        return {}
    return {"run.eval_every": max(1, cfg.ppo.steps // START_EVAL_PARTS)}


class PresentHandlers:
    """The page's events. Each browser's choices (source, speed, dialogues, replay clock) live
    here, keyed by an id its gr.State carries, not in the State itself: the timer's redraw and a
    key press run at the same time, and a State written back by the one would undo the other."""

    def __init__(self, ctx: AppContext, recordings: Storage, clock: Callable[[], float] = time.monotonic):
        self.ctx = ctx
        self.recordings = recordings
        self.clock = clock
        self._charts: LRU[tuple] = LRU(CHART_CACHE_SIZE)
        self._sessions: LRU[dict] = LRU(MAX_SESSIONS)
        self._sessions_lock = threading.Lock()
        """Held while a browser's choices are read and changed together (_save, _save_shown)."""

    # --- each browser's choices ----------------------------------------------------------------

    def session(self, state: dict | None) -> dict:
        """A copy of the choices of the browser whose gr.State is `state`; a browser this app
        does not know (it restarted) watches live, as a viewer until it reloads."""
        key = (state or {}).get("id")
        found = self._sessions.get(key) if isinstance(key, str) else None
        return dict(found) if found else {**NEW_SESSION, "shown": {}}

    def _save(self, state: dict | None, **changes: Any) -> None:
        """Save a browser's choices. A change of choice (not of what is shown) starts a new
        generation: a redraw that began before it must not save or send what it computed."""
        key = (state or {}).get("id")
        if not isinstance(key, str):
            return
        with self._sessions_lock:
            session = self._sessions.get(key) or {**NEW_SESSION, "shown": {}}
            generation = session.get("generation", 0) + (set(changes) != {"shown"})
            self._sessions.put(key, {**session, **changes, "generation": generation})

    def _save_shown(self, state: dict | None, generation: int, shown: dict) -> bool:
        """Record what a redraw sends, unless the browser's choices changed since it began (a
        key pressed during a timer's redraw): then False, and the redraw sends nothing. Else
        the timer's late "18 s left" would land after the key's "paused", and, recorded as
        shown, never be corrected."""
        key = (state or {}).get("id")
        if not isinstance(key, str):
            return True
        with self._sessions_lock:
            session = self._sessions.get(key)
            if session is not None and session.get("generation", 0) != generation:
                return False
        self._save(state, shown=shown)
        return True

    # --- sources -------------------------------------------------------------------------------

    def source_choices(self) -> list[tuple[str, str]]:
        """Live, then the shipped recordings, then the ended runs of the runs folder."""
        choices = [("Live: the run in progress, else the newest run", LIVE)]
        try:
            choices += [(f"Replay: the recorded demo run (shipped, {s.get('total_steps')} steps)",
                         RECORDED + s["run_id"]) for s in self.recordings.replayable_runs()]
            choices += [(f"Replay: {run_label(s)}", FOLDER + s["run_id"]) for s in self.ctx.storage.replayable_runs()]
        except runs.RunError as exc:
            gr.Warning(html.escape(str(exc)))
        return choices

    def replay_source(self, name: str) -> str:
        """The source of ?replay=NAME: `demo` (the shipped recording), a run id of the runs folder
        or of the recordings; PresenterError otherwise."""
        values = [value for _, value in self.source_choices()]
        if name == DEMO_ALIAS:
            recorded = [v for v in values if v.startswith(RECORDED)]
            if recorded:
                return recorded[0]
        for value in (FOLDER + name, RECORDED + name):
            if value in values:
                return value
        raise PresenterError(f"there is no finished run {name[:80]!r} to replay (?replay=demo replays the "
                             f"shipped recording)")

    def _storage_of(self, source: str) -> Storage:
        return self.recordings if source.startswith(RECORDED) else self.ctx.storage

    def _snapshot(self, source: str) -> RunSnapshot | None:
        """The run `source` names: a recording, a run of the folder, or (live) the run in
        progress, else the newest; None when there is no run at all."""
        if source.startswith(RECORDED):
            return self.recordings.snapshot(source[len(RECORDED):], samples=0, log_lines=0, details=False)
        if source.startswith(FOLDER):
            return self.ctx.storage.snapshot(source[len(FOLDER):], samples=0, log_lines=0, details=False)
        run_id = self.ctx.runner.in_progress()
        if run_id is None:
            listed = self.ctx.storage.list_runs()
            run_id = listed[0]["run_id"] if listed else None
        return self.ctx.storage.snapshot(run_id, samples=0, log_lines=0, details=False) if run_id else None

    def _clock_for(self, source: str, speed: float, versus: str | None = None) -> ReplayClock | None:
        """A replay of `source` (and of `versus`, side by side: until the longer one ends) from
        step 0, playing (None for live)."""
        if source == LIVE:
            return None
        snaps = [self._snapshot(s) for s in (source, versus) if s]
        last = max(presenter.last_step(snap.metrics) if snap else 0 for snap in snaps)
        return ReplayClock(last=last, speed=speed, at=self.clock())

    # --- page open and redraw ------------------------------------------------------------------

    def opened(self, request: gr.Request = None) -> tuple:
        """A browser opened the page: its choices from the URL (?replay=, ?speed=, ?dialogues=)
        or DETOX_PRESENT_DIALOGUES; a bad one is named in a warning and left at its default.
        Returns its gr.State, the redraw, the drawer's controls and the timer, switched on.
        Whatever goes wrong here is said on the page: an exception would leave the room looking
        at "Loading…" with no timer to ever redraw it."""
        try:
            return self._open(request)
        except Exception as exc:  # the last place the room can be told anything
            log.exception("the presenter page could not open")
            return self._open_failed(exc)

    def _open_failed(self, exc: Exception) -> tuple:
        """The page when opening it failed: the error in place of the dialogues, nothing read
        from the runs (that may be what failed), the timer off (a redraw would fail the same
        way every second)."""
        message = (f"The presenter page could not open: {type(exc).__name__}: {str(exc)[:300]}. "
                   f"Reload the page to try again; the app's log has the details.")
        status = presenter.status_html("Presenter view", ["could not open"])
        cards = presenter.cards_html(presenter.View(0, 0, note=message))
        hidden = gr.update(visible=False)
        return ({"id": uuid.uuid4().hex}, status, cards, gr.skip(), gr.skip(), gr.skip(), hidden, hidden,
                gr.skip(), gr.skip(), gr.skip(), gr.Timer(active=False))

    def _open(self, request: gr.Request | None) -> tuple:
        query = dict(getattr(request, "query_params", None) or {})
        may_act = self.ctx.access.user(request) is not None
        # First: without a preset asked for, this asks the Hub (seconds when it is unreachable,
        # once per process), and a replay's clock must start when the page can show it.
        preset = hub.default_preset(self.ctx.preset) if may_act else None
        choices = {**NEW_SESSION, "shown": {}, "may_act": may_act}
        for key, read in (("dialogues", lambda: presenter.parse_dialogues(
                                query.get("dialogues", os.environ.get(presenter.DIALOGUES_ENV)))),
                          ("speed", lambda: presenter.parse_speed(query.get("speed"))),
                          ("source", lambda: self.replay_source(query["replay"]) if query.get("replay") else LIVE),
                          ("versus", lambda: self.replay_source(query["versus"]) if query.get("versus") else None)):
            try:
                choices[key] = read()
            except PresenterError as exc:
                gr.Warning(html.escape(f"Presenter page: {exc}"))
        try:
            choices["clock"] = self._clock_for(choices["source"], choices["speed"], choices["versus"])
        except runs.RunError as exc:
            gr.Warning(html.escape(f"Presenter page: {exc}"))
            choices["source"] = LIVE
        state = {"id": uuid.uuid4().hex}
        self._save(state, **choices)
        view = self.redraw(state)
        # Start and Stop: shown to admins only, live or greyed out as the redraw decided.
        may_start, may_stop = self.session(state)["shown"]["buttons"]
        start = gr.update(visible=choices["may_act"], interactive=may_start,
                          value=f"▶ Start {preset}" if preset else "▶ Start")
        stop = gr.update(visible=choices["may_act"], interactive=may_stop)
        controls = (gr.update(choices=self.source_choices(), value=choices["source"]), choices["speed"],
                    ",".join(map(str, choices["dialogues"] or [])))
        return (state, *view._replace(start=start, stop=stop), *controls, gr.Timer(active=True))

    def redraw(self, state: dict | None, request: gr.Request = None) -> PresentView:
        """Everything the page shows now; outputs this browser already shows are skipped."""
        choices = self.session(state)
        shown = dict(choices["shown"])
        source = choices["source"]
        generation = choices.get("generation", 0)
        try:
            snap = self._snapshot(source)
        except runs.RunError as exc:
            return self._message(state, choices, shown, str(exc))
        if snap is None:
            return self._message(state, choices, shown, "No run yet. Start one here or in the Train tab, or "
                                 "replay the recorded demo run (/present?replay=demo).")
        clock: ReplayClock | None = choices["clock"]
        if clock is not None:
            clock = clock.now(self.clock())  # not saved: the clock moves by itself between reads
        total = int(snap.status.get("total_steps") or presenter.last_step(snap.metrics) or 0)
        at = clock.cursor if clock is not None else None
        why = {"eval_every": self._eval_every(source, snap.run_id), "state": snap.status.get("state")}
        try:
            view = presenter.build_view(snap.metrics, snap.held_out, total, at, choices["dialogues"], **why)
        except PresenterError as exc:
            gr.Warning(html.escape(f"Presenter page: {exc}; showing the most toxic dialogues instead"))
            self._save(state, dialogues=None)
            view = presenter.build_view(snap.metrics, snap.held_out, total, at, None, **why)
        problems = self._storage_of(source).problems(snap.run_id) if not view.cards else []
        if problems:  # a linked or corrupt eval.jsonl, say: the room sees why
            view = replace(view, note=f"{view.note} Problems with the run's files: {'; '.join(problems[:3])}")
        versus = self._versus(state, choices, view, snap)
        if versus is not None:
            other, view = versus
        title, facts = self._status(source, snap, view, clock)
        key = json.dumps([source, snap.run_id, view.step, len(view.metrics), len(view.held_out), total,
                          view.labels, len(other.metrics) if versus else None])
        figures = ((self._figures(key, view, total, other if versus else None))
                   if shown.get("figures") != key else (gr.skip(),) * 3)
        shown["figures"] = key
        out = PresentView(unless_shown(shown, "status", presenter.status_html(title, facts)),
                          unless_shown(shown, "cards", presenter.cards_html(view)), *figures,
                          *self._buttons(choices, shown))
        return out if self._save_shown(state, generation, shown) else PresentView(*(gr.skip(),) * len(out))

    def _versus(self, state: dict | None, choices: dict, view: presenter.View,
                snap: RunSnapshot) -> tuple[RunSnapshot, presenter.View] | None:
        """Side by side (?versus=RUN): the other run's snapshot and the view with its summaries
        beside the first run's; None without one, or (said in a warning, and dropped) when it
        cannot be shown beside this run."""
        versus = choices.get("versus")
        if not versus:
            return None
        try:
            other = self._snapshot(versus)
            labels = (self._label(choices["source"], snap.run_id), self._label(versus, other.run_id))
            return other, presenter.side_by_side(view, other.held_out, labels)
        except (PresenterError, runs.RunError) as exc:
            gr.Warning(html.escape(f"Presenter page: {exc}; showing one run"))
            self._save(state, versus=None)
            return None

    def _label(self, source: str, run_id: str) -> str:
        """'GRPO demo-8182': the algorithm, then the run, as the side-by-side cards name them."""
        try:
            config = (self.recordings if source.startswith(RECORDED) else self.ctx.storage).config(run_id)
        except runs.RunError:
            config = {}
        section = config.get("ppo") if isinstance(config, dict) else None
        algorithm = section.get("algorithm") if isinstance(section, dict) else None
        return f"{(algorithm if isinstance(algorithm, str) else 'ppo').upper()} {legend_label(run_id)}"

    def _status(self, source: str, snap: RunSnapshot, view: presenter.View,
                clock: ReplayClock | None) -> tuple[str, list[str]]:
        """(title, facts) of the status line: step, ETA, preset, device. (The keys are for the
        presenter, not the room: the drawer and the README list them.)"""
        status = snap.status
        preset = f"preset {self._preset(source, snap.run_id) or '?'}"
        device = f"device {status.get('device')}" if status.get("device") else ""
        step = f"step {view.step} / {view.total or '?'}"
        if clock is None:
            state = status.get("state") or "unknown"
            eta = pace.eta_seconds(state, view.step, view.total, snap.metrics)
            when = f"ETA {pace.duration(eta)}" if eta is not None else state
            return "Live: PPO detox", [step, when, preset, device]
        if clock.finished:
            when = "replay over"
        elif clock.paused:
            when = "paused"
        else:
            when = f"{pace.duration((clock.last - clock.position) / clock.speed)} left at {clock.speed:g} steps/s"
        what = "recorded demo run" if source.startswith(RECORDED) else f"run {legend_label(snap.run_id)}"
        if view.labels:
            what = f"{view.labels[0]} against {view.labels[1]}"
        return f"Replay: {what}", [step, when, preset, device]

    def _eval_every(self, source: str, run_id: str) -> int | None:
        """run.eval_every in the run's config.json, None when it cannot be read."""
        try:
            config = (self.recordings if source.startswith(RECORDED) else self.ctx.storage).config(run_id)
        except runs.RunError:
            return None
        value = (config.get("run") or {}).get("eval_every") if isinstance(config, dict) else None
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def _preset(self, source: str, run_id: str) -> str | None:
        """The preset in the run's config.json, from the folder the source names."""
        if not source.startswith(RECORDED):
            return preset_of(self.ctx, run_id)
        try:
            return self.recordings.config(run_id).get("preset")
        except runs.RunError:
            return None

    def _figures(self, key: str, view: presenter.View, total: int, other: RunSnapshot | None = None) -> tuple:
        """The three charts for this data, built once however many browsers show it; with the
        other run's rows up to the same step when side by side."""
        def build() -> tuple:
            versus = None
            if other is not None and view.labels:
                upto = [r for r in other.metrics if (r.get("step") or 0) <= view.step]
                evals = [r for r in other.held_out if (r.get("step") or 0) <= view.step]
                versus = (*view.labels, upto, evals)
            return plots.presenter_figures(view.metrics, view.held_out, total, CHART_HEIGHT, versus)

        cached = self._charts.get_or_make(key, build)
        return cached

    def _message(self, state: dict | None, choices: dict, shown: dict, message: str) -> PresentView:
        """The page with `message` in place of the dialogues and empty charts."""
        key = "message"
        figures = ((gr.skip(),) * 3 if shown.get("figures") == key
                   else self._figures(key, presenter.View(step=0, total=0), 1))
        shown["figures"] = key
        out = PresentView(unless_shown(shown, "status", presenter.status_html("Presenter view", [])),
                          unless_shown(shown, "cards", presenter.cards_html(presenter.View(0, 0, note=message))),
                          *figures, *self._buttons(choices, shown))
        self._save(state, shown=shown)
        return out

    def _buttons(self, choices: dict, shown: dict) -> tuple[Any, Any]:
        """Start live while no run trains, Stop while one does (both hidden from viewers)."""
        running = self.ctx.runner.in_progress() is not None
        may_act = bool(choices.get("may_act"))
        wanted = [may_act and not running and self.ctx.storage.runs_dir_problem() is None, may_act and running]
        if wanted == shown.get("buttons"):
            return gr.skip(), gr.skip()
        shown["buttons"] = wanted
        return gr.update(interactive=wanted[0]), gr.update(interactive=wanted[1])

    # --- the presenter's choices and keys ------------------------------------------------------

    def source_changed(self, source: Any, state: dict, request: gr.Request = None) -> PresentView:
        if not isinstance(source, str) or source not in [v for _, v in self.source_choices()]:
            gr.Warning("Presenter page: pick a source from the list")
            return self.redraw(state)
        try:
            clock = self._clock_for(source, self.session(state)["speed"])
        except runs.RunError as exc:
            gr.Warning(html.escape(f"Presenter page: {exc}"))
            return self.redraw(state)
        self._save(state, source=source, clock=clock)
        return self.redraw(state)

    def speed_changed(self, speed: Any, state: dict, request: gr.Request = None) -> PresentView:
        try:
            value = presenter.parse_speed(str(speed))
        except PresenterError as exc:
            gr.Warning(html.escape(f"Presenter page: {exc}"))
            return self.redraw(state)
        clock = self.session(state)["clock"]
        self._save(state, speed=value, clock=replace(clock.now(self.clock()), speed=value) if clock else None)
        return self.redraw(state)

    def dialogues_changed(self, text: Any, state: dict, request: gr.Request = None) -> PresentView:
        try:
            self._save(state, dialogues=presenter.parse_dialogues(text if isinstance(text, str) else None))
        except PresenterError as exc:
            gr.Warning(html.escape(f"Presenter page: {exc}"))
        return self.redraw(state)

    def key(self, action: str) -> Callable[..., PresentView]:
        """The handler of one key's hidden button: `toggle`, `prev`, `next`, `faster` or `slower`.
        Keys act on a replay only; on a live run they change nothing."""
        def pressed(state: dict, request: gr.Request = None) -> PresentView:
            choices = self.session(state)
            clock: ReplayClock | None = choices["clock"]
            if clock is None:
                return self.redraw(state)
            t = self.clock()
            if action == "toggle":
                clock = clock.toggle(t)
            elif action in ("prev", "next"):
                try:
                    snap = self._snapshot(choices["source"])
                except runs.RunError:
                    return self.redraw(state)  # the folder went away: the redraw says so on the page
                marks = presenter.held_out_steps(snap.held_out) if snap else []
                clock = clock.step_to(marks, -1 if action == "prev" else 1, t)
            else:
                clock = clock.faster(t, 1 if action == "faster" else -1)
            self._save(state, clock=clock, speed=clock.speed)
            return self.redraw(state)

        pressed.__name__ = f"present_{action}"
        return pressed

    # --- Start and Stop (admins only, checked here) --------------------------------------------

    def start(self, state: dict, request: gr.Request = None) -> PresentView:
        """Start the preset the Train tab offers first, with its defaults (and held-out rows)."""
        require_user(self.ctx, request, "start runs")
        preset = hub.default_preset(self.ctx.preset)
        with user_errors("start the run"):
            try:
                started = self.ctx.runner.start(preset, start_settings(preset))
            except correctable_errors() as exc:
                gr.Warning(html.escape(f"Cannot start the run: {exc}"))
                return self.redraw(state)
        gr.Info(html.escape(f"Started a {preset} run ({started.run_id}) with the preset's defaults."))
        self._save(state, source=LIVE, clock=None)
        return self.redraw(state)

    def stop(self, state: dict, request: gr.Request = None) -> PresentView:
        require_user(self.ctx, request, "stop runs")
        try:
            gr.Info(html.escape(self.ctx.runner.stop(self.ctx.runner.in_progress())))
        except correctable_errors() as exc:
            gr.Warning(html.escape(f"Cannot stop: {exc}"))
        return self.redraw(state)


def create_present_page(ctx: AppContext, demo: gr.Blocks, recordings: Storage | None = None) -> dict[str, Any]:
    """The page's components and events; call inside `with demo.route(...)`."""
    h = PresentHandlers(ctx, recordings or Storage(RECORDINGS_DIR))
    gr.Navbar(visible=False)  # the projector shows the page, not the app's menu
    with gr.Column(elem_id="detox-present"):
        with gr.Row(elem_id="pp-top", equal_height=True):
            status = gr.HTML(presenter.status_html("Presenter view", ["Loading…"]), elem_id="pp-status")
            start = gr.Button("▶ Start", variant="primary", visible=False, scale=0, min_width=240,
                              elem_id="present-start")
            stop = gr.Button("■ Stop", variant="stop", visible=False, scale=0, min_width=150, interactive=False,
                             elem_id="present-stop")
        with gr.Row(elem_id="pp-main", equal_height=True):
            with gr.Column(scale=2, elem_id="pp-left"):
                cards = gr.HTML(elem_id="pp-cards")
            with gr.Column(scale=1, min_width=560, elem_id="pp-charts"):
                reward = gr.Plot(show_label=False, elem_id="pp-reward")
                kl = gr.Plot(show_label=False, elem_id="pp-kl")
                toxicity = gr.Plot(show_label=False, elem_id="pp-toxicity")
        with gr.Row(elem_id="pp-keys"):
            keys = {action: gr.Button(action, visible="hidden", elem_id=f"present-{action}")
                    for action in ("toggle", "prev", "next", "faster", "slower")}
    with gr.Sidebar(open=False, position="right", label="Presenter settings", elem_id="pp-drawer"):
        source = gr.Dropdown([], label="Show", elem_id="present-source")
        speed = gr.Radio(list(presenter.SPEEDS), value=presenter.DEFAULT_SPEED, elem_id="present-speed",
                         label="Replay speed (PPO steps per second)")
        dialogues = gr.Textbox(label="Held-out dialogues to show (Enter applies)", elem_id="present-dialogues",
                               placeholder="e.g. 0,3,5 (empty: the 3 most toxic)")
        gr.Markdown("Keys: **space** pauses or resumes a replay, **← →** go to the previous or next held-out "
                    "step, **↑ ↓** change the speed. In the address: "
                    "`/present?replay=demo&speed=4&dialogues=0,3,5`.")
    state = gr.State({})
    # Off until the page's load has made this browser's session: a tick before it would draw
    # the live view over the replay the address asked for.
    timer = gr.Timer(REFRESH_S, active=False)
    outputs = [status, cards, reward, kl, toxicity, start, stop]
    common = {"concurrency_limit": None, "show_progress": "hidden", "api_visibility": "undocumented"}

    def present_tick(values: dict, request: gr.Request):
        # Its own function object: its own concurrency group, never queued behind other events.
        return h.redraw(values, request)

    timer.tick(present_tick, [state], outputs, api_name="present_refresh", **common)
    for action, button in keys.items():
        button.click(h.key(action), [state], outputs, api_name=f"present_{action}", **common)
    source.input(h.source_changed, [source, state], outputs, api_name="present_source", **common)
    speed.input(h.speed_changed, [speed, state], outputs, api_name="present_speed", **common)
    dialogues.submit(h.dialogues_changed, [dialogues, state], outputs, api_name="present_dialogues", **common)
    start.click(h.start, [state], outputs, api_name="present_start", api_visibility="undocumented",
                concurrency_limit=1, show_progress="hidden")
    stop.click(h.stop, [state], outputs, api_name="present_stop", api_visibility="undocumented",
               show_progress="hidden")
    demo.load(h.opened, None, [state, *outputs, source, speed, dialogues, timer], api_name="present_open", **common)
    return {"handlers": h, "timer": timer, "state": state}
