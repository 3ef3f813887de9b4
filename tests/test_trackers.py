"""Trackers (`run.report_to`): names and missing packages refused before anything is written,
the fan-out's failure rule, and tiny runs read back with each tracker's own reader."""

import json
import logging
import os
import subprocess
import sys

import pytest

from engine import runs, trackers
from engine.config import Config, ConfigError, resolve, validate
from engine.preflight import tracker_problems
from engine.trackers import Trackers, eval_metrics, open_trackers
from tests.conftest import ROOT

TRL_NAMES = ("objective/kl", "objective/kl_coef", "objective/entropy", "ppo/mean_scores", "ppo/returns/mean",
             "ppo/loss/policy", "ppo/loss/total", "ppo/policy/clipfrac", "env/reward_mean", "env/toxicity_mean",
             "tokens/response_len_mean", "time/step", "time/eval")
EVAL_NAMES = ("eval/reward_mean", "eval/toxicity/reward_model", "eval/toxicity/profanity-check")
TRACKER_MODULES = ("trackio", "tensorboard", "torch.utils.tensorboard", "wandb")

# engine.train's main in a fresh process, with some packages hidden from importlib's find_spec
# (as if not installed) and some trackers' methods made to fail; it prints the tracker modules
# the process imported.
TRAINER = """
import importlib.util, json, sys
hidden = set(json.loads(sys.argv[1]))
real_find_spec = importlib.util.find_spec
importlib.util.find_spec = lambda name, *a, **k: None if name in hidden else real_find_spec(name, *a, **k)
import engine.trackers
for adapter, method, step in json.loads(sys.argv[2]):
    def broken(self, row, at, _method=getattr(engine.trackers.ADAPTERS[adapter], method), _step=step):
        if at == _step:
            raise OSError("the tracker's disk went away")
        _method(self, row, at)
    setattr(engine.trackers.ADAPTERS[adapter], method, broken)
from engine.train import main
code = main(sys.argv[3:])
print("tracker modules:", json.dumps(sorted(m for m in %r if m in sys.modules)))
sys.exit(code)
""" % (TRACKER_MODULES,)


