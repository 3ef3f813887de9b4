"""The dashboard starts data-parallel runs: `accelerate launch` with N processes (CPU ranks here)."""

import pytest

from dashboard.inputs import UserInputError
from dashboard.runner import Runner
from dashboard.settings import check_gpu_processes, equivalent_command, gpu_count
from dashboard.storage import Storage
from engine import runs
from tests.dashboard_helpers import wait_for


def test_the_equivalent_command_is_the_command_the_runner_starts(tmp_path):
    """Same launcher, same flags, for 1 and N processes; only the config travels differently
    (flags in the command shown, config.json of the run directory in the one spawned)."""
    from dashboard.settings import train_argv

    for processes in (1, 2, 4):
        shown = equivalent_command("tiny", {"ppo.steps": 3}, processes=processes).split()
        spawned = train_argv(tmp_path / "run", processes)
        assert spawned[-2:] == ["--run-dir", str(tmp_path / "run")]
        launcher_spawned = spawned[1:spawned.index("engine.train")]  # after the python executable
        launcher_shown = shown[:shown.index("engine.train")]
        if processes == 1:
            assert launcher_shown == ["python", "-m"] and launcher_spawned == ["-m"]
        else:
            assert launcher_spawned[:2] == ["-m", "accelerate.commands.launch"]
            assert launcher_shown[:2] == ["accelerate", "launch"]  # the console script of that module
            assert launcher_shown[2:] == launcher_spawned[2:]  # every flag, the process count, -m
            assert f"--num_processes {processes} -m engine.train" in " ".join(shown)
        assert shown[shown.index("engine.train") + 1:] == ["--preset", "tiny", "--steps", "3"]


def test_processes_are_checked_before_anything_is_written(tmp_path):
    runner = Runner(Storage(tmp_path / "runs"))
    with pytest.raises(UserInputError, match="must be divisible by the number of processes"):
        runner.start("tiny", {"ppo.batch_size": 8, "ppo.mini_batch_size": 4}, processes=3)
    with pytest.raises(UserInputError, match="whole number from 1 to 64"):
        runner.start("tiny", {}, processes=0)
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())
    if gpu_count() < 2:  # a UI or API caller gets no more processes than GPUs
        with pytest.raises(UserInputError, match="GPU"):
            check_gpu_processes(2)
    check_gpu_processes(1)


@pytest.mark.slow
def test_runner_trains_one_run_on_two_processes(tmp_path):
    runner = Runner(Storage(tmp_path / "runs"))
    started = runner.start("tiny", {"ppo.steps": 2}, processes=2)
    try:
        status = wait_for(lambda: (s := runs.read_status(started.run_dir))["state"] in ("finished", "failed") and s,
                          timeout=240, what="the two-process run to end", every=0.5)
    finally:
        runner.terminate_all(timeout=30)
    assert status["state"] == "finished", (status, runs.log_tail(started.run_dir))
    assert status["device"].endswith("x2")
    assert len(runs.read_metrics(started.run_dir)) == 2
    assert "trainable weights agree on all 2 ranks" in (started.run_dir / runs.LOG_FILE).read_text()
