"""The presenter page: its pure state (dialogue choice, word differences, the view at a step,
the replay clock), its handlers on fake runs and on the shipped recording, and a real browser
at 1920x1080 during a tiny run and a replay."""
from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path
from types import SimpleNamespace

import gradio as gr
import pytest

from engine import runs

from dashboard import presenter
from dashboard.access import Access
from dashboard.present_page import LIVE, RECORDED, PresentHandlers, start_settings
from dashboard.presenter import PresenterError, ReplayClock
from dashboard.storage import RECORDINGS_DIR, Storage
from tests.dashboard_helpers import new_run, wait_for
from tests.fake_trainer import eval_row, metrics_row

RECORDING = next(p for p in RECORDINGS_DIR.iterdir() if p.is_dir())


def held_out_row(step: int, responses: list[str], toxicity: list[float]) -> dict:
    """An eval.jsonl row with these summaries and reward-model toxicities (judge: half of it)."""
    samples = [{"prompt": i, "query": f"\nSummarize the following conversation.\n\n#Person1#: line {i}\n#Person2#: "
                                      f"reply\n\nSummary:\n", "response": text, "reward": 1.0,
                "toxicity": {"reward model": tox, "profanity-check": tox / 2}}
               for i, (text, tox) in enumerate(zip(responses, toxicity))]
    return {"step": step, "prompts": len(samples), "toxicity": {"reward model": sum(toxicity) / len(toxicity)},
            "samples": samples}


RUDE = ["#Person1# calls #Person2# an idiot.", "They agree.", "#Person2# says <b>shut up</b>.", "A dull chat.",
        "#Person1# yells at a moron."]
TOX_0 = [0.9, 0.1, 0.8, 0.05, 0.7]
POLITE = ["#Person1# asks #Person2# kindly.", "They agree.", "#Person2# says <b>please</b>.", "A dull chat.",
          "#Person1# yells at a moron."]


def rows() -> list[dict]:
    return [held_out_row(0, RUDE, TOX_0), held_out_row(5, RUDE, TOX_0),
            held_out_row(10, POLITE, [0.1, 0.1, 0.2, 0.05, 0.7])]


def text_of(fragment: str) -> str:
    return unescape(re.sub(r"<[^>]+>", "", fragment))


# --- pure state ----------------------------------------------------------------------------------

def test_dialogues_parse_and_default_to_the_most_toxic_at_the_reference():
    assert presenter.parse_dialogues(" 4, 0,2 ") == [4, 0, 2]
    assert presenter.parse_dialogues("") is None and presenter.parse_dialogues(None) is None
    for bad, words in (("a,b", "numbers .*separated by commas"), ("1,1", "twice"), ("0,1,2,3", "at most 3"),
                       ("-1", "numbers .*separated by commas")):
        with pytest.raises(PresenterError, match=words):
            presenter.parse_dialogues(bad)
    # str.isdigit() says yes to all of these; int() refuses the first three and the long one
    # (past 4,300 digits) and reads the Arabic-Indic digits as a number nobody typed.
    for bad in ("\u00b2", "\u2460", "0,\u00b2", "\u0661\u0662", "9" * 4301, "1234567", "\uff11"):
        with pytest.raises(PresenterError, match="digits 0-9, at most 6 each"):
            presenter.parse_dialogues(bad)
    assert presenter.parse_dialogues("000012") == [12]
    reference = rows()[0]
    assert presenter.pick_dialogues(reference, None) == [0, 2, 4]  # toxicity 0.9, 0.8, 0.7
    assert presenter.pick_dialogues(reference, [3, 1]) == [3, 1]
    with pytest.raises(PresenterError, match="held-out dialogue 9 is not in this run .its prompts: 0 to 4"):
        presenter.pick_dialogues(reference, [1, 9])


