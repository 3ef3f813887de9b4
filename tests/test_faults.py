"""Faults the app must survive (issue 5, item 1): a trainer killed with signal 9, an app restarted
mid-run, a NaN loss, an unwritable or full runs folder, corrupt status.json and metrics.jsonl.

Most tests drive tests/fake_trainer.py (no torch, milliseconds per step). The ones marked slow
use the real tiny trainer where the fault is about the real thing: the app restarted around a
training process, and `kill -9` of a trainer the served app started.
"""
from __future__ import annotations

import contextlib
import html
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import gradio as gr
import pytest

from engine import runs

from dashboard.access import Access
from dashboard.runner import HEALTH_POLL_S, Runner, RunnerError, describe_exit
from dashboard.storage import WRITABLE_RECHECK_S, Storage
from dashboard.train_tab import TrainHandlers
from tests.conftest import ROOT
from tests.dashboard_helpers import FAKE, make_ctx, new_run, trainer_in_this_process, wait_for

# The user must see a killed run as failed "within a few seconds".
DEATH_NOTICED_S = 5.0
SIGKILL_TEXT = "killed by signal 9 (SIGKILL)"


# --- helpers ---------------------------------------------------------------------------------

def kill_group(pid: int | None) -> None:
    """SIGKILL a trainer's process group (we start trainers as group leaders); for cleanup."""
    if isinstance(pid, int) and runs.pid_alive(pid):
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass  # it ended between the check and the kill: nothing left to clean


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "engine.runs", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)


def refresh(ctx, run_id: str | None):
    return TrainHandlers(ctx).refresh(run_id, [], [], {})


def trainer_pid(run_dir: Path) -> int:
    return wait_for(lambda: runs.read_status_file(run_dir).get("pid"), what="the trainer's pid")


def last_log_line(run_dir: Path) -> str:
    """What the trainer wrote last (a kill may land between a metric row and its log line)."""
    return html.escape((run_dir / runs.LOG_FILE).read_text().splitlines()[-1])


def metric_steps(run_dir: Path) -> list[int]:
    return [row["step"] for row in runs.read_jsonl(run_dir / runs.METRICS_FILE)[0]]


@pytest.fixture
def trainers():
    """pids of trainers a test started or adopted; their groups are killed whatever happens."""
    pids: list[int] = []
    yield pids
    for pid in pids:
        kill_group(pid)


# --- 1. kill -9 ------------------------------------------------------------------------------

def test_describe_exit_names_signals():
    assert describe_exit(-9) == SIGKILL_TEXT
    assert describe_exit(-15) == "killed by signal 15 (SIGTERM)"
    assert describe_exit(3) == "exit code 3"
    assert describe_exit(-200) == "killed by signal 200"


@pytest.mark.slow
def test_kill_9_of_a_run_the_app_started_is_failed_with_the_signal_and_keeps_its_rows(tmp_path, trainers):
    ctx = make_ctx(tmp_path / "runs", "--delay", "0.1")
    try:
        started = ctx.runner.start("tiny", {"ppo.steps": 500})
        pid = trainer_pid(started.run_dir)
        trainers.append(pid)
        wait_for(lambda: len(metric_steps(started.run_dir)) >= 3, what="3 metric rows")
        os.kill(pid, signal.SIGKILL)
        killed_at = time.monotonic()
        status = wait_for(lambda: (s := ctx.storage.status(started.run_id))["state"] == "failed" and s,
                          timeout=DEATH_NOTICED_S, what="the run to read failed")
        # the runner, the process's parent, records the signal in status.json
        recorded = wait_for(lambda: SIGKILL_TEXT in str(runs.read_status_file(started.run_dir).get("error"))
                            and runs.read_status_file(started.run_dir),
                            timeout=DEATH_NOTICED_S - (time.monotonic() - killed_at), what="the signal")
        assert recorded["state"] == "failed" and status["state"] == "failed"
        assert ctx.runner.exit_code(started.run_id) == -9
        assert ctx.runner.in_progress() is None  # a dead trainer's lock blocks nothing

        steps = metric_steps(started.run_dir)
        assert len(steps) >= 3 and steps == list(range(1, len(steps) + 1))  # every row kept, in order
        last_logged = last_log_line(started.run_dir)
        assert last_logged.startswith("step ")

        progress = refresh(ctx, started.run_id).progress
        assert 'data-state="failed"' in progress and "Failed" in progress
        assert SIGKILL_TEXT in progress
        assert progress.count("SIGKILL") == 1  # the exit code is not repeated as "(exit code -9)"
        assert "the end of train.log" in progress and last_logged in progress

        shown = run_cli("show", started.run_id, "--runs-dir", str(ctx.runs_dir))
        assert shown.returncode == 0, shown.stderr
        assert "state      failed" in shown.stdout and SIGKILL_TEXT in shown.stdout
        assert f"metrics    {len(steps)} rows" in shown.stdout and f"  {last_logged}\n" in shown.stdout
        listed = run_cli("list", "--runs-dir", str(ctx.runs_dir))
        (row,) = [line for line in listed.stdout.splitlines() if line.startswith(started.run_id)]
        assert "failed" in row and "SIGKILL" in row  # within the 60 characters the table shows
    finally:
        ctx.runner.terminate_all(timeout=10)


