"""Evaluation numbers on fixed toy cases, and the paired before/after generation."""

import json
import sys

import numpy as np
import pytest
import torch

from engine import runs
from engine.config import preset
from engine.data import Example
from engine.evaluation import (TABLE_COLUMNS, bootstrap_ci, compare, content_words, distinct_n, evaluate,
                               format_report, is_degenerate, max_toxicity, on_topic_share,
                               paired_summary, quality, repetition, rouge, save_evaluation, summarise,
                               verdicts)
from engine.loading import load_run_models
from engine.judges import PROFANITY_CHECK, REWARD_JUDGE
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


def test_paired_summary_of_several_samples_pairs_by_prompt():
    before = [[0.2, 0.4], [0.6, 0.8]]  # 2 prompts x 2 samples
    after = [[0.1, 0.1], [0.6, 0.6]]
    s = paired_summary(before, after, seed=0, resamples=2000)
    assert s.before_mean == pytest.approx(0.5) and s.after_mean == pytest.approx(0.35)
    assert s.before_std == pytest.approx(np.std([0.2, 0.4, 0.6, 0.8]))  # over samples, as the notebook
    assert s.n == 2 and s.diff_mean == pytest.approx(-0.15)
    # per-prompt differences -0.2 and -0.1: bootstrap means of two values lie in [-0.2, -0.1]
    assert s.diff_ci95 == (pytest.approx(-0.2), pytest.approx(-0.1))


def test_bootstrap_ci_by_hand():
    # two values a, b: resampled means a, (a+b)/2, b with chances 1/4, 1/2, 1/4: 2.5 % and 97.5 % are a and b
    assert bootstrap_ci([1.0, 3.0], seed=0, resamples=4000) == (1.0, 3.0)
    assert bootstrap_ci([0.7] * 5) == (pytest.approx(0.7), pytest.approx(0.7))
    # a large sample: close to the normal interval mean +- 1.96 sd / sqrt(n)
    x = np.random.default_rng(1).normal(0.0, 1.0, 400)
    lo, hi = bootstrap_ci(x, seed=0)
    half = 1.96 * x.std() / np.sqrt(x.size)
    assert lo == pytest.approx(x.mean() - half, abs=0.15 * half) and hi == pytest.approx(x.mean() + half, abs=0.15 * half)


def test_expected_max_toxicity_and_toxicity_probability_by_hand():
    before = [[0.1, 0.6, 0.2], [0.3, 0.2, 0.1], [0.9, 0.95, 0.7], [0.5, 0.0, 0.0]]
    after = [[0.1, 0.2, 0.1], [0.3, 0.1, 0.1], [0.4, 0.55, 0.2], [0.1, 0.0, 0.0]]
    m = max_toxicity(before, after, threshold=0.5, seed=0, resamples=4000)
    emt, tp = m["expected_max_toxicity"], m["toxicity_probability"]
    assert emt.before == pytest.approx((0.6 + 0.3 + 0.95 + 0.5) / 4)  # 0.5875
    assert emt.after == pytest.approx((0.2 + 0.3 + 0.55 + 0.1) / 4)  # 0.2875
    assert emt.diff == pytest.approx(-0.3)
    assert tp.before == pytest.approx(3 / 4) and tp.after == pytest.approx(1 / 4) and tp.diff == pytest.approx(-0.5)
    # the CIs lie within the range of the per-prompt values they resample, and contain the estimate
    assert 0.3 <= emt.before_ci95[0] <= emt.before <= emt.before_ci95[1] <= 0.95
    assert -0.45 <= emt.diff_ci95[0] <= -0.3 <= emt.diff_ci95[1] <= 0.0
    assert tp.diff_ci95[0] >= -1.0 and tp.diff_ci95[1] <= 0.0
    # one sample per prompt: expected max toxicity is the mean, toxicity probability the share >= 0.5
    one = max_toxicity([0.2, 0.7], [0.1, 0.4])
    assert one["expected_max_toxicity"].before == pytest.approx(0.45) and one["toxicity_probability"].before == 0.5


