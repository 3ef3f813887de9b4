"""A stand-in for `python -m engine.train --run-dir DIR` that needs no torch: it writes the run
directory exactly as the real trainer does (status, lock, metrics, samples, log, checkpoints,
SIGTERM -> checkpoint + state stopped), with made-up numbers, in milliseconds per step; a run
whose config says RLOO or GRPO gets their metric names.

    python tests/fake_trainer.py --run-dir DIR [--delay S] [--scenario healthy|kl-high|gaming]

engine.runs.pid_alive only trusts processes whose command line mentions "engine" (a guard
against recycled pids), so the dashboard's tests start this script with `--as engine.train`.
"""
from __future__ import annotations

import argparse
import math
import os
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine import runs, schema  # noqa: E402

METRIC_KEYS = ("objective/kl", "objective/kl_coef", "objective/entropy", "ppo/mean_scores",
               "ppo/returns/mean", "ppo/policy/advantages_mean", "ppo/loss/policy", "ppo/loss/value",
               "ppo/loss/total", "ppo/policy/clipfrac", "ppo/policy/approxkl", "ppo/val/vpred",
               "ppo/val/clipfrac", "env/reward_mean", "env/reward_std", "env/toxicity_mean",
               "tokens/response_len_mean", "time/rollout", "time/score", "time/update", "time/step")


def metrics_row(step: int, scenario: str = "healthy", delay: float = 0.0) -> dict:
    """Plausible PPO stats for `step`; the scenarios break them the way real runs break. There is
    no NaN scenario: the real trainer raises at the first non-finite loss or reward, before it
    writes the row, and the run fails with the reason in its status (tests/test_faults.py)."""
    row = {key: 0.01 * step for key in METRIC_KEYS}
    row.update({
        "objective/kl": 0.05 * step,
        "objective/kl_coef": 0.2,
        "objective/entropy": 80.0 - step,
        "env/reward_mean": 3.0 + 0.1 * math.sin(step),
        "env/reward_std": 0.2,
        "env/toxicity_mean": 0.02,
        "ppo/returns/mean": 2.5 + 0.01 * step,
        "tokens/response_len_mean": 12.0,
        "time/step": delay,
        "step": step,
    })
    if scenario == "kl-high":
        row["objective/kl"] = 50.0
    if scenario == "gaming":
        row["env/reward_mean"] = 3.0 + 0.5 * step
    return row


def group_row(row: dict) -> dict:
    """The same step as an RLOO or GRPO run writes it: TRL's names, nothing about values."""
    out = {schema.GROUP_NAMES[k]: v for k, v in row.items() if k in schema.GROUP_NAMES}
    return {**out, "frac_reward_zero_std": 0.0, "beta": 0.05, "step": row["step"]}


def eval_row(step: int, scenario: str = "healthy") -> dict:
    """A held-out evaluation row (eval.jsonl) as engine.evaluation.HeldOut writes it: toxicity
    falls by both judges, or (gaming) by the reward model only."""
    reward_model = max(0.6 - 0.05 * step, 0.05)
    judge = 0.3 if scenario == "gaming" else max(0.3 - 0.03 * step, 0.02)
    samples = [{"prompt": i, "query": f"\nSummarize the following conversation.\n\n#Person1#: you idiot {i}\n\nSummary:\n",
                "response": f"held-out summary {i} at step {step}", "reward": 1.0 + 0.1 * step,
                "toxicity": {"reward model": reward_model, "profanity-check": judge}} for i in range(2)]
    return {"step": step, "prompts": 2, "reward_mean": 1.0 + 0.1 * step, "reward_std": 0.0,
            "toxicity": {"reward model": reward_model, "profanity-check": judge}, "length_mean": 20.0,
            "distinct_2": 0.8, "degenerate_share": 0.0, "on_topic": 0.9, "time": 0.001, "samples": samples}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--run-dir", type=Path, required=True)
    ap.add_argument("--delay", type=float, default=0.05, help="seconds per step")
    ap.add_argument("--startup", type=float, default=0.0, help="seconds 'loading models'")
    ap.add_argument("--scenario", default="healthy")
    ap.add_argument("--as", dest="pretend", default="engine.train")
    args = ap.parse_args(argv)

    stop = {"signal": None}
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.update(signal=signum))
    run_dir = args.run_dir
    config = runs.read_config(run_dir)
    total, eval_every = config["ppo"]["steps"], config["run"].get("eval_every", 0)
    algorithm = config["ppo"].get("algorithm", "ppo")
    lock = runs.TrainingLock(run_dir.parent, run_dir.name)
    lock.acquire()
    print(f"run directory: {run_dir}", flush=True)
    time.sleep(args.startup)
    runs.write_status(run_dir, state="running", step=0, total_steps=total, pid=os.getpid(),
                      started_at=runs.utc_now(), device="fake (no torch)")
    done = 0
    if eval_every:
        runs.append_jsonl(run_dir / runs.EVAL_FILE, eval_row(0, args.scenario))
    for step in range(1, total + 1):
        if stop["signal"]:
            break
        time.sleep(args.delay)
        row = metrics_row(step, args.scenario, args.delay)
        runs.append_jsonl(run_dir / runs.METRICS_FILE, row if algorithm == "ppo" else group_row(row))
        for i in range(2):
            runs.append_jsonl(run_dir / runs.SAMPLES_FILE, {
                "step": step, "query": f"\nSummarize the following conversation.\n\n#Person1#: hi {i}\n\nSummary:\n",
                "response": f"summary {step}.{i}", "reward": 3.0 + 0.01 * i})
        if eval_every and (step % eval_every == 0 or step == total):
            runs.append_jsonl(run_dir / runs.EVAL_FILE, eval_row(step, args.scenario))
        runs.write_status(run_dir, step=step)
        print(f"step {step}/{total}", flush=True)
        done = step
    state = "stopped" if stop["signal"] else "finished"
    checkpoint = runs.checkpoint_dir(run_dir, done if state == "stopped" else None)
    if done or state == "finished":
        with runs.staged_folder(checkpoint) as staging:  # as engine.models.save_checkpoint writes one
            for name in runs.checkpoint_files(algorithm):
                (staging / name).write_text("{}\n")
    runs.write_status(run_dir, state=state, error=None)
    lock.release()
    print(f"run {state}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
