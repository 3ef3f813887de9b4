"""Every GPU number in one command: the seed-preset PPO step on shape-true models (no downloads),
the rollout speed-up, the single-copy reference's memory saving, bf16 correctness, the demo run,
and how a step's cost grows with the batch.

    python -m bench.gpu [--device cuda|cpu] [--quick] [--preset shape-base|tiny] [--json FILE] [--markdown FILE]

GPU time comes in short slots, so this is one script that has already run end to end: CI runs
`--device cpu --quick --preset tiny` (tests/test_bench.py), which takes the same code paths with small sizes.
Each section runs in its own child process (bench.step, bench.rollout, engine.train), so one
section's memory cannot leak into the next one's peak and a failure names its section:
1. step: the seed preset's step (batch 16, mini-batch 4, 1 epoch, responses of [100, 400)
   tokens) on `shape-base` in the device's dtype (bf16 on CUDA), per phase, the median of the
   steps after a warm-up; with the single-copy reference and with a second full copy, whose
   peak memory (`torch.cuda.max_memory_allocated` on CUDA) gives the saving;
2. correctness in that dtype: KL exactly 0 at the first step, the first minibatch's ratio
   exactly 1, every statistic finite; a broken invariant is printed as BROKEN, not hidden;
3. rollout: the notebook's per-sample loop against the batched rollout on the same prompts;
4. demo: the `demo` preset's default run on the device, wall time to the end (loading included);
5. scale: step time at batch 16, 64 and 256 (single copy), and the ratio to batch 16;
6. algorithms: one step of PPO, RLOO and GRPO each on the same models and the same number of
   summaries (bench.algorithms' memory table on the device): time and peak memory, as ratios
   against PPO.
It prints one table and writes a JSON file and a Markdown block for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import BENCH_PRESETS, device_name, format_table, publish

ROOT = Path(__file__).resolve().parent.parent
SEED_STEP = ["ppo.batch_size=16", "ppo.mini_batch_size=4", "ppo.ppo_epochs=1",
             "generation.output_min_length=100", "generation.output_max_length=400"]
"""The seed preset's step settings, on the shape-base models (shape-base is seed's shapes)."""
QUICK_STEP = ["ppo.batch_size=2", "ppo.mini_batch_size=2", "data.max_prompt_tokens=64",
              "generation.output_min_length=8", "generation.output_max_length=16"]
SCALE_BATCHES = (16, 64, 256)
QUICK_SCALE_BATCHES = (2, 4)
STEPS, QUICK_STEPS = 4, 2
"""PPO steps per step run: the first is a warm-up, the median is over the others."""
SCALE_STEPS = 2
"""Batch 256 with responses of up to 400 tokens is the costliest step here: one timed step each
keeps the whole script inside a GPU slot (about 8 minutes, estimated: never run on a GPU yet)."""
DEMO_QUICK_STEPS = 3
TARGET_STEP_S = 5.0
"""The product's target for a seed-preset step on one H100-class GPU."""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m bench.gpu", description=__doc__.split("\n\n")[0])
    ap.add_argument("--device", default="cuda", type=device_name, help="cuda (default), cuda:N or cpu")
    ap.add_argument("--quick", action="store_true",
                    help="small batches and short responses, 2 steps, a 3-step demo run: the same code paths "
                         "in a few minutes on 2 CPU cores (what CI runs)")
    ap.add_argument("--preset", default="shape-base", choices=BENCH_PRESETS,
                    help="models of the step, rollout and scale sections: shape-base (the seed preset's shapes, "
                         "default) or tiny (CI's rehearsal of the code paths: no 1 GB model loaded four times)")
    ap.add_argument("--json", type=Path, default=None, help="write every measurement here")
    ap.add_argument("--markdown", type=Path, default=None, help="write the table as a Markdown block here")
    return ap.parse_args(argv)


def child(cmd: list[str], section: str) -> tuple[str, float]:
    """Run one section's process; its stdout, and its wall time. Fails loudly, naming the section."""
    print(f"bench.gpu: {section} ...", file=sys.stderr, flush=True)
    began = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-4000:])
        raise SystemExit(f"error: section '{section}' failed (exit {done.returncode}): {' '.join(cmd[1:4])} ...")
    return done.stdout, time.perf_counter() - began


def step_runs(preset: str, device: str, overrides: list[str], steps: int, variant: str) -> list[dict]:
    cmd = [sys.executable, "-m", "bench.step", "--child", "--preset", preset, "--variant", variant,
           "--device", device, "--steps", str(steps)]
    for override in overrides:
        cmd += ["--set", override]
    out, _ = child(cmd, f"step ({variant}, {' '.join(overrides)})")
    return json.loads(out.strip().splitlines()[-1])


def rollout(preset: str, device: str, quick: bool) -> dict:
    cmd = [sys.executable, "-m", "bench.rollout", "--preset", preset, "--device", device, "--batch",
           "4" if quick else "16", "--json"] + (["--quick"] if quick else [])
    out, _ = child(cmd, "rollout")
    return json.loads(out.strip().splitlines()[-1])


