"""PPO, RLOO and GRPO on the same preset, run against run: what each buys for its time and memory.

    python -m bench.algorithms [--preset demo] [--steps 60] [--group-steps 80] [--memory-preset shape-base]
                               [--samples-per-prompt 2] [--json FILE]

One run of the script, three tables, ratios against PPO:
1. Training runs, each `python -m engine.train --preset P --algorithm A` as the dashboard starts it
   (held-out evaluation during training off, a checkpoint every `--every` steps). PPO runs the
   preset's steps; RLOO and GRPO run `--group-steps` (more, as they read fewer prompts a step).
   "Training time" is the sum of the steps' own times from metrics.jsonl (loading excluded, the
   same for all three).
2. Each kept checkpoint is evaluated as `python -m engine.evaluate` evaluates a run (the same
   code: engine.evaluation.evaluate) on the preset's held-out prompts (run.eval_prompts), with
   K samples per prompt and one seed, so the reference's summaries are the same for every row:
   the change in toxicity by the reward model and by the independent judges with paired 95% CIs,
   ROUGE-L against the references, on-topic share, and the KL at that step.
   Rows per algorithm: its default (the preset's steps); at PPO's prompts (the checkpoint that has
   read as many prompts as RLOO and GRPO read in the preset's steps, for PPO) and at PPO's
   training time (the last checkpoint before it, for RLOO and GRPO); and the first checkpoint
   that reaches PPO's drop by the reward model, with its training time against PPO's.
3. The peak memory of one step of each algorithm on `--memory-preset` (flan-t5-base shapes by
   default; its own child process each, as bench.step measures it) with the same number of
   summaries per step.
The issue's targets are printed as meets / MISSES.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import bounded_int, device_name, format_table, load_average, publish, quiet_libraries
from bench.step import NOISE_BYTES

ROOT = Path(__file__).resolve().parent.parent
ALGORITHMS = ("ppo", "rloo", "grpo")
KL_TAIL = 3
"""The KL at a checkpoint is the mean of the last few steps' KL up to it (one step is noisy)."""
TARGET_TIME_RATIO = 0.7
TARGET_ROUGE_POINTS = 0.02
MEMORY_OVERRIDES = ["ppo.batch_size=4", "ppo.mini_batch_size=4", "data.max_prompt_tokens=128",
                    "generation.output_min_length=16", "generation.output_max_length=32"]
"""A step of the memory table: 4 summaries (2 prompts x 2 for RLOO and GRPO), short responses, so
that a CPU runs a flan-t5-base-shaped step in seconds. The same for every algorithm."""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m bench.algorithms", description=__doc__.split("\n\n")[0])
    ap.add_argument("--preset", default="demo", help="the preset to train (default: demo)")
    ap.add_argument("--steps", type=bounded_int(1, 10_000), default=None, help="PPO's steps (default: the preset's)")
    ap.add_argument("--group-steps", type=bounded_int(1, 10_000), default=None,
                    help="RLOO's and GRPO's steps (default: 4/3 of PPO's)")
    ap.add_argument("--every", type=bounded_int(1, 10_000), default=10,
                    help="a checkpoint every this many steps, each evaluated (default: 10)")
    ap.add_argument("--samples-per-prompt", type=bounded_int(1, 100), default=2, metavar="K",
                    help="summaries per held-out prompt in each evaluation (default: 2)")
    ap.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                    help="a setting for all three runs, as engine.train --set (repeatable)")
    ap.add_argument("--memory-preset", default="shape-base", help="preset of the memory table, or 'none'")
    ap.add_argument("--json", type=Path, default=None, help="also write the numbers to this file")
    ap.add_argument("--device", default="cpu", type=device_name, help="device of the memory table (default: cpu)")
    ap.add_argument("--memory-child", choices=ALGORITHMS, help=argparse.SUPPRESS)
    return ap.parse_args(argv)


# --- 1. training runs ------------------------------------------------------------------------

def train(runs_dir: Path, preset: str, algorithm: str, steps: int, every: int, overrides: list[str]) -> Path:
    cmd = [sys.executable, "-m", "engine.train", "--preset", preset, "--algorithm", algorithm,
           "--steps", str(steps), "--runs-dir", str(runs_dir), "--set", "run.eval_every=0",
           "--set", f"run.save_every={every}"]
    for override in overrides:
        cmd += ["--set", override]
    print(f"training {algorithm} for {steps} steps ...", file=sys.stderr, flush=True)
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"error: the {algorithm} run failed (exit {done.returncode}):\n{done.stderr[-2000:]}")
    (run_dir,) = [p for p in runs_dir.iterdir() if p.is_dir()]
    return run_dir


