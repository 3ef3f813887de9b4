"""Tests for engine.runs: the run directory, status liveness, JSONL tailing, lock and CLI."""
from __future__ import annotations

import errno
import json
import os
import re
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from engine import runs
from engine.runs import RunError

REPO_ROOT = Path(__file__).resolve().parents[1]
HAS_PROC = Path("/proc/self/cmdline").exists()
CONFIG = {"preset": "tiny", "ppo": {"steps": 8, "batch_size": 8, "learning_rate": 1e-3}}


def dead_pid() -> int:
    """The pid of a process that has exited and been reaped."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.fixture
def engine_process():
    """A live process whose command line contains "engine", like a training run."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)", "engine"])
    yield proc
    proc.kill()
    proc.wait()


def make_run(runs_dir: Path, run_id: str = "r1", **status) -> Path:
    run_dir = runs.create_run(runs_dir, CONFIG, "tiny", run_id=run_id)
    if status:
        runs.write_status(run_dir, **status)
    return run_dir


def run_cli(*args: str, cwd: Path = REPO_ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "engine.runs", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=60)


# --- ids and creation ------------------------------------------------------------------------

def test_new_run_id_format():
    now = datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc)
    run_id = runs.new_run_id("shape-base", now)
    assert re.fullmatch(r"20240506T070809Z-shape-base-[0-9a-f]{4}", run_id)
    assert runs.validate_run_id(run_id) == run_id
    assert re.fullmatch(r"\d{8}T\d{6}Z-tiny-[0-9a-f]{4}", runs.new_run_id("tiny"))


def test_new_run_id_rejects_bad_preset():
    with pytest.raises(RunError, match="invalid preset name"):
        runs.new_run_id("../x")


@pytest.mark.parametrize("bad", ["../../etc", "a/b", "", ".hidden", "x" * 200, "a..b", "a b"])
def test_validate_run_id_rejects(bad):
    with pytest.raises(RunError, match=r"^invalid run id '.*': "):
        runs.validate_run_id(bad)


def test_validate_run_id_message_is_short():
    with pytest.raises(RunError) as info:
        runs.validate_run_id("x" * 200)
    assert len(str(info.value)) < 120
    assert "longer than 128" in str(info.value)


def test_default_runs_dir(monkeypatch, tmp_path):
    monkeypatch.setenv(runs.RUNS_DIR_ENV, str(tmp_path / "elsewhere"))
    assert runs.default_runs_dir() == tmp_path / "elsewhere"
    monkeypatch.delenv(runs.RUNS_DIR_ENV)
    monkeypatch.chdir(tmp_path)
    assert runs.default_runs_dir() == tmp_path / "runs"


def test_create_run_writes_config_and_queued_status(tmp_path):
    run_dir = runs.create_run(tmp_path / "runs", CONFIG, "tiny")
    assert run_dir.parent == tmp_path / "runs"
    assert re.fullmatch(r"\d{8}T\d{6}Z-tiny-[0-9a-f]{4}", run_dir.name)
    assert json.loads((run_dir / runs.CONFIG_FILE).read_text()) == CONFIG
    assert (run_dir / runs.CONFIG_FILE).read_text().startswith("{\n  ")  # indent 2
    status = json.loads((run_dir / runs.STATUS_FILE).read_text())
    assert status["state"] == "queued"
    assert status["step"] == 0 and status["total_steps"] == 8
    assert status["pid"] is None and status["started_at"] is None and status["error"] is None
    assert status["device"] is None and status["updated_at"]
    assert runs.read_config(run_dir) == CONFIG


def test_create_run_without_ppo_steps_and_duplicate(tmp_path):
    run_dir = runs.create_run(tmp_path, {"preset": "x"}, "x", run_id="fixed")
    assert runs.read_status(run_dir)["total_steps"] is None
    with pytest.raises(RunError, match="run fixed already exists"):
        runs.create_run(tmp_path, {"preset": "x"}, "x", run_id="fixed")


def test_create_run_rejects_unserialisable_config_without_leaving_a_folder(tmp_path):
    with pytest.raises(RunError, match="cannot be saved as JSON"):
        runs.create_run(tmp_path, {"bad": object()}, "tiny", run_id="r")
    assert not (tmp_path / "r").exists()


def test_check_writable_reports_disk_full(tmp_path, monkeypatch):
    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(runs.os, "fsync", full)
    with pytest.raises(RunError, match=r"runs folder .* is not writable: No space left on device"):
        runs.check_writable(tmp_path / "runs")
    assert list((tmp_path / "runs").iterdir()) == []  # the probe file was removed


