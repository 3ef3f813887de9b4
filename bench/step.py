"""PPO step benchmark: time per phase and peak memory, single-copy reference against a second copy.

    python -m bench.step [--preset tiny|shape-base|all] [--device cpu|cuda] [--quick]

For each preset, PPOTrainer runs a few steps on the preset's own settings and the table shows
the mean time of each phase (rollout, scoring, the no-grad forward passes for old log-probs,
values and reference log-probs, the PPO update) and the peak memory of the steps:
- single-copy: the engine as it is; the reference is the policy with its trainable LoRA off;
- second-copy: the notebook's way (TRL's `create_reference_model`): a frozen deep copy of the
  model computes the reference log-probs.
Each (preset, variant) runs in its own child process, so one run's memory peak cannot leak into
another's (with --quick, one process per preset runs both variants one after the other, from the
same starting weights, with the peak reset between them: loading shape-base twice would take
half the minute). Peak memory is measured over the steps only (model loading excluded): on CUDA
`torch.cuda.max_memory_allocated`, on CPU the peak resident set size (heap trimmed, then VmHWM
reset through /proc/self/clear_refs just before the first step; the whole process's peak where
that is not possible). Peak RSS holds allocator noise of some tens of MiB at shape-base scale
(see bench/RESULTS.md). The variants are compared over the steps both ran. The first step is a
warm-up: per-phase means leave it out unless it is the only step, totals include it.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import time
from pathlib import Path

from bench.common import (BENCH_PRESETS, MiB, OtherLoad, PhaseTimer, bounded_int, cpu_cores, device_name, format_table,
                          load_average)

ROOT = Path(__file__).resolve().parent.parent
VARIANTS = ("single-copy", "second-copy")

# Per preset: PPO steps for the single-copy and the second-copy variant, and config overrides.
# --quick keeps the whole script under a minute on 2 CPU cores: tiny's single-copy variant runs
# its 20 steps (the "20 steps under 30 s" target); shape-base runs a small batch with short
# responses; there the second copy runs in the process that the single-copy variant has warmed
# up, so it needs no warm-up step of its own.
PLANS = {
    ("tiny", False): (20, 20, []),
    ("tiny", True): (20, 3, []),
    ("shape-base", False): (2, 2, []),  # a step takes minutes on a CPU
    ("shape-base", True): (2, 1, ["ppo.batch_size=2", "ppo.mini_batch_size=2", "data.max_prompt_tokens=64",
                                  "generation.output_min_length=8", "generation.output_max_length=16"]),
}
PHASES = ("rollout", "score", "forward", "update", "step")
NOISE_BYTES = 64 * MiB
"""Peak RSS of identical tiny runs differed by up to 5 MiB here (allocator caches, lazily loaded
libraries): weights much smaller than this threshold cannot show in a memory comparison."""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m bench.step", description=__doc__.split("\n\n")[0])
    ap.add_argument("--preset", default="all", choices=BENCH_PRESETS + ("all",),
                    help="preset to benchmark (default: all = tiny and shape-base)")
    ap.add_argument("--variant", default="both", choices=VARIANTS + ("both",),
                    help="reference kept as the LoRA-disabled policy (single-copy, the engine), as a "
                         "frozen deep copy (second-copy, the notebook), or both (default)")
    ap.add_argument("--device", default="auto", type=device_name,
                    help="cpu, cuda or cuda:N (default: cuda when present, else cpu)")
    ap.add_argument("--quick", action="store_true",
                    help="shape-base with batch 2, mini-batch 2, prompts cut to 64 tokens and responses of "
                         "8-15 tokens, 2 steps (1 for the second copy), both variants in one process: under "
                         "a minute on 2 CPU cores")
    ap.add_argument("--steps", type=bounded_int(1, 10000), default=None,
                    help="PPO steps per run, the first a warm-up unless it is the only one (default: tiny 20, "
                         "shape-base 2; --quick: shape-base 2 and 1 for the second copy, tiny's second copy 3)")
    ap.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                    help="override a config setting for every preset, e.g. --set ppo.batch_size=8")
    ap.add_argument("--child", action="store_true",
                    help="internal: run one preset (one variant, or both) in this process and print a JSON line")
    args = ap.parse_args(argv)
    if args.child and args.preset == "all":
        ap.error("--child runs one preset: name it with --preset")
    return args


# --- the child: one preset, one variant ------------------------------------------------------


def make_trainer_class():
    """PPOTrainer with phase timers and an optional second-copy reference (torch imported late)."""
    import torch

    from engine.ppo import PPOTrainer, logprobs_from_logits

    class BenchTrainer(PPOTrainer):
        def __init__(self, *args, reference_model=None, **kwargs):
            super().__init__(*args, **kwargs)
            self.reference_model = reference_model
            self.timer = PhaseTimer(self.device)

        def forward_passes(self, r, minibatches):
            with self.timer("forward"):
                return super().forward_passes(r, minibatches)

        def reference_logprobs(self, query_ids, query_mask, response_ids):
            if self.reference_model is None:
                return super().reference_logprobs(query_ids, query_mask, response_ids)
            with torch.no_grad():  # the frozen second copy, TRL's create_reference_model
                logits = self.reference_model(input_ids=query_ids, attention_mask=query_mask,
                                              decoder_input_ids=response_ids[:, :-1], use_cache=False).logits
            return logprobs_from_logits(logits, response_ids[:, 1:])

        def update(self, *args, **kwargs):
            with self.timer("update"):
                return super().update(*args, **kwargs)

    return BenchTrainer


def second_copy_reference(policy):
    """TRL's `create_reference_model`: a frozen deep copy. Unloading the copy's (still zero)
    trainable LoRA leaves exactly the merged reference weights, a second full copy of them."""
    import copy

    reference = copy.deepcopy(policy.model).unload()
    reference.requires_grad_(False)
    return reference.eval()


class PeakMemory:
    """Peak memory from `reset()` on: CUDA allocator peak, or the process's peak RSS on CPU."""

    def __init__(self, device):
        self.device = device
        self.method = ""

    def reset(self) -> None:
        import torch

        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
            self.method = "torch.cuda.max_memory_allocated"
            return
        release_free_heap()
        try:  # Linux: "5" resets the peak RSS (VmHWM, and with it ru_maxrss) to the current RSS
            Path("/proc/self/clear_refs").write_text("5")
            self.method = "peak RSS of the steps (heap trimmed, VmHWM reset before the first step)"
        except OSError:
            self.method = "peak RSS of the whole process, model loading included (ru_maxrss)"

    def peak_bytes(self) -> int:
        import torch

        if self.device.type == "cuda":
            return torch.cuda.max_memory_allocated(self.device)
        return max_rss_bytes()

    def current_bytes(self) -> int:
        import torch

        if self.device.type == "cuda":
            return torch.cuda.memory_allocated(self.device)
        return proc_status_kib("VmRSS") * 1024