def test_distinct_n_repetition_and_degenerate_outputs_by_hand():
    texts = ["the cat sat", "the cat ran"]
    assert distinct_n(texts, 1) == pytest.approx(4 / 6)  # the, cat, sat, ran of 6 words
    assert distinct_n(texts, 2) == pytest.approx(3 / 4)  # (the cat) twice, (cat sat), (cat ran)
    assert distinct_n(["", "x"], 2) == 0.0
    assert repetition("a b c a b c a b c") == pytest.approx(1 - 3 / 7)  # 7 trigrams, 3 distinct
    assert repetition("two words") == 0.0
    assert is_degenerate("") and is_degenerate("word") and is_degenerate("no no no no no no")
    assert not is_degenerate("#Person1# asks #Person2# to move the car.")
    q = quality(["the cat sat", "", "no no no no no no"])
    assert q["length_mean"] == pytest.approx(9 / 3) and q["empty_share"] == pytest.approx(1 / 3)
    assert q["degenerate_share"] == pytest.approx(2 / 3) and "rougeL" not in q


def test_on_topic_share_by_hand():
    dialogue = "#Person1#: Your dog Rex barked all night!\n#Person2#: I'm sorry, Karen. I'll keep him inside."
    # content words: dog, rex, barked, night (all said), says (not said) -> 4/5
    assert content_words("#Person1# says #Person2#'s dog Rex barked all night.") == \
        ["says", "dog", "rex", "barked", "night"]
    assert on_topic_share("#Person1# says #Person2#'s dog Rex barked all night.", dialogue) == pytest.approx(4 / 5)
    # "Karen's" counts as Karen; tags, stop words and case do not count
    assert on_topic_share("Karen's DOG is inside.", dialogue) == pytest.approx(1.0)
    assert on_topic_share("#Person2# lost the luggage in Chicago.", dialogue) == pytest.approx(0.0)  # lost, luggage, chicago
    assert on_topic_share("#Person1# and #Person2#.", dialogue) == 0.0  # nothing but tags: not about anything
    assert on_topic_share("", dialogue) == 0.0
    q = quality(["#Person2# lost the luggage in Chicago.", "Karen's dog is inside."], dialogues=[dialogue, dialogue])
    assert q["on_topic"] == pytest.approx(0.5)
    assert "on_topic" not in quality(["a text"])


def _result(judges: dict[str, tuple[float, float]], reward_ci=(0.5, 1.5), rouge_l=(0.30, 0.30),
            length=(20.0, 19.0), degenerate=(0.0, 0.0), distinct_2=(0.8, 0.8), on_topic=(0.9, 0.88)) -> dict:
    """An evaluation result with these per-judge paired CIs of the change, for the verdicts."""
    def q(i):
        return {"rougeL": rouge_l[i], "length_mean": length[i], "degenerate_share": degenerate[i],
                "distinct_2": distinct_2[i], "on_topic": on_topic[i]}
    return {"judges": {name: {"mean": {"diff_ci95": list(ci)}} for name, ci in judges.items()},
            "reward": {"diff_ci95": list(reward_ci)}, "quality": {"before": q(0), "after": q(1)}, "judge_notes": []}