def train(runs_dir, *settings, hidden=(), broken=(), steps=2, env=None):
    """A tiny run with `--set` settings: (completed process, tracker modules it imported)."""
    argv = ["--preset", "tiny", "--steps", str(steps), "--runs-dir", str(runs_dir)]
    for setting in settings:
        argv += ["--set", setting]
    done = subprocess.run([sys.executable, "-c", TRAINER, json.dumps(list(hidden)), json.dumps(list(broken)), *argv],
                          cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    imported = [json.loads(line.split(":", 1)[1]) for line in done.stdout.splitlines()
                if line.startswith("tracker modules:")]
    return done, imported[0] if imported else None


def only_run(runs_dir):
    (run_dir,) = [p for p in runs_dir.iterdir() if p.is_dir() and not p.name.startswith(".")]
    return run_dir


# --- settings and refusals -------------------------------------------------------------------

def test_report_to_is_a_comma_list_and_unknown_names_are_refused_listing_the_allowed():
    assert resolve("tiny").run.report_to == []
    assert resolve("tiny", ["run.report_to=trackio,tensorboard"]).run.report_to == ["trackio", "tensorboard"]
    assert resolve("tiny", ["run.report_to=trackio"]).run.report_to == ["trackio"]
    assert resolve("tiny", ["run.report_to="]).run.report_to == []
    with pytest.raises(ConfigError, match="run.report_to: unknown tracker mlflow; choose among trackio, "
                                          "tensorboard, wandb"):
        resolve("tiny", ["run.report_to=trackio,mlflow"])
    with pytest.raises(ConfigError, match="run.report_to: expected a list of names"):
        resolve("tiny", {"run.report_to": "trackio"})
    config = resolve("tiny").to_dict()
    config["run"]["report_to"] = "trackio"
    with pytest.raises(ConfigError, match="run.report_to must be a list of tracker names"):
        validate(Config.from_dict(config))


def test_a_missing_tracker_package_is_named_with_its_pip_command(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "trackio" else real(name, *a))
    cfg = resolve("tiny", ["run.report_to=tensorboard,trackio"])
    assert tracker_problems(cfg) == ['run.report_to: "trackio" needs the trackio package: pip install trackio']


def test_a_folder_named_like_the_package_is_not_the_package(tmp_path, monkeypatch):
    """`./wandb` left by an earlier run is importable as a namespace package; it is not wandb."""
    (tmp_path / "wandb").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert tracker_problems(resolve("tiny", ["run.report_to=wandb"])) == [
        'run.report_to: "wandb" needs the wandb package: pip install wandb']


@pytest.mark.slow
def test_the_trainer_refuses_a_missing_tracker_package_with_exit_2_and_writes_nothing(tmp_path):
    runs_dir = tmp_path / "runs"
    done, imported = train(runs_dir, "run.report_to=tensorboard,wandb", hidden=["wandb"])
    assert done.returncode == 2, done.stderr
    assert ('error: a tracker cannot be used:\n  - run.report_to: "wandb" needs the wandb package: '
            'pip install wandb') in done.stderr
    assert "Traceback" not in done.stderr and "tensorboard" not in done.stderr.split("cannot be used")[1]
    assert not runs_dir.exists()
    assert imported == []  # refused before any tracker was imported


# --- the fan-out -----------------------------------------------------------------------------

class Recorder:
    """A tracker that records its calls and raises at the call named by `fail`."""

    def __init__(self, name, fail=None):
        self.name, self.fail, self.calls = name, fail, []

    def _call(self, what, *args):
        self.calls.append((what, *args))
        if self.fail == (what, *args[1:]):
            raise ValueError(f"{self.name} broke")

    def log(self, row, step):
        self._call("log", row, step)

    def log_samples(self, rows, step):
        self._call("log_samples", rows, step)

    def finish(self):
        self._call("finish")


def test_a_failing_tracker_is_logged_once_with_its_traceback_and_switched_off(caplog):
    good, bad = Recorder("good"), Recorder("bad", fail=("log", 2))
    fanout = Trackers([bad, good])
    sample = [{"step": 1, "query": "q", "response": "r", "reward": 0.5}]
    with caplog.at_level(logging.INFO, logger="engine.trackers"):
        for step in (1, 2, 3):
            fanout.log({"objective/kl": 0.25, "step": step, "device": "cpu", "flag": True, "n": 3}, step)
            fanout.log_samples(sample, step)
            fanout.log_samples([], step)  # nothing to send: not sent
        fanout.finish()
    row = {"objective/kl": 0.25, "n": 3.0}  # numbers only; the step is the x axis, not a metric
    assert bad.calls == [("log", row, 1), ("log_samples", sample, 1), ("log", row, 2)]
    assert good.calls == [call for step in (1, 2, 3) for call in (("log", row, step), ("log_samples", sample, step))] \
        + [("finish",)]
    (record,) = caplog.records
    assert record.levelno == logging.ERROR and record.exc_info[0] is ValueError
    assert "tracker bad failed (log) and is switched off; training goes on" in record.getMessage()
    assert fanout.active == []


def test_a_tracker_that_cannot_start_is_logged_and_left_out(tmp_path, monkeypatch, caplog):
    def refuses(cfg, run_dir):
        raise RuntimeError("no network")

    monkeypatch.setitem(trackers.ADAPTERS, "wandb", refuses)
    monkeypatch.setitem(trackers.ADAPTERS, "tensorboard", lambda cfg, run_dir: Recorder("tensorboard"))
    with caplog.at_level(logging.ERROR, logger="engine.trackers"):
        fanout = open_trackers(resolve("tiny", ["run.report_to=wandb,tensorboard,tensorboard"]), tmp_path)
    assert [t.name for t in fanout.active] == ["tensorboard"]  # named twice, started once
    (record,) = caplog.records
    assert "tracker wandb could not start; training goes on without it" in record.getMessage()
    assert "no network" in caplog.text
    assert fanout.failed == {"wandb": "could not start: RuntimeError: no network"}


def test_failed_trackers_are_reported_and_said_by_runs_show_and_the_train_tab(tmp_path, monkeypatch, capsys):
    from dashboard.train_tab import progress_html
    from engine.runs.__main__ import main as runs_main
    from engine.train import tracker_recorder

    def refuses(cfg, run_dir):
        raise RuntimeError("no network")

    monkeypatch.setitem(trackers.ADAPTERS, "wandb", refuses)
    monkeypatch.setitem(trackers.ADAPTERS, "tensorboard", lambda cfg, run_dir: Recorder("tensorboard", ("log", 2)))
    run_dir = runs.create_run(tmp_path, resolve("tiny").to_dict(), "tiny")
    fanout = open_trackers(resolve("tiny", ["run.report_to=wandb,tensorboard"]), run_dir, tracker_recorder(run_dir))
    assert runs.read_status_file(run_dir)[runs.TRACKERS_FAILED_KEY] == {
        "wandb": "could not start: RuntimeError: no network"}  # recorded at the start, not at the end
    fanout.log({"objective/kl": 0.1}, 1)
    fanout.log({"objective/kl": 0.1}, 2)
    status = runs.read_status_file(run_dir)
    assert set(status[runs.TRACKERS_FAILED_KEY]) == {"wandb", "tensorboard"}
    said = runs.tracker_warning(status)
    assert "wandb could not start: RuntimeError: no network" in said
    assert "tensorboard failed (log) and was switched off: ValueError: tensorboard broke" in said
    assert runs_main(["show", "--runs-dir", str(tmp_path), run_dir.name]) == 0
    assert "trackers   tracker wandb could not start" in capsys.readouterr().out
    shown = progress_html(run_dir.name, status, [], [], {})
    assert "detox-tracker-failed" in shown and "wandb could not start" in shown
    assert runs.tracker_warning({}) is None


def test_eval_rows_become_eval_metrics():
    row = {"step": 3, "prompts": 4, "reward_mean": 1.5, "reward_std": 0.5, "length_mean": 12.0, "distinct_2": 0.9,
           "degenerate_share": 0.0, "time": 0.4, "toxicity": {"reward model": 0.2, "profanity-check": None},
           "samples": [{"query": "q"}]}
    assert eval_metrics(row) == {"eval/reward_mean": 1.5, "eval/reward_std": 0.5, "eval/length_mean": 12.0,
                                 "eval/distinct_2": 0.9, "eval/degenerate_share": 0.0,
                                 "eval/toxicity/reward_model": 0.2}


# --- tiny runs, read back with each tracker's reader -------------------------------------------

@pytest.mark.slow
def test_tensorboard_gets_every_metric_row_eval_row_and_the_samples(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    runs_dir = tmp_path / "runs"
    done, imported = train(runs_dir, "run.report_to=tensorboard", "run.eval_every=1", "run.eval_size=2")
    assert done.returncode == 0, done.stderr[-3000:]
    assert imported == ["tensorboard", "torch.utils.tensorboard"]  # trackio and wandb: not asked, not imported
    run_dir = only_run(runs_dir)
    events = EventAccumulator(str(run_dir / trackers.TENSORBOARD_DIR))
    events.Reload()
    tags = events.Tags()
    assert set(TRL_NAMES + EVAL_NAMES) <= set(tags["scalars"])
    assert "step" not in tags["scalars"]
    rows = runs.read_metrics(run_dir)
    assert [(e.step, e.value) for e in events.Scalars("env/reward_mean")] == [
        (r["step"], pytest.approx(r["env/reward_mean"])) for r in rows]
    assert [e.step for e in events.Scalars("eval/toxicity/reward_model")] == [0, 1, 2]
    assert tags["tensors"] == ["samples/text_summary"]
    table = events.Tensors("samples/text_summary")
    assert [t.step for t in table] == [1, 2]
    text = table[-1].tensor_proto.string_val[0].decode()
    assert text.startswith("| step | query | response | reward |")
    assert len(text.splitlines()) == 2 + len([s for s in runs.read_samples(run_dir) if s["step"] == 2])


@pytest.mark.slow
def test_trackio_stores_the_run_beside_the_runs_and_its_own_api_reads_it_back(tmp_path):
    runs_dir = tmp_path / "runs"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKIO_")}  # local mode, default folder
    done, imported = train(runs_dir, "run.report_to=trackio", "run.eval_every=1", "run.eval_size=2", env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert imported == ["trackio"]
    run_dir = only_run(runs_dir)
    store = runs_dir / trackers.TRACKIO_DIR
    assert (store / f"{trackers.PROJECT}.db").is_file()
    assert f"trackio: project detox, run {run_dir.name}, in {store}" in (run_dir / runs.LOG_FILE).read_text()
    assert [r["run_id"] for r in runs.list_runs(runs_dir)] == [run_dir.name]  # the store is no run

    reader = ("import json, sys, trackio; from trackio.sqlite_storage import SQLiteStorage; "
              "project, name = sys.argv[1:]; (run,) = trackio.Api().runs(project); "
              "print(json.dumps({'name': run.name, 'config': run.config, "
              "'logs': SQLiteStorage.get_logs(project, name)}, default=str))")
    read = subprocess.run([sys.executable, "-c", reader, trackers.PROJECT, run_dir.name], capture_output=True,
                          text=True, timeout=120, env={**env, "TRACKIO_DIR": str(store)})
    assert read.returncode == 0, read.stderr
    stored = json.loads(read.stdout)
    assert stored["name"] == run_dir.name and stored["config"]["ppo"]["steps"] == 2
    logs = stored["logs"]
    metric_rows = [r for r in logs if "objective/kl" in r]
    assert [r["step"] for r in metric_rows] == [1, 2] and set(TRL_NAMES) <= set(metric_rows[0])
    assert [r["env/reward_mean"] for r in metric_rows] == pytest.approx(
        [r["env/reward_mean"] for r in runs.read_metrics(run_dir)])
    assert [r["step"] for r in logs if "eval/reward_mean" in r] == [0, 1, 2]
    assert set(EVAL_NAMES) <= {k for r in logs for k in r}
    tables = [r for r in logs if "samples" in r]
    assert [r["step"] for r in tables] == [1, 2] and tables[0]["samples"]["_type"] == "trackio.table"
    assert tables[0]["samples"]["_value"][0]["query"] == runs.read_samples(run_dir)[0]["query"]


@pytest.mark.slow
def test_trackio_keeps_reporting_from_the_second_run_in_a_runs_folder(tmp_path):
    """The first run makes runs/.trackio; every later run finds it there (a path that once
    called a function engine.runs does not export, and went on without trackio, exit code 0)."""
    runs_dir = tmp_path / "runs"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKIO_")}
    for _ in range(2):
        done, _ = train(runs_dir, "run.report_to=trackio,tensorboard", steps=1, env=env)
        assert done.returncode == 0, done.stderr[-3000:]
    run_dirs = sorted(p for p in runs_dir.iterdir() if p.is_dir() and not p.name.startswith("."))
    assert len(run_dirs) == 2
    for run_dir in run_dirs:
        assert "could not start" not in (run_dir / runs.LOG_FILE).read_text()
        assert runs.TRACKERS_FAILED_KEY not in runs.read_status_file(run_dir)
    reader = "import json, trackio; print(json.dumps(sorted(r.name for r in trackio.Api().runs('detox'))))"
    read = subprocess.run([sys.executable, "-c", reader], capture_output=True, text=True, timeout=120,
                          env={**env, "TRACKIO_DIR": str(runs_dir / trackers.TRACKIO_DIR)})
    assert read.returncode == 0, read.stderr
    assert json.loads(read.stdout) == [p.name for p in run_dirs]


@pytest.mark.slow
def test_a_tracker_failing_mid_run_is_logged_and_the_run_goes_on(tmp_path):
    runs_dir = tmp_path / "runs"
    done, _ = train(runs_dir, "run.report_to=tensorboard", broken=[("tensorboard", "log", 2)], steps=3)
    assert done.returncode == 0, done.stderr[-3000:]
    run_dir = only_run(runs_dir)
    assert runs.read_status(run_dir)["state"] == "finished"
    assert [r["step"] for r in runs.read_metrics(run_dir)] == [1, 2, 3]  # the run directory has every row
    assert {s["step"] for s in runs.read_samples(run_dir)} == {1, 2, 3}
    log_text = (run_dir / runs.LOG_FILE).read_text()
    assert log_text.count("tracker tensorboard failed (log) and is switched off") == 1
    assert "Traceback" in log_text and "OSError: the tracker's disk went away" in log_text

    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(run_dir / trackers.TENSORBOARD_DIR))
    events.Reload()
    assert [e.step for e in events.Scalars("objective/kl")] == [1]  # switched off at step 2


@pytest.mark.slow
def test_wandb_offline_writes_its_run_into_the_run_directory(tmp_path):
    """Skipped where wandb is not installed (it is not in requirements-test.txt). Offline runs
    are read by `wandb sync`, not by a local reader: the test finds the sample tables wandb
    wrote per step and the metric names in its run file."""
    pytest.importorskip("wandb")
    runs_dir = tmp_path / "runs"
    env = {**os.environ, "WANDB_MODE": "offline", "WANDB_SILENT": "true"}
    done, imported = train(runs_dir, "run.report_to=wandb", env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert imported == ["wandb"]
    run_dir = only_run(runs_dir)
    (offline,) = (run_dir / "wandb").glob("offline-run-*")
    tables = sorted((offline / "files" / "media" / "table").glob("samples_*.table.json"))
    assert [p.name.split("_")[1] for p in tables] == ["1", "2"]
    assert json.loads(tables[0].read_text())["columns"] == list(trackers.SAMPLE_COLUMNS)
    (history,) = offline.glob("run-*.wandb")
    assert all(name.encode() in history.read_bytes() for name in TRL_NAMES if name != "time/eval")