def test_check_writable_on_a_file(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(RunError, match="is not writable: it is a file"):
        runs.check_writable(tmp_path / "f")


# --- status ----------------------------------------------------------------------------------

def test_write_status_merges_and_stamps(tmp_path):
    run_dir = make_run(tmp_path)
    first = runs.read_status(run_dir)["updated_at"]
    time.sleep(0.01)
    result = runs.write_status(run_dir, state="running", step=3, device="cpu")
    on_disk = json.loads((run_dir / runs.STATUS_FILE).read_text())
    assert result == on_disk
    assert on_disk["state"] == "running" and on_disk["step"] == 3 and on_disk["total_steps"] == 8
    assert on_disk["device"] == "cpu" and on_disk["updated_at"] > first
    assert [p.name for p in run_dir.iterdir() if p.name.endswith(".tmp")] == []


def test_parse_time_takes_a_naive_timestamp_as_utc():
    naive = runs.parse_time("2026-01-01T00:00:00")
    assert naive == datetime(2026, 1, 1, tzinfo=timezone.utc) and naive.tzinfo is not None
    assert runs.parse_time("2026-01-01T02:00:00+02:00") == naive  # an aware one keeps its zone
    assert runs.parse_time("yesterday") is None and runs.parse_time(None) is None


def test_write_status_is_atomic_when_replace_fails(tmp_path, monkeypatch):
    run_dir = make_run(tmp_path)
    before = (run_dir / runs.STATUS_FILE).read_text()

    def broken_replace(src, dst):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(runs.os, "replace", broken_replace)
    with pytest.raises(OSError):
        runs.write_status(run_dir, state="running", step=5)
    assert (run_dir / runs.STATUS_FILE).read_text() == before
    assert sorted(p.name for p in run_dir.iterdir()) == [runs.CONFIG_FILE, runs.STATUS_FILE]


def test_write_status_rejects_unknown_state(tmp_path):
    with pytest.raises(ValueError, match="unknown run state"):
        runs.write_status(make_run(tmp_path), state="exploded")


def test_write_status_recovers_a_corrupt_file(tmp_path):
    run_dir = make_run(tmp_path)
    (run_dir / runs.STATUS_FILE).write_text("{not json")
    runs.write_status(run_dir, state="failed", error="boom")
    assert runs.read_status(run_dir)["state"] == "failed"


def test_read_status_missing_and_corrupt(tmp_path):
    run_dir = make_run(tmp_path)
    (run_dir / runs.STATUS_FILE).unlink()
    missing = runs.read_status(run_dir)
    assert missing["state"] == "unknown" and missing["error"] == "status.json is missing"
    (run_dir / runs.STATUS_FILE).write_text('{"state": "runn')
    corrupt = runs.read_status(run_dir)
    assert corrupt["state"] == "unknown"
    assert corrupt["error"].startswith("status.json is corrupt: ")
    assert set(runs._STATUS_KEYS) <= set(corrupt)
    listed = runs.list_runs(tmp_path)
    assert [(r["run_id"], r["state"]) for r in listed] == [("r1", "unknown")]
    assert listed[0]["error"].startswith("status.json is corrupt")


@pytest.mark.slow
def test_read_status_dead_pid_is_failed_and_reconcile_persists(tmp_path):
    pid = dead_pid()
    run_dir = make_run(tmp_path, state="running", pid=pid, step=2)
    status = runs.read_status(run_dir)
    assert status["state"] == "failed" and status["step"] == 2
    assert status["error"] == runs.gone_error(pid)
    assert f"(pid {pid}) is gone without recording how it ended" in status["error"]
    assert json.loads((run_dir / runs.STATUS_FILE).read_text())["state"] == "running"
    reconciled = runs.reconcile_status(run_dir)
    assert reconciled["state"] == "failed"
    on_disk = json.loads((run_dir / runs.STATUS_FILE).read_text())
    assert on_disk["state"] == "failed" and on_disk["error"] == status["error"]
    assert on_disk["step"] == 2


@pytest.mark.slow
def test_a_run_that_died_on_a_full_disk_names_the_disk(tmp_path, monkeypatch):
    # A full disk kills a run and also its attempt to record why: the readers must say it.
    pid = dead_pid()
    run_dir = make_run(tmp_path, state="running", pid=pid, step=2)
    real = runs.shutil.disk_usage
    monkeypatch.setattr(runs.shutil, "disk_usage", lambda path: real(path)._replace(free=3 * 2**20))
    error = runs.read_status(run_dir)["error"]
    assert error.startswith(runs.gone_error(pid))
    assert error.endswith("The disk holding it has only 3 MB free: it most likely filled up, which stops a run "
                          "before it can record why")
    monkeypatch.setattr(runs.shutil, "disk_usage", real)
    assert runs.read_status(run_dir)["error"] == runs.gone_error(pid)  # room enough: no such guess


@pytest.mark.slow
def test_queued_with_dead_pid_is_failed_but_queued_without_pid_is_queued(tmp_path):
    assert runs.read_status(make_run(tmp_path, "a"))["state"] == "queued"
    assert runs.read_status(make_run(tmp_path, "b", pid=dead_pid()))["state"] == "failed"


@pytest.mark.slow
def test_finished_run_with_dead_pid_stays_finished(tmp_path):
    run_dir = make_run(tmp_path, state="finished", pid=dead_pid())
    assert runs.reconcile_status(run_dir)["state"] == "finished"


@pytest.mark.slow
def test_live_engine_process_is_running(tmp_path, engine_process):
    run_dir = make_run(tmp_path, state="running", pid=engine_process.pid)
    assert runs.pid_alive(engine_process.pid)
    assert runs.read_status(run_dir)["state"] == "running"
    assert runs.reconcile_status(run_dir)["state"] == "running"


@pytest.mark.slow
@pytest.mark.skipif(not HAS_PROC, reason="needs /proc")
def test_reused_pid_without_engine_in_cmdline_is_dead():
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert not runs.pid_alive(proc.pid)
    finally:
        proc.kill()
        proc.wait()


@pytest.mark.slow
@pytest.mark.skipif(not HAS_PROC, reason="needs /proc")
def test_zombie_is_dead():
    proc = subprocess.Popen([sys.executable, "-c", "pass", "engine"])
    try:
        deadline = time.monotonic() + 10
        # Do not poll(): that would reap it. Watch /proc until it is a zombie.
        while runs._proc_stat_fields(proc.pid)[0] != "Z":
            assert time.monotonic() < deadline, "child never exited"
            time.sleep(0.01)
        assert not runs.pid_alive(proc.pid)
    finally:
        proc.wait()


@pytest.mark.slow
def test_pid_alive_edge_values():
    assert not runs.pid_alive(0)
    assert not runs.pid_alive(-1)
    assert not runs.pid_alive(dead_pid())


# --- JSONL -----------------------------------------------------------------------------------

def test_read_jsonl_leaves_a_torn_last_line(tmp_path):
    path = tmp_path / runs.METRICS_FILE
    runs.append_jsonl(path, {"step": 1})
    runs.append_jsonl(path, {"step": 2})
    with open(path, "ab") as f:
        f.write(b'{"step": 3, "objective/kl"')
    rows, offset, problems = runs.read_jsonl(path)
    assert [r["step"] for r in rows] == [1, 2] and problems == []
    assert offset == len(b'{"step": 1}\n{"step": 2}\n')
    with open(path, "ab") as f:
        f.write(b': 0.5}\n')
    rows, offset2, problems = runs.read_jsonl(path, offset)
    assert rows == [{"step": 3, "objective/kl": 0.5}] and problems == []
    assert offset2 == path.stat().st_size
    assert runs.read_jsonl(path, offset2) == ([], offset2, [])


def test_read_jsonl_skips_and_reports_corrupt_lines(tmp_path):
    path = tmp_path / runs.METRICS_FILE
    runs.append_jsonl(path, {"step": 1})
    bad_at = path.stat().st_size
    with open(path, "ab") as f:
        f.write(b"{garbage\n[1, 2]\n\n")
    runs.append_jsonl(path, {"step": 2})
    rows, offset, problems = runs.read_jsonl(path)
    assert [r["step"] for r in rows] == [1, 2]
    assert offset == path.stat().st_size
    assert len(problems) == 2
    assert problems[0].startswith(f"metrics.jsonl line at byte {bad_at} is corrupt: ")
    assert "expected an object" in problems[1]


def test_read_jsonl_missing_file_and_replaced_file(tmp_path):
    path = tmp_path / runs.SAMPLES_FILE
    assert runs.read_jsonl(path, 7) == ([], 7, [])
    runs.append_jsonl(path, {"step": 1})
    rows, offset, problems = runs.read_jsonl(path, 10_000)
    assert rows == [{"step": 1}] and offset < 10_000
    assert "was replaced" in problems[0]


def test_append_jsonl_writes_nan_and_inf_as_null(tmp_path):
    path = tmp_path / runs.METRICS_FILE
    runs.append_jsonl(path, {"a": float("nan"), "b": [float("inf"), 1.5],
                             "c": {"d": float("-inf")}, "text": "héllo"})
    line = path.read_text(encoding="utf-8")
    assert line.count("\n") == 1 and "NaN" not in line and "Infinity" not in line
    assert json.loads(line) == {"a": None, "b": [None, 1.5], "c": {"d": None}, "text": "héllo"}


def test_append_after_a_torn_line_keeps_the_new_row(tmp_path):
    path = tmp_path / runs.METRICS_FILE
    path.write_bytes(b'{"step": 1}\n{"step": 2, "x"')  # a writer died mid-line
    runs.append_jsonl(path, {"step": 3})
    rows, _, problems = runs.read_jsonl(path)
    assert [r["step"] for r in rows] == [1, 3] and len(problems) == 1


def test_read_metrics_and_samples(tmp_path):
    run_dir = make_run(tmp_path)
    runs.append_jsonl(run_dir / runs.METRICS_FILE, {"step": 1, "env/reward_mean": 0.1})
    runs.append_jsonl(run_dir / runs.SAMPLES_FILE, {"step": 1, "query": "q", "response": "r",
                                                    "reward": 0.3})
    assert runs.read_metrics(run_dir) == [{"step": 1, "env/reward_mean": 0.1}]
    assert runs.read_samples(run_dir)[0]["response"] == "r"
    assert runs.read_metrics(tmp_path / "nothing") == []


def test_read_config_errors(tmp_path):
    run_dir = make_run(tmp_path)
    (run_dir / runs.CONFIG_FILE).write_text("[1]")
    with pytest.raises(RunError, match="config.json of run r1 is corrupt"):
        runs.read_config(run_dir)
    (run_dir / runs.CONFIG_FILE).unlink()
    with pytest.raises(RunError, match="run r1 has no config.json"):
        runs.read_config(run_dir)


# --- checkpoints and log ---------------------------------------------------------------------

def add_checkpoint(path: Path) -> None:
    path.mkdir(parents=True)
    for name in runs.CHECKPOINT_FILES:
        (path / name).write_text("{}")


def test_checkpoints_listing_and_resolution(tmp_path):
    run_dir = make_run(tmp_path)
    assert runs.list_checkpoints(run_dir) == []
    with pytest.raises(RunError, match="run r1 has no checkpoints yet"):
        runs.resolve_checkpoint(run_dir, None)
    for step in (10, 2, 4):
        add_checkpoint(runs.checkpoint_dir(run_dir, step))
    (run_dir / runs.CHECKPOINTS_DIR / "step-6").mkdir()  # a save in progress: no adapter config
    add_checkpoint(runs.checkpoint_dir(run_dir, 8))
    (runs.checkpoint_dir(run_dir, 8) / runs.VALUE_HEAD_FILE).unlink()  # an older version, killed between its saves
    assert runs.list_checkpoints(run_dir) == ["step-2", "step-4", "step-10"]
    assert runs.resolve_checkpoint(run_dir, None) == run_dir / "checkpoints" / "step-10"
    add_checkpoint(runs.checkpoint_dir(run_dir, None))
    assert runs.checkpoint_dir(run_dir, None) == run_dir / "final"
    assert runs.list_checkpoints(run_dir) == ["step-2", "step-4", "step-10", "final"]
    assert runs.resolve_checkpoint(run_dir, None) == run_dir / "final"
    assert runs.resolve_checkpoint(run_dir, "step-4") == run_dir / "checkpoints" / "step-4"
    with pytest.raises(RunError) as info:
        runs.resolve_checkpoint(run_dir, "step-9")
    assert str(info.value) == ("run r1 has no checkpoint 'step-9'; it has: step-2, step-4, "
                               "step-10, final")
    with pytest.raises(RunError, match="invalid checkpoint name '../x'"):
        runs.resolve_checkpoint(run_dir, "../x")


def test_log_tail_of_a_big_file(tmp_path):
    run_dir = make_run(tmp_path)
    assert runs.log_tail(run_dir) == ""
    with open(run_dir / runs.LOG_FILE, "w") as f:
        for i in range(200_000):
            f.write(f"line {i} " + "x" * 40 + "\n")
    tail = runs.log_tail(run_dir, 3).split("\n")
    assert [line.split()[1] for line in tail] == ["199997", "199998", "199999"]
    assert len(runs.log_tail(run_dir).split("\n")) == 40
    assert runs.log_tail(run_dir, 0) == ""


def test_log_tail_short_file_and_progress_bars(tmp_path):
    run_dir = make_run(tmp_path)
    (run_dir / runs.LOG_FILE).write_bytes(b"start\n 10%|#\r 50%|#####\r100%|##########\nend")
    assert runs.log_tail(run_dir, 40) == "start\n100%|##########\nend"


# --- resolving and listing -------------------------------------------------------------------

def test_resolve_run(tmp_path, monkeypatch):
    run_dir = make_run(tmp_path / "runs")
    assert runs.resolve_run(tmp_path / "runs", "r1") == run_dir
    assert runs.resolve_run(tmp_path / "runs", str(run_dir)) == run_dir.resolve()
    with pytest.raises(RunError, match=r"^no run 'nope' in "):
        runs.resolve_run(tmp_path / "runs", "nope")
    with pytest.raises(RunError, match="invalid run id"):
        runs.resolve_run(tmp_path / "runs", ".hidden")
    with pytest.raises(RunError, match="is not a run folder"):
        runs.resolve_run(tmp_path / "runs", str(tmp_path))
    with pytest.raises(RunError, match="invalid run id '../../etc'"):
        runs.resolve_run(tmp_path / "runs", "../../etc", allow_paths=False)


def test_list_runs_newest_first_with_summaries(tmp_path):
    assert runs.list_runs(tmp_path / "absent") == []
    jan_2024 = datetime(2024, 1, 1, tzinfo=timezone.utc)
    jan_2025 = datetime(2025, 1, 1, tzinfo=timezone.utc)
    old = runs.create_run(tmp_path, CONFIG, "tiny", run_id=runs.new_run_id("tiny", jan_2024))
    new = runs.create_run(tmp_path, CONFIG, "small", run_id=runs.new_run_id("small", jan_2025))
    add_checkpoint(runs.checkpoint_dir(new, 2))
    (tmp_path / "not-a-run").mkdir()
    listed = runs.list_runs(tmp_path)
    assert [r["run_id"] for r in listed] == [new.name, old.name]
    summary = listed[0]
    assert set(summary) == {"run_id", "path", "preset", "algorithm", "state", "step", "total_steps",
                            "started_at", "updated_at", "error", "device", "checkpoints"}
    assert summary["preset"] == "tiny"  # from config.json, which wins over the id
    assert summary["algorithm"] == "ppo"
    assert summary["state"] == "queued" and summary["total_steps"] == 8
    assert summary["checkpoints"] == ["step-2"] and summary["path"] == str(new)


@pytest.mark.slow
def test_list_runs_applies_liveness_and_reconciles_only_when_asked(tmp_path):
    run_dir = make_run(tmp_path, state="running", pid=dead_pid())
    assert runs.list_runs(tmp_path)[0]["state"] == "failed"
    assert json.loads((run_dir / runs.STATUS_FILE).read_text())["state"] == "running"
    listed = runs.list_runs(tmp_path, reconcile=True)
    assert listed[0]["state"] == "failed" and "is gone" in listed[0]["error"]
    assert json.loads((run_dir / runs.STATUS_FILE).read_text())["state"] == "failed"


def test_list_runs_survives_a_run_without_config(tmp_path):
    run_dir = make_run(tmp_path)
    (run_dir / runs.CONFIG_FILE).unlink()
    listed = runs.list_runs(tmp_path)
    assert listed[0]["error"] == "run r1 has no config.json"


# --- training lock ---------------------------------------------------------------------------

def test_training_lock_is_exclusive(tmp_path):
    with runs.TrainingLock(tmp_path, "r1") as lock:
        assert runs.active_run(tmp_path) == "r1"
        expected = rf"^a run is already in progress: r1 \(pid {os.getpid()}\)$"
        with pytest.raises(RunError, match=expected):
            runs.TrainingLock(tmp_path, "r2").acquire()
        assert lock.path.exists()
    assert not (tmp_path / runs.LOCK_FILE).exists()
    assert runs.active_run(tmp_path) is None
    with runs.TrainingLock(tmp_path, "r2"):
        assert runs.active_run(tmp_path) == "r2"


@pytest.mark.slow
def test_stale_lock_of_a_dead_process_is_taken_over(tmp_path):
    (tmp_path / runs.LOCK_FILE).write_text(json.dumps({"pid": dead_pid(), "run_id": "old"}))
    assert runs.active_run(tmp_path) is None
    with runs.TrainingLock(tmp_path, "new"):
        assert runs.active_run(tmp_path) == "new"
    assert list(tmp_path.iterdir()) == []  # no stale copies left behind


def test_old_corrupt_lock_is_taken_over_but_a_fresh_one_is_respected(tmp_path):
    lock_path = tmp_path / runs.LOCK_FILE
    lock_path.write_text("")
    with pytest.raises(RunError, match="another run is starting right now"):
        runs.TrainingLock(tmp_path, "new").acquire()
    long_ago = time.time() - 3600
    os.utime(lock_path, (long_ago, long_ago))
    with runs.TrainingLock(tmp_path, "new"):
        assert runs.active_run(tmp_path) == "new"


@pytest.mark.skipif(not HAS_PROC, reason="needs /proc")
def test_lock_with_a_reused_pid_is_stale(tmp_path):
    info = {"pid": os.getpid(), "run_id": "old",
            "proc_start": runs._process_start_ticks(os.getpid()) - 1}
    (tmp_path / runs.LOCK_FILE).write_text(json.dumps(info))
    assert runs.active_run(tmp_path) is None
    with runs.TrainingLock(tmp_path, "new"):
        assert runs.active_run(tmp_path) == "new"


def test_release_leaves_someone_elses_lock(tmp_path):
    lock = runs.TrainingLock(tmp_path, "mine")
    lock.acquire()
    other = {"pid": os.getpid(), "run_id": "theirs"}
    (tmp_path / runs.LOCK_FILE).write_text(json.dumps(other))
    lock.release()
    assert json.loads((tmp_path / runs.LOCK_FILE).read_text()) == other


# --- CLI -------------------------------------------------------------------------------------

@pytest.mark.slow
def test_cli_list_json(tmp_path):
    run_dir = make_run(tmp_path, state="running", pid=dead_pid(), step=1)
    result = run_cli("list", "--runs-dir", str(tmp_path), "--json")
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)
    assert [r["run_id"] for r in listed] == ["r1"]
    assert listed[0]["state"] == "failed" and "is gone" in listed[0]["error"]
    assert runs.read_status(run_dir)["state"] == "failed"
    assert json.loads((run_dir / runs.STATUS_FILE).read_text())["state"] == "failed"


