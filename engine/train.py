"""`python -m engine.train`: one detox run (PPO, RLOO or GRPO) from a preset (plus overrides) into a run directory.

    python -m engine.train --preset demo --steps 60 [--algorithm ppo|rloo|grpo] [--runs-dir DIR] [--set ppo.learning_rate=1e-4 ...]
    accelerate launch --num_processes 2 -m engine.train --preset tiny     # data-parallel

The run directory is written as the run goes (see engine/runs/): metrics flushed per step,
checkpoints every `run.save_every` steps and at the end. SIGTERM or Ctrl-C: a checkpoint is
saved and the state becomes `stopped`. An exception: state `failed` with the message, exit 1.
A config that cannot run (a bad setting, a missing or wrong model folder, an unreadable local
dataset) is refused with exit code 2 before anything is written (engine.preflight).
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import signal
import sys
import time
import traceback
from pathlib import Path

from engine import runs, schema
from engine.config import (ALGORITHMS, DESCRIPTIONS, OFFLINE_PRESET, Config, ConfigError, prompts_per_step, resolve,
                           settings_help, validate)
from engine.trackers import Trackers, eval_metrics, open_trackers

log = logging.getLogger("engine.train")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m engine.train", description=__doc__.split("\n\n")[0],
                                 epilog=settings_help(), formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preset", default=OFFLINE_PRESET,
                    help="; ".join(f"{name}: {text}" for name, text in DESCRIPTIONS.items())
                    + f" (default: {OFFLINE_PRESET})")
    ap.add_argument("--algorithm", choices=list(ALGORITHMS), help="; ".join(f"{name}: {text}" for name, text in
                    ALGORITHMS.items()) + " (same as --set ppo.algorithm=NAME; default: the preset's, ppo)")
    ap.add_argument("--steps", type=int, help="training steps (same as --set ppo.steps=N)")
    ap.add_argument("--runs-dir", type=Path, default=None, help="folder of run directories "
                    f"(default: ${runs.RUNS_DIR_ENV}, /data/runs on a Space with persistent storage, else ./runs)")
    ap.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                    help="override a setting, e.g. --set ppo.learning_rate=1e-4 (repeatable)")
    ap.add_argument("--run-dir", type=Path, default=None,
                    help="train into this existing run directory (created by the dashboard; its "
                         "config.json is the config and the other options are ignored)")
    return ap.parse_args(argv)


class StopFlag:
    """SIGTERM/SIGINT ask the loop to stop after the current step; a second Ctrl-C aborts at once."""

    def __init__(self):
        self.signum: int | None = None
        signal.signal(signal.SIGTERM, self._handle)
        signal.signal(signal.SIGINT, self._handle)

    def _handle(self, signum, frame):
        if self.signum is not None and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self.signum = signum
        log.info("received %s: stopping after this step", signal.Signals(signum).name)

    def __bool__(self) -> bool:
        return self.signum is not None


class RunLogHandler(logging.FileHandler):
    """train.log, appended to like logging.FileHandler does, but never through a link: a link
    planted in the run folder would make the trainer write into whatever file it names."""

    def _open(self):
        fd = runs.open_regular(Path(self.baseFilename), os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        return os.fdopen(fd, self.mode, encoding=self.encoding, errors=self.errors)


def setup_logging(run_dir: Path | None) -> None:
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    log_file = run_dir / runs.LOG_FILE if run_dir else None
    # When the dashboard runs us, stderr already *is* train.log: do not write every line twice.
    if log_file is not None and not _same_file(sys.stderr, log_file):
        try:
            handlers.append(RunLogHandler(log_file))
        except runs.NotRegularFileError as exc:
            print(f"warning: the log goes to the terminal only: {runs.LOG_FILE} is not written "
                  f"because {exc.strerror}", file=sys.stderr)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s",
                        handlers=handlers, force=True)


def _same_file(stream, path: Path) -> bool:
    try:
        return os.path.samestat(os.fstat(stream.fileno()), os.lstat(path))
    except (OSError, ValueError, AttributeError):
        return False


def prompt_batches(examples: list, batch_size: int, seed: int):
    """Endless batches of prompts: shuffled each pass over the training split, never repeating
    a prompt within a pass."""
    rng = random.Random(seed)
    order: list[int] = []
    while True:
        if len(order) < batch_size:
            fresh = list(range(len(examples)))
            rng.shuffle(fresh)
            order += fresh
        batch, order = order[:batch_size], order[batch_size:]
        yield [examples[i] for i in batch]


def load_config(args) -> Config:
    if args.run_dir is not None:
        return validate(Config.from_dict(runs.read_config(args.run_dir)))
    overrides = (list(args.overrides) + ([f"ppo.steps={args.steps}"] if args.steps is not None else [])
                 + ([f"ppo.algorithm={args.algorithm}"] if args.algorithm else []))
    return resolve(args.preset, overrides)


def make_run_dir(args, cfg: Config) -> Path:
    """Rank 0's run directory, checked before anything heavy is loaded."""
    if args.run_dir is not None:
        return args.run_dir
    runs_dir = args.runs_dir or runs.default_runs_dir()
    runs.check_writable(runs_dir)
    lock_holder = runs.active_run(runs_dir)
    if lock_holder:
        raise runs.RunError(f"a run is already in progress: {lock_holder}")
    return runs.create_run(runs_dir, cfg.to_dict(), cfg.preset)


