"""The dashboard's one window on run directories: status, metrics, samples, held-out
evaluations, logs, checkpoints, and the few writes the app makes (a new run, its notes, the
status of a child that died before it could write it).

Nothing else in dashboard/ opens a run file. `snapshot(run_id)` is the one read of a run that
the Train tab, `/run_status` and auto-stop share. Metrics, samples and held-out rows are JSONL
files that only grow, so each is read incrementally: a per-run cache keeps the rows read so far
and the byte offset where the next read starts (engine.runs.read_jsonl), which makes a refresh
every two seconds cost a `stat` when nothing changed and a read of the new lines when something
did. config.json, dashboard.json and evaluation.json are re-read only when their size or
modification time changed; a corrupt one is named among the run's problems, never read as empty.
No file is read or written through a symbolic link (engine.runs.open_regular): a linked run folder
is no run, a linked file is named among the problems.
"""
from __future__ import annotations

import json
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from contextlib import contextmanager
from typing import Any, Callable, Iterator

from engine import runs

from dashboard import health
from dashboard.lru import LRU

log = logging.getLogger(__name__)

# A dashboard watches a handful of runs; the cache forgets the least recently viewed beyond this.
MAX_CACHED_RUNS = 32
# A file full of garbage must not grow the cache without bound: keep this many messages, count the rest.
MAX_PROBLEMS = 20
SIDECAR_FILE = "dashboard.json"
"""The dashboard's own notes on a run it started (auto-stop settings and verdict)."""
RECORDINGS_DIR = Path(__file__).resolve().parent.parent / "assets" / "replay"
"""Runs recorded earlier and shipped with the app (run folders without checkpoints), which the
presenter page replays for a room without a GPU or without time (assets/replay/README.md)."""
REPLAYABLE_STATES = ("finished", "stopped")
LIVE_STATES = ("queued", "running")
"""A run in these states can change without a file changing (its process dies): never cached."""
"""The runs a replay can show: ended ones, whose rows will not grow any more."""
WRITABLE_RECHECK_S = 10.0
"""How long the Train tab reuses its answer to "could a run start here?": the check writes and
fsyncs a probe file, and every browser refreshes every two seconds. Starting a run checks afresh."""


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
            st = os.lstat(self.path)  # a link's own entry: its target is never looked at
        except FileNotFoundError:
            if self.rows:
                self.reset()  # the file went away: forget what it held
            return 0
        identity = (st.st_dev, st.st_ino)
        if self.identity is not None and identity != self.identity:
            self.reset()
        why = runs.mode_problem(st.st_mode)
        if why:  # a link or a pipe: no rows, and the problem named once, not once a tick
            if identity != self.identity:
                self.identity, self.problems, self.problem_count = identity, [], 1
                self.problems.append(f"{self.path.name} cannot be read: {why}")
                log.warning("%s: %s", self.path, self.problems[0])
            return 0
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


@dataclass
class JsonDoc:
    """A JSON document read again only when its file changed (size and modification time)."""

    path: Path
    key: tuple[int, int] | None = None
    value: Any = None
    problem: str | None = None

    def read(self, load: Callable[[Path], Any]) -> tuple[Any, str | None]:
        """(value, problem): `load(path)`'s value, or None and what is wrong with the file."""
        try:
            st = os.lstat(self.path)  # a link is refused by `load`, its target never looked at
            key = (st.st_size, st.st_mtime_ns)
        except FileNotFoundError:
            key = None
        if key is None or key != self.key:
            self.key, self.value, self.problem = key, None, None
            if key is not None:
                try:
                    self.value = load(self.path)
                except runs.NotRegularFileError as exc:
                    self.problem = f"{self.path.name} cannot be read: {exc.strerror}"
                    log.warning("%s: %s", self.path, self.problem)
                except (OSError, ValueError, runs.RunError) as exc:
                    self.problem = f"{self.path.name} cannot be read: {exc}"
                    log.warning("%s: %s", self.path, self.problem)
        return self.value, self.problem


def _json_object(path: Path) -> dict:
    data = json.loads(runs.read_text(path))
    if not isinstance(data, dict):
        raise ValueError(f"expected a JSON object, got {type(data).__name__}")
    return data


class _RunCache:
    def __init__(self, run_dir: Path):
        self.lock = threading.Lock()
        self.metrics = JsonlTail(run_dir / runs.METRICS_FILE)
        self.samples = JsonlTail(run_dir / runs.SAMPLES_FILE)
        self.evals = JsonlTail(run_dir / runs.EVAL_FILE)
        self.config = JsonDoc(run_dir / runs.CONFIG_FILE)
        self.sidecar = JsonDoc(run_dir / SIDECAR_FILE)
        self.evaluation = JsonDoc(run_dir / runs.EVALUATION_FILE)
        self.log_key: tuple[int, float, int] | None = None
        self.log_text = ""


