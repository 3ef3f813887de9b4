"""Smoke tests of the benchmarks on the tiny preset: their code paths run and their summary lines
keep the documented format. Timings are not asserted (CI machines vary too much)."""

import json
import re
import subprocess
import sys

import pytest

from tests.conftest import ROOT


def run_module(*args: str, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


@pytest.mark.slow
def test_rollout_benchmark_prints_a_table_and_the_speedup_line():
    proc = run_module("bench.rollout", "--preset", "tiny", "--device", "cpu", "--batch", "3", "--quick")
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.strip().splitlines()
    assert re.fullmatch(r"rollout speedup: \d+\.\d\dx \(batched vs per-sample, cpu\)", lines[-1]), lines[-1]
    table = "\n".join(lines)
    for row in ("per-sample", "batched", "speedup"):
        assert re.search(rf"^{row}\s", table, re.M), table


@pytest.mark.slow
def test_step_benchmark_child_reports_zero_kl_for_both_references():
    """The second-copy reference must be the same model as the LoRA-disabled policy: KL 0 at step 1."""
    proc = run_module("bench.step", "--child", "--preset", "tiny", "--variant", "both", "--device", "cpu",
                      "--steps", "2", "--set", "ppo.batch_size=4", "--set", "ppo.mini_batch_size=2")
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = json.loads(proc.stdout.strip().splitlines()[-1])
    assert [r["variant"] for r in results] == ["single-copy", "second-copy"]
    for r in results:
        assert r["first_kl"] == 0.0
        assert r["steps"] == 2 and r["timed_steps"] == 1 and r["batch"] == 4
        assert set(r["mean"]) == {"rollout", "score", "forward", "update", "step"}
        assert r["peak_bytes"] > 0 and r["weight_bytes"] > 0 and r["peak_after_step"][-1] == r["peak_bytes"]


def test_step_benchmark_summary_line():
    from bench.step import report

    def fake(variant, step_s, peak_mib):
        return {"preset": "shape-base", "variant": variant, "device": "cpu", "device_text": "cpu", "dtype": "float32",
                "threads": 2, "batch": 4, "mini_batch": 2, "lengths": [8, 16], "steps": 2, "timed_steps": 1,
                "mean": {k: step_s / 5 for k in ("rollout", "score", "forward", "update", "step")},
                "total_s": 2 * step_s, "load_s": 1.0, "first_kl": 0.0, "peak_bytes": peak_mib * 2**20,
                "peak_after_step": [(peak_mib - 10) * 2**20, peak_mib * 2**20],
                "memory_method": "test", "variants_in_process": 1, "weight_bytes": 944 * 2**20,
                "load_average": [0.1, 0.2], "other_cores": 0.0}

    class Args:
        quick = True

    text = report([fake("single-copy", 5.0, 3000), fake("second-copy", 6.0, 4000)], Args, "now", 0.1)
    assert text.splitlines()[-1] == ("step: shape-base 1.00 s/step; memory saved by the single-copy reference: "
                                     "1,000 MiB (model weights 944 MiB, shape-base)")
    assert "saves 1,000 MiB, at least the model weights (944 MiB)" in text


@pytest.mark.slow
def test_bad_arguments_give_a_clear_message():
    proc = run_module("bench.rollout", "--batch", "0")
    assert proc.returncode == 2 and "must be between 1 and 1024" in proc.stderr
    proc = run_module("bench.step", "--child", "--preset", "all")
    assert proc.returncode == 2 and "--child runs one preset" in proc.stderr
    proc = run_module("bench.rollout", "--preset", "tiny", "--set", "generation.top_p=2")
    assert proc.returncode != 0 and "top_p must be in (0, 1]" in proc.stderr


def _paired(before: float, after: float, lo: float, hi: float) -> dict:
    return {"before_mean": before, "after_mean": after, "diff_mean": after - before, "diff_ci95": (lo, hi),
            "mean_improvement_pct": (before - after) / before * 100}


def _ba(before: float, after: float) -> dict:
    return {"before": before, "after": after, "diff": after - before, "diff_ci95": (after - before - 0.1, after - before + 0.1)}


def test_demo_quality_report_checks_every_target():
    from bench.demo_quality import report

    def result(tox_after: float = 0.2, invented: float = 0.0) -> dict:
        q = {"rougeL": 0.25, "on_topic": 0.9}
        return {
            "steps": 60, "batch_size": 16, "wall_s": 80.0, "kl_end": 2.0, "load": 1.0, "other_load": 0.0,
            "open_world": {"n": 500, "on_topic": 0.93, "examples": [{"dialogue": "d", "summary": "s"}],
                           "rougeL": {"reference model, greedy": 0.24, "constant summary": 0.18, "lead-2 turns": 0.20}},
            "invented": {name: {"n": 60, "reward model before": invented, "profanity-check before": 0.0,
                                "reward model after": 0.0, "profanity-check after": 0.0}
                         for name in ("DialogSum test, polite", "independent polite")},
            "heated": {"n": 64, "k": 4, "judges": {"reward model": _paired(0.6, tox_after, -0.5, -0.3),
                                                   "profanity-check": _paired(0.4, 0.1, -0.35, -0.2)},
                       "rude": {"reward model before": 0.6, "profanity-check before": 0.4,
                                "reward model after": 0.1, "profanity-check after": 0.1},
                       "quality": {"before": q, "after": {"rougeL": 0.245, "on_topic": 0.88}},
                       "verdicts": ["Toxicity fell by every judge."],
                       "examples": [{"response_before": "rude", "response_after": "polite", "toxicity_before": 0.97,
                                     "toxicity_after": 0.03}]},
        }

    text = report(result())
    assert "lead-2 turns" in text and "on-topic share" in text and "toxicity, profanity-check (independent)" in text
    assert text.count("meets ") == 11 and "MISSES" not in text, text
    assert "MISSES  independent heated: reward-model toxicity down >= 50%, CI excludes 0" in report(result(0.4))
    assert "MISSES  independent polite: at most 2.0% rude by each judge" in report(result(invented=0.05))


@pytest.mark.slow
def test_demo_quality_runs_end_to_end():
    proc = run_module("bench.demo_quality", "--steps", "2", "--limit", "6", "--samples-per-prompt", "1", timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert re.search(r"^demo run: 2 PPO steps, batch 16, \d+\.\d s wall", proc.stdout, re.M), proc.stdout
    for row in ("lead-2 turns", "toxicity, profanity-check (independent)", "on-topic share",
                "independent polite (6), rude sampled summaries"):
        assert row in proc.stdout, proc.stdout


@pytest.mark.slow
def test_gpu_benchmark_runs_end_to_end_on_the_cpu(tmp_path):
    """The script a GPU slot runs cannot rot: CI runs it with the same code paths, small sizes."""
    proc = run_module("bench.gpu", "--device", "cpu", "--quick", "--preset", "tiny", "--json", str(tmp_path / "gpu.json"),
                      "--markdown", str(tmp_path / "gpu.md"), timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    for line in ("PPO step, batch 2", "rollout: per-sample loop vs batched", "peak memory: second copy vs single copy",
                 "holds  KL at the first step", "holds  first minibatch ratio - 1", "holds  every statistic finite",
                 "demo run, 3 steps", "step time at batch 4", "PPO step, 2 summaries", "RLOO step, 2 summaries",
                 "GRPO step, 2 summaries"):
        assert line in proc.stdout, line
    result = json.loads((tmp_path / "gpu.json").read_text())
    assert result["step"]["first_kl"] == 0.0 and result["step"]["first_ratio_max_dev"] == 0.0
    assert (tmp_path / "gpu.md").read_text().count("\n| ") >= 11
    assert [a["algorithm"] for a in result["algorithms"]] == ["ppo", "rloo", "grpo"]


def test_gpu_benchmark_says_plainly_when_an_invariant_breaks():
    from bench.gpu import report

    step = {"batch": 16, "lengths": [100, 400], "median": {"step": 4.2, "rollout": 2.0, "score": 0.1, "forward": 0.5,
                                                            "update": 1.6}, "peak_bytes": 10 * 2**30,
            "memory_method": "torch.cuda.max_memory_allocated", "weight_bytes": 944 * 2**20, "first_kl": 0.0,
            "first_ratio_max_dev": 0.0078125, "all_finite": True, "dtype": "bfloat16", "device_text": "NVIDIA H200"}
    result = {"quick": False, "device": "cuda", "started": "now", "step": step,
              "second_copy": {**step, "peak_bytes": 11 * 2**30},
              "rollout": {"batch": 16, "paths": {"per-sample": {"generate": 30.0, "score": 1.0},
                                                 "batched": {"generate": 2.0, "score": 0.1}}},
              "demo": {"steps": 60, "wall_s": 20.0, "device": "cuda:0 (bfloat16)"},
              "scale": {"16": step, "64": {**step, "median": {**step["median"], "step": 8.4}}}}
    text = report(result)
    assert "BROKEN first minibatch ratio - 1" in text and "holds  KL at the first step" in text
    assert "1,024 MiB saved" in text and "14.76x" in text and "2.0x batch 16" in text
    assert "meets  target: seed step < 5 s" in text


@pytest.mark.slow
def test_scale_benchmark_compares_one_and_two_processes():
    proc = run_module("bench.scale", "--steps", "2", "--preset", "tiny", timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "vs 1 x 16" in proc.stdout and re.search(r"^2\s+16\s+[0-9.]+ s", proc.stdout, re.MULTILINE)


def _checkpoint(step, prompts_per_step, s_per_step, drop, rouge, kl=1.0):
    return {"checkpoint": f"step-{step}", "step": step, "prompts": step * prompts_per_step,
            "train_s": step * s_per_step, "s_per_step": s_per_step, "kl": kl,
            "drop": {"reward model": {"diff": drop, "ci": (drop - 0.05, drop + 0.05), "before": 0.6},
                     "profanity-check": {"diff": drop / 2, "ci": (drop / 2 - 0.05, drop / 2 + 0.05), "before": 0.3}},
            "rougeL": rouge, "rougeL_before": 0.3, "on_topic": 0.5, "reward_judge": "reward model"}


def test_algorithms_report_picks_its_rows_and_checks_every_target():
    from bench.algorithms import report

    result = {"preset": "demo", "steps": 60, "group_steps": 80, "every": 10, "samples_per_prompt": 2,
              "overrides": [], "load_average": [0.1, 1.9], "wall_s": 600.0, "memory_preset": "shape-base",
              "checkpoints": {
                  "ppo": [_checkpoint(s, 16, 1.5, -0.006 * s, 0.33) for s in (15, 60)],
                  "rloo": [_checkpoint(s, 4, 1.0, -0.004 * s, 0.33) for s in (10, 20, 30, 40, 50, 60, 70, 80)],
                  "grpo": [_checkpoint(s, 4, 1.0, -0.008 * s, 0.30) for s in (10, 20, 30, 40, 50, 60, 70, 80)]},
              "memory": [{"algorithm": a, "peak_bytes": peak * 2**20, "method": "peak RSS of the steps",
                          "s_per_step": 3.0, "trainable": 10} for a, peak in (("ppo", 2000), ("rloo", 1900),
                                                                              ("grpo", 1990))]}
    text = report(result)
    # PPO's drop is -0.36 in 90 s; GRPO reaches it at step 50 (50 s: 0.56x), RLOO never does
    assert "- meets: RLOO or GRPO reaches PPO's held-out toxicity drop in <= 0.7x PPO's time: GRPO reaches " \
           "PPO's drop by the reward model in 0.56x PPO's training time" in text
    assert re.search(r"^GRPO +first to reach PPO's drop \(step 50\) +200 +50 +0\.56 ", text, re.M), text
    assert re.search(r"^PPO +at RLOO's and GRPO's prompts \(240\) +240 ", text, re.M), text
    assert re.search(r"^RLOO +at PPO's training time \(step 80\) ", text, re.M), text
    assert "- meets: RLOO holds ROUGE-L within 2 points of PPO's" in text
    assert "- MISSES: GRPO holds ROUGE-L within 2 points of PPO's (no more than that below it): 0.300 against " \
           "0.330 (-3.0 points)" in text
    assert "- meets: the peak memory of a RLOO step is below PPO's on shape-base: 1900 MiB against 2000 MiB" in text
    assert "- MISSES: the peak memory of a GRPO step is below PPO's on shape-base: 1990 MiB against 2000 MiB " \
           "(less than the 64 MiB that peak RSS varies by: not shown)" in text