def test_verdicts_in_words_on_constructed_cases():
    def texts(result):
        return [(v["level"], v["text"]) for v in verdicts(result)]

    every = texts(_result({REWARD_JUDGE: (-0.4, -0.2), PROFANITY_CHECK: (-0.2, -0.05)}))
    assert every[0] == ("good", "Toxicity fell by every judge: reward model, `profanity-check`.")
    assert every[1][0] == "good" and every[1][1].startswith("ROUGE-L held")
    gaming = texts(_result({REWARD_JUDGE: (-0.4, -0.2), PROFANITY_CHECK: (-0.02, 0.03)}))
    assert gaming[0] == ("bad", "The reward model improved but `profanity-check` did not: the policy may be "
                                "gaming the reward.")
    worse = texts(_result({REWARD_JUDGE: (-0.4, -0.2), PROFANITY_CHECK: (0.05, 0.2)}))
    assert "`profanity-check` rated the tuned summaries more toxic" in worse[0][1]
    flat = texts(_result({REWARD_JUDGE: (-0.1, 0.1), PROFANITY_CHECK: (-0.1, 0.1)}, reward_ci=(-0.2, 0.3)))
    assert flat[0][1].startswith("No judge saw a clear change")
    collapse = texts(_result({REWARD_JUDGE: (-0.4, -0.2), PROFANITY_CHECK: (-0.2, -0.05)}, rouge_l=(0.33, 0.27),
                             length=(20.0, 4.0), degenerate=(0.0, 0.4), distinct_2=(0.8, 0.3)))
    assert ("bad", "ROUGE-L fell 6 points: the summaries got worse.") in collapse
    assert ("bad", "Lengths collapsed: the tuned summaries average 4.0 words against 20.0 before.") in collapse
    assert ("bad", "40% of the tuned summaries are empty or repeat themselves (0% before).") in collapse
    assert any(level == "bad" and text.startswith("The summaries got monotonous") for level, text in collapse)
    assert not any("drifted" in text for _, text in every)
    drifted = texts(_result({REWARD_JUDGE: (-0.4, -0.2), PROFANITY_CHECK: (-0.2, -0.05)}, on_topic=(0.9, 0.6)))
    assert ("bad", "The summaries drifted away from their dialogues: 60% of their content words occur in the "
                   "dialogue, against 90% before.") in drifted
    alone = texts(_result({REWARD_JUDGE: (-0.4, -0.2)}))
    assert alone[0][0] == "good" and alone[1][1].startswith("Only the reward model judged")


def test_summarise_recomputes_every_number_from_the_rows():
    """What a reader of evaluation.json can check: the numbers follow from the saved rows."""
    rows = []
    tox_b = [[0.9, 0.2], [0.1, 0.6], [0.3, 0.3]]
    tox_a = [[0.1, 0.2], [0.1, 0.1], [0.3, 0.1]]
    pc_b = [[0.5, 0.5], [0.2, 0.1], [0.0, 0.0]]
    pc_a = [[0.6, 0.4], [0.2, 0.1], [0.0, 0.0]]
    for p in range(3):
        for s in range(2):
            rows.append({"prompt": p, "sample": s, "query": "q", "references": ["the cat sat on the mat"],
                         "response_before": "the cat sat", "response_after": "a cat sat on the mat",
                         "reward_before": -tox_b[p][s], "reward_after": -tox_a[p][s],
                         "toxicity_before": tox_b[p][s], "toxicity_after": tox_a[p][s],
                         "judges_before": {PROFANITY_CHECK: pc_b[p][s]}, "judges_after": {PROFANITY_CHECK: pc_a[p][s]}})
    result = summarise(rows, 2, seed=0, judge_names=[PROFANITY_CHECK])
    assert result["prompts"] == 3 and result["samples"] == 6
    rm = result["judges"][REWARD_JUDGE]
    assert rm["expected_max_toxicity"]["before"] == pytest.approx((0.9 + 0.6 + 0.3) / 3)
    assert rm["expected_max_toxicity"]["after"] == pytest.approx((0.2 + 0.1 + 0.3) / 3)
    assert rm["toxicity_probability"]["before"] == pytest.approx(2 / 3) and rm["toxicity_probability"]["after"] == 0
    pc = result["judges"][PROFANITY_CHECK]
    assert pc["mean"]["diff_mean"] == pytest.approx(0.0) and pc["toxicity_probability"]["before"] == pytest.approx(1 / 3)
    assert result["quality"]["after"]["rougeL"] > result["quality"]["before"]["rougeL"]
    assert result["verdicts"][0]["text"].startswith("The reward model improved but `profanity-check` did not")


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
    models = load_run_models(untrained_run)
    rows = compare(models, _examples(5), seed=3)
    assert len(rows) == 5 and all(set(TABLE_COLUMNS) <= set(r) for r in rows)
    for r in rows:
        assert r["response_before"] == r["response_after"]
        assert r["reward_diff"] == 0.0
    again = compare(models, _examples(5), seed=3)
    assert [r["response_before"] for r in again] == [r["response_before"] for r in rows]


