"""The run directory: create runs, record status and metrics, list and read them back.

A run directory is the whole truth about a run (docs/architecture.md, "The run directory"): the
dashboard may restart at any time and must find every run again from these files alone. So
every writer here keeps the files valid for a reader that looks at them at any moment: JSON
documents are replaced atomically, JSONL files are only appended to, and readers tolerate a
half-written last line.

Pure standard library on purpose: the dashboard and the CLI import this without torch.

One concern a module, each importing only those above it; callers use the names below as
`runs.X` and need not know which module holds them:
- files: atomic JSON writes (write_json_atomic), JSONL append and torn-line-tolerant reading,
  the tail of a text file, opening a file without following a link (open_regular, read_text,
  NotRegularFileError); nothing about runs.
- layout: the file names of a run, RunError, run ids (validate, new, parse), the runs folder
  (default, check_writable and its free space).
- status: status.json (read, write, normalise), utc_now and parse_time (the one timestamp
  parser), process liveness (pid_alive, gone_error, read_status, reconcile_status).
- rundir: one run's folder: create_run (and remove_unstarted_run), resolve_run, read_config,
  metrics, samples and eval rows, checkpoints, log_tail, and what is wrong with its files
  (run_problems).
- lock: the training lock (TrainingLock, active_run).
- listing: list_runs and the report that `show` prints.
- __main__: the CLI, `python -m engine.runs list|show ...`.
"""
from __future__ import annotations

# Tests patch os.fsync, os.replace and shutil.disk_usage as runs.os and runs.shutil.
import os  # noqa: F401
import shutil  # noqa: F401

from engine.runs.disk import (RESERVE_FILE, disk_full, disk_full_error, kept_step, log_mentions_full_disk, make_reserve,
                              release_reserve)
from engine.runs.files import (LINK_REFUSED, NotRegularFileError, append_jsonl, entry_problem,
                               mode_problem, open_regular, read_jsonl, read_tail, read_text,
                               write_json_atomic)
from engine.runs.layout import (ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE, CHECKPOINT_FILES, CHECKPOINTS_DIR, checkpoint_files, VALUE_HEAD_FILE, CONFIG_FILE, EVAL_FILE,
                                EVALUATE_LOCK_FILE, EVALUATION_FILE, FINAL_DIR, LOCK_FILE, LOG_FILE, METRICS_FILE,
                                MIN_FREE_BYTES, RUNS_DIR_ENV, SAMPLES_FILE, STATUS_FILE, RunError,
                                check_writable, default_runs_dir, new_run_id, parse_run_id,
                                validate_run_id)
from engine.runs.listing import list_runs, run_report
from engine.runs.lock import EvaluationLock, TrainingLock, active_evaluation, active_run
from engine.runs.rundir import (PROBLEMS_SHOWN, checkpoint_dir, create_run, list_checkpoints,
                                log_problem, log_tail, read_config, read_eval, read_evaluation, read_metrics,
                                read_samples, remove_unstarted_run, resolve_checkpoint,
                                resolve_run, run_problems, staged_folder, summarise_problems)
# _proc_stat_fields, _process_start_ticks and _STATUS_KEYS: for the tests.
from engine.runs.status import (STALL_FACTOR, STALL_MIN_S, stall_seconds, stall_warning, typical_step_s)
from engine.runs.status import TRACKERS_FAILED_KEY, tracker_warning
from engine.runs.status import (STATES, _proc_stat_fields, _process_start_ticks, _STATUS_KEYS,
                                disk_note, gone_error, parse_time, pid_alive, process_exists, read_status,
                                read_status_file, reconcile_status, status_problem, utc_now,
                                write_status)

__all__ = [
    "STALL_FACTOR", "STALL_MIN_S", "stall_seconds", "stall_warning", "typical_step_s", "RESERVE_FILE", "disk_full", "disk_full_error", "kept_step", "log_mentions_full_disk", "make_reserve", "release_reserve",
    "ADAPTER_CONFIG_FILE", "ADAPTER_WEIGHTS_FILE", "CHECKPOINT_FILES", "CHECKPOINTS_DIR", "checkpoint_files", "VALUE_HEAD_FILE", "CONFIG_FILE", "EVALUATE_LOCK_FILE", "EVAL_FILE", "EVALUATION_FILE",
    "FINAL_DIR", "LINK_REFUSED", "LOCK_FILE", "LOG_FILE", "METRICS_FILE", "MIN_FREE_BYTES",
    "PROBLEMS_SHOWN", "RUNS_DIR_ENV", "SAMPLES_FILE", "STATES", "STATUS_FILE",
    "NotRegularFileError", "RunError", "TrainingLock", "EvaluationLock", "active_run", "active_evaluation", "append_jsonl",
    "check_writable", "checkpoint_dir", "create_run", "default_runs_dir", "disk_note",
    "entry_problem", "gone_error", "list_checkpoints", "list_runs", "log_problem", "log_tail",
    "mode_problem", "new_run_id", "open_regular", "parse_run_id", "parse_time", "pid_alive", "process_exists",
    "read_config", "read_eval", "read_evaluation", "read_jsonl", "read_metrics", "read_samples", "read_status",
    "read_status_file", "read_tail", "read_text", "reconcile_status", "remove_unstarted_run",
    "resolve_checkpoint", "resolve_run", "run_problems", "run_report", "staged_folder", "status_problem",
    "summarise_problems", "TRACKERS_FAILED_KEY", "tracker_warning", "utc_now", "validate_run_id", "write_json_atomic", "write_status",
]
