"""Starts, watches and stops `python -m engine.train` subprocesses for the dashboard.

Each run gets its directory (engine.runs.create_run) before its process starts, so a config
error is reported without leaving anything behind. The process runs in its own session: it
outlives a restart of the app, and the next app finds it again from the run directory (its
status.json carries the pid). Stopping sends SIGTERM, on which engine.train saves a checkpoint
and records the state `stopped`.
"""
from __future__ import annotations

import logging
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from engine import runs
from engine.config import ConfigError, shown
from engine.preflight import check_files

from dashboard import health
from dashboard.access import Limits
from dashboard.allowed_sources import AllowedSources
from dashboard.custom_run import CUSTOM_KEYS, check_custom
from dashboard.inputs import UserInputError
from dashboard.settings import check_processes, equivalent_command, resolve_settings, train_argv
from dashboard.storage import Storage

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent

HEALTH_POLL_S = 2.0
STOP_GRACE_S = 30.0
"""At least this long between SIGTERM and SIGKILL for a run that does not stop."""
STOP_GRACE_STEPS = 3.0
"""... and at least three of its steps: it stops after the current one and saves a checkpoint."""
RETRY_S = 5.0
"""How often the end of a run is written again when the disk refused it."""
RETRY_FOR_S = 24 * 3600.0
FULL_AT_EXIT = (". The disk holding the runs folder was full when it ended (No space left on device): "
                "that is most likely what stopped it")


class RunnerError(UserInputError):
    """A well-formed request the runner cannot carry out now (a run is already in progress, it
    is not running, the runs folder refuses a new run), with a readable message. A bad value is
    a plain UserInputError."""


@dataclass(frozen=True)
class Started:
    run_id: str
    run_dir: Path
    command: str
    """The CLI command that would train the same config."""


# --- processes --------------------------------------------------------------------------------

def signal_process_group(pid: int, signum: int) -> None:
    """Signal the process group of a trainer or an evaluation when it leads one (we start both
    so), else the process."""
    try:
        if os.getpgid(pid) == pid:
            os.killpg(pid, signum)
        else:
            os.kill(pid, signum)
    except ProcessLookupError:
        log.info("training process %d exited before signal %d reached it", pid, signum)


def describe_exit(code: int) -> str:
    """Popen's return code in words: 'exit code 3', or 'killed by signal 9 (SIGKILL)' for the
    negative codes of a process ended by a signal."""
    if code >= 0:
        return f"exit code {code}"
    try:
        name = signal.Signals(-code).name
    except ValueError:
        return f"killed by signal {-code}"
    return f"killed by signal {-code} ({name})"


