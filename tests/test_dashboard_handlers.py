"""Unit tests of the dashboard's pieces: storage, plots, health, runner and the Train tab's
refresh, driven by a fake trainer (tests/fake_trainer.py) instead of torch."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import gradio as gr
import pytest

from engine import runs
from engine.config import preset as load_preset

from dashboard import health, hub, plots
from dashboard.compare_tab import CompareHandlers
from dashboard.context import AppContext
from dashboard.inputs import UserInputError
from dashboard.runner import Runner, RunnerError
from dashboard.settings import equivalent_command
from dashboard.storage import Storage
from dashboard.train_tab import TrainHandlers, progress_html
from tests.dashboard_helpers import make_ctx, new_run, trainer_in_this_process, wait_for
from tests.fake_trainer import eval_row, group_row, metrics_row

# --- storage ---------------------------------------------------------------------------------

def test_storage_reads_only_appended_lines(tmp_path, monkeypatch):
    run_dir = new_run(tmp_path)
    storage = Storage(tmp_path)
    offsets = []
    real_read = runs.read_jsonl
    monkeypatch.setattr(runs, "read_jsonl", lambda path, offset=0: offsets.append(offset) or real_read(path, offset))
    assert storage.metrics(run_dir.name) == []
    for step in (1, 2):
        runs.append_jsonl(run_dir / runs.METRICS_FILE, metrics_row(step))
    assert [r["step"] for r in storage.metrics(run_dir.name)] == [1, 2]
    size_after_two = (run_dir / runs.METRICS_FILE).stat().st_size
    assert storage.metrics(run_dir.name)[-1]["step"] == 2  # nothing new: no read at all
    runs.append_jsonl(run_dir / runs.METRICS_FILE, metrics_row(3))
    assert [r["step"] for r in storage.metrics(run_dir.name)] == [1, 2, 3]
    assert offsets == [0, size_after_two]


def test_storage_waits_for_a_torn_line_to_complete(tmp_path):
    run_dir = new_run(tmp_path)
    storage = Storage(tmp_path)
    path = run_dir / runs.METRICS_FILE
    runs.append_jsonl(path, metrics_row(1))
    line = json.dumps(metrics_row(2))
    with open(path, "a") as f:
        f.write(line[:20])  # the trainer is mid-write
    assert [r["step"] for r in storage.metrics(run_dir.name)] == [1]
    with open(path, "a") as f:
        f.write(line[20:] + "\n")
    assert [r["step"] for r in storage.metrics(run_dir.name)] == [1, 2]


def test_storage_starts_over_when_a_file_is_replaced(tmp_path):
    run_dir = new_run(tmp_path)
    storage = Storage(tmp_path)
    path = run_dir / runs.METRICS_FILE
    for step in (1, 2, 3):
        runs.append_jsonl(path, metrics_row(step))
    assert len(storage.metrics(run_dir.name)) == 3
    path.write_text(json.dumps({"step": 7}) + "\n")  # shorter: a new file
    assert storage.metrics(run_dir.name) == [{"step": 7}]


def test_storage_samples_newest_and_bad_ids(tmp_path):
    run_dir = new_run(tmp_path)
    storage = Storage(tmp_path)
    for step in range(1, 6):
        runs.append_jsonl(run_dir / runs.SAMPLES_FILE, {"step": step, "query": "q", "response": "r", "reward": 1.0})
    assert [s["step"] for s in storage.samples(run_dir.name, last=2)] == [4, 5]
    with pytest.raises(runs.RunError):
        storage.metrics("../" + run_dir.name)
    with pytest.raises(runs.RunError, match="no run"):
        storage.status("20990101T000000Z-tiny-beef")



def test_storage_serves_no_run_through_a_link(tmp_path):
    """A link in the runs folder to a run elsewhere: /run_status (Storage.snapshot) refuses it
    in words rather than serving the other folder's files."""
    elsewhere = new_run(tmp_path / "elsewhere")
    runs_dir = tmp_path / "runs"
    runs_dir.mkdir()
    (runs_dir / elsewhere.name).symlink_to(elsewhere, target_is_directory=True)
    storage = Storage(runs_dir)
    assert storage.list_runs() == []
    with pytest.raises(runs.RunError, match="is a symbolic link; runs are never read through links"):
        storage.snapshot(elsewhere.name)
    context = make_ctx(runs_dir)
    with pytest.raises(gr.Error, match="symbolic link"):
        api_function(context, "run_status")(elsewhere.name)


LINKED_GROUPS = {"log and documents": {runs.LOG_FILE: "hostname", "dashboard.json": "doc.json",
                                        runs.EVALUATION_FILE: "doc.json"},
                 "records": {runs.METRICS_FILE: "row.jsonl", runs.SAMPLES_FILE: "row.jsonl",
                             runs.EVAL_FILE: "row.jsonl"}}


@pytest.mark.parametrize("group", LINKED_GROUPS)
def test_storage_reads_no_file_of_a_run_through_a_link(tmp_path, group):
    """train.log linked to a file outside (like /etc/hostname), and every other file the
    dashboard reads: none is read, each is named among the problems, the log tail is empty.
    (In two groups: a page shows five problems.)"""
    run_dir = new_run(tmp_path / "runs")
    runs.write_status(run_dir, state="finished", step=8)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "hostname").write_text("SECRET host name\n")
    (outside / "row.jsonl").write_text(json.dumps(metrics_row(1)) + "\n")
    (outside / "doc.json").write_text(json.dumps({"auto_stop": True, "secret": True}))
    linked = LINKED_GROUPS[group]
    for name, target in linked.items():
        (run_dir / name).unlink(missing_ok=True)
        (run_dir / name).symlink_to(outside / target)
    storage = Storage(tmp_path / "runs")
    snap = storage.snapshot(run_dir.name)
    assert snap.log_tail == "" and snap.metrics == snap.samples == snap.held_out == []
    assert snap.evaluation is None and snap.notes == {} and not snap.auto_stop
    assert snap.status["state"] == "finished"
    assert len(snap.problems) == len(linked)
    for name in linked:
        assert any(p.startswith(f"{name} cannot be read: it is a symbolic link") for p in snap.problems), \
            (name, snap.problems)
    assert storage.snapshot(run_dir.name).problems == snap.problems  # named once, not once per tick
    if runs.EVALUATION_FILE in linked:
        with pytest.raises(runs.RunError, match="symbolic link"):
            storage.evaluation(run_dir.name)
        with pytest.raises(OSError, match="symbolic link"):
            with storage.log_file(run_dir.name):
                pass
    assert (outside / "hostname").read_text() == "SECRET host name\n"


