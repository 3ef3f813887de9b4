"""`python -m engine.train` end to end: the run-directory contract, signals, kills, errors."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from engine import runs
from engine.runs import TrainingLock, read_metrics, read_status
from tests.conftest import ROOT

pytestmark = pytest.mark.slow  # every test here starts the real trainer


def cli(*args, **kwargs):
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, **kwargs)


def start_training(runs_dir, *extra):
    return subprocess.Popen([sys.executable, "-m", "engine.train", "--preset", "tiny", "--runs-dir", str(runs_dir),
                             *extra], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def only_run(runs_dir):
    dirs = [p for p in runs_dir.iterdir() if p.is_dir()]
    assert len(dirs) == 1, dirs
    return dirs[0]


def wait_for_rows(run_dir, n, proc, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (run_dir / runs.METRICS_FILE).exists() and len(read_metrics(run_dir)) >= n:
            return
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.2)
    raise AssertionError(f"no {n} metric rows within {timeout} s")


def wait_for_run_dir(runs_dir, proc, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        dirs = [p for p in runs_dir.iterdir() if p.is_dir()] if runs_dir.exists() else []
        if dirs:
            return dirs[0]
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.1)
    raise AssertionError("no run directory")


def test_tiny_run_writes_the_whole_run_directory_then_lists_and_evaluates(tmp_path):
    runs_dir = tmp_path / "runs"
    done = cli("engine.train", "--preset", "tiny", "--steps", "8", "--runs-dir", str(runs_dir))
    assert done.returncode == 0, done.stderr
    run_dir = only_run(runs_dir)
    assert f"run directory: {run_dir}" in done.stdout
    rows = read_metrics(run_dir)
    assert [r["step"] for r in rows] == list(range(1, 9))
    assert rows[0]["objective/kl"] == 0.0
    for key in ("objective/kl", "objective/kl_coef", "objective/entropy", "ppo/mean_scores", "ppo/returns/mean",
                "ppo/policy/advantages_mean", "ppo/loss/policy", "ppo/loss/value", "ppo/loss/total",
                "ppo/policy/clipfrac", "ppo/policy/approxkl", "ppo/val/vpred", "ppo/val/clipfrac",
                "env/reward_mean", "env/reward_std", "env/toxicity_mean", "tokens/response_len_mean",
                "time/rollout", "time/score", "time/forward", "time/update", "time/step", "step"):
        assert isinstance(rows[-1][key], (int, float)), key
    status = read_status(run_dir)
    assert (status["state"], status["step"], status["total_steps"], status["error"]) == ("finished", 8, 8, None)
    assert status["device"].startswith("cpu")
    assert (run_dir / "final" / "adapter_model.safetensors").is_file()
    assert (run_dir / "final" / "value_head.safetensors").is_file()
    assert runs.list_checkpoints(run_dir) == ["step-4", "final"]
    config = json.loads((run_dir / "config.json").read_text())
    assert config["preset"] == "tiny" and config["ppo"]["steps"] == 8
    samples = runs.read_samples(run_dir)
    assert {s["step"] for s in samples} == set(range(1, 9))
    assert set(samples[0]) == {"step", "query", "response", "reward"}
    assert "step 8/8" in (run_dir / "train.log").read_text()

    listed = cli("engine.runs", "list", "--runs-dir", str(runs_dir), "--json")
    assert listed.returncode == 0, listed.stderr
    (entry,) = json.loads(listed.stdout)
    assert entry["run_id"] == run_dir.name and entry["state"] == "finished"

    evaluated = cli("engine.evaluate", run_dir.name, "--runs-dir", str(runs_dir), "--samples", "6",
                    "--samples-per-prompt", "2")
    assert evaluated.returncode == 0, evaluated.stderr
    assert "toxicity [mean, std] before detox" in evaluated.stdout
    assert "change [paired 95% CI]" in evaluated.stdout
    result = json.loads((run_dir / "evaluation.json").read_text())
    assert result["prompts"] == 6 and len(result["rows"]) == 12 and result["checkpoint"] == "final"
    assert {"rouge1", "rouge2", "rougeL", "distinct_2", "degenerate_share"} <= set(result["quality"]["before"])


def test_held_out_rows_are_written_at_the_right_steps_and_do_not_change_training(tmp_path):
    """eval.jsonl before the first step, every run.eval_every steps and at the end; the training
    numbers are those of a run without it (the evaluation draws from its own random stream)."""
    with_eval = cli("engine.train", "--preset", "tiny", "--runs-dir", str(tmp_path / "a"), "--set",
                    "run.eval_every=3", "--set", "run.eval_size=4")
    without = cli("engine.train", "--preset", "tiny", "--runs-dir", str(tmp_path / "b"))
    assert with_eval.returncode == 0 and without.returncode == 0, with_eval.stderr + without.stderr
    a, b = only_run(tmp_path / "a"), only_run(tmp_path / "b")
    rows = runs.read_eval(a)
    assert [r["step"] for r in rows] == [0, 3, 6, 8]
    assert not (b / runs.EVAL_FILE).exists()
    for row in rows:
        assert row["prompts"] == 4 and len(row["samples"]) == 4
        assert set(row["toxicity"]) == {"reward model", "profanity-check"}
        assert row["toxicity"]["reward model"] == pytest.approx(
            sum(s["toxicity"]["reward model"] for s in row["samples"]) / 4)
        assert row["reward_mean"] == pytest.approx(sum(s["reward"] for s in row["samples"]) / 4)
    # the same prompts each time: the stress set's first four dialogues
    assert [s["query"] for s in rows[0]["samples"]] == [s["query"] for s in rows[-1]["samples"]]
    metrics_a, metrics_b = read_metrics(a), read_metrics(b)
    assert [m["time/eval"] > 0 for m in metrics_a] == [s in (1, 3, 6, 8) for s in range(1, 9)]
    for ma, mb in zip(metrics_a, metrics_b):
        assert {k: v for k, v in ma.items() if not k.startswith("time/")} == \
               {k: v for k, v in mb.items() if not k.startswith("time/")}
    assert "held-out evaluation every 3 steps on 4 prompts (stress), judges: profanity-check" in \
        (a / runs.LOG_FILE).read_text()
    # ... and the Train tab charts them
    from tests.dashboard_helpers import make_ctx
    from dashboard.train_tab import TrainHandlers

    view = TrainHandlers(make_ctx(a.parent)).refresh(a.name, [], [], {})
    chart = {trace.name: trace for trace in view.held_out.data}
    assert list(chart["profanity-check"].x) == [0, 3, 6, 8]
    assert list(chart["reward model"].y) == pytest.approx([r["toxicity"]["reward model"] for r in rows])


def test_sigterm_saves_a_checkpoint_and_marks_the_run_stopped(tmp_path):
    runs_dir = tmp_path / "runs"
    proc = start_training(runs_dir, "--steps", "500", "--set", "run.save_every=0")
    run_dir = wait_for_run_dir(runs_dir, proc)
    wait_for_rows(run_dir, 2, proc)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    status = read_status(run_dir)
    assert status["state"] == "stopped"
    n = len(read_metrics(run_dir))
    assert 2 <= n < 500 and status["step"] == n
    assert runs.list_checkpoints(run_dir) == [f"step-{n}"]
    assert not (run_dir.parent / runs.LOCK_FILE).exists()


def test_a_killed_trainer_is_reported_failed_and_keeps_its_metrics(tmp_path):
    runs_dir = tmp_path / "runs"
    proc = start_training(runs_dir, "--steps", "500")
    run_dir = wait_for_run_dir(runs_dir, proc)
    wait_for_rows(run_dir, 1, proc)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert json.loads((run_dir / "status.json").read_text())["state"] == "running"  # what it last wrote
    status = read_status(run_dir)
    assert status["state"] == "failed" and "is gone" in status["error"]
    assert len(read_metrics(run_dir)) >= 1
    shown = cli("engine.runs", "show", run_dir.name, "--runs-dir", str(runs_dir))
    assert shown.returncode == 0 and "failed" in shown.stdout
    # the dead trainer's lock does not block the next run
    assert runs.active_run(runs_dir) is None


def test_invalid_settings_exit_2_with_a_message_and_write_nothing(tmp_path):
    runs_dir = tmp_path / "runs"
    done = cli("engine.train", "--preset", "tiny", "--runs-dir", str(runs_dir), "--set", "ppo.learning_rate=5",
               "--set", "ppo.mini_batch_size=3")
    assert done.returncode == 2
    assert "error: invalid settings" in done.stderr and "learning rate" in done.stderr
    assert "mini-batch size (3) must divide batch size (8)" in done.stderr
    assert "Traceback" not in done.stderr
    assert not runs_dir.exists() or not any(runs_dir.iterdir())
    unknown = cli("engine.train", "--preset", "huge", "--runs-dir", str(runs_dir))
    assert unknown.returncode == 2 and "unknown preset 'huge'" in unknown.stderr


def test_a_second_run_is_refused_while_one_holds_the_lock(tmp_path):
    runs_dir = tmp_path / "runs"
    runs_dir.mkdir()
    with TrainingLock(runs_dir, "20260101T000000Z-tiny-abcd"):
        done = cli("engine.train", "--preset", "tiny", "--runs-dir", str(runs_dir))
    assert done.returncode == 2 and "a run is already in progress" in done.stderr
    assert not [p for p in runs_dir.iterdir() if p.is_dir()]


def test_an_error_during_the_run_marks_it_failed_with_the_message(tmp_path):
    # A dtype nobody knows: the preflight reads names, shapes and sizes, so the loader is the one to
    # fail, with a typed error (a damaged weights file is a bad model, not a bug: no traceback).
    reward = tmp_path / "reward"
    shutil.copytree(ROOT / "assets" / "tiny" / "reward", reward)
    weights = reward / "model.safetensors"
    weights.write_bytes(weights.read_bytes().replace(b'"dtype":"F32"', b'"dtype":"Q32"', 1))
    runs_dir = tmp_path / "runs"
    done = cli("engine.train", "--preset", "tiny", "--runs-dir", str(runs_dir), "--set", f"model.reward_model={reward}")
    assert done.returncode == 1
    status = read_status(only_run(runs_dir))
    assert status["state"] == "failed" and "unknown variant `Q32`" in status["error"]
    assert "unknown variant `Q32`" in done.stderr
    log_text = (only_run(runs_dir) / "train.log").read_text()
    assert "run failed: ModelError: cannot load" in log_text and "Traceback" not in log_text


def test_a_bug_during_the_run_marks_it_failed_and_leaves_its_traceback_in_the_log(tmp_path, monkeypatch):
    import engine.loading
    from engine.train import main as train_main
    from tests.dashboard_helpers import trainer_in_this_process

    def bug(*args, **kwargs):
        raise RuntimeError("a bug in the loader")

    monkeypatch.setattr(engine.loading, "load_config_models", bug)
    with trainer_in_this_process():
        assert train_main(["--preset", "tiny", "--runs-dir", str(tmp_path)]) == 1
    run_dir = only_run(tmp_path)
    status = read_status(run_dir)
    assert status["state"] == "failed" and "RuntimeError: a bug in the loader" in status["error"]
    log_text = (run_dir / "train.log").read_text()
    assert "Traceback" in log_text and 'raise RuntimeError("a bug in the loader")' in log_text


GATED_TRAINER = """
import pathlib, sys, time
import accelerate, engine.data, engine.models, engine.preflight, engine.train  # the slow part, before the gate
ready, gate = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
ready.touch()
while not gate.exists():
    time.sleep(0.002)