class Runner:
    """One training process at a time (engine's lock in the runs folder enforces it machine-wide)."""

    def __init__(self, storage: Storage, train_command: list[str] | None = None,
                 limits: Limits | None = None, stop_grace_s: float = STOP_GRACE_S,
                 sources: AllowedSources | None = None):
        self.storage = storage
        self.limits = limits or Limits()
        self.sources = sources or AllowedSources.from_env()
        """What a custom run may name (models, data): checked here, on the server."""
        self.stop_grace_s = stop_grace_s
        self.runs_dir = storage.runs_dir
        self.train_command = train_command
        self._lock = threading.Lock()
        self._procs: dict[str, subprocess.Popen] = {}
        self._stop_requested: set[str] = set()
        self._stop_asked: dict[str, tuple[float, float]] = {}
        """run id -> (when Stop was pressed, when the run is killed if still alive) (monotonic)."""
        self._killed: dict[str, str] = {}
        """Runs this app killed, and why."""
        self._watched: set[str] = set()
        self._watch_lock = threading.Lock()  # not self._lock: start() holds that while it adopts

    # --- queries -----------------------------------------------------------------------------

    def in_progress(self) -> str | None:
        """The run being trained now: the lock holder, or a process of ours still starting up.

        A lock holder this app did not start (an app before a restart started it, or the CLI)
        is adopted on sight, so its end is noticed and auto-stop keeps watching it.
        """
        for run_id in list(self._procs):
            if self._starting_or_running(run_id):
                return run_id
        run_id = self.storage.active_run()
        if run_id and run_id not in self._procs:
            self.adopt(run_id)
        return run_id

    def _starting_or_running(self, run_id: str) -> bool:
        """Whether our process for `run_id` still trains; one that recorded its final state is
        only exiting (its lock is already released)."""
        proc = self._procs.get(run_id)
        return (proc is not None and proc.poll() is None
                and self.storage.recorded_status(run_id)["state"] in ("queued", "running"))

    def exit_code(self, run_id: str) -> int | None:
        return self.storage.exit_code(run_id)

    # --- start -------------------------------------------------------------------------------

    def start(self, preset: str, settings: dict[str, Any] | None = None, auto_stop: bool = False,
              thresholds: health.Thresholds | None = None, processes: int = 1) -> Started:
        """Start `python -m engine.train`, or `processes` data-parallel ranks of it (one per GPU)."""
        if not isinstance(auto_stop, bool):
            raise UserInputError(f"auto-stop must be true or false, got {shown(auto_stop)}")
        cfg = resolve_settings(preset, settings)  # before anything touches the disk
        if set(settings or {}) & set(CUSTOM_KEYS):
            check = check_custom(preset, settings or {}, self.sources)
            if not check.ok:
                raise UserInputError("this custom run cannot start:\n" + "\n".join(f"- {p}" for p in check.problems))
        over = self.limits.problems(cfg)
        if over:
            raise UserInputError("this run is larger than this app allows:\n" + "\n".join(f"- {p}" for p in over))
        processes = check_processes(processes, cfg)
        try:
            check_files(cfg)  # missing model folders or an unreachable Hub: said now, nothing written
        except ConfigError as exc:  # a folder that is not there, or a Hub that cannot be reached now
            raise RunnerError(str(exc)) from exc
        with self._lock:
            busy = self.in_progress()
            if busy:
                raise RunnerError(f"a run is already in progress: {busy}")
            try:
                run_dir = self.storage.create_run(cfg.to_dict(), cfg.preset)
            except runs.RunError as exc:
                raise RunnerError(str(exc)) from exc
            run_id = run_dir.name
            self.storage.update_sidecar(run_id, auto_stop=bool(auto_stop),
                                        thresholds=(thresholds or health.Thresholds()).to_dict())
            proc = self._spawn(run_dir, processes)
            self._procs[run_id] = proc
            self.storage.child_started(run_id)
            # A queued status with a pid is watched for liveness: if the process dies while it
            # loads models, readers see the run fail instead of waiting forever.
            self.storage.write_status(run_id, pid=proc.pid)
        self._watch(run_id, proc.wait, lambda: proc.poll() is None)
        return Started(run_id, run_dir, equivalent_command(preset, settings, self.runs_dir, processes))

    def _spawn(self, run_dir: Path, processes: int = 1) -> subprocess.Popen:
        command = train_argv(run_dir, processes, self.train_command)
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        try:
            with self.storage.log_file(run_dir.name) as log_file:
                return subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log_file,
                                        stderr=subprocess.STDOUT, cwd=ROOT, env=env,
                                        start_new_session=True)
        except OSError as exc:
            message = f"cannot start the training process: {exc.strerror or exc}"
            self.storage.write_status(run_dir.name, state="failed", error=message)
            raise RunnerError(message) from exc

    # --- evaluate ----------------------------------------------------------------------------

    def evaluate(self, run_id: str, checkpoint: str | None, data: str, samples: int, seed: int,
                 samples_per_prompt: int) -> EvaluationJob:
        """Start `python -m engine.evaluate` on a run (the values already checked by the caller:
        engine.evaluate checks them again, and refuses a second evaluation of the same run)."""
        return EvaluationJob(self.storage, run_id, evaluate_argv(self.runs_dir, run_id, checkpoint, data, samples,
                                                                 seed, samples_per_prompt))

    # --- stop --------------------------------------------------------------------------------

    def stop(self, run_id: str | None = None, reason: str | None = None) -> str:
        """Ask the run to stop (SIGTERM); it saves a checkpoint first. Returns a message."""
        run_id = run_id or self.in_progress()
        if not run_id:
            raise RunnerError("no run is in progress")
        try:
            snap = self.storage.snapshot(run_id, samples=0, log_lines=0, details=False)
        except runs.RunError as exc:
            raise RunnerError(str(exc)) from exc
        status, rows = snap.status, snap.metrics
        pid = self._live_pid(run_id, status)
        if pid is None:
            raise RunnerError(f"run {run_id} is not running (it is {status.get('state')})")
        # The banner's verdict, by the run's own alert levels: the two cannot disagree.
        stalled = health.stalled(rows, status, snap.thresholds) is not None
        asked = self._stop_asked.get(run_id)
        if asked is not None:  # Stop pressed again: kill at once if it is frozen, else say when
            if stalled:
                self._kill(run_id, pid, "it was stalled and Stop was pressed again")
                return f"Run {run_id} was stalled: it is killed now (stopped by force)."
            left = max(0.0, asked[1] - time.monotonic())
            return (f"Run {run_id} is already stopping (asked {time.monotonic() - asked[0]:.0f} s ago); if it "
                    f"has not stopped in {left:.0f} s more, it is killed.")
        self._stop_requested.add(run_id)
        if reason:
            self.storage.update_sidecar(run_id, auto_stopped={"reason": reason,
                                                              "step": status.get("step")})
        grace = self.stop_grace(rows)
        self._stop_asked[run_id] = (time.monotonic(), time.monotonic() + grace)
        signal_process_group(pid, signal.SIGTERM)
        threading.Thread(target=self._kill_if_still_alive, args=(run_id, pid, grace), daemon=True,
                         name=f"stop-{run_id}").start()
        if stalled:
            return (f"Stopping run {run_id}: it looks frozen; if it does not stop within {grace:.0f} s "
                    "it is killed (press Stop again to kill it now).")
        if status.get("state") == "queued":
            return f"Stopping run {run_id} while it loads its models."
        return f"Stopping run {run_id}: it saves a checkpoint after the current step."

    def stop_grace(self, rows: list[dict]) -> float:
        """How long a run may take to stop after SIGTERM before it is killed: the current step
        and a checkpoint, several times over (a slow CPU's long steps are no hang)."""
        return max(self.stop_grace_s, STOP_GRACE_STEPS * (runs.typical_step_s(rows) or 0.0))

    def _kill_if_still_alive(self, run_id: str, pid: int, grace: float) -> None:
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            if not runs.pid_alive(pid):
                return
            time.sleep(min(0.2, grace))
        if runs.pid_alive(pid):
            self._kill(run_id, pid, f"it did not stop within {grace:.0f} s of SIGTERM")

    def _kill(self, run_id: str, pid: int, why: str) -> None:
        """SIGKILL the run's whole process group; its end is recorded as stopped by force."""
        self._killed[run_id] = why
        log.warning("killing run %s (pid %d): %s", run_id, pid, why)
        signal_process_group(pid, signal.SIGKILL)  # its watcher (child or adopted) records the end

    def _forced_stop(self, run_id: str) -> str:
        """The error of a run this app killed: why, and what of it is kept."""
        try:
            checkpoints = self.storage.checkpoints(run_id)
        except runs.RunError:
            checkpoints = []
        kept = (f"its newest checkpoint is {checkpoints[-1]}; the steps after it are lost" if checkpoints
                else "it saved no checkpoint")
        return f"stopped by force (SIGKILL): {self._killed[run_id]}; {kept}"

    def _live_pid(self, run_id: str, status: dict) -> int | None:
        if self._starting_or_running(run_id):
            return self._procs[run_id].pid
        pid = status.get("pid")
        if status.get("state") in ("queued", "running") and isinstance(pid, int) and runs.pid_alive(pid):
            return pid
        return None

    def terminate_all(self, timeout: float = STOP_GRACE_S) -> None:
        """Stop every process this runner started and wait for them (tests and shutdown)."""
        for run_id, proc in list(self._procs.items()):
            if proc.poll() is None:
                self._stop_requested.add(run_id)
                signal_process_group(proc.pid, signal.SIGTERM)
        for proc in list(self._procs.values()):
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                log.warning("training process %d ignored SIGTERM; killing it", proc.pid)
                signal_process_group(proc.pid, signal.SIGKILL)
                proc.wait()

    # --- watching ----------------------------------------------------------------------------

    def adopt(self, run_id: str | None = None) -> None:
        """Watch a run this app did not start (another app instance, the CLI, or an app before a
        restart): default the lock holder. Its exit code is unknowable (we are not its parent),
        so its death is noticed by polling its pid."""
        run_id = run_id or self.storage.active_run()
        if not run_id or run_id in self._watched or run_id in self._procs:
            return
        try:
            pid = self.storage.recorded_status(run_id).get("pid")
        except runs.RunError as exc:
            log.warning("cannot adopt run %s: %s", run_id, exc)
            return
        if not isinstance(pid, int) or isinstance(pid, bool):
            return  # not started yet: the next look adopts it

        def wait() -> None:
            while runs.pid_alive(pid):
                time.sleep(HEALTH_POLL_S)

        self._watch(run_id, wait, lambda: runs.pid_alive(pid))

    def _watch(self, run_id: str, wait: Callable[[], Any], alive: Callable[[], bool]) -> None:
        """A thread that checks the run's health while it lives and records how it ended."""
        with self._watch_lock:  # two refreshes at once must not start two watchers
            if run_id in self._watched:
                return
            self._watched.add(run_id)
        thread = threading.Thread(target=self._watch_loop, args=(run_id, wait, alive),
                                  name=f"watch-{run_id}", daemon=True)
        thread.start()

    def _watch_loop(self, run_id: str, wait: Callable[[], Any], alive: Callable[[], bool]) -> None:
        waiter = threading.Thread(target=wait, daemon=True)  # reaps our child: no zombie
        waiter.start()
        while waiter.is_alive():
            waiter.join(HEALTH_POLL_S)
            if waiter.is_alive() and alive():
                self._auto_stop_if_unhealthy(run_id)
        self._finished(run_id)

    def _auto_stop_if_unhealthy(self, run_id: str) -> None:
        try:
            snap = self.storage.snapshot(run_id, samples=0, log_lines=0, details=False)
            if not snap.auto_stop or run_id in self._stop_requested:
                return
            alerts = snap.alerts  # the Train tab's alerts and /run_status's, by construction
            if alerts:
                log.warning("auto-stopping run %s: %s", run_id, alerts[0].message)
                self.stop(run_id, reason=alerts[0].message)
        except (RunnerError, runs.RunError, OSError) as exc:
            log.warning("health check of run %s failed: %s", run_id, exc)

    def _finished(self, run_id: str) -> None:
        """Record the exit; a process that died before writing its final state is marked."""
        proc = self._procs.get(run_id)
        code = proc.returncode if proc is not None else None
        fields: dict[str, Any] = {}
        try:
            recorded = self.storage.recorded_status(run_id)
            if recorded["state"] in ("queued", "running") or _only_known_as_gone(recorded, code):
                # Killed before engine.train could write its last state (kill -9, the OOM
                # killer, stopped while still importing): say what happened rather than
                # leave it "running".
                if run_id in self._killed:
                    fields = {"state": "stopped", "error": self._forced_stop(run_id)}
                elif run_id in self._stop_requested:
                    fields = {"state": "stopped", "error": None}
                else:
                    fields = {"state": "failed", "error": _unrecorded_end(recorded, code)
                              + runs.disk_note(self.storage.run_dir(run_id))}
        except (runs.RunError, OSError) as exc:
            log.warning("could not read the end of run %s: %s", run_id, exc)
        try:
            self.storage.child_ended(run_id, code, **fields)
        except OSError as exc:
            # Most likely the disk is full: what only we know (the exit code, that the disk was
            # full when it ended) is written as soon as there is room again.
            if fields.get("error") and runs.disk_full(exc) and "disk" not in fields["error"]:
                fields["error"] += FULL_AT_EXIT
            log.warning("could not record the end of run %s (%s); retrying every %.0f s", run_id, exc, RETRY_S)
            threading.Thread(target=self._record_later, args=(run_id, code, fields), daemon=True,
                             name=f"record-{run_id}").start()
        except runs.RunError as exc:
            log.warning("could not record the end of run %s: %s", run_id, exc)
        finally:
            self._stop_asked.pop(run_id, None)
            with self._watch_lock:
                self._watched.discard(run_id)

    def _record_later(self, run_id: str, code: int | None, fields: dict[str, Any]) -> None:
        """Write `fields` once the disk takes it, unless the run's end got recorded meanwhile by
        someone who knew it (a reader that only saw the process gone does not count)."""
        deadline = time.monotonic() + RETRY_FOR_S
        while time.monotonic() < deadline:
            time.sleep(RETRY_S)
            try:
                recorded = self.storage.recorded_status(run_id)
                if not (recorded["state"] in ("queued", "running", "unknown") or _only_known_as_gone(recorded, code)):
                    return
                self.storage.write_status(run_id, **fields)
                log.info("recorded the end of run %s: %s", run_id, fields.get("error") or fields.get("state"))
                return
            except OSError as exc:
                log.debug("still cannot record the end of run %s: %s", run_id, exc)
            except runs.RunError as exc:
                log.warning("gave up recording the end of run %s: %s", run_id, exc)
                return