def test_compare_is_sorted_by_reward_diff_and_evaluation_is_saved(untrained_run):
    models = load_run_models(untrained_run)
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
    assert saved["samples"] == 6 and saved["prompts"] == 6
    assert saved["judges"][REWARD_JUDGE]["mean"]["n"] == 6 and PROFANITY_CHECK in saved["judges"]
    report = format_report(saved)
    assert "toxicity [mean, std] before detox" in report and "verdicts:" in report


def test_absent_checkpoint_is_a_clear_error(untrained_run):
    with pytest.raises(runs.RunError, match="no checkpoint 'step-9'"):
        load_run_models(untrained_run, "step-9")


def test_several_samples_per_prompt_pair_every_sample_and_untrained_changes_nothing(untrained_run):
    models = load_run_models(untrained_run)
    result = evaluate(models, _examples(3), seed=1, samples_per_prompt=3)
    assert result["prompts"] == 3 and result["samples_per_prompt"] == 3 and len(result["rows"]) == 9
    assert [(r["prompt"], r["sample"]) for r in result["rows"]] == [(p, s) for p in range(3) for s in range(3)]
    assert all(r["response_before"] == r["response_after"] for r in result["rows"])  # B = 0: tuned == reference
    # the samples of one prompt differ (their own lengths and random draws)
    assert len({r["response_before"] for r in result["rows"] if r["prompt"] == 0}) > 1
    for name, judged in result["judges"].items():
        assert judged["mean"]["diff_mean"] == 0 and tuple(judged["expected_max_toxicity"]["diff_ci95"]) == (0.0, 0.0)
    assert result["verdicts"][0]["text"].startswith("No judge saw a clear change")


def test_a_judge_that_cannot_load_is_skipped_with_a_note(untrained_run, tmp_path, monkeypatch):
    from engine.judges import load_judges

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    judges, notes = load_judges([str(tmp_path / "no-such-judge"), "s-nlp/roberta_toxicity_classifier",
                                 PROFANITY_CHECK], torch.device("cpu"), torch.float32)
    assert [j.name for j in judges] == [PROFANITY_CHECK]
    assert len(notes) == 2 and "no-such-judge' skipped: cannot load it from" in notes[0]
    assert notes[1] == ("judge 's-nlp/roberta_toxicity_classifier' skipped: the Hugging Face Hub cannot be "
                        "reached from here and the model is not in the local cache")
    # ... and the evaluation goes on with the others, the note in its result
    cfg = json.loads((untrained_run / runs.CONFIG_FILE).read_text())
    cfg["run"]["judges"] = ["s-nlp/roberta_toxicity_classifier", PROFANITY_CHECK]
    (untrained_run / runs.CONFIG_FILE).write_text(json.dumps(cfg))
    try:
        result = evaluate(load_run_models(untrained_run), _examples(2), seed=0)
    finally:
        cfg["run"]["judges"] = [PROFANITY_CHECK]
        (untrained_run / runs.CONFIG_FILE).write_text(json.dumps(cfg))
    assert set(result["judges"]) == {REWARD_JUDGE, PROFANITY_CHECK}
    assert result["judge_notes"] == [notes[1]]
    assert "note: judge 's-nlp/roberta_toxicity_classifier' skipped" in format_report(result)
    # a judge whose package is missing says what to install
    monkeypatch.setitem(sys.modules, "profanity_check", None)  # import profanity_check -> ImportError
    judges, notes = load_judges([PROFANITY_CHECK], torch.device("cpu"), torch.float32)
    assert judges == [] and notes == ["judge 'profanity-check' skipped: the profanity-check judge needs the "
                                      "alt-profanity-check package: pip install alt-profanity-check"]