def start_detached_fake(run_dir: Path, delay: float = 0.1) -> subprocess.Popen:
    """The fake trainer as an app that is gone left it: its own session, output in train.log."""
    with open(run_dir / runs.LOG_FILE, "ab") as log_file:
        return subprocess.Popen([sys.executable, str(FAKE), "--as", "engine.train", "--run-dir", str(run_dir),
                                 "--delay", str(delay)], stdin=subprocess.DEVNULL, stdout=log_file,
                                stderr=subprocess.STDOUT, start_new_session=True)


@pytest.mark.slow
def test_kill_9_of_a_run_started_elsewhere_is_failed_and_says_what_is_known(tmp_path, trainers):
    run_dir = new_run(tmp_path, steps=500)
    proc = start_detached_fake(run_dir)
    trainers.append(proc.pid)
    wait_for(lambda: len(metric_steps(run_dir)) >= 2, what="metric rows")
    ctx = make_ctx(tmp_path)  # a new app: not the trainer's parent
    out = refresh(ctx, None)
    assert out.picker["value"] == run_dir.name and "Training" in out.progress
    assert out.stop["interactive"] is True

    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()  # the test is the parent here; after an app restart, init reaps it
    rows_at_kill = len(metric_steps(run_dir))
    # Nobody reads the run: the adopted run's watcher alone must record the death.
    recorded = wait_for(lambda: (s := runs.read_status_file(run_dir))["state"] == "failed" and s,
                        timeout=HEALTH_POLL_S + DEATH_NOTICED_S, what="the watcher to record the death")
    assert recorded["error"] == runs.gone_error(proc.pid)
    assert f"(pid {proc.pid}) is gone without recording how it ended" in recorded["error"]
    assert "kill -9" in recorded["error"] and "out-of-memory" in recorded["error"]
    assert len(metric_steps(run_dir)) == rows_at_kill >= 2

    progress = refresh(ctx, run_dir.name).progress
    assert "Failed" in progress and "is gone without recording how it ended" in progress
    assert last_log_line(run_dir).startswith("step ") and last_log_line(run_dir) in progress  # the log tail
    shown = run_cli("show", run_dir.name, "--runs-dir", str(tmp_path))
    assert "state      failed" in shown.stdout and "kill -9" in shown.stdout


@pytest.mark.slow
def test_a_reader_sees_the_death_at_once_even_before_the_watcher(tmp_path, trainers):
    run_dir = new_run(tmp_path, steps=500)
    proc = start_detached_fake(run_dir)
    trainers.append(proc.pid)
    wait_for(lambda: len(metric_steps(run_dir)) >= 1, what="a metric row")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    status = Storage(tmp_path).status(run_dir.name)  # no runner: nothing watches this one
    assert status["state"] == "failed" and status["error"] == runs.gone_error(proc.pid)
    assert runs.read_status_file(run_dir)["state"] == "failed"  # and the verdict is saved


# --- 2. an app restarted mid-run (fast part; the real one is below) --------------------------

@pytest.mark.slow
def test_a_new_app_adopts_a_run_on_sight_and_stops_it_with_a_checkpoint(tmp_path, trainers):
    run_dir = new_run(tmp_path, steps=500)
    proc = start_detached_fake(run_dir, delay=0.05)
    trainers.append(proc.pid)
    wait_for(lambda: runs.active_run(tmp_path) == run_dir.name, what="the trainer's lock")
    ctx = make_ctx(tmp_path)
    assert ctx.runner.in_progress() == run_dir.name
    with pytest.raises(RunnerError, match=f"a run is already in progress: {run_dir.name}"):
        ctx.runner.start("tiny", {"ppo.steps": 2})
    wait_for(lambda: len(metric_steps(run_dir)) >= 2, what="metric rows")
    assert "Stopping run" in ctx.runner.stop()
    assert proc.wait(timeout=30) == 0
    status = ctx.storage.status(run_dir.name)
    assert status["state"] == "stopped" and status["error"] is None
    assert runs.list_checkpoints(run_dir) == [f"step-{status['step']}"]
    wait_for(lambda: not ctx.runner._watched, timeout=HEALTH_POLL_S + 5, what="the watcher to finish")
    assert runs.read_status_file(run_dir)["state"] == "stopped"  # it did not overwrite the stop