# --- 2. checkpoints, evaluated ---------------------------------------------------------------

def evaluate_checkpoints(run_dir: Path, k: int, only: set[int] | None = None) -> list[dict]:
    """One row per checkpoint (those at the steps in `only`, if given): step, prompts read,
    training time to it, KL, and the evaluation."""
    from engine import runs
    from engine.config import Config, prompts_per_step
    from engine.data import prompts_from
    from engine.evaluation import evaluate
    from engine.loading import load_run_models
    from engine.judges import REWARD_JUDGE

    metrics = runs.read_metrics(run_dir)
    cfg = Config.from_dict(runs.read_config(run_dir))
    out = []
    for name in runs.list_checkpoints(run_dir):
        step = len(metrics) if name == "final" else int(name.split("-")[1])
        if only is not None and step not in only:
            continue
        models = load_run_models(run_dir, name)
        examples = prompts_from(cfg.run.eval_prompts, cfg.data, models.tokenizer, 10_000)
        result = evaluate(models, examples, seed=0, samples_per_prompt=k)
        tail = [r.get("objective/kl", r.get("kl")) for r in metrics[max(0, step - KL_TAIL):step]]
        judges = {j: result["judges"][j]["mean"] for j in result["judges"]}
        out.append({"checkpoint": name, "step": step, "prompts": step * prompts_per_step(cfg.ppo),
                    "train_s": sum(r["time/step"] for r in metrics[:step]),
                    "s_per_step": sum(r["time/step"] for r in metrics[:step]) / step,
                    "kl": sum(tail) / len(tail),
                    "drop": {j: {"diff": v["diff_mean"], "ci": v["diff_ci95"], "before": v["before_mean"]}
                             for j, v in judges.items()},
                    "rougeL": result["quality"]["after"].get("rougeL"),
                    "rougeL_before": result["quality"]["before"].get("rougeL"),
                    "on_topic": result["quality"]["after"].get("on_topic"),
                    "reward_judge": REWARD_JUDGE})
        print(f"  {run_dir.name} {name}: {json.dumps({j: round(v['diff_mean'], 3) for j, v in judges.items()})}",
              file=sys.stderr, flush=True)
    seen = {}
    for row in out:  # "final" repeats the last step's checkpoint when steps is a multiple of --every
        seen[row["step"]] = row
    return [seen[s] for s in sorted(seen)]


# --- 3. peak memory of one step ---------------------------------------------------------------

def memory_child(preset: str, algorithm: str, device_name: str = "cpu", overrides: list[str] = ()) -> dict:
    """Runs in its own process: load, then the peak memory and time of two steps (the second one's
    time: the first is a warm-up)."""
    from bench.common import load_models, pick_bench_device, quiet_libraries, resolve_config
    from bench.step import PeakMemory
    from engine.config import prompts_per_step
    from engine.train import make_trainer, prompt_batches

    quiet_libraries()
    cfg = resolve_config(preset, [*MEMORY_OVERRIDES, *overrides, f"ppo.algorithm={algorithm}",
                                  "ppo.samples_per_prompt=2"])
    device = pick_bench_device(device_name)
    cfg.model.device = str(device)
    policy, tokenizer, reward_model, data = load_models(cfg, device)
    trainer = make_trainer(cfg, policy, tokenizer, reward_model.score_fn(cfg.ppo.reward_input), None)
    batches = prompt_batches(data.train, prompts_per_step(cfg.ppo), cfg.ppo.seed)
    memory = PeakMemory(device)
    memory.reset()
    times = []
    for _ in range(2):
        batch = next(batches)
        stats, _, _ = trainer.step([ex.input_ids for ex in batch], [ex.query for ex in batch])
        times.append(stats["time/step"])
    trainable = sum(p.numel() for p in policy.parameters() if p.requires_grad)
    return {"algorithm": algorithm, "peak_bytes": memory.peak_bytes(), "method": memory.method,
            "s_per_step": times[-1], "trainable": trainable, "batch": cfg.ppo.batch_size}


def measure_memory(preset: str, device: str = "cpu", overrides: list[str] = ()) -> list[dict]:
    """One child process per algorithm (bench.step's reason: one's peak cannot leak into another's)."""
    out = []
    for algorithm in ALGORITHMS:
        print(f"memory: one {algorithm} step on {preset} ...", file=sys.stderr, flush=True)
        cmd = [sys.executable, "-m", "bench.algorithms", "--memory-child", algorithm, "--memory-preset", preset,
               "--device", device]
        for override in overrides:
            cmd += ["--set", override]
        done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"error: the {algorithm} memory child failed:\n{done.stderr[-2000:]}")
        out.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return out


