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


@pytest.mark.slow
def test_two_processes_train_grpo_with_each_group_whole_on_one_process(tmp_path):
    """8 summaries a step, 4 per prompt: each process takes one prompt and samples its whole group
    (engine.rloo_grpo). Rank 0 writes the samples: all 4 of a step share one prompt."""
    runs_dir = tmp_path / "runs"
    done = subprocess.run([sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2",
                           "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no",
                           "-m", "engine.train", "--preset", "tiny", "--algorithm", "grpo", "--steps", "2",
                           "--runs-dir", str(runs_dir), "--set", "ppo.samples_per_prompt=4",
                           "--set", "run.samples_per_step=8", "--set", "run.report_to=tensorboard"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    (run_dir,) = [p for p in runs_dir.iterdir() if p.is_dir()]
    rows = runs.read_metrics(run_dir)
    assert [r["step"] for r in rows] == [1, 2] and rows[0]["kl"] == 0.0
    assert done.stderr.count("trainable weights agree on all 2 ranks") == 2
    samples = runs.read_jsonl(run_dir / runs.SAMPLES_FILE)[0]
    for step in (1, 2):
        queries = [s["query"] for s in samples if s["step"] == step]
        assert len(queries) == 4 and len(set(queries)) == 1, queries
    assert not (run_dir / "final" / runs.VALUE_HEAD_FILE).exists()
    assert runs.list_checkpoints(run_dir) == ["final"]
    # the trackers get GRPO's own names
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    (events_file,) = (run_dir / "tensorboard").iterdir()
    events = EventAccumulator(str(events_file))
    events.Reload()
    assert [e.step for e in events.Scalars("kl")] == [1, 2] and "objective/kl" not in events.Tags()["scalars"]