def test_storage_reads_no_config_through_a_link(tmp_path):
    run_dir = new_run(tmp_path)
    (tmp_path / "doc.json").write_text(json.dumps({"preset": "secret"}))
    (run_dir / runs.CONFIG_FILE).unlink()
    (run_dir / runs.CONFIG_FILE).symlink_to(tmp_path / "doc.json")
    storage = Storage(tmp_path)
    with pytest.raises(runs.RunError, match="symbolic link"):
        storage.config(run_dir.name)
    assert any("symbolic link" in p for p in storage.problems(run_dir.name))

# --- plots -----------------------------------------------------------------------------------

def rows_with(values: dict[str, list], n: int) -> list[dict]:
    return [{"step": i + 1, **{k: v[i] for k, v in values.items()}} for i in range(n)]


def test_kl_figure_has_one_line_with_every_point_and_gaps():
    rows = rows_with({plots.KL: [0.0, 0.5, None, 1.5]}, 4)
    fig = plots.kl_figure({"run-a": rows})
    assert len(fig.data) == 1
    assert list(fig.data[0].x) == [1, 2, 3, 4]
    assert list(fig.data[0].y) == [0.0, 0.5, None, 1.5]
    assert fig.layout.showlegend is False


def test_reward_figure_draws_mean_and_a_std_band():
    rows = rows_with({plots.REWARD_MEAN: [1.0, 2.0], plots.REWARD_STD: [0.5, 0.25]}, 2)
    fig = plots.reward_figure({"run-a": rows})
    lower, upper, mean = fig.data
    assert list(mean.y) == [1.0, 2.0]
    assert list(lower.y) == [0.5, 1.75] and list(upper.y) == [1.5, 2.25]
    assert upper.fill == "tonexty"


def test_overlay_draws_one_line_per_run_with_a_legend():
    a = rows_with({plots.KL: [0.1, 0.2]}, 2)
    b = rows_with({plots.KL: [0.3, 0.4, 0.5]}, 3)
    fig = plots.kl_figure({"run-a": a, "run-b": b})
    assert [t.name for t in fig.data] == ["run-a", "run-b"]
    assert len(fig.data[1].x) == 3
    assert fig.layout.showlegend is True


def test_extra_and_empty_figures():
    rows = [metrics_row(step) for step in (1, 2, 3)]
    fig = plots.extra_figure({"run-a": rows}, ["Entropy", "Value loss", "Toxicity"])
    assert len(fig.data) == 3
    assert list(fig.data[0].y) == [79.0, 78.0, 77.0]
    assert plots.extra_figure({"run-a": rows}, []).layout.annotations[0].text.startswith("Pick metrics")
    assert "Waiting" in plots.kl_figure({"run-a": []}).layout.annotations[0].text


def test_long_runs_are_thinned_but_keep_the_newest_point():
    rows = rows_with({plots.KL: [float(i) for i in range(5001)]}, 5001)
    x, _ = plots.series(rows, plots.KL)
    assert len(x) <= plots.MAX_POINTS + 1 and x[0] == 1 and x[-1] == 5001


def test_reward_distribution_has_both_histograms():
    fig = plots.reward_distribution_figure([1.0, 2.0, 3.0], [2.0, 3.0, 4.0])
    assert [t.type for t in fig.data] == ["histogram", "histogram"]
    assert fig.data[0].xbins.size == fig.data[1].xbins.size


# --- health ----------------------------------------------------------------------------------

def kinds(rows, **thresholds) -> list[str]:
    return [a.kind for a in health.check(rows, health.Thresholds(**thresholds))]


def test_a_healthy_run_has_no_alerts():
    assert kinds([metrics_row(step) for step in range(1, 12)]) == []


def test_each_alert_fires_in_plain_words():
    base = [metrics_row(step) for step in range(1, 8)]
    assert kinds(base + [{**metrics_row(8), "objective/kl": -2.0}]) == ["kl_negative"]
    assert kinds(base + [{**metrics_row(8), "objective/kl": 30.0}], kl_max=20) == ["kl_high"]
    collapse = [{**metrics_row(s), "env/reward_mean": 3.0 if s <= 4 else -2.0} for s in range(1, 9)]
    assert kinds(collapse) == ["reward_collapse"]
    entropy = [{**metrics_row(s), "objective/entropy": 80.0 if s <= 4 else 2.0} for s in range(1, 9)]
    assert kinds(entropy) == ["entropy_collapse"]