def demo_run(device: str, quick: bool) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-gpu-demo-") as runs_dir:
        cmd = [sys.executable, "-m", "engine.train", "--preset", "demo", "--runs-dir", runs_dir,
               "--set", f"model.device={device}"] + (["--steps", str(DEMO_QUICK_STEPS)] if quick else [])
        _, wall = child(cmd, "demo run")
        from engine import runs

        (run_dir,) = [p for p in Path(runs_dir).iterdir() if p.is_dir()]
        rows = runs.read_metrics(run_dir)
        status = runs.read_status(run_dir)
    return {"wall_s": wall, "steps": len(rows), "device": status.get("device"),
            "step_median_s": sorted(r["time/step"] for r in rows)[len(rows) // 2] if rows else None}


def measure(args) -> dict:
    quick, device = args.quick, args.device
    base = QUICK_STEP if quick else SEED_STEP
    steps = QUICK_STEPS if quick else STEPS
    single, second = step_runs(args.preset, device, base, steps, "both")
    batches = QUICK_SCALE_BATCHES if quick else SCALE_BATCHES
    scale = {}
    for batch in batches:
        if batch == (2 if quick else 16):
            scale[batch] = single  # the step above is this batch's run
            continue
        sized = [o for o in base if not o.startswith(("ppo.batch_size", "ppo.mini_batch_size"))]
        sizes = [f"ppo.batch_size={batch}", f"ppo.mini_batch_size={2 if quick else 4}"]
        scale[batch] = step_runs(args.preset, device, sized + sizes, SCALE_STEPS, "single-copy")[0]
    return {"device": device, "quick": quick, "started": time.strftime("%Y-%m-%d %H:%M %Z"),
            "preset": args.preset, "step": single, "second_copy": second, "rollout": rollout(args.preset, device, quick),
            "demo": demo_run(device, quick), "scale": {str(b): r for b, r in scale.items()},
            "algorithms": algorithm_steps(args.preset, device, quick)}


def algorithm_steps(preset: str, device: str, quick: bool) -> list[dict]:
    from bench.algorithms import measure_memory

    print("bench.gpu: algorithms ...", file=sys.stderr, flush=True)
    return measure_memory(preset, device, QUICK_STEP if quick else SEED_STEP)


def mib(n: float) -> str:
    return f"{n / 2**20:,.0f} MiB"


def rows_of(result: dict) -> list[list[str]]:
    step, second, roll, demo = result["step"], result["second_copy"], result["rollout"], result["demo"]
    med = step["median"]
    per_sample, batched = roll["paths"]["per-sample"], roll["paths"]["batched"]
    loop_s = per_sample["generate"] + per_sample["score"]
    batch_s = batched["generate"] + batched["score"]
    saved = second["peak_bytes"] - step["peak_bytes"]
    invariants = [("KL at the first step", step["first_kl"] == 0.0, f"{step['first_kl']:.3g}"),
                  ("first minibatch ratio - 1", step["first_ratio_max_dev"] == 0.0,
                   f"{step['first_ratio_max_dev']:.3g}"),
                  ("every statistic finite", step["all_finite"] and second["all_finite"], "")]
    base_step = result["scale"][min(result["scale"], key=int)]["median"]["step"]
    rows = [
        [f"PPO step, batch {step['batch']}, [{step['lengths'][0]}, {step['lengths'][1]}) tokens",
         f"{med['step']:.2f} s", f"rollout {med['rollout']:.2f} / score {med['score']:.2f} / forward "
         f"{med['forward']:.2f} / update {med['update']:.2f} s"],
        ["rollout: per-sample loop vs batched", f"{loop_s / batch_s:.2f}x",
         f"{loop_s:.2f} s vs {batch_s:.2f} s, batch {roll['batch']}"],
        ["peak memory: second copy vs single copy", mib(saved) + " saved",
         f"{mib(second['peak_bytes'])} vs {mib(step['peak_bytes'])} ({step['memory_method']}); weights "
         f"{mib(step['weight_bytes'])}"],
        *[[f"{'holds ' if ok else 'BROKEN'} {what}", value, f"in {step['dtype']}"] for what, ok, value in invariants],
        [f"demo run, {demo['steps']} steps", f"{demo['wall_s']:.1f} s", f"loading included; {demo['device']}"],
        *[[f"step time at batch {b}", f"{r['median']['step']:.2f} s", f"{r['median']['step'] / base_step:.1f}x batch "
           f"{min(result['scale'], key=int)}"] for b, r in sorted(result["scale"].items(), key=lambda kv: int(kv[0]))],
    ]
    algorithms = result.get("algorithms") or []
    ppo = next((a for a in algorithms if a["algorithm"] == "ppo"), None)
    rows += [[f"{a['algorithm'].upper()} step, {a['batch']} summaries", f"{a['s_per_step']:.2f} s",
              f"{a['s_per_step'] / ppo['s_per_step']:.2f}x PPO's time; peak {mib(a['peak_bytes'])}, "
              f"{a['peak_bytes'] / ppo['peak_bytes']:.2f}x PPO's"] for a in algorithms if ppo]
    if not result["quick"] and result["device"].startswith("cuda"):
        ok = med["step"] < TARGET_STEP_S
        rows.append([f"{'meets ' if ok else 'MISSES'} target: seed step < {TARGET_STEP_S:.0f} s", f"{med['step']:.2f} s", ""])
    return rows


def report(result: dict) -> str:
    step = result["step"]
    head = (f"bench.gpu on {step['device_text']} ({step['dtype']}), {result['started']}, "
            f"{result.get('preset', 'shape-base')} models"
            f"{', --quick (small sizes: not the real numbers)' if result['quick'] else ''}")
    return head + "\n\n" + format_table(["measurement", "value", "detail"], rows_of(result))


def markdown(result: dict) -> str:
    lines = ["| measurement | value | detail |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows_of(result)]
    return f"{report(result).splitlines()[0]}\n\n" + "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.device.startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            print("error: no CUDA GPU here; use --device cpu (with --quick, the CI run)", file=sys.stderr)
            return 2
    result = measure(args)
    publish(report(result), result, args.json)
    if args.markdown:
        args.markdown.write_text(markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