# --- 3. NaN loss -----------------------------------------------------------------------------

@pytest.fixture
def in_process_trainer():
    with trainer_in_this_process():
        yield


def test_a_nan_reward_fails_the_run_with_a_message(tmp_path, monkeypatch, in_process_trainer):
    """The real tiny trainer, in this process, with a reward model that answers NaN."""
    import torch

    from engine import reward, train

    def nan_scorer(self, reward_input):
        return lambda queries, responses, ids: (torch.full((len(responses),), float("nan")), None)

    monkeypatch.setattr(reward.RewardModel, "score_fn", nan_scorer)
    runs_dir = tmp_path / "runs"
    assert train.main(["--preset", "tiny", "--steps", "3", "--runs-dir", str(runs_dir)]) == 1
    (run_dir,) = [p for p in runs_dir.iterdir() if p.is_dir()]
    status = runs.read_status(run_dir)
    assert status["state"] == "failed"
    assert status["error"].startswith("NonFiniteError: step 1: env/reward_mean")
    assert "became non-finite" in status["error"] and "try a lower learning rate" in status["error"]
    assert runs.active_run(runs_dir) is None and not (runs_dir / runs.LOCK_FILE).exists()
    assert metric_steps(run_dir) == []  # nothing non-finite was written as a metric

    progress = refresh(make_ctx(runs_dir), run_dir.name).progress
    assert "Failed" in progress and "became non-finite" in progress
    assert "the end of train.log" in progress and "NonFiniteError" in progress.split("<pre")[1]


# --- 4. unwritable or full runs folder -------------------------------------------------------

