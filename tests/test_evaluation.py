"""Evaluation numbers on fixed toy cases, and the paired before/after generation."""

import json

import numpy as np
import pytest
import torch

from engine import runs
from engine.config import preset
from engine.data import Example
from engine.evaluation import (TABLE_COLUMNS, compare, evaluate, format_report, load_models, paired_summary,
                               rouge, save_evaluation)
from engine.models import load_policy, save_checkpoint


def test_paired_summary_on_a_toy_case():
    before = [0.10, 0.20, 0.30, 0.40]
    after = [0.05, 0.10, 0.30, 0.20]
    s = paired_summary(before, after, seed=0, resamples=2000)
    assert s.before_mean == pytest.approx(0.25) and s.after_mean == pytest.approx(0.1625)
    assert s.before_std == pytest.approx(np.std(before)) and s.after_std == pytest.approx(np.std(after))
    assert s.mean_improvement_pct == pytest.approx((0.25 - 0.1625) / 0.25 * 100)  # 35 %
    assert s.std_improvement_pct == pytest.approx((np.std(before) - np.std(after)) / np.std(before) * 100)
    assert s.diff_mean == pytest.approx(-0.0875)
    lo, hi = s.diff_ci95
    # the resampled means of {-0.05, -0.1, 0, -0.2} lie between -0.2 and 0
    assert -0.2 <= lo < s.diff_mean < hi <= 0.0
    assert s.n == 4
    assert paired_summary(before, after, seed=0, resamples=2000) == s  # seeded


def test_paired_summary_of_identical_lists_is_a_zero_width_interval():
    s = paired_summary([0.3, 0.1, 0.2], [0.3, 0.1, 0.2])
    assert s.diff_mean == 0 and s.diff_ci95 == (0.0, 0.0) and s.mean_improvement_pct == 0


def test_paired_summary_rejects_unpaired_input():
    with pytest.raises(ValueError):
        paired_summary([0.1, 0.2], [0.1])
    with pytest.raises(ValueError):
        paired_summary([], [])


def test_rouge_on_toy_strings_uses_the_best_reference():
    scores = rouge(["the cat sat on the mat"], [["a dog ran", "the cat sat on the mat"]])
    assert scores == {"rouge1": pytest.approx(1.0), "rouge2": pytest.approx(1.0), "rougeL": pytest.approx(1.0)}
    half = rouge(["the cat"], [["the cat sat on"]])
    assert half["rouge1"] == pytest.approx(2 * (1.0 * 0.5) / 1.5)  # precision 1, recall 0.5
    assert rouge(["x"], [[]]) == {}


@pytest.fixture(scope="module")
def untrained_run(tmp_path_factory):
    """A run whose final checkpoint is the fresh LoRA (B = 0): tuned == reference exactly."""
    runs_dir = tmp_path_factory.mktemp("runs")
    cfg = preset("tiny")
    run_dir = runs.create_run(runs_dir, cfg.to_dict(), "tiny")
    policy, _ = load_policy(cfg.model, torch.device("cpu"), torch.float32)
    save_checkpoint(policy, runs.checkpoint_dir(run_dir, None))
    return run_dir


def _examples(n):
    rows = [json.loads(line) for line in open(preset("tiny").data.dataset)][:n]
    return [Example(dialogue=r["dialogue"], references=[r["summary"]]) for r in rows]


def test_before_and_after_share_seeds_so_an_untrained_adapter_changes_nothing(untrained_run):
    models = load_models(untrained_run)
    rows = compare(models, _examples(5), seed=3)
    assert len(rows) == 5 and all(set(TABLE_COLUMNS) <= set(r) for r in rows)
    for r in rows:
        assert r["response_before"] == r["response_after"]
        assert r["reward_diff"] == 0.0
    again = compare(models, _examples(5), seed=3)
    assert [r["response_before"] for r in again] == [r["response_before"] for r in rows]


def test_compare_is_sorted_by_reward_diff_and_evaluation_is_saved(untrained_run):
    models = load_models(untrained_run)
    with torch.no_grad():  # a non-trivial "tuned" model: perturb the adapter
        for name, p in models.policy.named_parameters():
            if "lora_B" in name:
                p.add_(torch.randn_like(p) * 0.5)
    rows = compare(models, _examples(6), seed=0)
    diffs = [r["reward_diff"] for r in rows]
    assert diffs == sorted(diffs, reverse=True)
    assert any(r["response_before"] != r["response_after"] for r in rows)
    for r in rows:
        assert r["reward_diff"] == pytest.approx(r["reward_after"] - r["reward_before"])
    result = evaluate(models, _examples(6), seed=0)
    path = save_evaluation(untrained_run, result)
    saved = json.loads(path.read_text())
    assert saved["samples"] == 6 and saved["toxicity"]["n"] == 6
    report = format_report(saved)
    assert "toxicity [mean, std] before detox" in report and "ROUGE before" in report


def test_absent_checkpoint_is_a_clear_error(untrained_run):
    with pytest.raises(runs.RunError, match="no checkpoint 'step-9'"):
        load_models(untrained_run, "step-9")
