"""What a second CPU process (or GPU) buys: the `demo` preset's step time with 1 and 2
data-parallel processes, and at batch 8, 16 and 32, as ratios, in one run.

    python -m bench.scale [--steps 8] [--preset demo|tiny]

Each configuration is a real `engine.train --preset demo` run (two processes through
`accelerate launch`, gloo on a CPU, exactly as the dashboard starts them: dashboard.settings),
into a temporary runs folder. The step time is the median `time/step` of rank 0 after the
first step (a warm-up); with two processes each rank does half the batch, so a ratio below 1
against one process is what the second process buys.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.common import bounded_int, cpu_cores, format_table, load_average

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = [(1, 16), (2, 16), (1, 8), (1, 32)]
"""(processes, batch size); the first is the reference of the ratios."""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=bounded_int(2, 1000), default=8, help="PPO steps per run (default 8)")
    ap.add_argument("--preset", default="demo", choices=("demo", "tiny"),
                    help="demo (default, the numbers) or tiny (CI's rehearsal of the same code paths)")
    return ap.parse_args(argv)


def run(preset: str, processes: int, batch: int, steps: int) -> dict:
    from engine import runs
    from dashboard.settings import train_argv

    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        run_dir = runs.create_run(Path(tmp), _config(preset, batch, steps), preset)
        cmd = train_argv(run_dir, processes)
        print(f"bench.scale: {processes} process(es), batch {batch} ...", file=sys.stderr, flush=True)
        done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        if done.returncode != 0:
            sys.stderr.write(done.stderr[-3000:])
            raise SystemExit(f"error: the run with {processes} process(es), batch {batch} failed")
        times = sorted(r["time/step"] for r in runs.read_metrics(run_dir)[1:])
    return {"processes": processes, "batch": batch, "step_s": times[len(times) // 2],
            "per_prompt_s": times[len(times) // 2] / batch}


def _config(preset: str, batch: int, steps: int) -> dict:
    from engine.config import resolve

    mini = 4 if batch % 4 == 0 else batch
    cfg = resolve(preset, [f"ppo.batch_size={batch}", f"ppo.mini_batch_size={mini}", f"ppo.steps={steps}",
                           "run.save_every=0", "run.eval_every=0"])
    return cfg.to_dict()


def report(results: list[dict], load_before: float, preset: str = "demo") -> str:
    ref = results[0]
    rows = [[r["processes"], r["batch"], f"{r['step_s']:.2f} s", f"{r['step_s'] / ref['step_s']:.2f}x",
             f"{1000 * r['per_prompt_s']:.0f} ms", f"{r['per_prompt_s'] / ref['per_prompt_s']:.2f}x"] for r in results]
    return (f"{preset} preset, {cpu_cores()} CPU cores, load before {load_before:.2f}; step = median time/step after "
            "the first\n\n" + format_table(["processes", "batch", "s/step", "vs 1 x 16", "per prompt", "vs 1 x 16"],
                                          rows))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    load_before = load_average()
    results = [run(args.preset, p, b, args.steps) for p, b in CONFIGS]
    print(report(results, load_before, args.preset), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