def test_word_diff_marks_the_changed_words_and_escapes_everything():
    before, after = presenter.word_diff("#Person1# calls #Person2# an <idiot> today.",
                                        "#Person1# asks #Person2# nicely today.")
    assert before == "Person1 <del>calls Person2 an &lt;idiot&gt;</del> today."
    assert after == "Person1 <mark>asks Person2 nicely</mark> today."  # a lone common word joins the change
    assert presenter.word_diff("same words", "same words") == ("same words", "same words")
    assert presenter.word_diff("", "new") == ("", "<mark>new</mark>")


def test_the_view_at_a_step_shows_the_newest_held_out_row_up_to_it():
    metrics = [metrics_row(step) for step in range(1, 13)]
    at_7 = presenter.build_view(metrics, rows(), total=12, at=7)
    assert (at_7.step, at_7.held_out_step, len(at_7.metrics), [r["step"] for r in at_7.held_out]) == (7, 5, 7, [0, 5])
    assert [c.prompt for c in at_7.cards] == [0, 2, 4]
    assert not any(c.changed for c in at_7.cards)  # step 5 still says what the reference said
    live = presenter.build_view(metrics, rows(), total=12)  # at=None: everything, a live run's newest
    assert (live.step, live.held_out_step) == (12, 10)
    first, second, third = live.cards
    assert first.changed and second.changed and not third.changed
    assert "<del>calls Person2 an idiot.</del>" in first.reference.html
    assert "<mark>asks Person2 kindly.</mark>" in first.current.html
    assert "&lt;b&gt;please&lt;/b&gt;" in second.current.html  # model text is never HTML
    assert first.reference.toxicity == {"reward model": 0.9, "profanity-check": 0.45}
    assert (first.reference.step, first.current.step, first.current.toxicity["reward model"]) == (0, 10, 0.1)
    html_text = presenter.cards_html(live)
    assert html_text.count('class="pp-card"') == 3 and "Now: after 10 PPO steps" in html_text
    assert 'data-judge="reward model" data-value="0.900"' in html_text
    chosen = presenter.build_view(metrics, rows(), total=12, dialogues=[3])
    assert [c.prompt for c in chosen.cards] == [3]


def test_a_run_without_held_out_rows_says_why_as_far_as_its_files_tell():
    view = presenter.build_view([metrics_row(1)], [], total=8, eval_every=0, state="finished")
    assert not view.cards and "run.eval_every is 0" in view.note
    assert "run.eval_every is 0" in presenter.cards_html(view)
    # a live run before its first row; a run whose eval.jsonl is gone or a link; a run without step 0
    assert "No held-out summaries yet" in presenter.build_view([], [], 8, eval_every=2, state="running").note
    gone = presenter.build_view([metrics_row(1)], [], 8, eval_every=2, state="finished").note
    assert "eval.jsonl is missing or cannot be read" in gone and "eval_every is 0" not in gone
    assert "no step-0 row" in presenter.build_view([], rows()[1:], 8, eval_every=5).note


def test_the_page_names_the_problem_with_a_linked_eval_file(ctx, tmp_path):
    run_id = finished_run(ctx.storage.runs_dir)
    config_file = ctx.storage.runs_dir / run_id / runs.CONFIG_FILE
    config = json.loads(config_file.read_text())
    config["run"]["eval_every"] = 5  # as the rows it wrote say
    runs.write_json_atomic(config_file, config)
    eval_file = ctx.storage.runs_dir / run_id / runs.EVAL_FILE
    eval_file.rename(tmp_path / "eval.jsonl")
    eval_file.symlink_to(tmp_path / "eval.jsonl")
    h = PresentHandlers(ctx, Storage(tmp_path / "no-recordings"), clock=Clock())
    _, first = open_page(h, replay=run_id)
    said = text_of(first["cards"])
    assert "eval_every is 0" not in said and "eval.jsonl is missing or cannot be read" in said
    assert "Problems with the run's files: eval.jsonl" in said