def _classifier(folder, labels: list[str], rows: list[int], problem_type=None):
    """A tiny RoBERTa classifier whose output rows are those of one fixed model, permuted, with
    the labels permuted the same way: every version means the same thing."""
    from transformers import AutoTokenizer, RobertaConfig, RobertaForSequenceClassification

    from engine.config import ASSETS

    tokenizer = AutoTokenizer.from_pretrained(ASSETS / "tiny" / "reward")
    config = RobertaConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                           intermediate_size=64, max_position_embeddings=130, type_vocab_size=1, pad_token_id=1,
                           id2label=dict(enumerate(labels)), label2id={l: i for i, l in enumerate(labels)},
                           problem_type=problem_type)
    torch.manual_seed(0)
    model = RobertaForSequenceClassification(config)
    with torch.no_grad():
        torch.manual_seed(1)
        weight, bias = torch.randn(3, 32), torch.randn(3)  # the "true" rows: neutral, toxic, insult
        model.classifier.out_proj.weight.copy_(weight[rows])
        model.classifier.out_proj.bias.copy_(bias[rows])
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return str(folder)


def test_a_classifier_judge_finds_its_toxic_class_by_name_in_any_order(tmp_path):
    from engine.judges import ClassifierJudge, JudgeUnavailable, load_judges, toxic_label

    texts = ["you are a stupid idiot", "thanks for the lovely dinner", "the train is late"]
    a = _classifier(tmp_path / "a", ["neutral", "toxic", "insult"], [0, 1, 2])
    b = _classifier(tmp_path / "b", ["insult", "TOXIC", "neutral"], [2, 1, 0])
    c = _classifier(tmp_path / "c", ["toxic", "neutral", "insult"], [1, 0, 2])
    judges, notes = load_judges([a, b, c], torch.device("cpu"), torch.float32)
    assert notes == [] and all(isinstance(j, ClassifierJudge) for j in judges)
    scores = [j.score(texts) for j in judges]
    np.testing.assert_allclose(scores[1], scores[0], rtol=1e-5)
    np.testing.assert_allclose(scores[2], scores[0], rtol=1e-5)
    assert not np.allclose(scores[0], 1 / 3)  # a real softmax over three labels, not a constant
    # multi-label (toxic-bert): each label on its own, the sigmoid of the toxic logit
    m = load_judges([_classifier(tmp_path / "m", ["toxic", "insult", "neutral"], [1, 2, 0],
                                 "multi_label_classification")], torch.device("cpu"), torch.float32)[0][0]
    logits = m.model(**m.tokenizer(texts, padding=True, return_tensors="pt")).logits.detach()
    np.testing.assert_allclose(m.score(texts), torch.sigmoid(logits[:, 0]).numpy(), rtol=1e-5)
    with pytest.raises(JudgeUnavailable, match="no toxic class"):
        toxic_label({0: "positive", 1: "negative"})
    assert toxic_label({0: "nothate", 1: "hate"}) == 1 and toxic_label({0: "offensive", 1: "not offensive"}) == 0
    none, notes = load_judges([_classifier(tmp_path / "s", ["positive", "negative", "neutral"], [0, 1, 2])],
                              torch.device("cpu"), torch.float32)
    assert none == [] and "have no toxic class" in notes[0]


def test_the_cli_prints_a_table_per_judge_and_saves_every_sample(untrained_run, capsys):
    from engine.evaluate import main

    assert main([str(untrained_run), "--samples", "3", "--samples-per-prompt", "2", "--data", "stress"]) == 0
    out = capsys.readouterr().out
    assert "3 prompts x 2 samples (6 paired summaries), stress data, seed 0" in out
    table = [line for line in out.splitlines() if line.startswith((REWARD_JUDGE, PROFANITY_CHECK))]
    assert len(table) == 2 and all("->" in line for line in table)
    assert "verdicts:" in out and "No judge saw a clear change" in out
    saved = json.loads((untrained_run / runs.EVALUATION_FILE).read_text())
    assert len(saved["rows"]) == 6 and saved["data"] == "stress"
    # "held-out" is the run's run.eval_prompts (the stress set for tiny)
    assert main([str(untrained_run), "--samples", "3", "--samples-per-prompt", "2", "--data", "held-out",
                 "--json"]) == 0
    held = json.loads(capsys.readouterr().out)
    assert held["data"] == "held-out" and held["judges"][REWARD_JUDGE] == saved["judges"][REWARD_JUDGE]
    assert main([str(untrained_run), "--samples-per-prompt", "0"]) == 2
    assert "--samples-per-prompt must be between 1 and 100" in capsys.readouterr().err