def train(cfg: Config, run_dir: Path | None, accelerator, stop: StopFlag, trackers: Trackers) -> str:
    """The run itself; returns the final state. `run_dir` is None on ranks other than 0, whose
    `trackers` are none."""
    from engine.data import load_prompts
    from engine.loading import load_config_models
    from engine.models import parameter_report, peak_memory_mib, pick_device, pick_dtype, save_checkpoint

    device = accelerator.device if accelerator.num_processes > 1 else pick_device(cfg.model.device)
    dtype = pick_dtype(cfg.model.dtype, device)
    log.info("loading models on %s (%s)", device, str(dtype).replace("torch.", ""))
    policy, tokenizer, reward_model = load_config_models(cfg, device, dtype)
    log.info("%s", parameter_report(policy))
    data = load_prompts(cfg.data, tokenizer)
    log.info("data: %d training and %d test prompts", len(data.train), len(data.test))
    trainer = make_trainer(cfg, policy, tokenizer, reward_model.score_fn(cfg.ppo.reward_input), accelerator)

    is_main = run_dir is not None
    held_out = None
    if is_main and cfg.run.eval_every:
        from engine.evaluation import make_held_out

        held_out = make_held_out(cfg, policy, tokenizer, reward_model, device, dtype)
        log.info("held-out evaluation every %d steps on %d prompts (%s), judges: %s", cfg.run.eval_every,
                 len(held_out.examples), cfg.run.eval_prompts,
                 ", ".join(j.name for j in held_out.judges) or "none besides the reward model")
    total = cfg.ppo.steps
    if is_main:
        runs.write_status(run_dir, state="running", step=0, total_steps=total, pid=os.getpid(),
                          started_at=runs.utc_now(), device=f"{device} ({str(dtype).replace('torch.', '')})"
                          + (f" x{accelerator.num_processes}" if accelerator.num_processes > 1 else ""))
    rank, world = accelerator.process_index, accelerator.num_processes
    batches = prompt_batches(data.train, prompts_per_step(cfg.ppo), cfg.ppo.seed)
    progress = Progress(total, enabled=is_main)
    saved_step, stopping = None, False
    eval_time = evaluate_held_out(held_out, run_dir, 0, trackers) if held_out else 0.0  # the reference, as a baseline
    for step in range(1, total + 1):
        stopping = any_rank_wants_to_stop(stop, accelerator)
        if stopping:
            break
        # ranks share the step's prompts (whole prompts: RLOO's and GRPO's groups stay on one rank);
        # gradients are averaged by DDP
        batch = next(batches)[rank::world]
        stats, rollout, scores = trainer.step([ex.input_ids for ex in batch], [ex.query for ex in batch])
        if held_out and held_out.due(step):
            eval_time += evaluate_held_out(held_out, run_dir, step, trackers)
        if held_out:
            stats["time/eval"], eval_time = eval_time, 0.0
        stats[schema.PEAK_MEMORY] = peak_memory_mib(device)
        if is_main:
            runs.append_jsonl(run_dir / runs.METRICS_FILE, stats)
            trackers.log(stats, step)
            trackers.log_samples(write_samples(run_dir, step, rollout, scores, cfg.run.samples_per_step), step)
            runs.write_status(run_dir, step=step)
            progress.update(step, stats)
            if cfg.run.save_every and step % cfg.run.save_every == 0 and step < total:
                save_checkpoint(policy, runs.checkpoint_dir(run_dir, step))
                saved_step = step
    if world > 1:
        log.info("trainable weights agree on all %d ranks (checksum %s)", world, check_ranks_agree(policy, accelerator))
    done = trainer.step_count
    if stopping or any_rank_wants_to_stop(stop, accelerator):
        if is_main and done and saved_step != done:
            save_checkpoint(policy, runs.checkpoint_dir(run_dir, done))
        return "stopped"
    if is_main:
        save_checkpoint(policy, runs.checkpoint_dir(run_dir, None))
    return "finished"