def _only_known_as_gone(recorded: dict, code: int | None) -> bool:
    """Whether another reader (the CLI, another app) recorded our child's death before we could,
    without the exit code only we, its parent, know."""
    pid = recorded.get("pid")
    return (code is not None and recorded["state"] == "failed" and isinstance(pid, int)
            and str(recorded.get("error")).startswith(runs.gone_error(pid)))


def _unrecorded_end(recorded: dict, code: int | None) -> str:
    """The error of a run whose process ended without writing its final state."""
    if code is None:
        pid = recorded.get("pid")
        return runs.gone_error(pid) if isinstance(pid, int) else (
            f"the training process ended without recording how it ended; see {runs.LOG_FILE}")
    verb = "was" if code < 0 else "ended with"  # "was killed by signal 9", "ended with exit code 3"
    return (f"the training process {verb} {describe_exit(code)} before it recorded how the run "
            f"ended; see {runs.LOG_FILE}")


# --- evaluations -----------------------------------------------------------------------------

EVALUATE_COMMAND = [sys.executable, "-m", "engine.evaluate"]
ERROR_TAIL_CHARS = 2000


def evaluate_argv(runs_dir: Path, run_id: str, checkpoint: str | None, data: str, samples: int, seed: int,
                  samples_per_prompt: int) -> list[str]:
    """The exact argv of an evaluation; its result is the evaluation.json it writes."""
    command = [*EVALUATE_COMMAND, run_id, "--runs-dir", str(runs_dir), "--samples", str(samples),
               "--samples-per-prompt", str(samples_per_prompt), "--data", data, "--seed", str(seed)]
    return command + (["--checkpoint", checkpoint] if checkpoint else [])


