"""Experiment trackers: a run's metric rows, also sent to trackio, TensorBoard or Weights & Biases.

`run.report_to` names them (TRL's `report_to`, and TRL's metric names: `objective/kl`,
`ppo/mean_scores`, `env/reward_mean`, ..., at the PPO step; held-out rows as `eval/...`). The run
directory stays the source of truth: a tracker gets copies of what rank 0 writes there, and a
tracker that fails, at its start or mid-run, is logged once with its traceback and switched off
while training goes on. Each tracker's package is optional and imported here only when asked;
engine.preflight refuses a run that names one whose package is missing, before anything is written.

Where each writes:
- trackio: project `detox`, one run per run directory (named by its run id, grouped by preset),
  in `$TRACKIO_DIR`, by default `<runs folder>/.trackio/`: one database for every run of the
  runs folder, so its dashboard compares them (`TRACKIO_DIR=runs/.trackio trackio show --project detox`);
- tensorboard: `<run dir>/tensorboard/` (`tensorboard --logdir runs/<id>/tensorboard`, or
  `--logdir runs` for every run);
- wandb: `<run dir>/wandb/`; with `WANDB_MODE=offline` nothing leaves the machine (`wandb sync` uploads later).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, Callable, Protocol

from engine.config import Config
from engine.runs.files import is_real_dir

log = logging.getLogger("engine.trackers")

PROJECT = "detox"
"""The trackio and wandb project every run goes to."""
TRACKIO_DIR = ".trackio"
"""trackio's store inside the runs folder (a dot folder: engine.runs does not take it for a run)."""
TENSORBOARD_DIR = "tensorboard"
"""TensorBoard's event files inside the run directory."""
SAMPLE_COLUMNS = ("step", "query", "response", "reward")


class Tracker(Protocol):
    name: str

    def log(self, row: dict[str, float], step: int) -> None: ...

    def log_samples(self, rows: list[dict], step: int) -> None: ...

    def finish(self) -> None: ...


class TrackerError(RuntimeError):
    """A tracker that cannot start here; the message says why."""


def _own_folder(path: Path) -> Path:
    """`path` as a folder to write into, never through a link (the run directory's rule)."""
    if os.path.lexists(path) and not is_real_dir(path):
        raise TrackerError(f"{path} is not a folder (a link is not written through)")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _sample_table(rows: list[dict]) -> list[list[Any]]:
    return [[row[c] for c in SAMPLE_COLUMNS] for row in rows]


class TensorBoardTracker:
    """torch's SummaryWriter (it needs the tensorboard package): scalars, and samples as a text table."""

    name = "tensorboard"

    def __init__(self, cfg: Config, run_dir: Path):
        from torch.utils.tensorboard import SummaryWriter

        self.writer = SummaryWriter(log_dir=str(_own_folder(run_dir / TENSORBOARD_DIR)))
        log.info("tensorboard: event files in %s (tensorboard --logdir %s)", self.writer.log_dir, self.writer.log_dir)

    def log(self, row: dict[str, float], step: int) -> None:
        for key, value in row.items():
            self.writer.add_scalar(key, value, step)
        self.writer.flush()  # a TensorBoard open during the run shows every step, not every 2 minutes

    def log_samples(self, rows: list[dict], step: int) -> None:
        def cell(value: Any) -> str:  # one markdown table cell: no pipe, no line break of any kind
            return " ".join(str(value).replace("|", "\\|").splitlines())

        lines = ["| " + " | ".join(SAMPLE_COLUMNS) + " |", "|" + "---|" * len(SAMPLE_COLUMNS)]
        lines += ["| " + " | ".join(cell(v) for v in values) + " |" for values in _sample_table(rows)]
        self.writer.add_text("samples", "\n".join(lines), step)

    def finish(self) -> None:
        self.writer.close()


class TrackioTracker:
    """trackio in local mode: a SQLite database in TRACKIO_DIR, samples as a trackio.Table."""

    name = "trackio"

    def __init__(self, cfg: Config, run_dir: Path):
        # trackio reads TRACKIO_DIR once, when it is imported; a folder the user chose wins
        os.environ.setdefault("TRACKIO_DIR", str(_own_folder(run_dir.parent / TRACKIO_DIR)))
        import trackio

        self.trackio = trackio
        # No CPU/GPU monitor threads: the run's own time/* metrics say where the time goes.
        trackio.init(project=PROJECT, name=run_dir.name, group=cfg.preset, config=cfg.to_dict(),
                     embed=False, auto_log_cpu=False, auto_log_gpu=False)
        store = trackio.utils.TRACKIO_DIR
        log.info("trackio: project %s, run %s, in %s (TRACKIO_DIR=%s trackio show --project %s)",
                 PROJECT, run_dir.name, store, store, PROJECT)

    def log(self, row: dict[str, float], step: int) -> None:
        self.trackio.log(row, step=step)

    def log_samples(self, rows: list[dict], step: int) -> None:
        table = self.trackio.Table(columns=list(SAMPLE_COLUMNS), data=_sample_table(rows))
        self.trackio.log({"samples": table}, step=step)

    def finish(self) -> None:
        self.trackio.finish()