def test_a_runs_folder_under_a_file_is_refused_before_anything_starts(tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    runs_dir = tmp_path / "a-file" / "runs"
    ctx = make_ctx(runs_dir)
    with pytest.raises(RunnerError, match=f"runs folder {runs_dir} is not writable: Not a directory"):
        ctx.runner.start("tiny", {"ppo.steps": 2})
    assert ctx.runner.in_progress() is None
    h = TrainHandlers(ctx)
    with pytest.warns(UserWarning, match="not writable"):  # gr.Warning outside a request
        message, picker, _ = h.start("tiny", {"ppo.steps": 2})
    assert "Cannot start the run: runs folder" in message and picker == gr.skip()
    # The app still opens: a banner says why nothing can train, Start is greyed out under it,
    # refresh shows an idle page and keeps Start greyed out.
    with pytest.warns(UserWarning, match="cannot read runs folder"):
        _, note, picker, _, _, start = h.page_loaded()
    assert "Training cannot start here" in note and "Not a directory" in note and "--runs-dir" in note
    assert picker["choices"] == [] and start["interactive"] is False
    first = h.refresh(None, [], [], {})
    assert "No run yet" in first.progress and first.start["interactive"] is False
    assert h.refresh(None, [], [], first.view).start == gr.skip()  # unchanged: still greyed out
    assert (tmp_path / "a-file").read_text() == "not a folder"


def test_a_full_disk_is_refused_with_the_numbers(tmp_path, monkeypatch):
    real = runs.shutil.disk_usage
    monkeypatch.setattr(runs.shutil, "disk_usage", lambda path: real(path)._replace(free=50 * 2**20))
    ctx = make_ctx(tmp_path / "runs")
    with pytest.raises(RunnerError, match=r"almost full: 50 MB free, and a run needs at least 200 MB"):
        ctx.runner.start("tiny", {"ppo.steps": 2})
    assert not any(ctx.runs_dir.iterdir())  # no run folder, no lock, no probe file left
    now = [0.0]
    ctx.storage.clock = lambda: now[0]
    h = TrainHandlers(ctx)
    _, note, _, _, _, start = h.page_loaded()
    assert "Training cannot start here" in note and "50 MB free" in note and start["interactive"] is False
    view = h.refresh(None, [], [], {})
    assert view.start["interactive"] is False
    monkeypatch.setattr(runs.layout, "MIN_FREE_BYTES", 10 * 2**20)  # where check_writable reads it
    runs.check_writable(ctx.runs_dir)  # enough for a smaller minimum: no error
    # Refreshes reuse the answer for a few seconds (each check writes and fsyncs a file), then
    # ask again: Start comes back once the folder is usable.
    assert h.refresh(None, [], [], view.view).start == gr.skip()
    now[0] += WRITABLE_RECHECK_S + 1
    assert h.refresh(None, [], [], view.view).start["interactive"] is True
    _, note, _, _, _, start = h.page_loaded()
    assert note == "" and start == gr.skip()


def test_viewers_and_a_run_in_progress_do_not_check_the_runs_folder(tmp_path, monkeypatch):
    """The probe write costs an fsync: a refresh asks only when Start could be enabled."""
    ctx = make_ctx(tmp_path / "runs")
    asked = []
    monkeypatch.setattr(ctx.storage, "runs_dir_problem", lambda: asked.append(1))
    ctx.access = Access(hf_admins=frozenset({"owner"}))  # a visitor who is not signed in
    assert TrainHandlers(ctx).refresh(None, [], [], {}).start["interactive"] is False
    ctx.access = Access()
    monkeypatch.setattr(ctx.runner, "in_progress", lambda: "20250101-000000-tiny")
    running = TrainHandlers(ctx).refresh(None, [], [], {})
    assert running.start["interactive"] is False and running.stop["interactive"] is True
    assert asked == []


def test_build_app_with_an_unusable_runs_folder_does_not_crash(tmp_path):
    from dashboard.ui import build_app

    (tmp_path / "a-file").write_text("x")
    for runs_dir in ("/proc/detox-runs", str(tmp_path / "a-file" / "runs")):
        demo = build_app(runs_dir=runs_dir, preset="tiny")
        h = TrainHandlers(demo.dashboard)
        # listing a folder under a file warns too; a missing one is simply empty
        with pytest.warns(UserWarning) if "a-file" in runs_dir else contextlib.nullcontext():
            _, note, _, _, _, start = h.page_loaded()
        assert "Training cannot start here" in note and runs_dir in note and start["interactive"] is False
        view = h.refresh(None, [], [], {})
        assert "No run yet" in view.progress and view.start["interactive"] is False


@pytest.mark.slow
def test_the_cli_refuses_an_unwritable_runs_folder_before_loading_anything(tmp_path):
    (tmp_path / "a-file").write_text("x")
    done = subprocess.run([sys.executable, "-m", "engine.train", "--preset", "tiny", "--runs-dir",
                           str(tmp_path / "a-file" / "runs")], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2, done.stderr
    assert "is not writable: Not a directory" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.slow
def test_an_unreachable_hub_is_refused_in_seconds_with_the_tiny_fallback(tmp_path, monkeypatch):
    import huggingface_hub.constants

    from engine.config import preset as load_preset
    from engine.preflight import hub_problems

    # The CLI, with an empty cache and offline mode: exit 2 at once, nothing written.
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf")}
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "engine.train", "--preset", "seed", "--runs-dir",
                           str(tmp_path / "runs")], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and time.monotonic() - started < 30, done.stderr
    assert "Hub cannot be reached (offline mode is set)" in done.stderr and "'demo' preset" in done.stderr
    assert "model.policy = google/flan-t5-base" in done.stderr and "data.dataset = knkarthick/dialogsum" in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "runs").exists()

    # The dashboard's Start says the same, and nothing is written.
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hf" / "hub"))
    ctx = make_ctx(tmp_path / "dash-runs")
    with pytest.raises(RunnerError, match="Hub cannot be reached"):
        ctx.runner.start("seed", {})
    assert not (tmp_path / "dash-runs").exists() or not any((tmp_path / "dash-runs").iterdir())

    # What is in the cache is not listed: only what would need a download.
    for repo in ("models--google--flan-t5-base", "datasets--knkarthick--dialogsum"):
        (tmp_path / "hf" / "hub" / repo / "snapshots" / "0123abc").mkdir(parents=True)
    [problem] = hub_problems(load_preset("seed"))
    assert "flan-t5-base" not in problem and "dialogsum" not in problem and "roberta-hate" in problem


# --- 5. corrupt status.json and metrics.jsonl -------------------------------------------------