def shown_command(argv: list[str]) -> str:
    """An argv as a person types it: `python` for this interpreter, quoted for a shell."""
    return shlex.join(["python" if argv[0] == sys.executable else argv[0], *argv[1:]])


class EvaluationJob:
    """One `python -m engine.evaluate` this app started, in its own process group (Cancel ends
    it and every process it started). stdout and stderr go to files, read when it ends."""

    def __init__(self, storage: Storage, run_id: str, argv: list[str]):
        self.storage, self.run_id, self.argv = storage, run_id, argv
        self.command = shown_command(argv)
        self._out, self._err = tempfile.TemporaryFile(), tempfile.TemporaryFile()
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self._out, stderr=self._err,
                                     cwd=ROOT, start_new_session=True)
        self.began = time.monotonic()

    @property
    def running(self) -> bool:
        return self.proc.poll() is None

    @property
    def seconds(self) -> float:
        return time.monotonic() - self.began

    def stop(self) -> None:
        if self.running:
            signal_process_group(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                signal_process_group(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def report(self) -> str:
        """What it printed: the compact table of engine.evaluate."""
        self._out.seek(0)
        return self._out.read().decode("utf-8", errors="replace")

    def error(self) -> str | None:
        """None when it succeeded; else what went wrong: its "error: ..." lines (bad input,
        said by engine.evaluate) or the end of its stderr (a traceback)."""
        if self.proc.wait() == 0:
            return None
        self._err.seek(0)
        stderr = self._err.read().decode("utf-8", errors="replace")
        said = [line for line in stderr.splitlines() if line.startswith("error:")]
        return (f"exit code {self.proc.returncode}:\n" + ("\n".join(said) if said else stderr[-ERROR_TAIL_CHARS:]))

    def result(self) -> dict:
        """evaluation.json as this evaluation wrote it."""
        return self.storage.evaluation(self.run_id) or {}
