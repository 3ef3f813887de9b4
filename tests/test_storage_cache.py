"""The strict storage: a snapshot reads status.json once, details only for those who show them,
run listing cached by the runs folder's change, and the one LRU behind every cache."""
from __future__ import annotations

import threading
import time

import engine.runs.listing
import engine.runs.status
from dashboard.lru import LRU
from dashboard.storage import Storage
from engine import runs
from engine.config import preset

CONFIG = preset("tiny").to_dict()


def make_run(runs_dir, run_id: str, **status):
    run_dir = runs.create_run(runs_dir, CONFIG, "tiny", run_id=run_id)
    runs.write_status(run_dir, **status)
    return run_dir


def counting(monkeypatch, module, name: str) -> list:
    calls: list = []
    real = getattr(module, name)

    def wrapper(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, wrapper)
    return calls


def test_a_snapshot_reads_status_once_and_details_only_when_asked(tmp_path, monkeypatch):
    make_run(tmp_path, "r1", state="finished", step=3, total_steps=3)
    storage = Storage(tmp_path)
    reads = counting(monkeypatch, engine.runs.status, "read_status_file")
    listed = counting(monkeypatch, runs, "list_checkpoints")
    full = storage.snapshot("r1")
    assert len(reads) == 1 and len(listed) == 1 and full.status["state"] == "finished"
    reads.clear(), listed.clear()
    lean = storage.snapshot("r1", samples=0, log_lines=0, details=False)
    assert len(reads) == 1 and listed == [] and lean.checkpoints == [] and lean.problems == []
    # a corrupt status.json is still a problem the full snapshot names, from its one read
    (tmp_path / "r1" / runs.STATUS_FILE).write_text("{")
    reads.clear()
    assert any(runs.STATUS_FILE in p for p in storage.snapshot("r1").problems) and len(reads) == 1


def test_run_listing_is_cached_until_a_run_changes_and_never_while_one_is_live(tmp_path, monkeypatch):
    make_run(tmp_path, "r1", state="finished", step=3, total_steps=3)
    storage = Storage(tmp_path)
    summaries = counting(monkeypatch, engine.runs.listing, "_summarise_run")
    assert [s["run_id"] for s in storage.list_runs()] == ["r1"] and len(summaries) == 1
    for _ in range(20):  # an idle presenter page, every second, in a room of browsers
        storage.replayable_runs()
    assert len(summaries) == 1
    first = storage.list_runs()
    first[0]["state"] = "edited by a caller"  # callers get copies
    assert storage.list_runs()[0]["state"] == "finished"
    make_run(tmp_path, "r2", state="stopped", step=1, total_steps=3)  # a new run
    assert {s["run_id"] for s in storage.list_runs()} == {"r1", "r2"}
    time.sleep(0.01)
    runs.write_status(tmp_path / "r1", state="failed", error="x")  # a changed status
    assert {s["run_id"]: s["state"] for s in storage.list_runs()}["r1"] == "failed"
    # a live run: its process may die with no file changing, so every listing looks again
    alive = {12345}
    monkeypatch.setattr(engine.runs.status, "pid_alive", lambda pid: pid in alive)
    make_run(tmp_path, "r3", state="running", step=1, total_steps=3, pid=12345)
    assert {s["run_id"]: s["state"] for s in storage.list_runs()}["r3"] == "running"
    summaries.clear()
    storage.list_runs()
    assert len(summaries) == 3
    alive.clear()  # the trainer dies: no file changes, and the next listing says so
    assert {s["run_id"]: s["state"] for s in storage.list_runs()}["r3"] == "failed"


def test_the_lru_forgets_the_least_recently_used_and_makes_a_key_once():
    cache: LRU[int] = LRU(2)
    cache.put("a", 1), cache.put("b", 2)
    assert cache.get("a") == 1  # "b" is now the oldest
    cache.put("c", 3)
    assert "b" not in cache and cache.get("a") == 1 and len(cache) == 2
    made: list[str] = []
    gate = threading.Event()

    def slow() -> int:
        made.append("x")
        gate.wait(5)
        return 9

    threads = [threading.Thread(target=cache.get_or_make, args=("x", slow)) for _ in range(4)]
    for t in threads:
        t.start()
    time.sleep(0.1)
    assert cache.get_or_make("other", lambda: 7) == 7  # another key is not held up by the slow one
    gate.set()
    for t in threads:
        t.join(5)
    assert made == ["x"] and cache.get("x") == 9