@dataclass(frozen=True)
class RunSnapshot:
    """Everything the dashboard shows about one run, read once: the Train tab, `/run_status` and
    auto-stop all look at this, so they cannot disagree."""

    run_id: str
    status: dict
    """status.json with liveness applied (a dead "running" run reads "failed")."""
    metrics: list[dict]
    held_out: list[dict]
    """eval.jsonl rows."""
    samples: list[dict]
    """The newest sample rows."""
    log_tail: str
    checkpoints: list[str]
    """[] unless asked for (`details`)."""
    evaluation: dict | None
    """evaluation.json, when the run was evaluated and the file is sound."""
    config: dict
    """config.json; {} when it is missing or corrupt (then among the problems)."""
    thresholds: health.Thresholds
    """The alert levels the run was started with (the defaults for a run started elsewhere)."""
    auto_stop: bool
    notes: dict
    """The dashboard's notes on the run (dashboard.json): auto-stop settings and verdict."""
    exit_code: int | None
    """The exit code of this app's child, once it ended; None otherwise."""
    problems: list[str]
    """What is wrong with the run's files, each naming its file; [] unless asked for (`details`)."""

    @property
    def alerts(self) -> list[health.Alert]:
        return health.check(self.metrics, self.thresholds, self.held_out, self.status)