class WandbTracker:
    """Weights & Biases: online after `wandb login`, or offline with WANDB_MODE=offline."""

    name = "wandb"

    def __init__(self, cfg: Config, run_dir: Path):
        import wandb

        self.wandb = wandb
        self.run = wandb.init(project=PROJECT, name=run_dir.name, group=cfg.preset, dir=str(run_dir),
                              config=cfg.to_dict())
        log.info("wandb: run %s in %s", run_dir.name, self.run.dir)

    def log(self, row: dict[str, float], step: int) -> None:
        self.run.log(row, step=step)

    def log_samples(self, rows: list[dict], step: int) -> None:
        self.run.log({"samples": self.wandb.Table(columns=list(SAMPLE_COLUMNS), data=_sample_table(rows))}, step=step)

    def finish(self) -> None:
        self.run.finish()


ADAPTERS: dict[str, Callable[[Config, Path], Tracker]] = {
    "trackio": TrackioTracker, "tensorboard": TensorBoardTracker, "wandb": WandbTracker}


def numbers(row: dict[str, Any]) -> dict[str, float]:
    """The metrics of a row: its numbers, without `step` (that is the x axis)."""
    return {key: float(value) for key, value in row.items()
            if key != "step" and isinstance(value, (int, float)) and not isinstance(value, bool)}


def eval_metrics(row: dict[str, Any]) -> dict[str, float]:
    """An eval.jsonl row as `eval/...` metrics: reward, toxicity by judge, summary quality."""
    metrics = {f"eval/{key}": row[key] for key in ("reward_mean", "reward_std", "length_mean", "distinct_2",
                                                   "degenerate_share") if key in row}
    # "reward model" -> eval/toxicity/reward_model: tag names without spaces read well in every viewer
    metrics.update({f"eval/toxicity/{judge.replace(' ', '_')}": value for judge, value in row["toxicity"].items()})
    return numbers(metrics)


Report = Callable[[dict[str, str]], None]
"""Told every tracker that failed so far ({name: why}): the trainer records them in status.json,
so that the Train tab and `engine.runs show` say so, not only train.log."""


def _why(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc)[:300]}"


class Trackers:
    """The trackers of a run, called together. The first exception a tracker raises is logged
    with its traceback and switches that tracker off: it never stops training, and the run
    directory keeps every row it missed. `failed` names each one switched off (or never
    started) with why; `report` is told of each."""

    def __init__(self, trackers: list[Tracker], failed: dict[str, str] | None = None,
                 report: Report | None = None):
        self.active = list(trackers)
        self.failed = dict(failed or {})
        self.report = report
        if self.failed:
            self._report()

    def _report(self) -> None:
        if self.report is not None:
            self.report(dict(self.failed))

    def log(self, row: dict[str, Any], step: int) -> None:
        metrics = numbers(row)
        self._each("log", lambda t: t.log(metrics, step))

    def log_samples(self, rows: list[dict], step: int) -> None:
        if rows:
            self._each("log_samples", lambda t: t.log_samples(rows, step))

    def finish(self) -> None:
        self._each("finish", lambda t: t.finish())
        self.active = []

    def _each(self, what: str, call: Callable[[Tracker], None]) -> None:
        for tracker in list(self.active):
            try:
                call(tracker)
            except Exception as exc:
                log.exception("tracker %s failed (%s) and is switched off; training goes on and the run "
                              "directory has every row", tracker.name, what)
                self.active.remove(tracker)
                self.failed[tracker.name] = f"failed ({what}) and was switched off: {_why(exc)}"
                self._report()


def open_trackers(cfg: Config, run_dir: Path, report: Report | None = None) -> Trackers:
    """The trackers `cfg.run.report_to` names, started for rank 0's run directory. One that cannot
    start is logged with its traceback and left out (the run does not depend on it), and
    `report` is told."""
    started: list[Tracker] = []
    failed: dict[str, str] = {}
    for name in dict.fromkeys(cfg.run.report_to):  # a name given twice is one tracker
        try:
            started.append(ADAPTERS[name](cfg, run_dir))
        except Exception as exc:
            log.exception("tracker %s could not start; training goes on without it", name)
            failed[name] = f"could not start: {_why(exc)}"
    return Trackers(started, failed, report)