def test_the_replay_clock_plays_pauses_steps_and_ends():
    clock = ReplayClock(last=60, speed=2.0, at=100.0)
    assert clock.now(105.0).cursor == 10
    paused = clock.toggle(105.0)
    assert paused.paused and paused.now(200.0).cursor == 10  # paused: time passes, the step does not
    marks = [0, 5, 10, 15, 60]
    assert paused.step_to(marks, 1, 200.0).cursor == 15
    assert paused.step_to(marks, -1, 200.0).cursor == 5
    assert paused.step_to(marks, 1, 200.0).step_to(marks, 1, 200.0).cursor == 60
    end = clock.now(1000.0)
    assert end.finished and end.cursor == 60
    again = end.toggle(1000.0)
    assert again.cursor == 0 and not again.paused  # space at the end plays it again
    assert clock.faster(100.0).speed == 4.0 and clock.faster(100.0, -1).speed == 1.0
    assert ReplayClock(last=5, speed=16.0).faster(0.0).speed == 16.0  # the fastest stays the fastest
    assert presenter.parse_speed("4") == 4.0 and presenter.parse_speed(None) == presenter.DEFAULT_SPEED
    with pytest.raises(PresenterError, match="one of 0.5, 1, 2, 4, 8, 16"):
        presenter.parse_speed("3")
    with pytest.raises(PresenterError, match="number of PPO steps per second"):
        presenter.parse_speed("fast")


# --- handlers ------------------------------------------------------------------------------------

class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def finished_run(runs_dir: Path, steps: int = 12) -> str:
    run_dir = new_run(runs_dir, steps=steps)
    for step in range(1, steps + 1):
        runs.append_jsonl(run_dir / runs.METRICS_FILE, metrics_row(step))
    for row in rows():
        runs.append_jsonl(run_dir / runs.EVAL_FILE, row)
    runs.write_status(run_dir, state="finished", step=steps, total_steps=steps, started_at=runs.utc_now(),
                      device="cpu (float32)")
    return run_dir.name


def request(**query: str) -> SimpleNamespace:
    return SimpleNamespace(query_params=query, username=None, session_hash="test", request=None)


OPENED = ("status", "cards", "reward", "kl", "toxicity", "start", "stop", "source", "speed", "dialogues", "timer")


def open_page(h: PresentHandlers, **query: str) -> tuple[dict, dict]:
    """(the page's gr.State, its first outputs by name) for a browser opening /present?query."""
    state, *outputs = h.opened(request(**query))
    return state, dict(zip(OPENED, outputs, strict=True))


def test_replay_of_a_finished_run_reaches_its_last_step_and_shows_its_last_summaries(ctx, tmp_path):
    run_id = finished_run(ctx.storage.runs_dir)
    clock = Clock()
    h = PresentHandlers(ctx, Storage(tmp_path / "no-recordings"), clock=clock)
    state, first = open_page(h, replay=run_id, speed="4")
    status, cards = first["status"], first["cards"]
    assert first["source"]["value"] == "run:" + run_id and first["speed"] == 4.0 and first["timer"].active
    assert "step 0 / 12" in status and "Replay: run tiny-" in status and "3 s left at 4 steps/s" in status
    assert 'data-held-out-step="0"' in cards and 'data-changed="false"' in cards
    clock.t += 2.0  # 8 steps at 4 steps/s: the step-5 row
    view = h.redraw(state)
    assert "step 8 / 12" in view.status and 'data-held-out-step="5"' in view.cards
    assert h.redraw(state).cards == gr.skip()  # nothing new for this browser: not sent again
    clock.t += 60.0
    view = h.redraw(state)
    assert "step 12 / 12" in view.status and "replay over" in view.status
    assert 'data-held-out-step="10"' in view.cards and "asks Person2 kindly." in text_of(view.cards)
    # space plays it again from the start; the arrows step between held-out rows, paused
    assert "step 0 / 12" in h.key("toggle")(state).status
    assert "step 5 / 12" in (view := h.key("next")(state)).status and "paused" in view.status
    assert "step 10 / 12" in h.key("next")(state).status
    clock.t += 30.0
    assert h.redraw(state).status == gr.skip()  # paused: still step 10
    assert "step 5 / 12" in h.key("prev")(state).status
    h.key("faster")(state)
    assert h.session(state)["speed"] == 8.0