@pytest.mark.slow
def test_cli_list_table_and_empty(tmp_path):
    make_run(tmp_path, state="running", step=3, pid=None, started_at="2024-01-01T00:00:00+00:00")
    table = run_cli("list", "--runs-dir", str(tmp_path))
    assert table.returncode == 0, table.stderr
    assert "RUN ID" in table.stdout and "r1" in table.stdout and "3/8" in table.stdout
    empty = run_cli("list", "--runs-dir", str(tmp_path / "none"))
    assert empty.returncode == 0 and "no runs in" in empty.stdout


@pytest.mark.slow
def test_cli_show(tmp_path):
    run_dir = make_run(tmp_path, state="finished", step=8)
    runs.append_jsonl(run_dir / runs.METRICS_FILE,
                      {"step": 8, "objective/kl": 0.25, "env/reward_mean": 1.5,
                       "env/toxicity_mean": 0.01})
    for step, tox in ((0, 0.6), (8, 0.2)):
        runs.append_jsonl(run_dir / runs.EVAL_FILE, {"step": step, "toxicity": {"reward model": tox,
                                                                               "profanity-check": tox / 2}})
    (run_dir / runs.LOG_FILE).write_text("".join(f"log {i}\n" for i in range(30)))
    add_checkpoint(run_dir / "final")
    text = run_cli("show", "r1", "--runs-dir", str(tmp_path))
    assert text.returncode == 0, text.stderr
    for expected in ("finished", "8/8", "batch 8", "lr 0.001", "1 rows", "objective/kl 0.25",
                     "env/toxicity_mean 0.01", "final", "log 29",
                     "held-out   mean toxicity reward model 0.600 at step 0 -> 0.200 at step 8; "
                     "profanity-check 0.300 at step 0 -> 0.100 at step 8"):
        assert expected in text.stdout
    assert "log 19" not in text.stdout  # only the last 10 log lines
    as_json = json.loads(run_cli("show", "r1", "--runs-dir", str(tmp_path), "--json").stdout)
    assert as_json["status"]["state"] == "finished" and as_json["metric_rows"] == 1
    assert as_json["config"]["preset"] == "tiny"