def test_held_out_alerts_reward_gaming_and_collapsing_summaries():
    rows = [metrics_row(step, "gaming") for step in range(1, 11)]  # the reward climbs by 3.5 (window means)
    honest = [eval_row(step) for step in (0, 5, 10)]
    assert kinds(rows) == [] and health.check(rows, eval_rows=honest) == []
    gaming = health.check(rows, eval_rows=[eval_row(step, "gaming") for step in (0, 5, 10)])
    assert [a.kind for a in gaming] == ["reward_gaming"]
    assert gaming[0].message.startswith("The reward rose by 3.5 but held-out toxicity by an independent judge "
                                        "did not fall (profanity-check 0.30 at step 0, 0.30 now)")
    # two held-out rows are not enough to judge (noise), and a flat reward is no reward gaming
    assert health.check(rows, eval_rows=[eval_row(step, "gaming") for step in (0, 5)]) == []
    flat = [metrics_row(step) for step in range(1, 11)]
    assert health.check(flat, eval_rows=[eval_row(step, "gaming") for step in (0, 5, 10)]) == []
    shrinking = honest[:2] + [{**honest[2], "length_mean": 6.0}]
    (alert,) = health.check(flat, eval_rows=shrinking)
    assert alert.kind == "summary_collapse" and "held-out summaries average 6.00 words at step 10, down from 20.00" \
        in alert.message
    repeating = honest[:2] + [{**honest[2], "distinct_2": 0.2}]
    assert [a.kind for a in health.check(flat, eval_rows=repeating)] == ["summary_collapse"]
    # drifting: on-topic share from 0.9 to 0.7 (the last two rows' mean) is past the 0.15 drop; 0.8 is not
    drifting = honest[:1] + [{**r, "on_topic": 0.7} for r in honest[1:]]
    (alert,) = health.check(flat, eval_rows=drifting)
    assert alert.kind == "drift" and alert.message.startswith(
        "The summaries are drifting away from their dialogues: 70% of their content words occur in the dialogue "
        "they summarize at step 10, down from 90% at step 0.")
    assert health.check(flat, eval_rows=honest[:1] + [{**r, "on_topic": 0.8} for r in honest[1:]]) == []
    assert health.check(flat, eval_rows=drifting[:2]) == []  # two held-out rows are too few to judge
    short = [{**metrics_row(s), "tokens/response_len_mean": 12.0 if s <= 4 else 3.0} for s in range(1, 9)]
    assert kinds(short) == ["summary_collapse"]


@pytest.mark.slow
def test_the_train_tab_charts_held_out_toxicity_from_eval_jsonl(ctx):
    h = TrainHandlers(ctx)
    started = ctx.runner.start("tiny", {"ppo.steps": 6, "run.eval_every": 2})
    wait_for(lambda: ctx.storage.status(started.run_id)["state"] == "finished", what="the end")
    out = h.refresh(started.run_id, [], [], {})
    traces = {trace.name: trace for trace in out.held_out.data}
    assert set(traces) == {"reward model", "profanity-check"}
    assert list(traces["profanity-check"].x) == [0, 2, 4, 6]
    assert list(traces["profanity-check"].y) == pytest.approx([eval_row(s)["toxicity"]["profanity-check"]
                                                               for s in (0, 2, 4, 6)])
    assert out.held_out.layout.title.text == plots.HELD_OUT_TITLE
    without = new_run(ctx.runs_dir)
    empty = h.refresh(without.name, [], [], {})
    assert "No held-out rows yet" in empty.held_out.layout.annotations[0].text


def api_function(ctx: AppContext, name: str):
    """The plain function behind an API endpoint (dashboard.api), called without a server."""
    from dashboard.api import register_api
    from dashboard.reward_tab import RewardHandlers

    with gr.Blocks() as blocks:
        register_api(ctx, CompareHandlers(ctx), RewardHandlers(ctx))
    (fn,) = [f.fn for f in blocks.fns.values() if f.api_name == name]
    return fn


@pytest.mark.slow
def test_banner_api_and_auto_stop_use_the_alert_level_the_run_started_with(tmp_path):
    """A run started with a KL alert level of 0.2: the Train tab (whatever its form now says),
    /run_status and auto-stop all alert at 0.2, not at the default 20."""
    context = make_ctx(tmp_path, "--delay", "0.1")
    try:
        h = TrainHandlers(context)
        message, _, _ = h.start("tiny", {"ppo.steps": 300}, auto_stop=True, kl_max=0.2)
        run_id = context.runner.in_progress()
        status = wait_for(lambda: (s := context.storage.status(run_id))["state"] == "stopped" and s,
                          timeout=60, what="auto-stop at the run's own KL level")
        reason = context.storage.sidecar(run_id)["auto_stopped"]["reason"]
        assert "above the alert level of 0.2" in reason and status["step"] < 300
        banner_text = h.refresh(run_id, [], [], {}).alerts
        assert "above the alert level of 0.2" in banner_text
        api_alerts = api_function(context, "run_status")(run_id)["alerts"]
        assert any("above the alert level of 0.2" in a for a in api_alerts)
    finally:
        context.runner.terminate_all(timeout=10)


def test_corrupt_dashboard_notes_and_evaluation_are_named_not_read_as_empty(ctx):
    run_dir = new_run(ctx.runs_dir)
    (run_dir / "dashboard.json").write_text("{not json")
    (run_dir / runs.EVALUATION_FILE).write_text("[1, 2")
    problems = ctx.storage.snapshot(run_dir.name).problems
    assert any(p.startswith("dashboard.json cannot be read") and "auto-stop is off" in p for p in problems)
    assert any(p.startswith("evaluation.json cannot be read") for p in problems)
    with pytest.raises(runs.RunError, match="evaluation.json cannot be read"):
        ctx.storage.evaluation(run_dir.name)
    from dashboard.evaluate_tab import EvaluateHandlers

    shown = EvaluateHandlers(ctx).run_changed(run_dir.name)[1]
    assert "evaluation.json cannot be read" in shown and "not been evaluated" not in shown


@pytest.mark.slow
def test_auto_stop_when_the_reward_is_gamed(tmp_path):
    context = make_ctx(tmp_path, "--delay", "0.1", "--scenario", "gaming")
    try:
        started = context.runner.start("tiny", {"ppo.steps": 300, "run.eval_every": 5}, auto_stop=True)
        status = wait_for(lambda: (s := context.storage.status(started.run_id))["state"] == "stopped" and s,
                          timeout=60, what="auto-stop")
        assert "may be pleasing the reward model" in context.storage.sidecar(started.run_id)["auto_stopped"]["reason"]
        assert status["step"] < 300
    finally:
        context.runner.terminate_all(timeout=10)


# --- runner ----------------------------------------------------------------------------------