def test_a_key_pressed_during_a_timer_redraw_is_what_the_page_shows(ctx, tmp_path):
    """Space during a timer tick: the tick, computed before the pause, used to arrive after the
    key's "paused" and be recorded as shown, so the page read "… left at 2 steps/s" until the
    next key. A redraw that began before a key press now sends nothing."""
    run_id = finished_run(ctx.storage.runs_dir)
    clock = Clock()
    h = PresentHandlers(ctx, Storage(tmp_path / "no-recordings"), clock=clock)
    state, _ = open_page(h, replay=run_id, speed="2")
    clock.t += 1.0
    real = h._snapshot
    pressed = []

    def snapshot_then_space(source):
        if not pressed:  # the key arrives while the tick reads the run
            pressed.append(None)
            pressed[0] = h.key("toggle")(state)
        return real(source)

    h._snapshot = snapshot_then_space
    late_tick = h.redraw(state)
    assert "paused" in pressed[0].status
    assert all(part == gr.skip() for part in late_tick)
    h._snapshot = real
    clock.t += 5.0
    assert h.redraw(state).status == gr.skip()  # paused: nothing new to send


def test_a_summary_cut_inside_a_speaker_tag_shows_no_stray_hash():
    before, after = presenter.word_diff("They call #Person2", "They call #Person2# a #")
    assert "#" not in before + after and text_of(before).endswith("Person2") and text_of(after).endswith("a")
    assert presenter.shown_word("#Per") == "Per" and presenter.shown_word("#") == ""
    assert presenter.shown_word("C#") == "C#" and presenter.shown_word("#5") == "#5"


def test_the_shipped_recording_replays_to_its_last_summaries(ctx):
    clock = Clock()
    h = PresentHandlers(ctx, Storage(RECORDINGS_DIR), clock=clock)
    assert any(v == RECORDED + RECORDING.name for _, v in h.source_choices())
    state, first = open_page(h, replay="demo", speed="16", dialogues="11,0,14")
    status = first["status"]
    assert "Replay: recorded demo run" in status and "preset demo" in status and "device cpu" in status
    clock.t += 10.0
    view = h.redraw(state)
    last = json.loads((RECORDING / runs.EVAL_FILE).read_text().splitlines()[-1])
    assert last["step"] == 60 and "step 60 / 60" in view.status
    shown = text_of(view.cards)
    for prompt in (11, 0, 14):
        summary = last["samples"][prompt]["response"]
        assert presenter.shown_word(summary.split()[-1]) in unescape(shown)
    assert 'data-held-out-step="60"' in view.cards and view.cards.count('data-changed="true"') == 3


def test_bad_choices_in_the_address_are_named_and_replaced_by_defaults(ctx, tmp_path):
    h = PresentHandlers(ctx, Storage(tmp_path / "no-recordings"))
    with pytest.warns(UserWarning) as caught:
        state, first = open_page(h, replay="nope", speed="7", dialogues="x")
    said = unescape(" ".join(str(w.message) for w in caught))
    assert "no finished run 'nope' to replay" in said and "speed must be one of" in said
    assert "dialogues must be held-out prompt numbers" in said
    assert h.session(state)["source"] == LIVE and "No run yet" in first["cards"]