@pytest.mark.slow
def test_cli_show_absent_run(tmp_path):
    result = run_cli("show", "nope", "--runs-dir", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.startswith("error: no run 'nope' in ")
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_cli_show_path_traversal(tmp_path):
    result = run_cli("show", "../../etc", "--runs-dir", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.startswith("error: ")
    assert "'../../etc'" in result.stderr
    assert "is not a run folder" in result.stderr or "no run folder at" in result.stderr
    assert "Traceback" not in result.stderr


def test_list_runs_orders_runs_made_in_the_same_second(tmp_path):
    now = datetime(2024, 1, 1, tzinfo=timezone.utc)
    first = runs.create_run(tmp_path, CONFIG, "tiny", run_id=runs.new_run_id("zzz", now))
    time.sleep(0.01)
    second = runs.create_run(tmp_path, CONFIG, "tiny", run_id=runs.new_run_id("aaa", now))
    assert [r["run_id"] for r in runs.list_runs(tmp_path)] == [second.name, first.name]


# --- links: never followed out of the runs folder --------------------------------------------

LINK_WORDS = "symbolic link"


def secret_file(tmp_path: Path, text: str = "SECRET host name\n", name: str = "secret.txt") -> Path:
    """A file outside the runs folder that a link inside it points to (like /etc/hostname)."""
    path = tmp_path / "outside" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def replace_with_link(path: Path, target: Path) -> None:
    path.unlink(missing_ok=True)
    path.symlink_to(target)


def test_a_linked_run_folder_is_not_a_run(tmp_path):
    """A link in the runs folder to a run elsewhere must not be listed or served: it would let
    anyone who can write there publish any folder through the dashboard."""
    elsewhere = make_run(tmp_path / "elsewhere", "r1")
    runs_dir = tmp_path / "runs"
    make_run(runs_dir, "real")
    (runs_dir / "linked").symlink_to(elsewhere, target_is_directory=True)
    assert [r["run_id"] for r in runs.list_runs(runs_dir)] == ["real"]
    for run in ("linked", str(runs_dir / "linked")):
        with pytest.raises(RunError, match="is a symbolic link; runs are never read through links"):
            runs.resolve_run(runs_dir, run)
    with pytest.raises(RunError, match=LINK_WORDS):
        runs.resolve_run(runs_dir, "linked", allow_paths=False)


def test_linked_files_inside_a_run_are_named_as_problems_not_read(tmp_path):
    run_dir = make_run(tmp_path / "runs", state="finished", step=8)
    secret = secret_file(tmp_path)
    row = secret_file(tmp_path, json.dumps({"step": 1, "secret": True}) + "\n", "row.jsonl")
    document = secret_file(tmp_path, json.dumps({"state": "finished", "preset": "secret"}), "doc.json")
    replace_with_link(run_dir / runs.LOG_FILE, secret)
    for name in (runs.METRICS_FILE, runs.SAMPLES_FILE, runs.EVAL_FILE):
        replace_with_link(run_dir / name, row)
    replace_with_link(run_dir / runs.CONFIG_FILE, document)
    replace_with_link(run_dir / runs.STATUS_FILE, document)

    assert runs.log_tail(run_dir) == ""
    assert runs.read_metrics(run_dir) == runs.read_samples(run_dir) == runs.read_eval(run_dir) == []
    with pytest.raises(RunError, match=f"config.json of run r1: it is a {LINK_WORDS}"):
        runs.read_config(run_dir)
    status = runs.read_status(run_dir)
    assert status["state"] == "unknown" and LINK_WORDS in status["error"]
    problems = runs.run_problems(run_dir)
    for name in (runs.STATUS_FILE, runs.CONFIG_FILE, runs.METRICS_FILE, runs.SAMPLES_FILE,
                 runs.EVAL_FILE, runs.LOG_FILE):
        assert any(name in p and LINK_WORDS in p for p in problems), (name, problems)
    assert [r["run_id"] for r in runs.list_runs(tmp_path / "runs")] == ["r1"]  # listed, with its error
    report = runs.run_report(run_dir)
    assert "SECRET" not in json.dumps(report) and "secret" not in json.dumps(report["config"])


def test_a_linked_checkpoint_is_not_a_checkpoint(tmp_path):
    run_dir = make_run(tmp_path / "runs")
    outside = tmp_path / "outside"
    add_checkpoint(outside / "step-1")
    add_checkpoint(outside / "final")
    add_checkpoint(runs.checkpoint_dir(run_dir, 2))
    (run_dir / runs.CHECKPOINTS_DIR / "step-1").symlink_to(outside / "step-1")
    (run_dir / runs.FINAL_DIR).symlink_to(outside / "final")
    add_checkpoint(runs.checkpoint_dir(run_dir, 3))
    (run_dir / runs.CHECKPOINTS_DIR / "step-3" / "adapter_config.json").unlink()
    (run_dir / runs.CHECKPOINTS_DIR / "step-3" / "adapter_config.json").symlink_to(
        outside / "final" / "adapter_config.json")
    assert runs.list_checkpoints(run_dir) == ["step-2"]
    with pytest.raises(RunError, match="has no checkpoint 'final'"):
        runs.resolve_checkpoint(run_dir, "final")
    other = make_run(tmp_path / "runs", "r2")
    (other / runs.CHECKPOINTS_DIR).symlink_to(outside, target_is_directory=True)
    assert runs.list_checkpoints(other) == []


def test_writes_never_go_through_a_link(tmp_path):
    """The trainer and the dashboard write status, JSONL rows and documents into a run; a link
    planted there must not turn those writes into writes of some other file."""
    run_dir = make_run(tmp_path / "runs")
    target = secret_file(tmp_path)
    replace_with_link(run_dir / runs.METRICS_FILE, target)
    with pytest.raises(OSError, match=LINK_WORDS):
        runs.append_jsonl(run_dir / runs.METRICS_FILE, {"step": 1})
    replace_with_link(run_dir / runs.STATUS_FILE, target)
    runs.write_status(run_dir, state="running", step=1)
    replace_with_link(run_dir / "dashboard.json", target)
    runs.write_json_atomic(run_dir / "dashboard.json", {"auto_stop": True})
    assert target.read_text() == "SECRET host name\n"
    assert not (run_dir / runs.STATUS_FILE).is_symlink()  # the link itself was replaced
    assert runs.read_status(run_dir)["step"] == 1


@pytest.mark.slow
def test_cli_show_of_a_run_whose_log_is_a_link(tmp_path):
    run_dir = make_run(tmp_path, state="finished", step=8)
    replace_with_link(run_dir / runs.LOG_FILE, secret_file(tmp_path))
    text = run_cli("show", "r1", "--runs-dir", str(tmp_path))
    assert text.returncode == 0, text.stderr
    assert "SECRET" not in text.stdout
    assert f"warning    {runs.LOG_FILE} cannot be read: it is a {LINK_WORDS}" in text.stdout


def test_a_linked_training_lock_is_not_read_and_ages_out(tmp_path):
    lock_path = tmp_path / runs.LOCK_FILE
    holder = secret_file(tmp_path, json.dumps({"pid": os.getpid(), "run_id": "through-a-link"}))
    lock_path.symlink_to(holder)
    assert runs.active_run(tmp_path) is None
    long_ago = time.time() - 3600
    os.utime(lock_path, (long_ago, long_ago), follow_symlinks=False)
    with runs.TrainingLock(tmp_path, "new"):
        assert runs.active_run(tmp_path) == "new"
    assert holder.exists()


def test_a_pipe_in_place_of_a_run_file_is_named_and_never_waited_on(tmp_path):
    """Opening a named pipe for reading waits for a writer: a reader must not hang on one."""
    run_dir = make_run(tmp_path)
    for name in (runs.LOG_FILE, runs.METRICS_FILE):
        os.mkfifo(run_dir / name)
    assert runs.log_tail(run_dir) == "" and runs.read_metrics(run_dir) == []
    problems = runs.run_problems(run_dir)
    for name in (runs.LOG_FILE, runs.METRICS_FILE):
        assert f"{name} cannot be read: it is not a regular file" in problems


def test_the_trainer_writes_no_log_through_a_link(tmp_path, capsys):
    import logging

    from engine.train import setup_logging

    run_dir = make_run(tmp_path / "runs")
    target = secret_file(tmp_path)
    (run_dir / runs.LOG_FILE).symlink_to(target)
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        setup_logging(run_dir)
        logging.getLogger("engine.train").info("a line that must not land in the target")
    finally:
        for handler in root.handlers:
            handler.close()
        root.handlers[:], root.level = handlers, level
    assert target.read_text() == "SECRET host name\n"
    assert f"{runs.LOG_FILE} is not written because it is a symbolic link" in capsys.readouterr().err


# --- CLI into a reader that stops early ------------------------------------------------------

def first_line_then_close(*args: str) -> tuple[str, int, str]:
    """Like `python -m engine.runs ... | head -1`: read one line, close the pipe, and return
    (that line, exit code, stderr)."""
    proc = subprocess.Popen([sys.executable, "-m", "engine.runs", *args], cwd=REPO_ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    proc.stdout.close()
    stderr = proc.stderr.read()
    proc.stderr.close()
    return line, proc.wait(timeout=60), stderr


@pytest.mark.slow
@pytest.mark.parametrize("command", [["show", "r1"], ["show", "r1", "--json"], ["list", "--json"]])
def test_cli_into_a_reader_that_closes_early_stops_quietly(tmp_path, command):
    """More output than a pipe holds (log lines and an error of 200 kB), so the CLI is still
    writing when the reader goes away."""
    run_dir = make_run(tmp_path, state="failed", error="x" * 200_000)
    (run_dir / runs.LOG_FILE).write_text("".join(f"log {i} {'y' * 20_000}\n" for i in range(10)))
    line, code, stderr = first_line_then_close(*command, "--runs-dir", str(tmp_path))
    assert line.strip()
    assert stderr == "", stderr
    assert code == 1  # as Python's docs recommend for a closed pipe (the note on SIGPIPE)


def test_a_full_disk_names_the_last_step_whose_metrics_were_kept(tmp_path):
    """The status write after step 7's row is what failed: status.json still says 6."""
    run_dir = make_run(tmp_path)
    for step in range(1, 8):
        runs.append_jsonl(run_dir / runs.METRICS_FILE, {"step": step})
    runs.write_status(run_dir, step=6)
    assert runs.kept_step(run_dir) == 7
    error = runs.disk_full_error(OSError(28, "No space left on device"), runs.kept_step(run_dir))
    assert error.startswith("the disk holding the run filled up after step 7 (No space left on device)")
    empty = make_run(tmp_path, "r2")
    assert not runs.kept_step(empty) and "after step" not in runs.disk_full_error(OSError(28, "x"), None)