def release_free_heap() -> None:
    """Hand memory that loading freed back to the OS (glibc's malloc_trim). Otherwise the steps,
    or the second copy, can reuse those pages unseen, and the peak RSS of a step measures the
    loading's leftovers as much as the step (a full run without this understated the second
    copy by 22 MiB)."""
    import ctypes
    import gc

    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: the peak keeps whatever the allocator holds
        pass


def proc_status_kib(field: str) -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def max_rss_bytes() -> int:
    import resource

    hwm = proc_status_kib("VmHWM")
    if hwm:
        return hwm * 1024
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return maxrss if sys.platform == "darwin" else maxrss * 1024  # macOS reports bytes, Linux KiB


def child_config(args):
    from bench.common import resolve_config

    single_steps, second_steps, overrides = PLANS[(args.preset, args.quick)]
    cfg = resolve_config(args.preset, overrides + list(args.overrides))
    steps = {"single-copy": args.steps or single_steps, "second-copy": args.steps or second_steps}
    return cfg, steps


def run_child(args) -> list[dict]:
    """Load once, then run each asked-for variant from the same starting weights."""
    import torch

    from bench.common import load_models, pick_bench_device, quiet_libraries

    quiet_libraries()
    cfg, steps = child_config(args)
    device = pick_bench_device(args.device)
    cfg.model.device = str(device)
    t0 = time.perf_counter()
    policy, tokenizer, reward_model, data = load_models(cfg, device)
    load_s = time.perf_counter() - t0
    start = {n: p.detach().clone() for n, p in policy.named_parameters() if p.requires_grad}
    results = []
    for variant in (VARIANTS if args.variant == "both" else (args.variant,)):
        with torch.no_grad():  # the next variant starts where the first did: same LoRA, same KL 0
            for name, param in policy.named_parameters():
                if name in start:
                    param.copy_(start[name])
        results.append(run_variant(variant, cfg, steps[variant], device, policy, tokenizer, reward_model, data))
        results[-1].update(load_s=load_s, variants_in_process=1 if args.variant != "both" else len(VARIANTS))
    return results