def corrupt_run(runs_dir: Path) -> tuple[Path, int]:
    """A finished run with a corrupt metrics line between good ones; returns (dir, its byte)."""
    run_dir = new_run(runs_dir, steps=3)
    runs.write_status(run_dir, state="finished", step=3)
    path = run_dir / runs.METRICS_FILE
    runs.append_jsonl(path, {"step": 1, "objective/kl": 0.1})
    bad_at = path.stat().st_size
    with open(path, "ab") as f:
        f.write(b'{"step": 2, "objective/kl": 0.\x00\n')
    runs.append_jsonl(path, {"step": 3, "objective/kl": 0.3})
    return run_dir, bad_at


@pytest.mark.slow
def test_a_corrupt_metrics_line_is_reported_not_fatal(tmp_path):
    run_dir, bad_at = corrupt_run(tmp_path)
    ctx = make_ctx(tmp_path)
    problems = ctx.storage.problems(run_dir.name)
    assert len(problems) == 1 and problems[0].startswith(f"metrics.jsonl line at byte {bad_at} is corrupt: ")
    out = refresh(ctx, run_dir.name)
    assert "Finished" in out.progress
    assert "files are damaged" in out.progress and f"metrics.jsonl line at byte {bad_at}" in out.progress
    assert list(out.kl.data[0].x) == [1, 3]  # the good rows still plotted

    shown = run_cli("show", run_dir.name, "--runs-dir", str(tmp_path))
    assert shown.returncode == 0 and "Traceback" not in shown.stderr
    assert f"warning    metrics.jsonl line at byte {bad_at} is corrupt" in shown.stdout
    assert "metrics    2 rows" in shown.stdout
    report = json.loads(run_cli("show", run_dir.name, "--runs-dir", str(tmp_path), "--json").stdout)
    assert report["problems"] == problems


@pytest.mark.slow
def test_a_corrupt_status_json_is_reported_not_fatal(tmp_path):
    run_dir, _ = corrupt_run(tmp_path)
    (run_dir / runs.STATUS_FILE).write_text('{"state": "runn')  # torn by hand: writes are atomic
    ctx = make_ctx(tmp_path)
    assert ctx.storage.status(run_dir.name)["state"] == "unknown"
    problems = ctx.storage.problems(run_dir.name)
    assert problems[0].startswith("status.json is corrupt: ") and "metrics.jsonl line" in problems[1]
    out = refresh(ctx, run_dir.name)
    assert 'data-state="unknown"' in out.progress and "status.json is corrupt" in out.progress
    assert len(out.kl.data[0].x) == 2

    shown = run_cli("show", run_dir.name, "--runs-dir", str(tmp_path))
    assert shown.returncode == 0 and "Traceback" not in shown.stderr
    assert "state      unknown" in shown.stdout and "error      status.json is corrupt" in shown.stdout
    listed = run_cli("list", "--runs-dir", str(tmp_path))
    assert listed.returncode == 0 and "unknown" in listed.stdout and "status.json is corrupt" in listed.stdout


def test_many_corrupt_lines_are_summarised_and_a_replaced_file_forgets_them(tmp_path):
    run_dir = new_run(tmp_path)
    path = run_dir / runs.METRICS_FILE
    path.write_bytes(b"garbage\n" * 300 + b'{"step": 1}\n')
    storage = Storage(tmp_path)
    assert [r["step"] for r in storage.metrics(run_dir.name)] == [1]
    problems = storage.problems(run_dir.name)
    assert len(problems) == runs.PROBLEMS_SHOWN
    assert problems[-1] == f"... and {300 - runs.PROBLEMS_SHOWN + 1} more problems like these"
    tmp = path.with_suffix(".new")
    tmp.write_text('{"step": 1}\n{"step": 2}\n')
    os.replace(tmp, path)  # a new file (another inode): its predecessor's problems are gone
    assert [r["step"] for r in storage.metrics(run_dir.name)] == [1, 2]
    assert storage.problems(run_dir.name) == []


# --- the served app: API and the real tiny trainer -------------------------------------------

@pytest.fixture(scope="module")
def served(served_app):
    demo, _, client = served_app
    return demo, client


@pytest.mark.slow
def test_api_refuses_to_start_on_a_full_disk(served, monkeypatch):
    demo, client = served
    before = client.predict(api_name="/list_runs")
    real = runs.shutil.disk_usage
    monkeypatch.setattr(runs.shutil, "disk_usage", lambda path: real(path)._replace(free=20 * 2**20))
    with pytest.raises(Exception, match="Cannot start the run: runs folder .* is almost full: 20 MB free"):
        client.predict(preset="tiny", steps=2, api_name="/start_run")
    assert client.predict(api_name="/list_runs") == before  # nothing was created