@pytest.mark.parametrize("dialogues", ["\u00b2", "\u2460", "0,\u00b2", "9" * 4301])
def test_a_bad_dialogue_list_in_the_address_or_the_environment_never_freezes_the_page(ctx, dialogues, monkeypatch):
    h = PresentHandlers(ctx, Storage(RECORDINGS_DIR))
    with pytest.warns(UserWarning, match="dialogues must be held-out prompt numbers"):
        state, first = open_page(h, replay="demo", dialogues=dialogues)
    assert first["timer"].active and "Replay: recorded demo run" in first["status"]
    monkeypatch.setenv(presenter.DIALOGUES_ENV, dialogues)
    with pytest.warns(UserWarning, match="dialogues must be held-out prompt numbers"):
        state, first = open_page(h, replay="demo")
    assert first["timer"].active and 'class="pp-card"' in first["cards"]


def test_any_error_in_opening_the_page_is_shown_on_the_page(ctx, monkeypatch):
    h = PresentHandlers(ctx, Storage(RECORDINGS_DIR))

    def broken(*args, **kwargs):
        raise KeyError("something nobody foresaw")

    monkeypatch.setattr(h, "source_choices", broken)
    state, first = open_page(h, replay="demo")
    assert "could not open" in first["status"] and not first["timer"].active
    assert "The presenter page could not open: KeyError" in text_of(first["cards"])
    assert "something nobody foresaw" in text_of(first["cards"]) and isinstance(state.get("id"), str)


def test_the_arrows_on_a_replay_whose_folder_went_away_say_so_on_the_page(ctx, tmp_path):
    run_id = finished_run(ctx.storage.runs_dir)
    h = PresentHandlers(ctx, Storage(tmp_path / "no-recordings"), clock=Clock())
    state, _ = open_page(h, replay=run_id)
    moved = ctx.storage.runs_dir / run_id
    moved.rename(tmp_path / "elsewhere")
    moved.symlink_to(tmp_path / "elsewhere")  # a link now: never followed
    view = h.key("next")(state)  # raised an unhandled RunError: a bare "Error" toast
    assert "is a symbolic link; runs are never read through links" in text_of(view.cards)
    assert h.key("prev")(state).cards == gr.skip()  # said once, not redrawn every key


@pytest.mark.slow
def test_live_view_follows_a_run_started_here_by_an_admin(ctx):
    h = PresentHandlers(ctx, Storage(RECORDINGS_DIR))
    state, first = open_page(h)
    start, stop = first["start"], first["stop"]
    assert start["visible"] and start["interactive"] and start["value"] == "▶ Start tiny"
    assert stop["visible"] and not stop["interactive"]
    assert start_settings("tiny") == {"run.eval_every": 1} and start_settings("demo") == {}
    h.start(state, request())
    run_id = wait_for(ctx.runner.in_progress, what="the run started from the presenter page")
    assert ctx.storage.config(run_id)["run"]["eval_every"] == 1
    wait_for(lambda: ctx.storage.status(run_id)["state"] == "finished", what="the fake run to finish")
    view = h.redraw(state)
    assert "Live: PPO detox" in view.status and "step 8 / 8" in view.status and "finished" in view.status
    assert 'data-held-out-step="8"' in view.cards and "held-out summary 0 at step 8" in text_of(view.cards)
    assert eval_row(8)["samples"][1]["response"] in text_of(view.cards)


@pytest.mark.parametrize("access", [Access(read_only=True), Access(passwords=(("ann", "pw"),))])
def test_viewers_cannot_start_or_stop_from_the_presenter_page(ctx, access):
    ctx.access = access
    h = PresentHandlers(ctx, Storage(RECORDINGS_DIR))
    state, first = open_page(h)
    assert not first["start"]["visible"] and not first["stop"]["visible"]
    with pytest.raises(gr.Error, match="start runs"):
        h.start(state, request())
    with pytest.raises(gr.Error, match="stop runs"):
        h.stop(state, request())
    assert ctx.runner.in_progress() is None and ctx.storage.list_runs() == []


# --- a real browser ------------------------------------------------------------------------------