def test_equivalent_command_lists_only_what_differs_from_the_preset(tmp_path):
    assert equivalent_command("tiny", {"ppo.steps": 8.0, "ppo.target": 6}) == "python -m engine.train --preset tiny"
    command = equivalent_command("tiny", {"ppo.steps": 20, "ppo.learning_rate": 5e-4,
                                          "ppo.reward_input": "query+response"}, tmp_path)
    assert command == ("python -m engine.train --preset tiny --steps 20 --set ppo.learning_rate=0.0005 "
                       f"--set ppo.reward_input=query+response --runs-dir {tmp_path}")


def test_invalid_settings_give_a_message_and_write_nothing(ctx):
    with pytest.raises(UserInputError, match=r"mini-batch size \(3\) must divide batch size \(8\)"):
        ctx.runner.start("tiny", {"ppo.mini_batch_size": 3, "ppo.learning_rate": 0.5})
    with pytest.raises(UserInputError, match="learning rate"):
        ctx.runner.start("tiny", {"ppo.learning_rate": 0.5})
    with pytest.raises(UserInputError, match="model.policy: policy '/etc' is not allowed on this app"):
        ctx.runner.start("tiny", {"model.policy": "/etc"})
    assert not ctx.runs_dir.exists() or not any(ctx.runs_dir.iterdir())
    with pytest.warns(UserWarning, match="must divide"):  # gr.Warning outside a request
        message, picker, _ = TrainHandlers(ctx).start("tiny", {"ppo.mini_batch_size": 3})
    assert "Cannot start the run: invalid settings" in message and "must divide" in message
    assert picker == gr.skip()


@pytest.mark.slow
def test_second_start_is_refused_and_stop_saves_a_checkpoint(ctx):
    first = ctx.runner.start("tiny", {"ppo.steps": 500})
    with pytest.raises(RunnerError, match=f"a run is already in progress: {first.run_id}"):
        ctx.runner.start("tiny", {"ppo.steps": 5})
    wait_for(lambda: len(ctx.storage.metrics(first.run_id)) >= 2, what="metrics rows")
    assert "Stopping run" in ctx.runner.stop()
    status = wait_for(lambda: (s := ctx.storage.status(first.run_id))["state"] == "stopped" and s,
                      what="state stopped")
    assert status["step"] >= 2
    assert runs.list_checkpoints(first.run_dir) == [f"step-{status['step']}"]
    wait_for(lambda: ctx.runner.in_progress() is None, what="the lock to be released")
    with pytest.raises(RunnerError, match="is not running"):
        ctx.runner.stop(first.run_id)
    assert ctx.runner.start("tiny", {"ppo.steps": 2}).run_id != first.run_id


@pytest.mark.slow
def test_a_process_that_dies_at_startup_is_recorded_as_failed(tmp_path):
    storage = Storage(tmp_path)
    crash = "import sys, time; time.sleep(0.3); print('boom'); sys.exit(3)"
    runner = Runner(storage, [sys.executable, "-c", crash, "engine"])
    started = runner.start("tiny", {})
    wait_for(lambda: runner.exit_code(started.run_id) is not None, what="the exit")
    wait_for(lambda: not storage.is_child(started.run_id), what="the end to be recorded")
    status = storage.status(started.run_id)
    assert status["state"] == "failed" and "exit code 3" in status["error"]
    assert runner.exit_code(started.run_id) == 3
    assert "boom" in storage.log_tail(started.run_id)
    assert "Failed" in progress_html(started.run_id, status, [], [], {}, 3)


# --- the Train tab's refresh -----------------------------------------------------------------

def test_progress_of_a_run_whose_start_time_is_naive():
    # A status written by hand or by an older writer may lack the UTC offset; it means UTC.
    status = {"state": "running", "step": 2, "total_steps": 8, "started_at": "2026-01-01T00:00:00"}
    assert "elapsed " in progress_html("r1", status, [], [], {})
    ended = {**status, "state": "finished", "updated_at": "2026-01-01T00:01:05+00:00"}
    assert "took 1 min 05 s" in progress_html("r1", ended, [], [], {})


@pytest.mark.slow
def test_refresh_shows_rows_as_they_arrive_and_skips_what_did_not_change(ctx):
    h = TrainHandlers(ctx)
    idle = h.refresh(None, [], ["Toxicity"], {})
    assert "No run yet" in idle.progress
    started = ctx.runner.start("tiny", {"ppo.steps": 400})
    view = {}
    wait_for(lambda: len(ctx.storage.metrics(started.run_id)) >= 3, what="rows")
    out = h.refresh(started.run_id, [], ["Toxicity", "Entropy"], view)
    view = out.view
    assert len(out.kl.data[0].x) >= 3 and out.kl.data[0].x[0] == 1
    assert len(out.extra.data) == 2
    assert "Training" in out.progress and "step" in out.progress
    assert list(out.samples.columns) == ["step", "reward", "response", "query"]
    assert out.samples.iloc[0]["query"] == "#Person1#: hi 1"  # newest first, prompt stripped
    assert out.stop["interactive"] is True and out.start["interactive"] is False
    ctx.runner.stop(started.run_id)
    wait_for(lambda: ctx.storage.status(started.run_id)["state"] == "stopped", what="stopped")
    final = h.refresh(started.run_id, [], ["Toxicity", "Entropy"], view)
    assert "Stopped" in final.progress and "step-" in final.progress
    again = h.refresh(started.run_id, [], ["Toxicity", "Entropy"], final.view)
    assert again.kl == gr.skip() and again.samples == gr.skip() and again.progress == gr.skip()


@pytest.mark.slow
def test_a_new_app_picks_up_the_run_in_progress(ctx):
    started = ctx.runner.start("tiny", {"ppo.steps": 400})
    wait_for(lambda: ctx.storage.active_run() == started.run_id, what="the lock")
    restarted = make_ctx(ctx.runs_dir)  # a fresh app: new storage, new runner, same folder
    out = TrainHandlers(restarted).refresh(None, [], [], {})
    assert out.picker["value"] == started.run_id
    assert "Stopping run" in restarted.runner.stop()  # it can stop a run it did not start
    wait_for(lambda: ctx.storage.status(started.run_id)["state"] == "stopped", what="stopped")