def make_trainer(cfg: Config, policy, tokenizer, score_fn, accelerator):
    """PPO (engine/ppo.py) or RLOO and GRPO (engine/rloo_grpo.py), as cfg.ppo.algorithm says."""
    if cfg.ppo.algorithm == "ppo":
        from engine.ppo import PPOTrainer

        return PPOTrainer(cfg, policy, tokenizer, score_fn, accelerator)
    from engine.rloo_grpo import GroupTrainer

    return GroupTrainer(cfg, policy, tokenizer, score_fn, accelerator)


def tracker_recorder(run_dir: Path):
    """What the trackers call when one fails: its name and why go into status.json
    (TRACKERS_FAILED_KEY), where the Train tab and `engine.runs show` read them; train.log alone
    is where nobody looks while the run finishes with exit code 0."""
    def record(failed: dict[str, str]) -> None:
        try:
            runs.write_status(run_dir, **{runs.TRACKERS_FAILED_KEY: failed})
        except OSError as exc:  # the failure is in train.log already; training goes on
            log.warning("could not record the failed trackers in %s: %s", runs.STATUS_FILE, exc)
    return record


def evaluate_held_out(held_out, run_dir: Path, step: int, trackers: Trackers) -> float:
    """One row of eval.jsonl (and its numbers to the trackers); returns the seconds it took
    (reported as time/eval)."""
    row = held_out.run(step)
    runs.append_jsonl(run_dir / runs.EVAL_FILE, row)
    trackers.log(eval_metrics(row), step)
    return row["time"]


def any_rank_wants_to_stop(stop: StopFlag, accelerator) -> bool:
    """Ranks must stop at the same step, or the others would wait forever in an all-reduce."""
    if accelerator.num_processes == 1:
        return bool(stop)
    import torch

    flag = torch.tensor([1.0 if stop else 0.0], device=accelerator.device)
    return bool(accelerator.reduce(flag, reduction="sum").item() > 0)


def check_ranks_agree(policy, accelerator) -> str:
    """DDP keeps replicas identical; prove it before saving rank 0's copy as *the* result."""
    import torch

    local = torch.cat([p.detach().flatten().float() for p in policy.parameters() if p.requires_grad])
    everyone = accelerator.gather(local.unsqueeze(0))  # (world, n_trainable)
    if not torch.equal(everyone, everyone[:1].expand_as(everyone)):
        raise RuntimeError("the ranks' trainable weights differ after training: gradients were not synchronised")
    return f"{local.double().sum().item():.10g}"


def write_samples(run_dir: Path, step: int, rollout, scores, n: int) -> list[dict]:
    """The step's first `n` samples into samples.jsonl; returns them (for the trackers)."""
    rows = [{"step": step, "query": rollout.queries[i], "response": rollout.responses[i],
             "reward": float(scores[i])} for i in range(min(n, len(rollout.responses)))]
    for row in rows:
        runs.append_jsonl(run_dir / runs.SAMPLES_FILE, row)
    return rows


class Progress:
    """A one-line progress bar on a terminal; one log line per step otherwise (train.log)."""

    def __init__(self, total: int, enabled: bool):
        self.total, self.enabled, self.start = total, enabled, time.monotonic()
        self.tty = enabled and sys.stderr.isatty()

    def update(self, step: int, stats: dict) -> None:
        if not self.enabled:
            return
        elapsed = time.monotonic() - self.start
        eta = elapsed / step * (self.total - step)
        reward, kl = schema.value(stats, schema.REWARD_MEAN), schema.value(stats, schema.KL)
        text = (f"step {step}/{self.total} | reward {reward:.3f} | kl {kl:.3f} | "
                f"{stats['time/step']:.2f} s/step | eta {eta:.0f} s")
        if self.tty:
            width = 24
            filled = int(width * step / self.total)
            sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {text}")
            if step == self.total:
                sys.stderr.write("\n")
            sys.stderr.flush()
        else:
            log.info("%s", text)


