"""Data-parallel training: `accelerate launch` with 2 CPU processes (gloo) trains one run."""

import subprocess
import sys

import pytest

from engine import runs
from tests.conftest import ROOT


@pytest.mark.slow
def test_two_processes_train_one_run_with_identical_weights(tmp_path):
    runs_dir = tmp_path / "runs"
    # --multi_gpu is Accelerate's name for "one process per device"; on a CPU-only machine the
    # processes train on the CPU over gloo (engine.train passes cpu=True to the Accelerator)
    done = subprocess.run([sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2",
                           "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no",
                           "-m", "engine.train", "--preset", "tiny", "--steps", "3", "--runs-dir", str(runs_dir),
                           "--set", "run.report_to=tensorboard"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    (run_dir,) = [p for p in runs_dir.iterdir() if p.is_dir()]  # rank 0 alone wrote a run directory
    assert done.stdout.count("run directory:") == 1
    rows = runs.read_metrics(run_dir)
    assert [r["step"] for r in rows] == [1, 2, 3] and rows[0]["objective/kl"] == 0.0
    status = runs.read_status(run_dir)
    assert status["state"] == "finished" and status["device"].endswith("x2")
    # every rank checked that its trainable weights equal everyone else's before rank 0 saved
    assert done.stderr.count("trainable weights agree on all 2 ranks") == 2
    assert (run_dir / "final" / "adapter_model.safetensors").is_file()
    # rank 0 alone reports to the trackers: one TensorBoard writer, each step once
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    (events_file,) = (run_dir / "tensorboard").iterdir()
    assert done.stderr.count("tensorboard: event files in") == 1
    events = EventAccumulator(str(events_file))
    events.Reload()
    assert [e.step for e in events.Scalars("objective/kl")] == [1, 2, 3]