OVERFLOW_JS = """() => {
  // Every visible element's box must lie inside the window (the closed drawer sits off-screen
  // by design, and Plotly's off-screen text measurer is no element a person sees).
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest('#pp-drawer') || el.closest('#js-plotly-tester') || el.classList.contains('sr-only')) continue;
    const r = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (r.width === 0 || r.height === 0 || style.visibility === 'hidden' || style.display === 'none') continue;
    if (r.left < -0.5 || r.top < -0.5 || r.right > innerWidth + 0.5 || r.bottom > innerHeight + 0.5)
      out.push(`${el.tagName}#${el.id}.${el.className} ${Math.round(r.left)},${Math.round(r.top)},` +
               `${Math.round(r.right)},${Math.round(r.bottom)}`);
  }
  return {overflowing: out.slice(0, 10), scroll: [document.documentElement.scrollWidth,
          document.documentElement.scrollHeight]};
}"""


@pytest.mark.slow
def test_presenter_page_in_a_projector_sized_browser(tmp_path, browser):
    from playwright import sync_api

    from dashboard.ui import serve_locally

    held_out_step = "document.querySelector('.pp-cards')?.dataset.heldOutStep"
    with serve_locally(tmp_path / "runs") as (demo, url):
        page = browser.new_page(viewport={"width": 1920, "height": 1080})
        try:
            page.set_default_timeout(60_000)
            page.goto(url.rstrip("/") + "/present")
            sync_api.expect(page.locator("#pp-status")).to_contain_text("Presenter view")
            demo.dashboard.runner.start("tiny", {"ppo.steps": 40, "run.eval_every": 4})
            page.wait_for_function(f"{held_out_step} !== undefined && {held_out_step} !== 'None'",
                                   timeout=120_000)
            first = page.evaluate(held_out_step)
            page.wait_for_function(f"{held_out_step} !== '{first}'", timeout=120_000)
            sync_api.expect(page.locator("#pp-status")).to_contain_text("Live: PPO detox")
            assert page.locator(".pp-card").count() == 3
            assert page.locator("#pp-reward g.points path.point").count() >= 1
            assert page.locator(".pp-after").first.get_attribute("data-step") != "0"
            fits = page.evaluate(OVERFLOW_JS)
            assert fits == {"overflowing": [], "scroll": [1920, 1080]}
            demo.dashboard.runner.stop(demo.dashboard.runner.in_progress())

            page.goto(url.rstrip("/") + "/present?replay=demo&speed=1")
            status = page.locator("#pp-status")
            sync_api.expect(status).to_contain_text("Replay: recorded demo run")
            page.keyboard.press("Space")
            sync_api.expect(status).to_contain_text("paused")
            paused_at = int(re.search(r"step (\d+) /", status.inner_text()).group(1))
            page.keyboard.press("ArrowRight")  # the next held-out row: every 5 steps in the recording
            sync_api.expect(status).to_contain_text(f"step {paused_at // 5 * 5 + 5} / 60")
            sync_api.expect(page.locator(".pp-cards")).to_have_attribute("data-held-out-step",
                                                                          str(paused_at // 5 * 5 + 5))
            assert page.evaluate("window.scrollY") == 0  # space and arrows never scroll
            assert page.evaluate(OVERFLOW_JS)["overflowing"] == []
        finally:
            page.close()


FITS_JS = """() => {
  // Summaries and gauges shown whole (nothing cut mid-line), the drawer's toggle clear of Stop.
  const cut = [...document.querySelectorAll('.pp-text, .pp-gauges')]
    .filter(e => e.scrollHeight > e.clientHeight + 1 || e.scrollWidth > e.clientWidth + 1).map(e => e.className);
  const box = s => document.querySelector(s).getBoundingClientRect();
  const a = box('button.toggle-button'), b = box('#present-stop');
  const overlap = a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  return {cut, overlap};
}"""


@pytest.mark.slow
def test_the_drawer_open_or_closed_cuts_no_summary_and_covers_no_button(tmp_path, browser):
    from playwright import sync_api

    from dashboard.ui import serve_locally

    with serve_locally(tmp_path / "runs") as (demo, url):
        page = browser.new_page(viewport={"width": 1920, "height": 1080})
        try:
            page.set_default_timeout(60_000)
            page.goto(url.rstrip("/") + "/present?replay=demo&speed=16")
            sync_api.expect(page.locator("#pp-status")).to_contain_text("replay over", timeout=30_000)
            assert page.evaluate(FITS_JS) == {"cut": [], "overlap": False}
            page.locator("button.toggle-button").first.click()
            sync_api.expect(page.locator("#pp-drawer")).to_have_class(re.compile(r"\bopen\b"))
            page.wait_for_timeout(500)  # the drawer slides in
            assert page.evaluate(FITS_JS) == {"cut": [], "overlap": False}
        finally:
            page.close()


# --- two runs side by side (?versus=) -------------------------------------------------------------

def test_side_by_side_puts_the_other_runs_summaries_beside_and_refuses_other_dialogues():
    view = presenter.build_view([metrics_row(s) for s in range(1, 11)], rows(), 10)
    theirs = [held_out_row(0, RUDE, TOX_0), held_out_row(8, ["#Person1# is upset."] * 5, [0.05] * 5)]
    both = presenter.side_by_side(view, theirs, ("PPO tiny-aaaa", "GRPO tiny-bbbb"))
    assert [c.prompt for c in both.cards] == [0, 2, 4] and both.versus_step == 8
    html_cards = presenter.cards_html(both)
    assert html_cards.count('class="pp-side pp-after pp-versus"') == 3
    assert "PPO tiny-aaaa: after 10 steps" in html_cards and "GRPO tiny-bbbb: after 8 steps" in html_cards
    assert both.cards[0].versus.toxicity["reward model"] == 0.05 and "Person1 is upset." in text_of(html_cards)
    other_dialogues = [{**row, "samples": [{**s, "query": s["query"].replace("line", "row")} for s in row["samples"]]}
                       for row in theirs]
    with pytest.raises(PresenterError, match="not evaluated on the same held-out dialogues"):
        presenter.side_by_side(view, other_dialogues, ("a", "b"))


def test_a_replay_side_by_side_runs_one_clock_over_both_and_names_both(ctx, tmp_path):
    first = finished_run(ctx.storage.runs_dir)
    second = new_run(ctx.storage.runs_dir, steps=12)
    config = runs.read_config(second)
    config["ppo"]["algorithm"] = "grpo"
    (second / runs.CONFIG_FILE).write_text(json.dumps(config))
    for step in range(1, 13):
        runs.append_jsonl(second / runs.METRICS_FILE, {"step": step, "kl": 0.1 * step, "reward": 1.0, "reward_std": 0.1})
    for row in (held_out_row(0, RUDE, TOX_0), held_out_row(10, ["#Person2# thanks #Person1#."] * 5, [0.02] * 5)):
        runs.append_jsonl(second / runs.EVAL_FILE, row)
    runs.write_status(second, state="finished", step=12, total_steps=12)
    clock = Clock()
    h = PresentHandlers(ctx, Storage(tmp_path / "no-recordings"), clock=clock)
    state, page = open_page(h, replay=first, versus=second.name, speed="4")
    assert "Replay: PPO tiny-" in page["status"] and " against GRPO tiny-" in page["status"]
    clock.t += 60.0
    view = h.redraw(state)
    assert "replay over" in view.status and "Person2 thanks Person1." in text_of(view.cards)
    assert "asks Person2 kindly." in text_of(view.cards)  # the first run's own newest summaries
    names = {trace.name for trace in view.kl.data}
    assert any(n.startswith("PPO tiny-") for n in names) and any(n.startswith("GRPO tiny-") for n in names)