def test_the_run_picker_ignores_values_that_are_not_run_ids(ctx):
    # Raw API calls can send anything as the picked run and the overlay: the picker falls back.
    first, second = new_run(ctx.runs_dir).name, new_run(ctx.runs_dir).name
    h = TrainHandlers(ctx)
    for run_id, overlay, expect_kept in (([], [[]], []), ({"a": 1}, "x", []), (None, None, []),
                                         ("nope", [second, 7], [second])):
        picker, kept = h.runs_changed(run_id, overlay)
        assert picker["value"] in (first, second) and kept["value"] == expect_kept
    assert h.runs_changed(first, [second])[0]["value"] == first


def test_the_kl_alert_level_is_a_positive_number_or_the_default():
    assert health.Thresholds.with_kl_max(None).kl_max == health.Thresholds.with_kl_max("").kl_max == 20.0
    assert health.Thresholds.with_kl_max(5).kl_max == 5.0
    for bad in (0, -1, float("nan"), float("inf"), True, "abc", [3]):
        with pytest.raises(ValueError, match="the KL alert level must be a positive number"):
            health.Thresholds.with_kl_max(bad)


def test_compare_refuses_an_empty_dialogue_and_unknown_runs(ctx):
    h = CompareHandlers(ctx)
    with pytest.raises(UserInputError, match="paste a dialogue"):
        h.compare_rows("anything", None, "paste", 1, "   ")
    with pytest.raises(runs.RunError, match="invalid run id"):
        h.compare_rows("../etc", None, "test", 4)



@pytest.mark.slow
def test_compare_and_engine_evaluation_give_the_same_summaries_at_40_dialogues(ctx):
    """One engine path chunks (16 a call) and seeds: Compare's handler and engine.evaluation agree
    on every summary, the 17th and the 33rd (first of a new chunk) included."""
    import torch

    from engine.data import prompts_from
    from engine.evaluation import evaluate
    from engine.loading import load_run_models
    from engine.models import load_policy, save_checkpoint

    cfg = load_preset("tiny")
    cfg.data.test_fraction = 0.9  # 57 test dialogues of the tiny preset's 63: enough for 40
    run_dir = runs.create_run(ctx.storage.runs_dir, cfg.to_dict(), "tiny")
    policy, _ = load_policy(cfg.model, torch.device("cpu"), torch.float32)
    with torch.no_grad():  # a tuned model that differs from the reference
        torch.manual_seed(0)
        for name, p in policy.named_parameters():
            if "lora_B" in name:
                p.add_(torch.randn_like(p) * 0.5)
    save_checkpoint(policy, runs.checkpoint_dir(run_dir, None))

    def by_prompt(rows):
        return [(r["query"], r["response_before"], r["response_after"])
                for r in sorted(rows, key=lambda r: r["prompt"])]

    shown = by_prompt(CompareHandlers(ctx).compare_rows(run_dir.name, None, "Test split", 40, seed=7))
    models = load_run_models(run_dir)
    examples = prompts_from("test", models.cfg.data, models.tokenizer, 40)
    evaluated = by_prompt(evaluate(models, examples, seed=7)["rows"])
    assert len(shown) == len(evaluated) == 40
    assert shown == evaluated
    assert any(before != after for _, before, after in shown)  # the tuned model is not the reference
    # the case: 24 dialogues, the 17th (first of the second chunk) once differed in length
    fewer = by_prompt(CompareHandlers(ctx).compare_rows(run_dir.name, None, "Test split", 24, seed=7))
    assert fewer == by_prompt(evaluate(models, examples[:24], seed=7)["rows"])
    assert fewer[:16] == shown[:16]  # a full chunk draws the same whatever follows it


def test_hub_presets_fall_back_to_demo_offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    hub.hub_reachable.cache_clear()
    try:
        assert hub.needs_hub("seed") and not hub.needs_hub("demo") and not hub.needs_hub("tiny")
        assert hub.default_preset("seed") == "demo" and hub.default_preset(None) == "demo"
        assert hub.default_preset("tiny") == "tiny"
        assert "cannot be reached" in hub.hub_banner("seed") and hub.hub_banner("demo") == ""
        assert "The **demo** preset works offline" in hub.hub_banner("seed")
    finally:
        hub.hub_reachable.cache_clear()


@pytest.mark.slow
def test_evaluate_builds_a_safe_command_and_reports_in_words(ctx):
    from dashboard.evaluate_tab import EvaluateHandlers, result_markdown
    from dashboard.runner import evaluate_argv, shown_command

    started = ctx.runner.start("tiny", {"ppo.steps": 2})
    wait_for(lambda: "final" in ctx.storage.checkpoints(started.run_id), what="the final checkpoint")
    h = EvaluateHandlers(ctx)
    args = h._command(started.run_id, "", "Stress set (rude dialogues)", 8, 3)
    assert args == (started.run_id, "final", "stress", 8, 3, 4)
    argv = evaluate_argv(ctx.runs_dir, *args)  # what Runner.evaluate starts
    assert argv[1:4] == ["-m", "engine.evaluate", started.run_id]
    assert argv[4:] == ["--runs-dir", str(ctx.runs_dir), "--samples", "8", "--samples-per-prompt", "4",
                        "--data", "stress", "--seed", "3", "--checkpoint", "final"]
    shown = h.command(started.run_id, "", "Stress set (rude dialogues)", 8, 3)  # the equivalent command
    assert shown == shown_command(argv) and shown.startswith(f"python -m engine.evaluate {started.run_id} ")
    with pytest.raises(UserInputError, match="samples must be between"):
        h._command(started.run_id, "final", "test", 0, 0)
    assert h.command(started.run_id, "final", "test", 0, 0).startswith("# samples must be between")
    with pytest.raises(runs.RunError, match="no checkpoint 'step-99'"):
        h._command(started.run_id, "step-99", "test", 8, 0)
    assert h._command(started.run_id, "", "test", 8, 3, 5)[5] == 5
    with pytest.raises(UserInputError, match="samples per prompt must be between 1 and 100"):
        h._command(started.run_id, "", "test", 8, 3, 0)
    assert "older version" in result_markdown({"samples": 8, "toxicity": {}}, started.run_id)


