"""The dashboard's one window on run directories: status, metrics, samples, held-out
evaluations, logs, checkpoints.

Every tab reads runs through a `Storage`. Metrics, samples and held-out rows are JSONL files that only grow, so
each file is read incrementally: a per-run cache keeps the rows read so far and the byte offset
where the next read starts (engine.runs.read_jsonl), which makes a refresh every two seconds
cost a `stat` when nothing changed and a read of the new lines when something did.
"""
from __future__ import annotations

import json
import logging
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine import runs

log = logging.getLogger(__name__)

# A dashboard watches a handful of runs; the cache forgets the least recently viewed beyond this.
MAX_CACHED_RUNS = 32
# A file full of garbage must not grow the cache without bound: keep this many messages, count the rest.
MAX_PROBLEMS = 20
SIDECAR_FILE = "dashboard.json"
"""The dashboard's own notes on a run it started (auto-stop settings and verdict)."""


@dataclass
class JsonlTail:
    """The rows of one append-only JSONL file read so far, and where the next read starts."""

    path: Path
    rows: list[dict] = field(default_factory=list)
    offset: int = 0
    identity: tuple[int, int] | None = None
    """(device, inode) of the file read so far: another inode means the file was replaced."""
    problems: list[str] = field(default_factory=list)
    """What was wrong with the lines read so far (corrupt lines skipped): the first MAX_PROBLEMS."""
    problem_count: int = 0

    def reset(self) -> None:
        """Forget the file: it went away or was replaced, and its problems with it."""
        self.rows, self.offset, self.identity = [], 0, None
        self.problems, self.problem_count = [], 0

    def update(self) -> int:
        """Read what was appended since the last call; return how many rows arrived."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            if self.rows:
                self.reset()  # the file went away: forget what it held
            return 0
        identity = (st.st_dev, st.st_ino)
        if self.identity is not None and identity != self.identity:
            self.reset()
        if identity == self.identity and st.st_size == self.offset:
            return 0  # nothing new: no open, no read
        rows, new_offset, problems = runs.read_jsonl(self.path, self.offset)
        if new_offset < self.offset:
            # read_jsonl restarted from 0 because the file shrank: it is a new file.
            self.rows, self.problems, self.problem_count = [], [], 0
        self.rows.extend(rows)
        self.offset, self.identity = new_offset, identity
        for problem in problems[:MAX_PROBLEMS - len(self.problems)]:
            log.warning("%s", problem)  # each line is read once: no repeats
            self.problems.append(problem)
        self.problem_count += len(problems)
        return len(rows)


class _RunCache:
    def __init__(self, run_dir: Path):
        self.lock = threading.Lock()
        self.metrics = JsonlTail(run_dir / runs.METRICS_FILE)
        self.samples = JsonlTail(run_dir / runs.SAMPLES_FILE)
        self.evals = JsonlTail(run_dir / runs.EVAL_FILE)
        self.log_key: tuple[int, float, int] | None = None
        self.log_text = ""


class Storage:
    """Run-directory reads for the UI, with the incremental metrics/samples cache."""

    def __init__(self, runs_dir: Path | str):
        self.runs_dir = Path(runs_dir).expanduser().absolute()
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, _RunCache] = OrderedDict()
        self.children: set[str] = set()
        """Runs whose process is this app's child: the runner records how they end (with the
        exit code), so readers here must not write their own verdict first."""

    # --- locating runs ---------------------------------------------------------------------

    def run_dir(self, run_id: str) -> Path:
        """The folder of `run_id`; RunError for a bad id or a missing run (never a path)."""
        return runs.resolve_run(self.runs_dir, run_id, allow_paths=False)

    def list_runs(self) -> list[dict]:
        """Run summaries, newest first; a run whose process died reads 'failed'."""
        return runs.list_runs(self.runs_dir, reconcile=False)

    def active_run(self) -> str | None:
        return runs.active_run(self.runs_dir)

    def _entry(self, run_id: str) -> _RunCache:
        run_dir = self.run_dir(run_id)
        with self._lock:
            entry = self._cache.get(run_id)
            if entry is None or entry.metrics.path.parent != run_dir:
                entry = self._cache[run_id] = _RunCache(run_dir)
            self._cache.move_to_end(run_id)
            while len(self._cache) > MAX_CACHED_RUNS:
                self._cache.popitem(last=False)
            return entry

    # --- incremental files -----------------------------------------------------------------

    def metrics(self, run_id: str) -> list[dict]:
        """All metric rows of the run (a snapshot list), reading only the new lines."""
        entry = self._entry(run_id)
        with entry.lock:  # two browser tabs refreshing at once must not append rows twice
            entry.metrics.update()
            return list(entry.metrics.rows)

    def samples(self, run_id: str, last: int | None = None) -> list[dict]:
        """Sample rows ({step, query, response, reward}), the newest `last` of them."""
        entry = self._entry(run_id)
        with entry.lock:
            entry.samples.update()
            rows = entry.samples.rows
            return list(rows[-last:] if last else rows)

    def eval_rows(self, run_id: str) -> list[dict]:
        """Held-out evaluation rows ({step, toxicity: {judge: mean}, samples, ...}), new lines only."""
        entry = self._entry(run_id)
        with entry.lock:
            entry.evals.update()
            return list(entry.evals.rows)

    def problems(self, run_id: str) -> list[str]:
        """What is wrong with the run's files, each message naming its file (corrupt status.json
        or config.json, corrupt metrics/samples lines); [] for a sound run. Readers work around
        all of these; the user should still know."""
        entry = self._entry(run_id)
        run_dir = entry.metrics.path.parent
        found = [p for p in [runs.status_problem(run_dir)] if p]
        try:
            runs.read_config(run_dir)
        except runs.RunError as exc:
            found.append(str(exc))
        total = len(found)
        with entry.lock:
            for tail in (entry.metrics, entry.samples, entry.evals):
                tail.update()
                found += tail.problems
                total += tail.problem_count
        return runs.summarise_problems(found, total=total)

    def log_tail(self, run_id: str, lines: int = 40) -> str:
        """The end of train.log; re-read only when the file changed."""
        entry = self._entry(run_id)
        path = entry.metrics.path.parent / runs.LOG_FILE
        try:
            st = path.stat()
            key = (st.st_size, st.st_mtime, lines)  # the API and the Log panel ask for different lengths
        except FileNotFoundError:
            return ""
        with entry.lock:
            if key != entry.log_key:
                entry.log_text = runs.log_tail(path.parent, lines)
                entry.log_key = key
            return entry.log_text

    # --- whole documents -------------------------------------------------------------------

    def status(self, run_id: str) -> dict:
        """status.json with liveness applied: a dead 'running' run reads 'failed' (and is saved
        so, unless it is our child, whose end the runner records)."""
        run_dir = self.run_dir(run_id)
        if run_id in self.children:
            return runs.read_status(run_dir)
        return runs.reconcile_status(run_dir)

    def config(self, run_id: str) -> dict:
        return runs.read_config(self.run_dir(run_id))

    def checkpoints(self, run_id: str) -> list[str]:
        return runs.list_checkpoints(self.run_dir(run_id))

    def evaluation(self, run_id: str) -> dict | None:
        """evaluation.json of the run, or None when it was never evaluated (or is unreadable)."""
        path = self.run_dir(run_id) / runs.EVALUATION_FILE
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            log.warning("cannot read %s: %s", path, exc)
            return None

    def sidecar(self, run_id: str) -> dict:
        """The dashboard's notes on the run ({} when it has none)."""
        path = self.run_dir(run_id) / SIDECAR_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            log.warning("ignoring unreadable %s: %s", path, exc)
            return {}
        return data if isinstance(data, dict) else {}

    def update_sidecar(self, run_id: str, **fields: Any) -> dict:
        return write_sidecar(self.run_dir(run_id), {**self.sidecar(run_id), **fields})


def write_sidecar(run_dir: Path, data: dict) -> dict:
    """Replace dashboard.json atomically (a reader sees the old or the new file, whole)."""
    runs.write_json_atomic(Path(run_dir) / SIDECAR_FILE, data, allow_nan=True)  # as json.dump did
    return data