def run_variant(variant, cfg, steps, device, policy, tokenizer, reward_model, data) -> dict:
    import gc

    import torch

    from bench.common import describe_device, weight_bytes
    from engine.train import prompt_batches

    reference = second_copy_reference(policy) if variant == "second-copy" else None
    trainer = make_trainer_class()(cfg, policy, tokenizer, reward_model.score_fn(cfg.ppo.reward_input),
                                   reference_model=reference)
    batches = prompt_batches(data.train, cfg.ppo.batch_size, cfg.ppo.seed)
    gc.collect()
    memory = PeakMemory(device)
    memory.reset()
    resident_before = memory.current_bytes()
    rows, load_before, others = [], load_average(), OtherLoad()
    t0 = time.perf_counter()
    for _ in range(steps):
        batch = next(batches)
        stats, _, _ = trainer.step([ex.input_ids for ex in batch], [ex.query for ex in batch])
        # the engine's invariant, checked in the device's dtype: the first minibatch repeats the
        # rollout's forward pass exactly, so its ratio is exactly 1
        ratio_dev = float(trainer.last_minibatch_stats[0]["ppo/policy/ratio_max_dev"])
        finite = all(v is None or math.isfinite(v) for v in stats.values() if isinstance(v, float))
        rows.append({"ratio_dev": ratio_dev, "finite": finite, "rollout": stats["time/rollout"], "score": stats["time/score"],
                     "forward": trainer.timer.pop("forward"), "update": trainer.timer.pop("update"),
                     "step": stats["time/step"], "kl": stats["objective/kl"],
                     "response_len": stats["tokens/response_len_mean"], "peak": memory.peak_bytes()})
    total_s = time.perf_counter() - t0
    peak, load_after, other_cores = memory.peak_bytes(), load_average(), others.cores()
    timed = rows[1:] or rows  # the first step is a warm-up unless it is the only one
    g, p = cfg.generation, cfg.ppo
    result = {
        "preset": cfg.preset, "variant": variant, "device": str(device),
        "device_text": describe_device(device), "dtype": str(next(policy.parameters()).dtype).replace("torch.", ""),
        "threads": torch.get_num_threads(), "batch": p.batch_size, "mini_batch": p.mini_batch_size,
        "lengths": [g.output_min_length, g.output_max_length], "steps": steps, "timed_steps": len(timed),
        "mean": {k: sum(r[k] for r in timed) / len(timed) for k in PHASES},
        "total_s": total_s, "first_kl": rows[0]["kl"], "first_ratio_max_dev": rows[0]["ratio_dev"],
        "all_finite": all(r["finite"] for r in rows),
        "median": {k: sorted(r[k] for r in timed)[len(timed) // 2] for k in PHASES},
        "response_len_mean": sum(r["response_len"] for r in rows) / len(rows),
        "peak_bytes": peak, "peak_after_step": [r["peak"] for r in rows], "resident_before_bytes": resident_before,
        "memory_method": memory.method, "weight_bytes": weight_bytes(policy),
        "load_average": [load_before, load_after], "other_cores": other_cores,
    }
    del trainer, reference  # a later variant in this process must not carry this one's memory
    gc.collect()
    return result


# --- the parent: one child per (preset, variant), then the tables ----------------------------


def run_children(args) -> list[dict]:
    """One child process per preset and variant; with --quick, one per preset (both variants one
    after the other, peak memory reset between them), which saves loading shape-base twice."""
    presets = BENCH_PRESETS if args.preset == "all" else (args.preset,)
    variants = VARIANTS if args.variant == "both" else (args.variant,)
    groups = [variants] if args.quick and len(variants) > 1 else [(v,) for v in variants]
    results = []
    for preset in presets:
        for group in groups:
            variant = group[0] if len(group) == 1 else "both"
            cmd = [sys.executable, "-m", "bench.step", "--child", "--preset", preset, "--variant", variant,
                   "--device", args.device]
            cmd += ["--quick"] if args.quick else []
            cmd += ["--steps", str(args.steps)] if args.steps else []
            for override in args.overrides:
                cmd += ["--set", override]
            print(f"running {preset} / {variant} ...", file=sys.stderr, flush=True)
            proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
            if proc.returncode != 0:
                sys.stderr.write(proc.stderr[-4000:])
                raise SystemExit(f"error: the {preset} / {variant} run failed (exit {proc.returncode})")
            results += json.loads(proc.stdout.strip().splitlines()[-1])
    return results


def mib(n: float) -> str:
    return f"{n / MiB:,.0f}"


def report(results: list[dict], args, started: str, load_before: float) -> str:
    first = results[0]
    lines = [
        f"PPO step benchmark, {started}, {device_line(first)}" + (", --quick" if args.quick else ""),
        f"load average (1 min) before: {load_before:.2f}; CPU cores used by other processes during each "
        "run's steps: " + ", ".join(f"{r['preset']}/{r['variant']} {r['other_cores']:.2f}" for r in results),
        f"memory: {first['memory_method']}; "
        + ("each variant in its own process" if first["variants_in_process"] == 1 else
           "both variants in one process, one after the other, from the same starting weights"),
        "per-phase means over the timed steps (the first step is a warm-up and left out, unless it is the "
        "only one); forward = no-grad old log-probs, values and reference log-probs",
        "",
    ]
    rows = []
    for r in results:
        m = r["mean"]
        rows.append([r["preset"], r["variant"], r["dtype"], r["threads"], r["batch"], r["mini_batch"],
                     f"[{r['lengths'][0]}, {r['lengths'][1]})", f"{r['timed_steps']}+1" if r["steps"] > 1 else "1",
                     *(f"{m[k]:.3f}" for k in PHASES), f"{r['total_s']:.1f}", f"{r['first_kl']:.2g}",
                     mib(r["peak_bytes"])])
    lines.append(format_table(["preset", "variant", "dtype", "threads", "batch", "mb", "lengths", "steps",
                               "rollout s", "score s", "forward s", "update s", "step s", "total s",
                               "kl@1", "peak MiB"], rows))
    lines += ["", *memory_lines(results), *tiny_lines(results), summary_line(results)]
    return "\n".join(lines)


def device_line(result: dict) -> str:
    if result["device"].startswith("cuda"):
        return result["device_text"]
    return f"cpu ({cpu_cores()} cores; torch threads per run in the table)"


def by_key(results: list[dict]) -> dict:
    return {(r["preset"], r["variant"]): r for r in results}


def compare_peaks(single: dict, second: dict) -> tuple[int, int, int, int]:
    """(steps compared, single-copy peak, second-copy peak, saving) over the first steps both ran:
    later steps draw other prompts and lengths, so a longer run can only have a higher peak."""
    n = min(len(single["peak_after_step"]), len(second["peak_after_step"]))
    a, b = single["peak_after_step"][n - 1], second["peak_after_step"][n - 1]
    return n, a, b, b - a


def memory_lines(results: list[dict]) -> list[str]:
    found, lines = by_key(results), []
    for preset in dict.fromkeys(r["preset"] for r in results):
        single, second = found.get((preset, "single-copy")), found.get((preset, "second-copy"))
        if single and second:
            n, a, b, saved = compare_peaks(single, second)
            if single["weight_bytes"] < NOISE_BYTES:
                verdict = "within measurement noise: the weights are too small to compare"
            else:
                verdict = ("at least" if saved >= single["weight_bytes"] else "LESS than") + " the model weights"
            lines.append(f"{preset}: peak over the first {n} step(s): single-copy {mib(a)} MiB vs second-copy "
                         f"{mib(b)} MiB: saves {mib(saved)} MiB, {verdict} ({mib(single['weight_bytes'])} MiB)")
    return lines


def tiny_lines(results: list[dict]) -> list[str]:
    tiny = by_key(results).get(("tiny", "single-copy"))
    if not tiny:
        return []
    verdict = "meets" if tiny["total_s"] < 30 and tiny["steps"] >= 20 else "misses"
    return [f"tiny: {tiny['steps']} PPO steps in {tiny['total_s']:.1f} s (warm-up step included, model "
            f"loading excluded; target: 20 steps under 30 s on 2 CPU cores: {verdict})"]


def summary_line(results: list[dict]) -> str:
    found = by_key(results)
    times = [f"{r['preset']} {r['mean']['step']:.2f} s/step" for r in results if r["variant"] == "single-copy"]
    if not times:  # only the second-copy variant ran
        times = [f"{r['preset']} {r['mean']['step']:.2f} s/step (second copy)" for r in results]
    text = "step: " + ", ".join(times)
    # the largest model that ran both variants says the most about the saving
    for preset in reversed(BENCH_PRESETS):
        single, second = found.get((preset, "single-copy")), found.get((preset, "second-copy"))
        if single and second:
            saved = compare_peaks(single, second)[3]
            text += (f"; memory saved by the single-copy reference: {mib(saved)} MiB "
                     f"(model weights {mib(single['weight_bytes'])} MiB, {preset})")
            break
    return text


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        print(json.dumps(run_child(args)), flush=True)
        return 0
    started, load_before = time.strftime("%Y-%m-%d %H:%M %Z"), load_average()
    results = run_children(args)
    print(report(results, args, started, load_before), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