@pytest.mark.slow
def test_the_evaluate_tab_runs_its_evaluation_through_the_runner_and_shows_what_it_wrote(ctx):
    from dashboard.evaluate_tab import EvaluateHandlers
    from engine.train import main as train_main

    with trainer_in_this_process():  # a real run: engine.evaluate loads its checkpoint
        assert train_main(["--preset", "tiny", "--steps", "1", "--runs-dir", str(ctx.runs_dir)]) == 0
    (run_id,) = [s["run_id"] for s in ctx.storage.list_runs()]
    shown = list(EvaluateHandlers(ctx).evaluate(run_id, "final", "Stress set (rude dialogues)", 4, 0, 1))
    status, results = shown[-1][:2]
    assert "Evaluation finished" in status and results.startswith("**Verdicts**")
    assert "**4 prompts × 1 sample** (stress data)" in results
    saved = ctx.storage.evaluation(run_id)
    assert saved["prompts"] == 4 and saved["data"] == "stress" and len(saved["rows"]) == 4
    # engine.evaluate's refusal comes back in its own words, with the exit code
    job = ctx.runner.evaluate(run_id, "final", "no-such-file.csv", 4, 0, 1)
    error = job.error()
    assert error.startswith("exit code 2:\nerror: ") and "no-such-file.csv" in error and not job.running