def refuse(args, error: Exception) -> int:
    """A config that cannot run: exit 2 with the reason. Nothing is written, except into a run
    directory the dashboard made for it, whose status then says why it failed."""
    print(f"error: {error}", file=sys.stderr)
    if args.run_dir is not None and (args.run_dir / runs.CONFIG_FILE).is_file():
        runs.write_status(args.run_dir, state="failed", error=str(error))
    return 2


def lost_the_lock(args, run_dir: Path, error: runs.RunError) -> int:
    """Another run took the training lock between our check and our start: exit 2. A run folder
    we made ourselves goes again (nothing of it ran, and a stray 'failed' run would only puzzle);
    one the dashboard made for us stays, its status saying why it failed."""
    print(f"error: {error}", file=sys.stderr)
    if args.run_dir is None:
        runs.remove_unstarted_run(run_dir)
    else:
        runs.write_status(run_dir, state="failed", error=str(error))
    return 2


def main(argv: list[str] | None = None) -> int:
    from engine.preflight import check_files

    args = parse_args(argv)
    stop = StopFlag()
    try:
        cfg = load_config(args)
        check_files(cfg)  # model folders and local data, before any heavy import or any write
    except (ConfigError, runs.RunError) as e:
        return refuse(args, e)

    from accelerate import Accelerator

    from engine.data import DataError
    from engine.models import ModelError, pick_device

    try:
        # cpu=True lets `accelerate launch --multi_gpu` run CPU ranks over gloo on a GPU-less machine
        accelerator = Accelerator(cpu=pick_device(cfg.model.device).type == "cpu")
        is_main = accelerator.is_main_process
        run_dir = make_run_dir(args, cfg) if is_main else None  # rank 0 alone writes the run directory
    except (ConfigError, runs.RunError, ModelError) as e:
        return refuse(args, e)
    lock = runs.TrainingLock(run_dir.parent, run_dir.name) if is_main else None
    if is_main:
        try:
            lock.acquire()
        except runs.RunError as e:
            return lost_the_lock(args, run_dir, e)
    setup_logging(run_dir)
    if is_main:
        print(f"run directory: {run_dir}", flush=True)
        # our pid from the start, so that a death while models load is noticed too
        runs.write_status(run_dir, pid=os.getpid())
        runs.make_reserve(run_dir)  # room to record a full disk, should it fill up
    # rank 0 alone reports, as it alone writes the run directory: one tracker run per run
    trackers = open_trackers(cfg, run_dir, tracker_recorder(run_dir)) if is_main else Trackers([])
    try:
        state = train(cfg, run_dir, accelerator, stop, trackers)
    except BaseException as e:  # the run must end in a recorded state, whatever happened
        message = "interrupted" if isinstance(e, KeyboardInterrupt) else f"{type(e).__name__}: {e}"
        disk = runs.disk_full(e)
        if is_main and disk:
            runs.release_reserve(run_dir)  # the space set aside at the start: enough to say why
            message = runs.disk_full_error(e, runs.kept_step(run_dir))
        # A model or data problem is the user's to fix and its message says how; a traceback is
        # for the unexpected.
        expected = disk or isinstance(e, (ModelError, DataError, ConfigError, KeyboardInterrupt))
        log.error("run failed: %s%s", message, "" if expected else "\n" + traceback.format_exc())
        if is_main:
            state = "stopped" if isinstance(e, KeyboardInterrupt) else "failed"
            try:
                runs.write_status(run_dir, state=state, error=message)
            except OSError as exc:  # nowhere to write even so: the dashboard or a reader will say it
                print(f"error: could not record how the run ended: {exc}", file=sys.stderr)
            runs.release_reserve(run_dir)
            lock.release()
        print(f"error: {message}", file=sys.stderr)
        return 130 if isinstance(e, KeyboardInterrupt) else 1
    finally:
        trackers.finish()  # what they still buffer, written whichever way the run ended
    if is_main:
        runs.release_reserve(run_dir)
        runs.write_status(run_dir, state=state, error=None)
        lock.release()
        log.info("run %s: %s", state, run_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