sys.exit(engine.train.main(sys.argv[3:]))
"""


def test_of_three_trainers_started_at_once_one_runs_and_the_others_leave_nothing(tmp_path):
    """Three `python -m engine.train` racing for one runs folder: each imports torch first, then
    all pass a gate together so they reach the lock within milliseconds of each other."""
    runs_dir, gate = tmp_path / "runs", tmp_path / "go"
    ready = [tmp_path / f"ready-{i}" for i in range(3)]
    procs = [subprocess.Popen([sys.executable, "-c", GATED_TRAINER, str(flag), str(gate), "--preset", "tiny",
                               "--steps", "2", "--runs-dir", str(runs_dir)],
                              cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for flag in ready]
    deadline = time.monotonic() + 120
    while not all(flag.exists() for flag in ready):
        assert time.monotonic() < deadline and all(p.poll() is None for p in procs), "a trainer did not start"
        time.sleep(0.05)
    gate.touch()
    results = [(proc.wait(timeout=300), *proc.communicate()) for proc in procs]
    codes = sorted(code for code, _, _ in results)
    assert codes == [0, 2, 2], [(code, err[-1000:]) for code, _, err in results]
    assert len([p for p in runs_dir.iterdir() if not p.name.startswith(".")]) == 1, list(runs_dir.iterdir())
    assert read_status(only_run(runs_dir))["state"] == "finished"
    for code, out, err in results:
        if code == 2:
            assert "error: a run is already in progress" in err and "Traceback" not in err
            assert "run directory" not in out  # no folder announced that then vanishes