@pytest.mark.slow
def test_an_evaluation_left_by_a_killed_app_is_shown_followed_and_stopped(ctx):
    """After kill -9 of the app, `engine.evaluate` goes on as an orphan. The app restarted (here:
    new handlers) finds it by its lock: says so, follows it instead of starting a second beside
    it, and Cancel stops it."""
    import subprocess

    from dashboard.evaluate_tab import EvaluateHandlers

    run_dir = new_run(ctx.runs_dir)
    for name in runs.CHECKPOINT_FILES:
        (runs.checkpoint_dir(run_dir, None)).mkdir(parents=True, exist_ok=True)
        (runs.checkpoint_dir(run_dir, None) / name).write_text("{}")
    # the orphan: a process in its own session (as the tab starts engine.evaluate) holding the lock
    orphan = subprocess.Popen([sys.executable, "-c", "import sys, time; from engine import runs; "
                               "lock = runs.EvaluationLock(sys.argv[1], checkpoint='final', data='test', prompts=32, "
                               "started_at=runs.utc_now()); lock.acquire(); print('locked', flush=True); "
                               "time.sleep(120)", str(run_dir)],
                              stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert orphan.stdout.readline().strip() == "locked"
        h = EvaluateHandlers(ctx)
        shown = h.run_changed(run_dir.name)[1]
        assert f"An evaluation of this run is in progress (pid {orphan.pid}" in shown
        assert "32 prompts of test" in shown and "not been evaluated yet" in shown
        following = h.evaluate(run_dir.name, "final", "Test split", 8, 0)
        assert "Following it" in next(following)[0]  # no second evaluation started beside it
        assert "Stopped the evaluation of" in h.cancel(run_dir.name)
        assert orphan.wait(timeout=10) == -15
        *_, last = following
        assert "ended without saving a result" in last[0]
        assert h.in_progress(run_dir.name) is None and "in progress" not in h.run_changed(run_dir.name)[1]
        assert "No evaluation to stop" in h.cancel(None) and "cancelled" in h.cancel(run_dir.name)
    finally:
        orphan.kill()
        orphan.wait()


def _evaluation_rows(k: int = 2) -> list[dict]:
    """Rows of a constructed evaluation: the reward model's toxicity falls on every prompt, the
    judge's rises on prompt 1."""
    rows = []
    for p in range(3):
        for s in range(k):
            rows.append({"prompt": p, "sample": s, "query": f"\nSummarize the following conversation.\n\n"
                                                           f"#Person1#: dialogue {p}\n\nSummary:\n",
                         "references": ["a polite summary"], "response_before": f"rude {p}.{s}",
                         "response_after": f"polite {p}.{s}", "reward_before": -1.0, "reward_after": 1.0 + s,
                         "reward_diff": 2.0 + s, "toxicity_before": 0.8, "toxicity_after": 0.1,
                         "judges_before": {"profanity-check": 0.3}, "judges_after": {"profanity-check": 0.9 if p == 1 else 0.1}})
    return rows


def test_the_evaluate_tab_shows_judges_verdicts_scatter_and_regressions(ctx):
    from dashboard.evaluate_tab import EvaluateHandlers, result_markdown, worst_regressions
    from engine.evaluation import save_evaluation, summarise

    run_dir = new_run(ctx.runs_dir)
    result = {"checkpoint": "final", "data": "stress", **summarise(_evaluation_rows(), 2, 0, ["profanity-check"]),
              "rows": _evaluation_rows()}
    text = result_markdown(result, run_dir.name)
    assert text.startswith("**Verdicts**\n\n- **warning**: The reward model "
                           "improved but `profanity-check` did not: the policy may be gaming the reward.")
    assert "**3 prompts × 2 samples** (stress data)" in text
    assert "| reward model (optimised against) | 0.800 | 0.100 | -0.700 [-0.700, -0.700] **better** | " \
           "0.80 → 0.10 [-0.70, -0.70] | 1.00 → 0.00 [-1.00, -1.00] |" in text
    assert "| `profanity-check` | 0.300 | 0.367 |" in text and "ROUGE-L" in text and "distinct-2" in text
    assert "on-topic share" in text
    worst = worst_regressions(result)
    assert list(worst["judge"]) == ["profanity-check", "profanity-check"]  # prompt 1's two samples
    assert list(worst["toxicity_after"]) == [0.9, 0.9] and worst.iloc[0]["dialogue"] == "#Person1#: dialogue 1"
    save_evaluation(run_dir, result)
    checkpoint, shown, scatter, spread, table = EvaluateHandlers(ctx).run_changed(run_dir.name)
    assert shown.startswith("*Saved evaluation:*") and len(table) == 2
    points = {trace.name: trace for trace in scatter.data}
    assert list(points["profanity-check"].y) == pytest.approx([0.1, 0.9, 0.1])  # one point per prompt
    assert list(points["reward model"].x) == pytest.approx([0.8, 0.8, 0.8])
    assert [trace.name for trace in spread.data] == ["reference (before)", "tuned (after)"]
    assert len(spread.data[0].y) == 12  # every summary, by both judges


def test_the_compare_table_has_a_column_per_judge_beside_the_rewards():
    from dashboard.compare_tab import summary_markdown, table

    rows = _evaluation_rows(k=1)
    frame = table(rows)
    assert list(frame.columns) == ["query", "response_before", "response_after", "reward_before", "reward_after",
                                   "reward_diff", "profanity-check before", "profanity-check after"]
    assert list(frame["profanity-check after"]) == [0.1, 0.9, 0.1]
    text = summary_markdown(rows, "run", "final", 0, 1.0)
    assert "| profanity-check before | profanity-check after |" in text
    assert "| **mean** | -1.000 | 1.000 | +2.000 | 0.800 | 0.100 | 0.300 | 0.367 |" in text
    assert "not optimised against" in text


def test_a_bug_inside_compare_is_shown_as_unexpected_and_logged_with_its_traceback(ctx, monkeypatch, caplog):
    """A ValueError from inside torch is no bad input: no "Cannot compare: <torch's words>"."""
    import engine.evaluation
    from dashboard.errors import user_errors

    def broken(*args, **kwargs):
        raise ValueError("Expected all tensors to be on the same device")  # what torch says

    monkeypatch.setattr(engine.evaluation, "compare", broken)
    with pytest.raises(gr.Error) as err, caplog.at_level("ERROR"):
        with user_errors("compare"):
            CompareHandlers(ctx)._generate(object(), [object()], 0, lambda f, d: None)
    assert err.value.message.startswith("Unexpected error while trying to compare: ValueError: Expected all tensors")
    assert "details in the server log" in err.value.message
    (record,) = [r for r in caplog.records if "unexpected error while trying to compare" in r.getMessage()]
    assert record.exc_info and "broken" in "".join(__import__("traceback").format_exception(*record.exc_info))
    with pytest.raises(gr.Error, match="Cannot compare: unknown dialogue source"):
        with user_errors("compare"):
            raise UserInputError("unknown dialogue source 'x': use test")


@pytest.mark.slow
def test_building_the_app_imports_no_torch():
    """app.py promises nothing heavy at import: a Space shows its page before torch loads."""
    import subprocess

    code = "import sys, app; print(sorted(m for m in ('torch', 'transformers', 'peft') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parent.parent,
                          capture_output=True, text=True, timeout=120, env={**__import__("os").environ,
                                                                            "HF_HUB_OFFLINE": "1"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_one_refresh_tick_resolves_the_run_once_and_reads_its_status_once(ctx, monkeypatch):
    run_dir = new_run(ctx.runs_dir)
    runs.write_status(run_dir, state="finished", step=8)
    h = TrainHandlers(ctx)
    h.refresh(run_dir.name, [], [], {})
    calls = {"resolve_run": 0, "reconcile_status": 0}
    for name in calls:
        real = getattr(runs, name)
        monkeypatch.setattr(runs, name, lambda *a, _real=real, _name=name, **k: calls.__setitem__(
            _name, calls[_name] + 1) or _real(*a, **k))
    h.refresh(run_dir.name, [], [], {})
    assert calls == {"resolve_run": 1, "reconcile_status": 1}


def test_run_status_names_a_run_without_config_json_as_engine_runs_list_does(tmp_path):
    storage = Storage(tmp_path)
    run_dir = new_run(tmp_path)
    (run_dir / runs.CONFIG_FILE).unlink()
    said = f"run {run_dir.name} has no config.json"
    assert runs.list_runs(tmp_path)[0]["error"] == said
    assert said in storage.snapshot(run_dir.name, samples=0, log_lines=0).problems


def test_bad_processes_and_a_missing_choice_are_warnings_in_words(ctx):
    from dashboard.export_tab import KINDS
    from dashboard.inputs import choice
    from engine.push import PushError, check_push

    h = TrainHandlers(ctx)
    with pytest.warns(UserWarning, match="processes must be a whole number from 1 to 64, got &#x27;abc&#x27;"):
        message = h.start("tiny", {}, processes="abc")[0]  # raised outside the handler: {"error": null}
    assert "processes must be a whole number from 1 to 64" in message and ctx.runner.in_progress() is None
    with pytest.raises(UserInputError) as info:
        choice(None, KINDS, "kind of export")
    assert "None" not in str(info.value) and 'pick the kind of export: one of "LoRA adapter' in str(info.value)
    with pytest.raises(PushError) as info:
        check_push("alice/" + "x" * 300)
    assert len(str(info.value)) < 500 and "x" * 100 not in str(info.value)


def test_compare_counts_and_regressions_use_a_stated_threshold():
    """+0.00004 was counted "higher" though the table shows +0.0000, and -0.0009 was listed as
    a "biggest regression"."""
    from dashboard.compare_tab import CHANGE_MIN, regressions, summary_markdown

    rows = [{"query": "q", "response_before": "a", "response_after": "b", "reward_before": 1.0,
             "reward_after": 1.0 + diff, "reward_diff": diff, "toxicity_before": 0.1, "toxicity_after": 0.1}
            for diff in (0.5, 0.00004, -0.0009, -0.2)]
    text = summary_markdown(rows, "run", "final", 0, 1.0)
    assert "higher on **1**, lower on **1**, the same on **2**" in text and f"under {CHANGE_MIN}" in text
    listed = regressions(rows)
    assert list(listed["value"]["reward_diff"]) == [-0.2] and f"by {CHANGE_MIN} or more" in listed["label"]


def test_pasted_text_that_is_no_dialogue_is_said_to_be_one():
    from dashboard.compare_tab import paste_note
    from engine.data import looks_like_dialogue

    assert looks_like_dialogue("#Person1#: Hello.\n#Person2#: Hi, how are you?")
    assert not looks_like_dialogue("x" * 1500) and not looks_like_dialogue("Person1: hi\nPerson2: yo")
    assert "not a dialogue in the format" in paste_note("Paste a dialogue", "x" * 1500)
    assert paste_note("paste", "#Person1#: Hello.\n#Person2#: Hi.") == ""
    assert paste_note("Test split", None) == ""


def test_the_paste_box_examples_are_dialogues_a_heated_and_a_polite_one():
    from dashboard.compare_tab import PASTE_EXAMPLES, paste_note
    from engine.judges import ProfanityCheck

    texts = [text for (text,) in PASTE_EXAMPLES]
    assert all(paste_note("Paste a dialogue", t) == "" for t in texts)
    rude = [max(ProfanityCheck().score([line.split(": ", 1)[1] for line in t.split("\n")])) >= 0.5 for t in texts]
    assert rude == [True, False]


# --- RLOO and GRPO beside PPO ----------------------------------------------------------------

@pytest.mark.slow
def test_the_algorithm_setting_reaches_the_run_and_the_equivalent_command(ctx):
    settings = {"ppo.algorithm": "grpo", "ppo.samples_per_prompt": 2, "ppo.steps": 3}
    assert equivalent_command("tiny", settings) == \
        "python -m engine.train --preset tiny --algorithm grpo --steps 3 --set ppo.samples_per_prompt=2"
    started = ctx.runner.start("tiny", settings)
    assert ctx.storage.config(started.run_id)["ppo"]["algorithm"] == "grpo"
    wait_for(lambda: ctx.storage.status(started.run_id)["state"] == "finished", what="finished")
    assert "kl" in ctx.storage.metrics(started.run_id)[0]  # the fake trainer writes TRL's GRPO names
    assert ctx.storage.checkpoints(started.run_id) == ["final"]  # no value head, still complete
    with pytest.raises(UserInputError, match=r"samples per prompt \(3\) must divide batch size \(8\)"):
        ctx.runner.start("tiny", {"ppo.algorithm": "rloo", "ppo.samples_per_prompt": 3})


def test_run_against_run_the_legend_names_the_algorithm_and_charts_hide_what_it_lacks(tmp_path):
    ctx = make_ctx(tmp_path)
    made = {}
    for algorithm in ("ppo", "grpo"):
        cfg = load_preset("tiny")
        cfg.ppo.algorithm = algorithm
        made[algorithm] = runs.create_run(tmp_path, cfg.to_dict(), "tiny").name
        for step in (1, 2, 3):  # as the fake trainer writes each algorithm's rows
            row = metrics_row(step)
            runs.append_jsonl(tmp_path / made[algorithm] / runs.METRICS_FILE, row if algorithm == "ppo" else group_row(row))
    out = TrainHandlers(ctx).show(made["grpo"], [made["ppo"]], ["Value loss", "Entropy"], {})
    names = [trace.name for trace in out.kl.data]
    assert names[0].endswith(" · GRPO") and names[1].endswith(" · PPO"), names
    assert [len(trace.x) for trace in out.kl.data] == [3, 3]  # GRPO's `kl` and PPO's `objective/kl`, one chart
    assert [trace.name for trace in out.returns.data] == [names[0], names[1]]
    assert all(y is None for y in out.returns.data[0].y) and out.returns.data[1].y[-1] is not None
    table = out.runs_table
    assert list(table["algorithm"]) == ["GRPO", "PPO"] and list(table["steps"]) == [3, 3]
    assert list(table["prompts seen"]) == [6, 24]  # tiny: 8 summaries a step, 4 per prompt under GRPO
    assert list(table["KL (last 3 steps)"]) == [0.1, 0.1] and table["peak memory"].isna().all()
    alone = TrainHandlers(ctx).show(made["grpo"], [], [], {})
    assert "Not measured by these runs' algorithm" in alone.returns.layout.annotations[0].text


@pytest.mark.parametrize("scenario, alert", [("kl-high", "kl_high"), ("gaming", "reward_gaming")])
def test_the_health_alerts_read_an_rloo_or_grpo_run_as_they_read_ppo(scenario, alert):
    rows = [group_row(metrics_row(step, scenario)) for step in range(1, 21)]
    evals = [eval_row(step, scenario) for step in range(0, 21, 5)]
    assert "objective/kl" not in rows[0] and "kl" in rows[0]
    found = [a.kind for a in health.check(rows, eval_rows=evals)]
    assert alert in found and found == [a.kind for a in health.check([metrics_row(s, scenario) for s in range(1, 21)],
                                                                      eval_rows=evals)]


def test_the_compare_runs_row_reads_a_runs_files():
    from dashboard.train_tab import run_facts

    cfg = load_preset("demo")
    cfg.ppo.algorithm = "rloo"
    metrics = [{**group_row(metrics_row(step)), "time/step": 30.0, "memory/peak_mib": 900.0 + step}
               for step in (1, 2, 3, 4)]
    evaluation = {"quality": {"before": {"rougeL": 0.30}, "after": {"rougeL": 0.3333}}}
    row = run_facts("demo-ab12 · RLOO", cfg.to_dict(), metrics, [eval_row(0), eval_row(4)], evaluation)
    assert row == {"run": "demo-ab12 · RLOO", "algorithm": "RLOO", "steps": 4, "prompts seen": 16,
                   "training time": "2.0 min", "KL (last 3 steps)": 0.15, "held-out on-topic": 0.9,
                   "ROUGE-L (Evaluate tab)": 0.333, "peak memory": "904 MiB",
                   "held-out toxicity: reward model": 0.4, "held-out toxicity: profanity-check": 0.18}