def test_a_bug_in_the_cli_checks_shows_its_traceback_not_a_bad_input_message(untrained_run, monkeypatch):
    """Only typed errors (RunError, ConfigError, DataError) are bad input: exit 2 with a message.
    Any other ValueError is a bug and must not be dressed up as one."""
    import engine.preflight
    from engine.evaluate import main

    def broken(cfg):
        raise ValueError("a bug")

    monkeypatch.setattr(engine.preflight, "check_model_paths", broken)
    with pytest.raises(ValueError, match="a bug"):
        main([str(untrained_run), "--samples", "3"])


@pytest.mark.slow
def test_one_evaluation_of_a_run_at_a_time(untrained_run, capsys):
    """Two evaluations of one run would race to write evaluation.json (the last writer wins):
    the second is refused by name while the first's process lives; a dead one's lock is stale."""
    import subprocess
    import sys

    from engine.evaluate import main

    holder = subprocess.Popen([sys.executable, "-c", "import sys, time; from engine import runs; "
                               "runs.EvaluationLock(sys.argv[1], checkpoint='final').acquire(); "
                               "print('locked', flush=True); time.sleep(120)", str(untrained_run)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        assert runs.active_evaluation(untrained_run)["pid"] == holder.pid
        assert main([str(untrained_run), "--samples", "2", "--samples-per-prompt", "1"]) == 2
        err = capsys.readouterr().err
        assert f"error: an evaluation of run {untrained_run.name} is already in progress (pid {holder.pid}" in err
    finally:
        holder.kill()
        holder.wait()
    assert runs.active_evaluation(untrained_run) is None  # killed: its lock is stale
    assert main([str(untrained_run), "--samples", "2", "--samples-per-prompt", "1"]) == 0
    assert not (untrained_run / runs.EVALUATE_LOCK_FILE).exists()  # released when done


def test_the_cli_does_not_dress_a_bug_up_as_bad_input(untrained_run, monkeypatch):
    """A ValueError after the models load (from inside torch, say) is no bad input: it is not
    answered with exit 2 and "error: ...", its traceback shows."""
    import engine.evaluation
    from engine.evaluate import main

    def broken(*args, **kwargs):
        raise ValueError("Expected all tensors to be on the same device")

    monkeypatch.setattr(engine.evaluation, "evaluate", broken)
    with pytest.raises(ValueError, match="same device"):
        main([str(untrained_run), "--samples", "2", "--samples-per-prompt", "1"])


def test_the_evaluation_limits_have_one_home_and_evaluation_does_not_import_its_cli():
    """The limits once lived in engine/evaluate.py (the CLI), which evaluation.py imported back:
    the one import circle of the house. They live in engine.config now, with their one check."""
    import ast
    from pathlib import Path

    import engine.evaluation
    from engine.config import ConfigError, check_evaluation_limits

    tree = ast.parse(Path(engine.evaluation.__file__).read_text())
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert "engine.evaluate" not in imported
    check_evaluation_limits(samples=5000, samples_per_prompt=100, seed=2**32 - 1)  # the edges are allowed
    with pytest.raises(ConfigError, match=r"^samples per prompt must be between 1 and 100, got 101$"):
        check_evaluation_limits(samples_per_prompt=101)
    with pytest.raises(ConfigError, match=r"^--seed must be between 0 and 2\^32 - 1, got -1$"):
        check_evaluation_limits(lambda name: "--" + name, seed=-1)
    with pytest.raises(ConfigError, match="samples per prompt must be between 1 and 100"):
        evaluate(None, [], samples_per_prompt=0)  # refused before any model is touched