@pytest.mark.slow
def test_api_run_status_reports_file_problems(served):
    demo, client = served
    run_dir, bad_at = corrupt_run(demo.dashboard.runs_dir)
    result = client.predict(run_dir.name, api_name="/run_status")
    assert result["metric_rows"] == 2 and result["status"]["state"] == "finished"
    (problem,) = result["problems"]
    assert problem.startswith(f"metrics.jsonl line at byte {bad_at} is corrupt: ")


@pytest.mark.slow
def test_kill_9_of_a_real_trainer_shows_failed_with_sigkill_within_seconds(served, trainers):
    demo, client = served
    run_id = client.predict(preset="tiny", steps=2000, api_name="/start_run")["run_id"]
    run_dir = demo.dashboard.runs_dir / run_id
    trainers.append(trainer_pid(run_dir))
    wait_for(lambda: client.predict(run_id, api_name="/run_status")["metric_rows"] >= 2,
             timeout=120, what="2 metric rows", every=0.25)
    pid = runs.read_status_file(run_dir)["pid"]
    os.killpg(pid, signal.SIGKILL)
    rows_at_kill = len(metric_steps(run_dir))
    killed_at = time.monotonic()
    result = wait_for(lambda: (r := client.predict(run_id, api_name="/run_status"))["status"]["state"] == "failed"
                      and SIGKILL_TEXT in str(r["status"]["error"]) and r,
                      timeout=DEATH_NOTICED_S, what="run_status to say failed, SIGKILL", every=0.1)
    print(f"\nkill -9 shown as failed through the API after {time.monotonic() - killed_at:.2f} s")
    assert result["metric_rows"] >= rows_at_kill >= 2
    assert metric_steps(run_dir) == list(range(1, result["metric_rows"] + 1))

    # The Train tab of this app (its picker takes only the ids it listed to the browser).
    progress = refresh(demo.dashboard, run_id).progress
    assert "Failed" in progress and SIGKILL_TEXT in progress
    assert last_log_line(run_dir).startswith("20") and last_log_line(run_dir) in progress  # log tail at a glance
    shown = run_cli("show", run_id, "--runs-dir", str(demo.dashboard.runs_dir))
    assert "state      failed" in shown.stdout and SIGKILL_TEXT in shown.stdout