class Storage:
    """Run-directory reads for the UI, with the incremental metrics/samples cache."""

    def __init__(self, runs_dir: Path | str, clock: Callable[[], float] = time.monotonic):
        self.runs_dir = Path(runs_dir).expanduser().absolute()
        self.clock = clock
        """What runs_dir_problem measures its WRITABLE_RECHECK_S with (tests move it by hand)."""
        self._writable: tuple[float, str | None] | None = None
        """(when, the problem or None) of the last runs-folder check."""
        self._lock = threading.Lock()
        self._cache: LRU[_RunCache] = LRU(MAX_CACHED_RUNS)
        self._children: set[str] = set()
        """Runs whose process is this app's child: the runner records how they end (with the
        exit code), so readers here must not write their own verdict first."""
        self._exit_codes: dict[str, int] = {}
        self._listing: tuple[tuple, list[dict]] | None = None
        """(the _listing_key it was made under, the run summaries) of the last list_runs."""

    # --- locating runs ---------------------------------------------------------------------

    def run_dir(self, run_id: str) -> Path:
        """The folder of `run_id`; RunError for a bad id or a missing run (never a path)."""
        return runs.resolve_run(self.runs_dir, run_id, allow_paths=False)

    def list_runs(self) -> list[dict]:
        """Run summaries, newest first; a run whose process died reads 'failed'.

        Kept while the runs folder and its runs' status, config and checkpoints are unchanged
        and no run is live (a live run's process may die without a file changing): an idle
        presenter page, asking every second per browser, costs a few stat calls."""
        key = self._listing_key()
        with self._lock:
            cached = self._listing
        if cached is not None and cached[0] == key and not any(s.get("state") in LIVE_STATES for s in cached[1]):
            return [dict(s) for s in cached[1]]
        summaries = runs.list_runs(self.runs_dir, reconcile=False)
        with self._lock:
            self._listing = (key, summaries)
        return [dict(s) for s in summaries]

    def _listing_key(self) -> tuple:
        """What a run summary is made of, as (name, mtime, size) of each file that feeds it."""
        def stamp(path: Path) -> tuple[int, int] | None:
            try:
                st = os.stat(path, follow_symlinks=False)
            except OSError:
                return None
            return st.st_mtime_ns, st.st_size

        try:
            names = sorted(entry.name for entry in os.scandir(self.runs_dir))
        except OSError:
            return ()
        return (stamp(self.runs_dir), *((name, *(stamp(self.runs_dir / name / f) for f in
                                                 (runs.STATUS_FILE, runs.CONFIG_FILE, runs.CHECKPOINTS_DIR, runs.FINAL_DIR)))
                                        for name in names))

    def replayable_runs(self) -> list[dict]:
        """Summaries of the runs that ended (finished or stopped), newest first: what the
        presenter page can replay."""
        return [s for s in self.list_runs() if s.get("state") in REPLAYABLE_STATES]

    def active_run(self) -> str | None:
        return runs.active_run(self.runs_dir)

    def runs_dir_problem(self) -> str | None:
        """Why no run could be created here (unwritable or nearly full), or None; the answer of
        the last check when it is under WRITABLE_RECHECK_S old, so a room of refreshing browsers
        does not write a probe file each."""
        now = self.clock()
        with self._lock:
            if self._writable is not None and now - self._writable[0] < WRITABLE_RECHECK_S:
                return self._writable[1]
        try:
            runs.check_writable(self.runs_dir)
            problem = None
        except runs.RunError as exc:
            problem = str(exc)
        with self._lock:
            self._writable = (now, problem)
        return problem

    def create_run(self, config: dict, preset: str) -> Path:
        return runs.create_run(self.runs_dir, config, preset)

    def checkpoint(self, run_id: str, name: str | None) -> Path:
        """The checkpoint folder `name` (final, step-N; None: final, else the newest) of a run."""
        return runs.resolve_checkpoint(self.run_dir(run_id), name)

    def _entry(self, run_id: str) -> _RunCache:
        run_dir = self.run_dir(run_id)
        entry = self._cache.get_or_make(run_id, lambda: _RunCache(run_dir))
        if entry.metrics.path.parent != run_dir:  # the same id in a moved runs folder
            entry = self._cache.put(run_id, _RunCache(run_dir))
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
        return self._problems(self._entry(run_id))

    def _problems(self, entry: _RunCache, status: dict | None = None) -> list[str]:
        """What is wrong with the run's files, each message naming its file (corrupt status.json,
        config.json, dashboard.json or evaluation.json, corrupt metrics/samples/eval lines); []
        for a sound run. Readers work around all of these; the user should still know. Reads
        only what the caches do not hold: `status` (and tails brought up to date) come from a snapshot."""
        run_dir = entry.metrics.path.parent
        stored = status if status is not None else runs.read_status_file(run_dir)
        found = [p for p in [stored.get("error") if stored.get("state") == "unknown" else None,
                             runs.log_problem(run_dir)] if p]
        with entry.lock:
            config, config_problem = entry.config.read(lambda path: runs.read_config(path.parent))
            documents = [config_problem, entry.evaluation.read(_json_object)[1]]
        if config is None and config_problem is None:  # absent: evaluation.json may be, config.json may not
            documents[0] = f"run {run_dir.name} has no {runs.CONFIG_FILE}"
        found += [p for p in documents + [self._sidecar(entry)[1]] if p]
        total = len(found)
        with entry.lock:
            for tail in (entry.metrics, entry.samples, entry.evals):
                if status is None:  # a snapshot has just brought the tails up to date
                    tail.update()
                found += tail.problems
                total += tail.problem_count
        return runs.summarise_problems(found, total=total)

    def log_tail(self, run_id: str, lines: int = 40) -> str:
        """The end of train.log; re-read only when the file changed."""
        return self._log_tail(self._entry(run_id), lines)

    def _log_tail(self, entry: _RunCache, lines: int) -> str:
        path = entry.metrics.path.parent / runs.LOG_FILE
        try:
            st = os.lstat(path)  # a link: runs.log_tail refuses it, its target is never looked at
            key = (st.st_size, st.st_mtime, lines)  # the API and the Log panel ask for different lengths
        except FileNotFoundError:
            return ""
        with entry.lock:
            if key != entry.log_key:
                entry.log_text = runs.log_tail(path.parent, lines)
                entry.log_key = key
            return entry.log_text

    # --- the runner's children --------------------------------------------------------------

    def child_started(self, run_id: str) -> None:
        """`run_id` trains in a child of this app: its end is the runner's to record."""
        with self._lock:
            self._children.add(run_id)

    def child_ended(self, run_id: str, code: int | None, **status_fields: Any) -> None:
        """The runner's child ended with `code`; `status_fields` are the state it could not record
        itself (killed before it wrote it), written now."""
        try:
            if status_fields:
                runs.write_status(self.run_dir(run_id), **status_fields)
        finally:
            with self._lock:
                if code is not None:
                    self._exit_codes[run_id] = code
                self._children.discard(run_id)

    def recorded_status(self, run_id: str) -> dict:
        """status.json as it is stored, without a liveness verdict (the runner judges its own
        children by their process)."""
        return runs.read_status_file(self.run_dir(run_id))

    def write_status(self, run_id: str, **fields: Any) -> None:
        runs.write_status(self.run_dir(run_id), **fields)

    @contextmanager
    def log_file(self, run_id: str) -> Iterator[Any]:
        """train.log opened for appending: a child's stdout and stderr. NotRegularFileError (an
        OSError) when it is a link: a child's output is never written through one."""
        path = self.run_dir(run_id) / runs.LOG_FILE
        with os.fdopen(runs.open_regular(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT), "ab") as f:
            yield f

    def is_child(self, run_id: str) -> bool:
        with self._lock:
            return run_id in self._children

    def exit_code(self, run_id: str) -> int | None:
        with self._lock:
            return self._exit_codes.get(run_id)

    # --- whole documents -------------------------------------------------------------------

    def status(self, run_id: str) -> dict:
        """status.json with liveness applied: a dead 'running' run reads 'failed' (and is saved
        so, unless it is our child, whose end the runner records)."""
        return self._status(run_id, self.run_dir(run_id))

    def _status(self, run_id: str, run_dir: Path) -> dict:
        if self.is_child(run_id):
            return runs.read_status(run_dir)
        return runs.reconcile_status(run_dir)

    def config(self, run_id: str) -> dict:
        """config.json; RunError when it is missing or corrupt."""
        entry = self._entry(run_id)
        with entry.lock:
            value, problem = entry.config.read(lambda path: runs.read_config(path.parent))
        if problem:
            raise runs.RunError(problem)
        return value if value is not None else runs.read_config(entry.config.path.parent)

    def checkpoints(self, run_id: str) -> list[str]:
        return runs.list_checkpoints(self.run_dir(run_id))

    def evaluation(self, run_id: str) -> dict | None:
        """evaluation.json of the run; None when it was never evaluated, RunError naming the
        file when it cannot be read (a corrupt file is not "not evaluated yet")."""
        entry = self._entry(run_id)
        with entry.lock:
            value, problem = entry.evaluation.read(_json_object)
        if problem:
            raise runs.RunError(problem)
        return value

    def sidecar(self, run_id: str) -> dict:
        """The dashboard's notes on the run ({} when it has none); RunError when it is corrupt."""
        value, problem = self._sidecar(self._entry(run_id))
        if problem:
            raise runs.RunError(problem)
        return value

    @staticmethod
    def _sidecar(entry: _RunCache) -> tuple[dict, str | None]:
        with entry.lock:
            value, problem = entry.sidecar.read(_json_object)
        if problem:
            problem += " (so auto-stop is off for this run and the default alert levels apply)"
        return dict(value or {}), problem

    def snapshot(self, run_id: str, samples: int = 8, log_lines: int = 40, details: bool = True) -> RunSnapshot:
        """One consistent read of everything about a run (see RunSnapshot): status.json once,
        the JSONL files from where the last read stopped, the documents only when they changed.
        `details`: also list the checkpoints and the files' problems, which only the Train tab
        and the API show (the presenter and auto-stop tick every second without them)."""
        entry = self._entry(run_id)  # the run id is resolved once per snapshot
        run_dir = entry.metrics.path.parent
        status = self._status(run_id, run_dir)
        notes, _ = self._sidecar(entry)  # a corrupt file is among the problems
        with entry.lock:
            for tail in (entry.metrics, entry.samples, entry.evals):
                tail.update()
            metrics, held_out = list(entry.metrics.rows), list(entry.evals.rows)
            evaluation = entry.evaluation.read(_json_object)[0]  # None if absent or corrupt (a problem)
            config = entry.config.read(lambda path: runs.read_config(path.parent))[0] or {}
            newest = list(entry.samples.rows[-samples:]) if samples else []
        return RunSnapshot(
            run_id=run_id, status=status, metrics=metrics, held_out=held_out, samples=newest,
            log_tail=self._log_tail(entry, log_lines) if log_lines else "",
            checkpoints=runs.list_checkpoints(run_dir) if details else [], evaluation=evaluation, config=config,
            thresholds=health.Thresholds.from_dict(notes.get("thresholds")),
            auto_stop=bool(notes.get("auto_stop")), notes=notes, exit_code=self.exit_code(run_id),
            problems=self._problems(entry, status) if details else [])

    def update_sidecar(self, run_id: str, **fields: Any) -> dict:
        notes, _ = self._sidecar(self._entry(run_id))  # a corrupt file is replaced by what we know
        return write_sidecar(self.run_dir(run_id), {**notes, **fields})


def write_sidecar(run_dir: Path, data: dict) -> dict:
    """Replace dashboard.json atomically (a reader sees the old or the new file, whole)."""
    runs.write_json_atomic(Path(run_dir) / SIDECAR_FILE, data, allow_nan=True)  # as json.dump did
    return data