# --- the whole comparison ---------------------------------------------------------------------

def measure(args) -> dict:
    from engine.config import resolve

    cfg = resolve(args.preset, args.overrides)
    steps = args.steps or cfg.ppo.steps
    group_steps = args.group_steps or -(-steps * 4 // 3)
    load_before = load_average()
    started = time.perf_counter()
    runs_by_algorithm = {}
    with tempfile.TemporaryDirectory(prefix="bench-algorithms-") as tmp:
        # PPO at RLOO's and GRPO's prompts: the step at which it has read as many as they read in
        # `steps` (15 of the demo's 60 at 4 summaries per prompt); its checkpoints come every 5
        # steps, and only that one and the last are evaluated
        k = cfg.ppo.samples_per_prompt
        equal = max(5, steps // k // 5 * 5)
        for algorithm in ALGORITHMS:
            runs_dir = Path(tmp) / algorithm
            runs_dir.mkdir()
            ppo = algorithm == "ppo"
            run_dir = train(runs_dir, args.preset, algorithm, steps if ppo else group_steps,
                            5 if ppo else args.every, args.overrides)
            runs_by_algorithm[algorithm] = evaluate_checkpoints(run_dir, args.samples_per_prompt,
                                                                {equal, steps} if ppo else None)
    memory = [] if args.memory_preset == "none" else measure_memory(args.memory_preset, args.device)
    return {"preset": args.preset, "steps": steps, "group_steps": group_steps, "every": args.every,
            "samples_per_prompt": args.samples_per_prompt, "overrides": args.overrides,
            "checkpoints": runs_by_algorithm, "memory": memory, "memory_preset": args.memory_preset,
            "load_average": [load_before, load_average()], "wall_s": time.perf_counter() - started}


def pick_rows(result: dict) -> list[tuple[str, str, dict]]:
    """(algorithm, condition, checkpoint row) for the table, in its order."""
    ck, steps = result["checkpoints"], result["steps"]
    ppo = _at_step(ck["ppo"], steps)
    rows = [("ppo", f"default ({steps} steps)", ppo)]
    group_prompts = _at_step(ck["grpo"], steps)["prompts"]
    same_prompts = [r for r in ck["ppo"] if r["prompts"] <= group_prompts]
    if same_prompts and same_prompts[-1] is not ppo:
        rows.append(("ppo", f"at RLOO's and GRPO's prompts ({same_prompts[-1]['prompts']})", same_prompts[-1]))
    judge = ppo["reward_judge"]
    for algorithm in ("rloo", "grpo"):
        rows.append((algorithm, f"default ({steps} steps)", _at_step(ck[algorithm], steps)))
        in_time = [r for r in ck[algorithm] if r["train_s"] <= ppo["train_s"]]
        if in_time:
            rows.append((algorithm, f"at PPO's training time (step {in_time[-1]['step']})", in_time[-1]))
        reached = [r for r in ck[algorithm] if r["drop"][judge]["diff"] <= ppo["drop"][judge]["diff"]]
        if reached:
            rows.append((algorithm, f"first to reach PPO's drop (step {reached[0]['step']})", reached[0]))
    return rows


def _at_step(rows: list[dict], step: int) -> dict:
    return min(rows, key=lambda r: abs(r["step"] - step))


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b else "-"


def _ci(d: dict) -> str:
    return f"{d['diff']:+.3f} [{d['ci'][0]:+.3f}, {d['ci'][1]:+.3f}]"


def report(result: dict) -> str:
    ck = result["checkpoints"]
    ppo = _at_step(ck["ppo"], result["steps"])
    judges = list(ppo["drop"])
    lines = [f"bench.algorithms: preset {result['preset']}, PPO {result['steps']} steps, RLOO and GRPO up to "
             f"{result['group_steps']}; each checkpoint evaluated on the preset's held-out prompts with "
             f"{result['samples_per_prompt']} summaries each; load average {result['load_average'][0]:.2f} -> "
             f"{result['load_average'][1]:.2f}; {result['wall_s']:.0f} s in all", ""]
    headers = ["algorithm", "condition", "prompts", "train s", "x PPO", "s/step", "x PPO",
               *[f"Δ tox {j}" for j in judges], "x PPO's drop", "ROUGE-L", "Δ vs PPO", "on-topic", "KL"]
    table = []
    for algorithm, condition, row in pick_rows(result):
        reward_judge = row["reward_judge"]
        table.append([algorithm.upper(), condition, row["prompts"], f"{row['train_s']:.0f}",
                      f"{row['train_s'] / ppo['train_s']:.2f}", f"{row['s_per_step']:.2f}",
                      f"{row['s_per_step'] / ppo['s_per_step']:.2f}", *[_ci(row["drop"][j]) for j in judges],
                      _ratio(row['drop'][reward_judge]['diff'], ppo['drop'][reward_judge]['diff']),
                      f"{row['rougeL']:.3f}", f"{row['rougeL'] - ppo['rougeL']:+.3f}",
                      f"{row['on_topic']:.2f}", f"{row['kl']:.2f}"])
    lines += [format_table(headers, table), ""]
    if result["memory"]:
        base = next(m for m in result["memory"] if m["algorithm"] == "ppo")
        lines.append(f"Peak memory of a step on {result['memory_preset']} ({', '.join(MEMORY_OVERRIDES)}; "
                     f"{base['method']}):")
        lines.append(format_table(["algorithm", "peak MiB", "x PPO", "trainable parameters", "s/step"],
                                  [[m["algorithm"].upper(), f"{m['peak_bytes'] / 2**20:.0f}",
                                    f"{m['peak_bytes'] / base['peak_bytes']:.2f}", f"{m['trainable']:,}",
                                    f"{m['s_per_step']:.1f}"] for m in result["memory"]]))
        lines.append("")
    lines += targets(result, ppo)
    return "\n".join(lines)


def targets(result: dict, ppo: dict) -> list[str]:
    ck, judge = result["checkpoints"], ppo["reward_judge"]
    out = ["Targets:"]
    reached = {}
    for algorithm in ("rloo", "grpo"):
        hits = [r for r in ck[algorithm] if r["drop"][judge]["diff"] <= ppo["drop"][judge]["diff"]]
        if hits:
            reached[algorithm] = hits[0]["train_s"] / ppo["train_s"]
    best = min(reached.items(), key=lambda kv: kv[1]) if reached else None
    if ppo["drop"][judge]["ci"][1] >= 0:  # no drop to reach: a "meets" would be empty
        best, text = None, "PPO did not lower toxicity by the reward model (its CI includes 0): nothing to reach"
    elif best:
        text = f"{best[0].upper()} reaches PPO's drop by the reward model in {best[1]:.2f}x PPO's training time"
    else:
        text = "neither RLOO nor GRPO reaches PPO's drop by the reward model within their steps"
    out.append(f"- {'meets' if best and best[1] <= TARGET_TIME_RATIO else 'MISSES'}: RLOO or GRPO reaches PPO's "
               f"held-out toxicity drop in <= {TARGET_TIME_RATIO}x PPO's time: {text}")
    for algorithm in ("rloo", "grpo"):
        row = _at_step(ck[algorithm], result["steps"])
        gap = row["rougeL"] - ppo["rougeL"]
        out.append(f"- {'meets' if gap >= -TARGET_ROUGE_POINTS else 'MISSES'}: {algorithm.upper()} holds ROUGE-L "
                   f"within {TARGET_ROUGE_POINTS * 100:.0f} points of PPO's (no more than that below it): "
                   f"{row['rougeL']:.3f} against {ppo['rougeL']:.3f} ({gap * 100:+.1f} points)")
    if result["memory"]:
        peaks = {m["algorithm"]: m["peak_bytes"] for m in result["memory"]}
        for algorithm in ("rloo", "grpo"):
            saved = peaks["ppo"] - peaks[algorithm]
            noise = f" (less than the {NOISE_BYTES // 2**20} MiB that peak RSS varies by: not shown)" \
                if abs(saved) < NOISE_BYTES and result["memory"][0]["method"].startswith("peak RSS") else ""
            out.append(f"- {'meets' if saved > 0 and not noise else 'MISSES'}: the peak memory of a {algorithm.upper()} "
                       f"step is below PPO's on {result['memory_preset']}: {peaks[algorithm] / 2**20:.0f} MiB against "
                       f"{peaks['ppo'] / 2**20:.0f} MiB{noise}")
    return out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.memory_child:
        print(json.dumps(memory_child(args.memory_preset, args.memory_child, args.device, args.overrides)))
        return 0
    quiet_libraries()
    result = measure(args)
    publish(report(result), result, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