@pytest.mark.slow
def test_an_app_restarted_mid_run_reattaches_watches_and_stops_it(tmp_path, trainers):
    """App A (its own process) starts a real tiny run and dies; app B finds the run training,
    watches its rows grow, and stops it: checkpoint saved, state stopped."""
    from gradio_client import Client

    from dashboard.ui import free_port, serve_locally

    runs_dir = tmp_path / "runs"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DETOX_")}  # no auth, no caps
    env.update(DETOX_RUNS_DIR=str(runs_dir), DETOX_PRESET="tiny")  # as options, app.py would build twice
    app_a = subprocess.Popen([sys.executable, "app.py", "--port", str(port)], cwd=ROOT,
                             env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        client_a = wait_for(lambda: _connect(f"http://127.0.0.1:{port}/"), timeout=120, what="app A", every=0.5)
        run_id = client_a.predict(preset="tiny", steps=2000, api_name="/start_run")["run_id"]
        run_dir = runs_dir / run_id
        pid = trainer_pid(run_dir)
        trainers.append(pid)
        wait_for(lambda: len(metric_steps(run_dir)) >= 1, timeout=120, what="a metric row", every=0.2)
        app_a.terminate()  # the app goes away without stopping the run
        app_a.wait(timeout=30)
        assert runs.pid_alive(pid), "the trainer died with the app"

        with serve_locally(runs_dir) as (demo_b, url_b):
            client_b = Client(url_b, verbose=False)
            first = client_b.predict(api_name="/run_status")  # no id: the run in progress
            assert first["run_id"] == run_id and first["status"]["state"] == "running"
            later = wait_for(lambda: (r := client_b.predict(run_id, api_name="/run_status"))["metric_rows"]
                             > first["metric_rows"] and r, timeout=60, what="more rows", every=0.25)
            assert later["status"]["state"] == "running"
            progress, *_ = client_b.predict(None, [], ["Toxicity"], {}, api_name="/train_refresh")
            assert "Training" in progress
            with pytest.raises(Exception, match=f"a run is already in progress: {run_id}"):
                client_b.predict(preset="tiny", steps=2, api_name="/start_run")

            assert "Stopping run" in client_b.predict(api_name="/stop_run")["message"]
            final = wait_for(lambda: (r := client_b.predict(run_id, api_name="/run_status"))["status"]["state"]
                             == "stopped" and r, timeout=60, what="state stopped", every=0.25)
            assert final["checkpoints"][-1] == f"step-{final['status']['step']}"  # saved on stop
            assert final["metric_rows"] == final["status"]["step"] >= later["metric_rows"]
            wait_for(lambda: not runs.pid_alive(pid), timeout=30, what="the trainer to exit")
            assert client_b.predict(api_name="/list_runs")[0]["state"] == "stopped"
    finally:
        if app_a.poll() is None:
            os.killpg(app_a.pid, signal.SIGKILL)
            app_a.wait()


def _connect(url: str):
    from gradio_client import Client

    try:
        return Client(url, verbose=False)
    except Exception:  # not listening yet (httpx raises several kinds): poll again
        return None


# --- a full disk ---------------------------------------------------------------------------------

FULL_DISK_TRAINER = r'''
import errno, sys
from pathlib import Path
import engine.runs as runs, engine.runs.status as status, engine.train as train

full = {"now": False}
real_append, real_write = runs.append_jsonl, status.write_json_atomic

def append(path, row):
    # the disk fills up after two steps' metrics: every write fails from then on ...
    if Path(path).name == runs.METRICS_FILE and len(runs.read_metrics(Path(path).parent)) >= 2:
        full["now"] = True
    if full["now"]:
        raise OSError(errno.ENOSPC, "No space left on device")
    return real_append(path, row)

def write(path, data, *args, **kwargs):
    # ... except into the space the trainer set aside, once it gives it back
    if full["now"] and (Path(path).parent / runs.RESERVE_FILE).exists():
        raise OSError(errno.ENOSPC, "No space left on device")
    return real_write(path, data, *args, **kwargs)

runs.append_jsonl, status.write_json_atomic = append, write
sys.exit(train.main(["--preset", "tiny", "--steps", "6", "--runs-dir", sys.argv[1]]))
'''


@pytest.mark.slow
def test_a_full_disk_is_recorded_as_the_cause_by_the_trainer_itself(tmp_path):
    """ENOSPC injected: the trainer frees the space it set aside and records the disk, so
    nobody later takes the run for a kill -9 or an OOM."""
    done = subprocess.run([sys.executable, "-c", FULL_DISK_TRAINER, str(tmp_path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stderr[-2000:]
    (run_dir,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    status = runs.reconcile_status(run_dir)
    assert status["state"] == "failed"
    assert status["error"].startswith("the disk holding the run filled up after step 2 (No space left on device)")
    assert "killed" not in status["error"] and "Traceback" not in done.stderr
    assert not (run_dir / runs.RESERVE_FILE).exists() and len(runs.read_metrics(run_dir)) == 2


@pytest.mark.slow
def test_the_app_records_its_childs_end_once_the_disk_has_room_again(tmp_path, monkeypatch):
    """A child that died without a word while the disk was full: the app's first write fails,
    a reader meanwhile can only say "gone"; once space is back the app writes what only it
    knows (the exit code, the full disk) over that guess."""
    import errno

    import dashboard.runner as runner_module

    monkeypatch.setattr(runner_module, "RETRY_S", 0.1)
    storage = Storage(tmp_path)
    dies = "import sys, time; time.sleep(0.5); sys.exit(1)"
    runner = Runner(storage, [sys.executable, "-c", dies, "engine"])
    full = {"now": True}
    real_write = runs.write_status

    def write_status(run_dir, **fields):
        if full["now"] and "state" in fields:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(run_dir, **fields)

    monkeypatch.setattr(runs, "write_status", write_status)
    started = runner.start("tiny", {})
    wait_for(lambda: not storage.is_child(started.run_id), timeout=30, what="the child's end")
    assert runs.read_status_file(started.run_dir)["state"] in ("queued", "running")  # nothing could be written
    full["now"] = False
    status = wait_for(lambda: (s := runs.read_status_file(started.run_dir))["state"] == "failed" and s,
                      timeout=10, what="the end to be recorded when there is room")
    assert "exit code 1" in status["error"] and "disk holding the runs folder was full" in status["error"]


@pytest.fixture
def small_disk(tmp_path):
    """A 300 MB tmpfs, just above what a run needs free to start (skipped where mounting is not
    allowed: the injected-ENOSPC tests above cover the same logic)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=300m", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip() or done.returncode})")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(folder: Path) -> Path:
    """Write a file until the disk refuses (ENOSPC); the file is returned, to free the space."""
    filler = folder / "filler.bin"
    with contextlib.suppress(OSError), open(filler, "wb") as f:
        while True:
            f.write(b"\0" * (1 << 16))
            f.flush()
            os.fsync(f.fileno())
    return filler


@pytest.mark.slow
def test_a_run_on_a_disk_that_fills_up_says_so_after_space_returns(small_disk):
    runs_dir = small_disk / "runs"
    proc = subprocess.Popen([sys.executable, "-m", "engine.train", "--preset", "tiny", "--steps", "2000",
                             "--runs-dir", str(runs_dir), "--set", "run.save_every=0"], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        def started():
            assert proc.poll() is None, proc.stderr.read()[-2000:]
            return next((p for p in runs_dir.iterdir() if p.is_dir()), None) if runs_dir.exists() else None

        run_dir = wait_for(started, timeout=60, what="the run directory")
        wait_for(lambda: (run_dir / runs.METRICS_FILE).exists() and len(runs.read_metrics(run_dir)) >= 2,
                 timeout=120, what="two steps")
        filler = _fill(small_disk)
        assert proc.wait(timeout=120) == 1, proc.stderr.read()[-2000:]
    finally:
        if proc.poll() is None:
            proc.kill()
    filler.unlink()  # space is back: now anyone looks
    status = runs.reconcile_status(run_dir)
    assert status["state"] == "failed" and "disk holding the run filled up" in status["error"], status
    assert "killed" not in status["error"]


# --- a frozen trainer ---------------------------------------------------------------------------

def _frozen_run(tmp_path, **runner_args):
    """A fake run, SIGSTOPped after a few steps: its status stops moving, its process lives."""
    from dashboard import health

    storage = Storage(tmp_path / "runs")
    runner = Runner(storage, [sys.executable, str(FAKE), "--as", "engine.train", "--delay", "0.05"],
                    **runner_args)
    started = runner.start("tiny", {"ppo.steps": 400}, thresholds=health.Thresholds(stall_min_s=0.5))
    wait_for(lambda: len(storage.metrics(started.run_id)) >= 3, timeout=30, what="three steps")
    pid = runs.read_status_file(started.run_dir)["pid"]
    os.killpg(pid, signal.SIGSTOP)
    return storage, runner, started


@pytest.mark.slow
def test_a_frozen_trainer_is_called_stalled_and_a_second_stop_kills_it(tmp_path):
    storage, runner, started = _frozen_run(tmp_path, stop_grace_s=60)
    try:
        alerts = wait_for(lambda: storage.snapshot(started.run_id).alerts, timeout=10, what="the stall alert")
        assert alerts[0].kind == "stalled" and "trainer looks frozen" in alerts[0].message
        shown = run_cli_show(storage.runs_dir, started.run_id, DETOX_STALL_S="0.5")
        assert "stalled    no sign of life for" in shown
        first = runner.stop(started.run_id)
        assert "it looks frozen" in first and "press Stop again to kill it now" in first
        assert "killed now" in runner.stop(started.run_id)
        status = wait_for(lambda: (s := storage.status(started.run_id))["state"] == "stopped" and s,
                          timeout=20, what="the forced stop to be recorded")
        assert status["error"] == ("stopped by force (SIGKILL): it was stalled and Stop was pressed again; "
                                   "it saved no checkpoint")
        assert runner.in_progress() is None  # the lock is free: a new run may start
    finally:
        runner.terminate_all(timeout=10)


@pytest.mark.slow
def test_a_stop_that_is_not_answered_is_escalated_after_the_grace_period(tmp_path):
    storage, runner, started = _frozen_run(tmp_path, stop_grace_s=1.0)
    try:
        assert "Stopping run" in runner.stop(started.run_id)
        again = runner.stop(started.run_id) if not runs.stall_seconds(storage.status(started.run_id),
                                                                      storage.metrics(started.run_id), min_s=0.5) \
            else "skipped"
        assert again == "skipped" or "already stopping" in again
        status = wait_for(lambda: (s := storage.status(started.run_id))["state"] == "stopped" and s,
                          timeout=20, what="the kill after the grace period")
        assert status["error"].startswith("stopped by force (SIGKILL): it did not stop within 1 s of SIGTERM")
    finally:
        runner.terminate_all(timeout=10)


def run_cli_show(runs_dir: Path, run_id: str, **env: str) -> str:
    done = subprocess.run([sys.executable, "-m", "engine.runs", "show", run_id, "--runs-dir", str(runs_dir)],
                          cwd=ROOT, capture_output=True, text=True, timeout=60, env={**os.environ, **env})
    assert done.returncode == 0, done.stderr
    return done.stdout
